//! From a SIP URI or a trunk to a `Peer` the transport can send to. The SBC talks to
//! configured trunks by IP; URIs learned from peers (Contact, Record-Route) are used when
//! they hold an IP literal, otherwise the leg's known peer is the fallback. No DNS on the
//! signaling path (RFC 3263 resolution comes with a resolver seam in a later issue).

use std::net::{IpAddr, SocketAddr};

use sbc_core::config::{Transport, TrunkConfig};

use crate::net::{Peer, TransportKind};
use crate::sip::{Scheme, Uri};

pub fn transport_kind(t: Transport) -> TransportKind {
    match t {
        Transport::Udp => TransportKind::Udp,
        Transport::Tcp => TransportKind::Tcp,
    }
}

pub fn trunk_peer(trunk: &TrunkConfig) -> Peer {
    Peer {
        transport: transport_kind(trunk.transport),
        addr: trunk.address,
        conn: None,
    }
}

/// Resolves a `sip:`/`sips:` URI with an IP-literal host. `default` supplies the
/// transport when the URI has no `transport=` parameter (and the connection to reuse).
pub fn resolve_uri(uri: &str, default: Peer) -> Option<Peer> {
    let uri = uri.trim().trim_start_matches('<').trim_end_matches('>');
    let parsed = Uri::parse(uri).ok()?;
    if !matches!(parsed.scheme, Scheme::Sip | Scheme::Sips) {
        return None;
    }
    let host = parsed.host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    let transport = match parsed.param("transport").flatten() {
        Some(t) if t.eq_ignore_ascii_case("tcp") => TransportKind::Tcp,
        Some(t) if t.eq_ignore_ascii_case("udp") => TransportKind::Udp,
        Some(_) => return None,
        None => default.transport,
    };
    let addr = SocketAddr::new(ip, parsed.port.unwrap_or(5060));
    let conn = if transport == default.transport && addr == default.addr {
        default.conn
    } else {
        None
    };
    Some(Peer {
        transport,
        addr,
        conn,
    })
}

/// Where an in-dialog request goes: the first route if there is a route set (loose
/// routing, RFC 3261 §12.2.1.1), else the remote target, else the leg's peer.
pub fn next_hop(route_set: &[String], target: Option<&str>, fallback: Peer) -> Peer {
    route_set
        .first()
        .map(String::as_str)
        .or(target)
        .and_then(|u| resolve_uri(u, fallback))
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp(a: &str) -> Peer {
        Peer::udp(a.parse().unwrap())
    }

    #[test]
    fn resolves_ip_literals_and_transport() {
        let d = udp("10.0.0.1:5060");
        assert_eq!(
            resolve_uri("sip:bob@127.0.0.1:5080", d),
            Some(udp("127.0.0.1:5080"))
        );
        assert_eq!(
            resolve_uri("<sip:[::1]:5062;lr>", d).map(|p| p.addr),
            Some("[::1]:5062".parse().unwrap())
        );
        let tcp = resolve_uri("sip:127.0.0.1;transport=tcp", d).unwrap();
        assert_eq!(tcp.transport, TransportKind::Tcp);
        assert_eq!(tcp.addr.port(), 5060);
        assert_eq!(resolve_uri("sip:bob@example.com", d), None);
        assert_eq!(resolve_uri("tel:+123", d), None);
    }

    #[test]
    fn next_hop_prefers_route_then_target() {
        let d = udp("10.0.0.1:5060");
        let routes = vec!["<sip:127.0.0.2:5070;lr>".to_owned()];
        assert_eq!(
            next_hop(&routes, Some("sip:127.0.0.3"), d).addr.port(),
            5070
        );
        assert_eq!(
            next_hop(&[], Some("sip:127.0.0.3:6000"), d).addr.port(),
            6000
        );
        assert_eq!(next_hop(&[], Some("sip:host.invalid"), d), d);
    }
}
