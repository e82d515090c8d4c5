//! One Via header element (RFC 3261 §20.42, §18.2.1; RFC 3581 for `rport`):
//! `SIP / 2.0 / transport sent-by *( ; via-params )`, with LWS allowed around the
//! slashes, colon and semicolons, and folds treated as LWS.

use super::scan::{is_lws, trim_lws, trim_lws_start, Params};
use super::uri::split_host_port;
use super::{HeaderName, ParseError};

/// The `rport` parameter (RFC 3581).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rport {
    Absent,
    /// `;rport` without a value: the client asks us to fill it in.
    Requested,
    Value(u16),
}

/// A parsed Via element, borrowing the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// Transport token as sent (`UDP`, `tcp`, `TLS`, `WS`...); compare case-insensitively.
    pub transport: &'a str,
    /// sent-by host; IPv6 references keep their brackets.
    pub host: &'a str,
    pub port: Option<u16>,
    /// The whole element text, byte-exact.
    pub raw: &'a str,
    /// The raw parameter list, starting at the first `;` (may be empty).
    pub params: &'a str,
}

impl<'a> Via<'a> {
    /// Parses one Via element (already split from its comma-joined siblings).
    pub fn parse(raw: &'a str) -> Result<Via<'a>, ParseError> {
        let bad = ParseError::BadHeader(HeaderName::Via);
        let raw = trim_lws(raw);
        let (name, rest) = take_token(raw).ok_or(bad)?;
        let rest = slash(rest).ok_or(bad)?;
        let (version, rest) = take_token(rest).ok_or(bad)?;
        let rest = slash(rest).ok_or(bad)?;
        let (transport, rest) = take_token(rest).ok_or(bad)?;
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
            return Err(bad);
        }
        let after_transport = trim_lws_start(rest);
        if after_transport.len() == rest.len() {
            return Err(bad); // sent-protocol and sent-by must be separated by LWS
        }
        let end = after_transport.find(';').unwrap_or(after_transport.len());
        let (host, port) = sent_by(after_transport.get(..end).ok_or(bad)?).ok_or(bad)?;
        let params = after_transport.get(end..).ok_or(bad)?;
        if !Params::is_well_formed(params) {
            return Err(bad);
        }
        Ok(Via {
            transport,
            host,
            port,
            raw,
            params,
        })
    }

    /// The `branch` parameter (the transaction ID for RFC 3261 peers).
    pub fn branch(&self) -> Option<&'a str> {
        self.param("branch").flatten()
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.param("received").flatten()
    }

    /// The `rport` parameter. A non-numeric value is treated as absent.
    pub fn rport(&self) -> Rport {
        match self.param("rport") {
            None => Rport::Absent,
            Some(None) => Rport::Requested,
            Some(Some(v)) => v.parse().map_or(Rport::Absent, Rport::Value),
        }
    }

    /// Any parameter by case-insensitive name: `None` absent, `Some(None)` flag.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        Params::find(self.params, name)
    }
}

/// Leading token, and what follows it (untrimmed).
fn take_token(s: &str) -> Option<(&str, &str)> {
    let s = trim_lws_start(s);
    let n = s
        .bytes()
        .take_while(|&b| super::scan::is_token_char(b))
        .count();
    if n == 0 {
        return None;
    }
    Some((s.get(..n)?, s.get(n..)?))
}

/// `SLASH = SWS "/" SWS`.
fn slash(s: &str) -> Option<&str> {
    trim_lws_start(s).strip_prefix('/')
}

/// `sent-by = host [ COLON port ]`, where `COLON` may carry LWS (`host : 5060`).
/// Borrows from `s`; no copy even in the LWS case.
fn sent_by(s: &str) -> Option<(&str, Option<u16>)> {
    let s = trim_lws(s);
    if !s.bytes().any(is_lws) {
        return split_host_port(s).ok();
    }
    let colon = s.rfind(':')?;
    let host = trim_lws(s.get(..colon)?);
    let port = trim_lws(s.get(colon + 1..)?);
    if host.bytes().any(is_lws) || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match split_host_port(host).ok()? {
        (h, None) => Some((h, Some(port.parse().ok()?))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_via() {
        let v = Via::parse("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport").unwrap();
        assert_eq!(
            (v.transport, v.host, v.port),
            ("UDP", "192.0.2.1", Some(5060))
        );
        assert_eq!(v.branch(), Some("z9hG4bK776"));
        assert_eq!(v.rport(), Rport::Requested);
        assert_eq!(v.received(), None);
    }

    #[test]
    fn lws_everywhere_and_ipv6() {
        let v = Via::parse("SIP / 2.0 / TCP\r\n [2001:db8::9] : 5061 ; branch = z9hG4bKx ;received=10.0.0.1;rport=4000").unwrap();
        assert_eq!(
            (v.transport, v.host, v.port),
            ("TCP", "[2001:db8::9]", Some(5061))
        );
        assert_eq!(v.branch(), Some("z9hG4bKx"));
        assert_eq!(v.received(), Some("10.0.0.1"));
        assert_eq!(v.rport(), Rport::Value(4000));
    }

    #[test]
    fn malformed() {
        for bad in [
            "SIP/2.0/UDP",
            "SIP/2.0 UDP host",
            "SIP/3.0/UDP host",
            "SIP/2.0/UDPhost",
            "SIP/2.0/UDP ho st",
            "SIP/2.0/UDP host:abc",
            "SIP/2.0/UDP host;=x",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
    }
}
