//! URIs as they appear in SIP (RFC 3261 §19.1, §25.1; RFC 3966 for `tel:`), borrowed
//! from the message: `sip:`/`sips:` split into user, password, host, port, params and
//! headers; `tel:` keeps the subscriber number as `user`; other schemes are only
//! recognised so the caller can answer 416.

use super::scan::Params;
use super::ParseError;

/// A URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
    /// Any other scheme: the caller answers 416 Unsupported URI Scheme.
    Other,
}

/// A URI borrowed from a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    pub scheme: Scheme,
    /// The user part, still %-escaped; for `tel:` the telephone-subscriber.
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    /// Host name or address; IPv6 references keep their brackets; `""` for `tel:`.
    pub host: &'a str,
    pub port: Option<u16>,
    /// The raw parameter list including its leading `;` (e.g. `";transport=tcp;lr"`).
    pub params: &'a str,
    /// The raw header part after `?`, without the `?`.
    pub headers: Option<&'a str>,
    /// The whole URI text.
    pub raw: &'a str,
}

impl<'a> Uri<'a> {
    /// Parses a URI. Unknown schemes parse as [`Scheme::Other`] with only `raw` set.
    pub fn parse(s: &'a str) -> Result<Uri<'a>, ParseError> {
        let raw = s;
        let colon = s.find(':').ok_or(ParseError::BadUri)?;
        let (scheme_txt, rest) = (
            s.get(..colon).ok_or(ParseError::BadUri)?,
            s.get(colon + 1..),
        );
        let rest = rest.ok_or(ParseError::BadUri)?;
        if !valid_scheme(scheme_txt) || rest.is_empty() {
            return Err(ParseError::BadUri);
        }
        let scheme = if scheme_txt.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_txt.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_txt.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            return Ok(Uri {
                scheme: Scheme::Other,
                user: None,
                password: None,
                host: "",
                port: None,
                params: "",
                headers: None,
                raw,
            });
        };
        if rest
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(ParseError::BadUri);
        }
        if scheme == Scheme::Tel {
            return parse_tel(rest, raw);
        }
        parse_sip(scheme, rest, raw)
    }

    /// Looks up a URI parameter by case-insensitive name: `None` if absent,
    /// `Some(None)` for a flag such as `lr`, `Some(Some(v))` for a value.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        Params::find(self.params, name)
    }
}

