//! Offer/answer rewriting as the B2BUA does it: a realistic carrier/agent-phone offer is
//! anchored on the SBC, every address is replaced, everything else is kept byte-exact,
//! and the result parses again. Also hold, rtcp-mux, IPv6, rejected streams, several
//! m= lines and malformed input.

use std::net::{IpAddr, SocketAddr};

use sbc_core::media::{Direction, LocalEndpoint};
use sbc_signaling::sdp::{rewrite, LineProblem, RewritePlan, Sdp, SdpError};

const OFFER: &str = "v=0\r\n\
o=agent-phone 2890844526 2890844527 IN IP4 10.20.30.40\r\n\
s=Talk\r\n\
c=IN IP4 10.20.30.40\r\n\
b=AS:84\r\n\
t=0 0\r\n\
a=ice-ufrag:F7gI\r\n\
a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\n\
a=ice-options:trickle\r\n\
a=x-vendor-session:abc\r\n\
m=audio 49170 RTP/AVP 0 8 101\r\n\
c=IN IP4 10.20.30.41\r\n\
b=TIAS:64000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:150\r\n\
a=rtcp:49175 IN IP4 10.20.30.42\r\n\
a=candidate:1 1 UDP 2130706431 10.20.30.41 49170 typ host\r\n\
a=candidate:2 1 UDP 1694498815 192.0.2.33 50000 typ srflx raddr 10.20.30.41 rport 49170\r\n\
a=remote-candidates:1 192.0.2.99 4000\r\n\
a=end-of-candidates\r\n\
a=x-unknown-thing:foo=bar;baz  \r\n\
a=sendrecv\r\n";

const ANCHORED: &str = "v=0\r\n\
o=sbc 7001 1 IN IP4 203.0.113.10\r\n\
s=Talk\r\n\
c=IN IP4 203.0.113.10\r\n\
b=AS:84\r\n\
t=0 0\r\n\
a=x-vendor-session:abc\r\n\
m=audio 30000 RTP/AVP 0 8 101\r\n\
c=IN IP4 203.0.113.10\r\n\
b=TIAS:64000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:150\r\n\
a=rtcp:30001 IN IP4 203.0.113.10\r\n\
a=x-unknown-thing:foo=bar;baz  \r\n\
a=sendrecv\r\n";

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n";

fn sbc_v4() -> IpAddr {
    "203.0.113.10".parse().unwrap()
}

fn endpoint(port: u16) -> LocalEndpoint {
    // The bind address differs from the advertised one on purpose: only ports are used.
    let bind: IpAddr = "0.0.0.0".parse().unwrap();
    LocalEndpoint {
        rtp: SocketAddr::new(bind, port),
        rtcp: SocketAddr::new(bind, port + 1),
    }
}

fn plan(address: IpAddr, endpoints: &[Option<LocalEndpoint>]) -> RewritePlan<'_> {
    RewritePlan {
        address,
        origin_user: "sbc",
        session_id: 7001,
        session_version: 1,
        endpoints,
        security: &[],
    }
}

