//! Fuzz target for SDP: parse arbitrary bytes, call every accessor, rewrite for an IPv4
//! and an IPv6 leg, and check that what the rewrite produced parses again with the
//! anchored ports in place. Must never panic.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use sbc_core::media::LocalEndpoint;
use sbc_signaling::sdp::{rewrite, RewritePlan, Sdp};

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = Sdp::parse(data) else {
        return;
    };
    let origin = sdp.origin();
    let _ = (
        origin.username.len(),
        origin.session_version,
        origin.address,
    );
    let _ = (sdp.session_connection(), sdp.session_direction());
    let _ = sdp.attributes().count();
    for m in sdp.media() {
        let _ = (m.kind, m.port, m.port_count, m.proto, m.formats, m.line());
        let _ = (
            m.connection(),
            m.direction(),
            m.rtcp(),
            m.rtcp_mux(),
            m.is_hold(),
        );
        let _ = (m.attributes().count(), m.format_list().count());
        let remote = m.remote_media();
        assert!(m.port != 0 || remote.rtp.is_none());
        assert!(remote.rtp.is_some() || remote.rtcp.is_none());
    }

    // Anchor every stream that can be anchored (as the B2BUA does), leave the others.
    let endpoints: Vec<Option<LocalEndpoint>> = sdp
        .media()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let port = 20_000 + 2 * i as u16;
            let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
            (m.port != 0 && m.connection().is_some()).then_some(LocalEndpoint {
                rtp: SocketAddr::new(any, port),
                rtcp: SocketAddr::new(any, port + 1),
            })
        })
        .collect();
    let v4 = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));
    let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10));
    let mut out = Vec::new();
    for address in [v4, v6] {
        let plan = RewritePlan {
            address,
            origin_user: "sbc",
            session_id: 1,
            session_version: 2,
            endpoints: &endpoints,
            security: &[],
        };
        rewrite(&sdp, &plan, &mut out).expect("a plan that fits the SDP rewrites");
        let again = Sdp::parse(&out).expect("rewritten SDP parses again");
        assert_eq!(again.media().len(), sdp.media().len());
        for (m, endpoint) in again.media().iter().zip(&endpoints) {
            if let Some(endpoint) = endpoint {
                assert_eq!(m.port, endpoint.rtp.port());
            }
        }
    }
});
