//! `name-addr` / `addr-spec` headers (From, To, Contact, Route, Record-Route,
//! Refer-To, P-Asserted-Identity...; RFC 3261 §20.10, §25.1): optional display name,
//! the URI, and header parameters such as `tag`.
//!
//! Without angle brackets everything after the first `;` is a *header* parameter, not
//! a URI parameter (RFC 3261 §20.10), which is what `tag` lookups need.

use super::scan::{closing_quote, is_lws, is_token_char, trim_lws, trim_lws_start, Params};
use super::uri::Uri;
use super::{HeaderName, ParseError};

/// A name-addr borrowed from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// For a quoted display name, the text between the quotes with `\"` escapes kept
    /// (re-quote it as is when writing); for an unquoted one, the trimmed tokens.
    pub display_name: Option<&'a str>,
    /// Raw URI text (without `<` `>`); `*` for the wildcard Contact.
    pub uri: &'a str,
    /// The whole element, trimmed, byte-exact.
    pub raw: &'a str,
    /// Header parameters after the URI, starting at the first `;` (may be empty).
    pub params: &'a str,
}

impl<'a> NameAddr<'a> {
    /// Parses one element (already split from comma-joined siblings). Errors are
    /// `BadHeader(Other)`; header-specific accessors re-label them.
    pub fn parse(s: &'a str) -> Result<NameAddr<'a>, ParseError> {
        let bad = ParseError::BadHeader(HeaderName::Other);
        let raw = trim_lws(s);
        if raw == "*" {
            return Ok(NameAddr {
                display_name: None,
                uri: raw,
                raw,
                params: "",
            });
        }
        let (display_name, rest) = if raw.starts_with('"') {
            let close = closing_quote(raw.as_bytes(), 0).ok_or(bad)?;
            let rest = trim_lws_start(raw.get(close + 1..).ok_or(bad)?);
            if !rest.starts_with('<') {
                return Err(bad);
            }
            (Some(raw.get(1..close).ok_or(bad)?), rest)
        } else if let Some(lt) = raw.find('<') {
            let name = trim_lws(raw.get(..lt).ok_or(bad)?);
            if !name.bytes().all(|b| is_token_char(b) || is_lws(b)) {
                return Err(bad);
            }
            let name = (!name.is_empty()).then_some(name);
            (name, raw.get(lt..).ok_or(bad)?)
        } else {
            (None, raw)
        };
        let (uri, params) = if let Some(inner) = rest.strip_prefix('<') {
            let gt = inner.find('>').ok_or(bad)?;
            (
                trim_lws(inner.get(..gt).ok_or(bad)?),
                inner.get(gt + 1..).ok_or(bad)?,
            )
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            (
                trim_lws(rest.get(..end).ok_or(bad)?),
                rest.get(end..).ok_or(bad)?,
            )
        };
        if !looks_like_uri(uri) || !Params::is_well_formed(params) {
            return Err(bad);
        }
        Ok(NameAddr {
            display_name,
            uri,
            raw,
            params,
        })
    }

    /// The `tag` parameter (dialog identification, RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&'a str> {
        self.param("tag").flatten()
    }

    /// A header parameter by case-insensitive name: `None` absent, `Some(None)` flag.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        Params::find(self.params, name)
    }

    /// Parses the URI (lazily: most calls only need the tag).
    pub fn parsed_uri(&self) -> Result<Uri<'a>, ParseError> {
        Uri::parse(self.uri)
    }
}

/// Cheap structural check: `scheme ":" something`, no white space.
fn looks_like_uri(uri: &str) -> bool {
    let Some(colon) = uri.find(':') else {
        return false;
    };
    let scheme = uri.get(..colon).unwrap_or("");
    scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && uri.len() > colon + 1
        && !uri.bytes().any(is_lws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_display_name_with_escapes_and_commas() {
        let n = NameAddr::parse(
            r#" "Bob \"the, builder\"" <sip:bob@example.com;transport=tcp> ;tag=a48s "#,
        )
        .unwrap();
        assert_eq!(n.display_name, Some(r#"Bob \"the, builder\""#));
        assert_eq!(n.uri, "sip:bob@example.com;transport=tcp");
        assert_eq!(n.tag(), Some("a48s"));
        assert_eq!(
            n.parsed_uri().unwrap().param("transport"),
            Some(Some("tcp"))
        );
    }

    #[test]
    fn token_display_name_bare_and_addr_spec() {
        let n = NameAddr::parse("Alice Smith <sip:alice@atlanta.com>;tag=1928301774").unwrap();
        assert_eq!(n.display_name, Some("Alice Smith"));
        assert_eq!(n.tag(), Some("1928301774"));
        let n = NameAddr::parse("<tel:+15551234>").unwrap();
        assert_eq!(
            (n.display_name, n.uri, n.tag()),
            (None, "tel:+15551234", None)
        );
        // addr-spec: the ;tag belongs to the header, not the URI.
        let n = NameAddr::parse("sip:carol@chicago.com;tag=xyz;foo").unwrap();
        assert_eq!(
            (n.uri, n.tag(), n.param("foo")),
            ("sip:carol@chicago.com", Some("xyz"), Some(None))
        );
        assert_eq!(NameAddr::parse("*").unwrap().uri, "*");
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "\"unterminated <sip:a@b>",
            "<sip:a@b",
            "\"x\" sip:a@b",
            "Bad@Name <sip:a@b>",
            "<nocolon>",
            "<sip:a@b>;=1",
            "sip:a @b",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad}");
        }
    }
}