fn valid_scheme(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// `tel:` URI: `telephone-subscriber *(";" param)`.
fn parse_tel<'a>(rest: &'a str, raw: &'a str) -> Result<Uri<'a>, ParseError> {
    let end = rest.find(';').unwrap_or(rest.len());
    let (number, params) = (rest.get(..end).ok_or(ParseError::BadUri)?, rest.get(end..));
    let params = params.unwrap_or("");
    let valid_char = |b: u8| {
        b.is_ascii_hexdigit() || matches!(b, b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#')
    };
    if number.is_empty() || !number.bytes().all(valid_char) || !Params::is_well_formed(params) {
        return Err(ParseError::BadUri);
    }
    Ok(Uri {
        scheme: Scheme::Tel,
        user: Some(number),
        password: None,
        host: "",
        port: None,
        params,
        headers: None,
        raw,
    })
}

/// `sip:`/`sips:` URI: `[userinfo "@"] hostport uri-parameters ["?" headers]`.
fn parse_sip<'a>(scheme: Scheme, rest: &'a str, raw: &'a str) -> Result<Uri<'a>, ParseError> {
    let bad = ParseError::BadUri;
    // '@' cannot occur unescaped after the userinfo, so the first one ends it.
    let (user, password, hostpart) = match rest.find('@') {
        Some(at) => {
            let userinfo = rest.get(..at).ok_or(bad)?;
            let (user, password) = match userinfo.find(':') {
                Some(c) => (
                    userinfo.get(..c).ok_or(bad)?,
                    Some(userinfo.get(c + 1..).ok_or(bad)?),
                ),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err(bad);
            }
            (Some(user), password, rest.get(at + 1..).ok_or(bad)?)
        }
        None => (None, None, rest),
    };
    let (hostport, tail) = match hostpart.find([';', '?']) {
        Some(i) => (hostpart.get(..i).ok_or(bad)?, hostpart.get(i..).ok_or(bad)?),
        None => (hostpart, ""),
    };
    let (host, port) = split_host_port(hostport)?;
    let (params, headers) = match tail.find('?') {
        Some(q) => (
            tail.get(..q).ok_or(bad)?,
            Some(tail.get(q + 1..).ok_or(bad)?),
        ),
        None => (tail, None),
    };
    if !Params::is_well_formed(params) || headers.is_some_and(|h| h.contains('@')) {
        return Err(bad);
    }
    Ok(Uri {
        scheme,
        user,
        password,
        host,
        port,
        params,
        headers,
        raw,
    })
}

/// Splits `host[:port]`, validating the host (name, IPv4 or bracketed IPv6) and port.
/// Shared with Via's `sent-by`.
pub(crate) fn split_host_port(s: &str) -> Result<(&str, Option<u16>), ParseError> {
    let bad = ParseError::BadUri;
    let (host, port_txt) = if s.starts_with('[') {
        let close = s.find(']').ok_or(bad)?;
        let host = s.get(..=close).ok_or(bad)?;
        let inner = host.get(1..close).ok_or(bad)?;
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad);
        }
        let after = s.get(close + 1..).ok_or(bad)?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err(bad),
        }
    } else {
        match s.find(':') {
            Some(c) => (s.get(..c).ok_or(bad)?, Some(s.get(c + 1..).ok_or(bad)?)),
            None => (s, None),
        }
    };
    let host_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')));
    if !host_ok {
        return Err(bad);
    }
    let port = match port_txt {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| bad)?)
        }
        Some(_) => return Err(bad),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_sip_uri() {
        let u = Uri::parse("sip:alice%20x:secret@example.com:5070;transport=TCP;lr?Subject=hi")
            .unwrap();
        assert_eq!(u.scheme, Scheme::Sip);
        assert_eq!(u.user, Some("alice%20x"));
        assert_eq!(u.password, Some("secret"));
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.params, ";transport=TCP;lr");
        assert_eq!(u.param("Transport"), Some(Some("TCP")));
        assert_eq!(u.param("lr"), Some(None));
        assert_eq!(u.headers, Some("Subject=hi"));
    }

    #[test]
    fn ipv6_and_sips() {
        let u = Uri::parse("SIPS:[2001:db8::1]:5061").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.port, u.user),
            (Scheme::Sips, "[2001:db8::1]", Some(5061), None)
        );
        let u = Uri::parse("sip:bob@[::1];maddr=[::2]").unwrap();
        assert_eq!((u.host, u.port), ("[::1]", None));
        assert_eq!(u.param("maddr"), Some(Some("[::2]")));
        assert!(Uri::parse("sip:[2001:db8::zz]").is_err());
        assert!(Uri::parse("sip:[::1]x").is_err());
    }

    #[test]
    fn tel_and_other_schemes() {
        let u = Uri::parse("tel:+1-201-555-0123;phone-context=example.com").unwrap();
        assert_eq!(
            (u.scheme, u.user, u.host),
            (Scheme::Tel, Some("+1-201-555-0123"), "")
        );
        assert_eq!(u.param("phone-context"), Some(Some("example.com")));
        assert_eq!(Uri::parse("urn:service:sos").unwrap().scheme, Scheme::Other);
        assert!(Uri::parse("tel:").is_err());
        assert!(Uri::parse("tel:12 34").is_err());
    }

    #[test]
    fn malformed() {
        for bad in [
            "sip:",
            "sip:@host",
            "sip:host:99999",
            "sip:host:",
            "sip:ho st",
            "nocolon",
            "1sip:x",
            "sip:a@b@c",
            "sip:host;=x",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }
}
