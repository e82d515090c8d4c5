//! Comparing SIP URIs as identities: the agent directory and trusted asserted
//! identities are looked up by a [`UriKey`], the URI reduced to what identifies a user.
//!
//! Reduction (RFC 3261 §19.1.4 in spirit, without the full comparison algorithm):
//! angle brackets and a display name are dropped; the scheme and host are compared
//! without regard to case, the user part with regard to case; URI parameters and
//! headers after the host (`;transport=tcp`, `?subject=x`) are dropped, because
//! phones add and vary them. A port stays significant. `sip` and `sips` stay
//! distinct. Parsing never panics and refuses anything without a scheme and host.

use std::fmt;
use std::sync::Arc;

/// Longest URI considered; longer input is refused rather than hashed.
const MAX_URI_LEN: usize = 512;

/// The reduced form of a SIP/SIPS/TEL URI, e.g. `sip:1001@pbx.example.com`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UriKey(Arc<str>);

impl UriKey {
    /// Reduces `uri`; `None` if it is not a `sip:`, `sips:` or `tel:` URI with a
    /// non-empty user-or-host part, or has control characters or spaces inside.
    pub fn parse(uri: &str) -> Option<UriKey> {
        if uri.len() > MAX_URI_LEN {
            return None;
        }
        let uri = unbracket(uri.trim())?;
        if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return None;
        }
        let (scheme, rest) = uri.split_once(':')?;
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "sip" | "sips" | "tel") {
            return None;
        }
        // The user part may itself contain ';' and '?' (RFC 3261 `user-unreserved`),
        // but never an unescaped '@': split there first, then cut parameters.
        let (user, host) = match rest.split_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let host = host.split([';', '?']).next().unwrap_or("");
        if host.is_empty() || user.is_some_and(str::is_empty) {
            return None;
        }
        let host = host.to_ascii_lowercase();
        let key = match user {
            Some(u) => format!("{scheme}:{u}@{host}"),
            None => format!("{scheme}:{host}"),
        };
        Some(UriKey(Arc::from(key)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The empty key a config entry gets when its URI failed to decode, so decoding
    /// can go on; never seen outside a config that was refused.
    pub(crate) fn placeholder() -> UriKey {
        UriKey(Arc::from(""))
    }
}

impl fmt::Display for UriKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `"Alice" <sip:a@b>;tag=x` -> `sip:a@b`; a bare URI is returned as is.
fn unbracket(s: &str) -> Option<&str> {
    match s.find('<') {
        Some(open) => {
            let inner = s.get(open + 1..)?;
            let close = inner.find('>')?;
            inner.get(..close).map(str::trim)
        }
        None => Some(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Option<String> {
        UriKey::parse(s).map(|k| k.as_str().to_owned())
    }

    #[test]
    fn reduces_to_scheme_user_host() {
        let want = Some("sip:1001@pbx.example.com".to_owned());
        assert_eq!(key("sip:1001@pbx.example.com"), want);
        assert_eq!(key("SIP:1001@PBX.Example.COM"), want);
        assert_eq!(key("  <sip:1001@pbx.example.com;transport=tcp>  "), want);
        assert_eq!(key("\"Agent 1001\" <sip:1001@pbx.example.com>;tag=9"), want);
        assert_eq!(key("sip:1001@pbx.example.com?subject=x"), want);
        assert_eq!(
            key("sip:1001@pbx.example.com:5070").as_deref(),
            Some("sip:1001@pbx.example.com:5070")
        );
        assert_eq!(
            key("tel:+15550100;phone-context=x").as_deref(),
            Some("tel:+15550100")
        );
        // The user part is case-sensitive and may contain ';'.
        assert_eq!(key("sip:Bob;x=1@h").as_deref(), Some("sip:Bob;x=1@h"));
        assert_ne!(key("sip:bob@h"), key("sip:Bob@h"));
        assert_ne!(key("sip:bob@h"), key("sips:bob@h"));
    }

    #[test]
    fn refuses_what_is_not_a_uri() {
        for bad in [
            "",
            "1001",
            "http://x",
            "sip:",
            "sip:@host",
            "sip:user@",
            "sip:a b@h",
            "<sip:a@h",
            "sip:a\r\n@h",
            "mailto:a@b",
        ] {
            assert_eq!(key(bad), None, "{bad:?}");
        }
        assert_eq!(key(&format!("sip:{}@h", "a".repeat(600))), None);
    }
}
