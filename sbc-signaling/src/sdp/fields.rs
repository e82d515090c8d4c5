//! Field-level grammar shared by the line parsers: whitespace-separated tokens, the
//! `<nettype> <addrtype> <address>` triple of c= and a=rtcp (RFC 8866 §5.7, RFC 3605),
//! and `a=<name>[:<value>]` attributes (RFC 8866 §5.13).
//!
//! Fields are split on runs of SP/HTAB rather than exactly one SP: the grammar says one,
//! but devices that pad with two or add trailing blanks are common and harmless.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sbc_core::media::Direction;

use super::error::LineProblem;

/// The next whitespace-separated token of `s` and what follows it (untrimmed).
pub(crate) fn split_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() {
        return None;
    }
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    Some(s.split_at(end))
}

/// RFC 8866 `token`: visible ASCII except the separators it excludes.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&b))
}

/// Parses `IN IP4 <addr>` / `IN IP6 <addr>` (the rest of a c= line, or the tail of
/// a=rtcp). A multicast `/ttl[/count]` suffix is accepted and dropped: the SBC only
/// relays unicast, and the address itself is what the media plane needs.
pub(crate) fn parse_connection(s: &str) -> Result<IpAddr, LineProblem> {
    let (net, rest) = split_token(s).ok_or(LineProblem::BadConnection)?;
    let (addrtype, rest) = split_token(rest).ok_or(LineProblem::BadConnection)?;
    let (addr, rest) = split_token(rest).ok_or(LineProblem::BadConnection)?;
    if split_token(rest).is_some() {
        return Err(LineProblem::BadConnection);
    }
    if net != "IN" {
        return Err(LineProblem::BadNetType);
    }
    let addr = addr.split('/').next().unwrap_or(addr);
    // An FQDN is legal SDP but the parser is sans-IO and cannot resolve it; an SBC
    // that anchors media needs the literal, so it is refused (488) rather than guessed.
    match addrtype {
        "IP4" => addr
            .parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| LineProblem::BadAddress),
        "IP6" => addr
            .parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| LineProblem::BadAddress),
        _ => Err(LineProblem::BadAddrType),
    }
}

/// Splits `name[:value]`; the name must be a token.
pub(crate) fn parse_attribute(s: &str) -> Result<(&str, Option<&str>), LineProblem> {
    let (name, value) = match s.split_once(':') {
        Some((name, value)) => (name, Some(value)),
        None => (s, None),
    };
    if !is_token(name) {
        return Err(LineProblem::BadAttributeName);
    }
    Ok((name, value))
}

/// The direction a property attribute sets, if it is one (RFC 3264 §5.1). Attribute
/// names are case-sensitive (RFC 8866 §5.13).
pub(crate) fn direction_of(name: &str) -> Option<Direction> {
    match name {
        "sendrecv" => Some(Direction::SendRecv),
        "sendonly" => Some(Direction::SendOnly),
        "recvonly" => Some(Direction::RecvOnly),
        "inactive" => Some(Direction::Inactive),
        _ => None,
    }
}

/// ICE attributes (RFC 8839) the SBC strips: it terminates the media path, so the
/// peer's candidates would both leak its addresses and describe a path that no longer
/// exists. Every `ice-*` attribute goes too (ice-lite, ice-mismatch, ice-pacing…),
/// since advertising ICE without candidates would be inconsistent.
pub(crate) fn is_ice_attribute(name: &str) -> bool {
    matches!(
        name,
        "candidate" | "end-of-candidates" | "remote-candidates"
    ) || name.starts_with("ice-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_tolerate_extra_blanks() {
        assert_eq!(split_token("  IN  IP4"), Some(("IN", "  IP4")));
        assert_eq!(split_token(" \t "), None);
    }

    #[test]
    fn connections() {
        assert_eq!(
            parse_connection("IN IP4 192.0.2.1"),
            Ok(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert_eq!(
            parse_connection("IN IP6 2001:db8::5"),
            Ok("2001:db8::5".parse().unwrap())
        );
        assert_eq!(
            parse_connection("IN IP4 233.252.0.1/127/3"),
            Ok("233.252.0.1".parse().unwrap())
        );
        assert_eq!(parse_connection("IN IP4"), Err(LineProblem::BadConnection));
        assert_eq!(
            parse_connection("IN IP4 1.2.3.4 x"),
            Err(LineProblem::BadConnection)
        );
        assert_eq!(
            parse_connection("ATM IP4 1.2.3.4"),
            Err(LineProblem::BadNetType)
        );
        assert_eq!(
            parse_connection("IN IPX 1.2.3.4"),
            Err(LineProblem::BadAddrType)
        );
        assert_eq!(parse_connection("IN IP4 ::1"), Err(LineProblem::BadAddress));
        assert_eq!(
            parse_connection("IN IP4 host.example.com"),
            Err(LineProblem::BadAddress)
        );
    }

    #[test]
    fn attributes() {
        assert_eq!(parse_attribute("sendonly"), Ok(("sendonly", None)));
        assert_eq!(
            parse_attribute("rtpmap:0 PCMU/8000"),
            Ok(("rtpmap", Some("0 PCMU/8000")))
        );
        assert_eq!(parse_attribute("x:"), Ok(("x", Some(""))));
        assert_eq!(parse_attribute(""), Err(LineProblem::BadAttributeName));
        assert_eq!(parse_attribute("a b"), Err(LineProblem::BadAttributeName));
        assert!(is_ice_attribute("ice-lite"));
        assert!(is_ice_attribute("candidate"));
        assert!(!is_ice_attribute("rtcp"));
    }
}