fn rewritten(body: &str, address: IpAddr, endpoints: &[Option<LocalEndpoint>]) -> String {
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    let mut out = Vec::new();
    rewrite(&sdp, &plan(address, endpoints), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    Sdp::parse(text.as_bytes()).expect("rewritten SDP parses again");
    text
}

#[test]
fn realistic_offer_is_anchored_and_otherwise_untouched() {
    let sdp = Sdp::parse(OFFER.as_bytes()).unwrap();
    let origin = sdp.origin();
    assert_eq!(origin.username, "agent-phone");
    assert_eq!(origin.session_version, "2890844527");
    let audio = &sdp.media()[0];
    assert_eq!(audio.format_list().collect::<Vec<_>>(), ["0", "8", "101"]);
    let remote = audio.remote_media();
    assert_eq!(remote.rtp, Some("10.20.30.41:49170".parse().unwrap()));
    assert_eq!(remote.rtcp, Some("10.20.30.42:49175".parse().unwrap()));
    assert_eq!(remote.direction, Direction::SendRecv);
    assert!(!remote.rtcp_mux);
    assert!(audio
        .attributes()
        .any(|a| a == ("x-unknown-thing", Some("foo=bar;baz  "))));

    let out = rewritten(OFFER, sbc_v4(), &[Some(endpoint(30000))]);
    assert_eq!(out, ANCHORED);
    for leaked in ["10.20.30.", "192.0.2.", "agent-phone", "ice-", "candidate"] {
        assert!(!out.contains(leaked), "{leaked} leaked into {out}");
    }
    let again = Sdp::parse(out.as_bytes()).unwrap();
    let remote = again.media()[0].remote_media();
    assert_eq!(remote.rtp, Some("203.0.113.10:30000".parse().unwrap()));
    assert_eq!(remote.rtcp, Some("203.0.113.10:30001".parse().unwrap()));
}

#[test]
fn lf_input_gives_crlf_output() {
    let lf = OFFER.replace("\r\n", "\n");
    assert_eq!(rewritten(&lf, sbc_v4(), &[Some(endpoint(30000))]), ANCHORED);
}

#[test]
fn hold_detection() {
    let media = |attrs: &str, c: &str| {
        let body = format!("{HEAD}c=IN IP4 {c}\r\nm=audio 4000 RTP/AVP 0\r\n{attrs}");
        let sdp = Sdp::parse(body.as_bytes()).unwrap();
        let m = sdp.media()[0].clone();
        (m.is_hold(), m.remote_media().rtp.is_some(), m.direction())
    };
    use Direction::*;
    assert_eq!(media("a=sendonly\r\n", "10.0.0.2"), (true, true, SendOnly));
    assert_eq!(media("a=inactive\r\n", "10.0.0.2"), (true, true, Inactive));
    assert_eq!(media("a=recvonly\r\n", "10.0.0.2"), (false, true, RecvOnly));
    assert_eq!(media("", "10.0.0.2"), (false, true, SendRecv));
    assert_eq!(media("", "0.0.0.0"), (true, false, SendRecv));

    // Session-level sendonly applies to the stream.
    let body = format!("{HEAD}c=IN IP4 10.0.0.2\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n");
    assert!(Sdp::parse(body.as_bytes()).unwrap().media()[0].is_hold());
}

#[test]
fn rfc2543_hold_is_preserved_on_rewrite() {
    let body = format!(
        "{HEAD}c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:4001\r\na=sendonly\r\n"
    );
    let out = rewritten(&body, sbc_v4(), &[Some(endpoint(30000))]);
    assert!(out.contains("\r\nc=IN IP4 0.0.0.0\r\n"), "{out}");
    assert!(out.contains("\r\na=rtcp:30001 IN IP4 0.0.0.0\r\n"), "{out}");
    assert!(out.contains("\r\na=sendonly\r\n"));
    let again = Sdp::parse(out.as_bytes()).unwrap();
    assert!(again.media()[0].is_hold());
    assert_eq!(again.media()[0].remote_media().rtp, None);

    // Toward an IPv6 leg the hold stays a hold, written as `::`.
    let v6: IpAddr = "2001:db8::10".parse().unwrap();
    let out = rewritten(&body, v6, &[Some(endpoint(30000))]);
    assert!(out.contains("\r\nc=IN IP6 ::\r\n"), "{out}");
}

#[test]
fn rtcp_mux() {
    let body = format!(
        "{HEAD}c=IN IP4 10.0.0.2\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp-mux\r\na=rtcp:4000\r\n"
    );
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    let remote = sdp.media()[0].remote_media();
    assert!(remote.rtcp_mux);
    assert_eq!(remote.rtcp, remote.rtp);

    let body = format!("{HEAD}c=IN IP4 10.0.0.2\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp-mux\r\n");
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    let remote = sdp.media()[0].remote_media();
    assert_eq!(remote.rtcp, Some("10.0.0.2:4000".parse().unwrap()));
    let out = rewritten(&body, sbc_v4(), &[Some(endpoint(30000))]);
    assert!(
        out.ends_with("m=audio 30000 RTP/AVP 0\r\na=rtcp-mux\r\n"),
        "{out}"
    );
    assert!(!out.contains("a=rtcp:"), "a=rtcp is not invented: {out}");
}

#[test]
fn ipv6_peer_and_ipv6_leg() {
    let body = "v=0\r\no=- 5 5 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::2\r\n\
                t=0 0\r\nm=audio 5000 RTP/AVP 8\r\na=rtcp:5001 IN IP6 2001:db8::3\r\n";
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    let remote = sdp.media()[0].remote_media();
    assert_eq!(remote.rtp, Some("[2001:db8::2]:5000".parse().unwrap()));
    assert_eq!(remote.rtcp, Some("[2001:db8::3]:5001".parse().unwrap()));

    // IPv6 peer, IPv4 leg: the output is pure IPv4.
    let out = rewritten(body, sbc_v4(), &[Some(endpoint(30000))]);
    assert!(!out.contains("IP6") && !out.contains("2001:db8"), "{out}");

    let v6: IpAddr = "2001:db8:ffff::10".parse().unwrap();
    let out = rewritten(body, v6, &[Some(endpoint(30000))]);
    assert!(
        out.contains("o=sbc 7001 1 IN IP6 2001:db8:ffff::10\r\n"),
        "{out}"
    );
    assert!(out.contains("c=IN IP6 2001:db8:ffff::10\r\n"), "{out}");
    assert!(
        out.contains("a=rtcp:30001 IN IP6 2001:db8:ffff::10\r\n"),
        "{out}"
    );
}

#[test]
fn rejected_stream_keeps_port_zero_and_several_media() {
    let body = format!(
        "{HEAD}c=IN IP4 10.0.0.2\r\n\
         m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n\
         m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
         m=video 4002 RTP/AVP 97\r\nc=IN IP4 10.0.0.3\r\nb=AS:512\r\na=rtpmap:97 VP8/90000\r\n"
    );
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    let kinds: Vec<_> = sdp.media().iter().map(|m| (m.kind, m.port)).collect();
    assert_eq!(kinds, [("audio", 4000), ("video", 0), ("video", 4002)]);
    assert_eq!(sdp.media()[1].remote_media().rtp, None);
    assert_eq!(
        sdp.media()[2].remote_media().rtp,
        Some("10.0.0.3:4002".parse().unwrap())
    );

    let out = rewritten(
        &body,
        sbc_v4(),
        &[Some(endpoint(30000)), None, Some(endpoint(30002))],
    );
    let expected_tail = "c=IN IP4 203.0.113.10\r\n\
         m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n\
         m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
         m=video 30002 RTP/AVP 97\r\nc=IN IP4 203.0.113.10\r\nb=AS:512\r\n\
         a=rtpmap:97 VP8/90000\r\n";
    assert!(out.ends_with(expected_tail), "{out}");

    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    let mut buf = Vec::new();
    assert_eq!(
        rewrite(&sdp, &plan(sbc_v4(), &[None, None]), &mut buf),
        Err(SdpError::EndpointCount { plan: 2, media: 3 })
    );
}

#[test]
fn malformed_inputs_name_the_line() {
    let cases: &[(&str, usize, LineProblem)] = &[
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
            5,
            LineProblem::BadPort,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP\r\n",
            5,
            LineProblem::NoFormat,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 999.1.1.1\r\nt=0 0\r\n",
            4,
            LineProblem::BadAddress,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
            5,
            LineProblem::MissingConnection,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nhello\r\n",
            5,
            LineProblem::NotTypeValue,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nx=1\r\n",
            5,
            LineProblem::UnknownType('x'),
        ),
        ("s=-\r\nv=0\r\n", 1, LineProblem::VersionFirst),
        (
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nc=IN IP4 1.2.3.4\r\n\
          m=audio 1 RTP/AVP 0\r\nc=IN IP4 1.2.3.5\r\nc=IN IP4 1.2.3.6\r\n",
            8,
            LineProblem::Duplicate('c'),
        ),
    ];
    for (body, line, problem) in cases {
        let err = Sdp::parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.line(), Some(*line), "{body:?}: {err}");
        assert_eq!(
            err,
            SdpError::Line {
                line: *line,
                problem: problem.clone()
            }
        );
        assert!(err.to_string().contains(&format!("line {line}")));
    }
    assert_eq!(
        Sdp::parse(b"v=0\r\ns=-\r\nt=0 0\r\n"),
        Err(SdpError::Missing('o'))
    );
}
