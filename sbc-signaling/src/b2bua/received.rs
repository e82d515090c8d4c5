//! Stamping the top Via of a received request with where it really came from
//! (RFC 3261 §18.2.1 `received`, RFC 3581 §4 `rport`), so every response — the
//! transaction layer's own 100 Trying included — tells a client behind NAT its public
//! address, and proxies on the way back route by it.
//!
//! Most requests need nothing (sent-by equals the source, no `;rport`): then the
//! message is returned untouched, with no copy.

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

use bytes::BytesMut;

use crate::sip::{Rport, SipMessage};

pub fn stamp_top_via(msg: SipMessage, source: SocketAddr) -> SipMessage {
    let Some((range, element)) = plan(&msg, source) else {
        return msg;
    };
    let buf = msg.as_bytes();
    let mut out = BytesMut::with_capacity(buf.len() + 48);
    out.extend_from_slice(&buf[..range.start]);
    out.extend_from_slice(element.as_bytes());
    out.extend_from_slice(&buf[range.end..]);
    // The rebuilt element is well-formed; should parsing still fail, keep the original.
    SipMessage::parse(out.freeze()).unwrap_or(msg)
}

/// The byte range of the top Via element and its stamped replacement, if it needs one.
fn plan(msg: &SipMessage, source: SocketAddr) -> Option<(Range<usize>, String)> {
    let via = msg.top_via().ok()?;
    let host = via.host.trim_start_matches('[').trim_end_matches(']');
    let host_differs = host
        .parse::<IpAddr>()
        .map(|ip| ip != source.ip())
        .unwrap_or(true);
    let rport = via.rport() == Rport::Requested;
    if (!host_differs && !rport) || via.received().is_some() {
        return None;
    }
    let start = (via.raw.as_ptr() as usize).checked_sub(msg.as_bytes().as_ptr() as usize)?;
    let range = start..start + via.raw.len();
    // With rport, `received` is added even when the address matches (RFC 3581 §4).
    let mut element = if rport {
        without_bare_rport(via.raw)
    } else {
        via.raw.to_owned()
    };
    element.push_str(&format!(";received={}", source.ip()));
    if rport {
        element.push_str(&format!(";rport={}", source.port()));
    }
    Some((range, element))
}

/// The Via element with its valueless `;rport` parameter removed.
fn without_bare_rport(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, part) in raw.split(';').enumerate() {
        if i > 0 && part.trim().eq_ignore_ascii_case("rport") {
            continue;
        }
        if i > 0 {
            out.push(';');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn req(via: &str) -> SipMessage {
        let text = format!(
            "OPTIONS sip:a@10.0.0.2 SIP/2.0\r\nVia: {via}\r\nVia: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKx\r\nFrom: <sip:b@c>;tag=1\r\nTo: <sip:a@10.0.0.2>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        SipMessage::parse(Bytes::from(text)).unwrap()
    }

    fn top(msg: &SipMessage) -> String {
        msg.top_via().unwrap().raw.to_owned()
    }

    #[test]
    fn untouched_when_sent_by_matches_and_no_rport() {
        let m = req("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1");
        let out = stamp_top_via(m.clone(), "10.0.0.1:5060".parse().unwrap());
        assert_eq!(out.as_bytes(), m.as_bytes());
    }

    #[test]
    fn received_added_when_source_differs() {
        let m = req("SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bK1");
        let out = stamp_top_via(m, "203.0.113.7:4000".parse().unwrap());
        assert_eq!(
            top(&out),
            "SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bK1;received=203.0.113.7"
        );
        assert_eq!(out.vias().count(), 2, "only the top Via changes");
    }

    #[test]
    fn rport_filled_in_and_received_always_added() {
        let m = req("SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK1");
        let out = stamp_top_via(m, "10.0.0.1:33000".parse().unwrap());
        assert_eq!(
            top(&out),
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=10.0.0.1;rport=33000"
        );
        assert_eq!(out.top_via().unwrap().rport(), Rport::Value(33000));
    }

    #[test]
    fn host_names_get_received_and_ipv6_works() {
        let m = req("SIP/2.0/TCP client.example.com;branch=z9hG4bK1");
        let out = stamp_top_via(m, "[2001:db8::1]:5070".parse().unwrap());
        assert!(
            top(&out).ends_with(";received=2001:db8::1"),
            "{}",
            top(&out)
        );
    }
}
