//! SIP request methods (RFC 3261 §7.1 and the extensions an SBC meets), as a `Copy`
//! value: unknown methods are kept inline so a `Method` never allocates.

use std::fmt;

use super::scan::is_token;
use super::ParseError;

/// Longest extension method kept inline; longer tokens are rejected as `BadMethod`.
pub const MAX_EXTENSION_METHOD_LEN: usize = 23;

/// An extension method token stored inline (`Copy`, no allocation). Methods are
/// case-sensitive (RFC 3261 §7.1), so the bytes are kept exactly as received.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionMethod {
    bytes: [u8; MAX_EXTENSION_METHOD_LEN],
    len: u8,
}

impl ExtensionMethod {
    /// Wraps a token; `None` if it is not a token or too long.
    pub fn new(token: &[u8]) -> Option<ExtensionMethod> {
        if token.is_empty() || token.len() > MAX_EXTENSION_METHOD_LEN || !is_token(token) {
            return None;
        }
        let mut bytes = [0u8; MAX_EXTENSION_METHOD_LEN];
        bytes.get_mut(..token.len())?.copy_from_slice(token);
        Some(ExtensionMethod {
            bytes,
            len: u8::try_from(token.len()).ok()?,
        })
    }

    /// The method token.
    pub fn as_str(&self) -> &str {
        let raw = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        // Always ASCII: `new` only accepts token characters.
        std::str::from_utf8(raw).unwrap_or("")
    }
}

impl fmt::Debug for ExtensionMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// A SIP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Info,
    Update,
    Message,
    Notify,
    Prack,
    Refer,
    Subscribe,
    Publish,
    Extension(ExtensionMethod),
}

impl Method {
    /// Parses a method token (case-sensitive, as RFC 3261 §7.1 requires).
    pub fn parse(token: &[u8]) -> Result<Method, ParseError> {
        Ok(match token {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"OPTIONS" => Method::Options,
            b"REGISTER" => Method::Register,
            b"INFO" => Method::Info,
            b"UPDATE" => Method::Update,
            b"MESSAGE" => Method::Message,
            b"NOTIFY" => Method::Notify,
            b"PRACK" => Method::Prack,
            b"REFER" => Method::Refer,
            b"SUBSCRIBE" => Method::Subscribe,
            b"PUBLISH" => Method::Publish,
            other => Method::Extension(ExtensionMethod::new(other).ok_or(ParseError::BadMethod)?),
        })
    }

    /// The method token as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Message => "MESSAGE",
            Method::Notify => "NOTIFY",
            Method::Prack => "PRACK",
            Method::Refer => "REFER",
            Method::Subscribe => "SUBSCRIBE",
            Method::Publish => "PUBLISH",
            Method::Extension(ext) => ext.as_str(),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_methods_round_trip() {
        for m in [
            "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE",
        ] {
            let parsed = Method::parse(m.as_bytes()).unwrap();
            assert!(!matches!(parsed, Method::Extension(_)));
            assert_eq!(parsed.as_str(), m);
        }
        assert_eq!(Method::parse(b"PUBLISH").unwrap().to_string(), "PUBLISH");
    }

    #[test]
    fn extension_methods_are_inline_and_case_sensitive() {
        let m = Method::parse(b"NEWMETHOD").unwrap();
        assert!(matches!(m, Method::Extension(_)));
        assert_eq!(m.as_str(), "NEWMETHOD");
        // Lower-case "invite" is a different (extension) method per RFC 3261 §7.1.
        assert!(matches!(
            Method::parse(b"invite").unwrap(),
            Method::Extension(_)
        ));
        assert_eq!(
            Method::parse(b"invite").unwrap(),
            Method::parse(b"invite").unwrap()
        );
        let long = [b'A'; 23];
        assert!(Method::parse(&long).is_ok());
        assert_eq!(Method::parse(&[b'A'; 24]), Err(ParseError::BadMethod));
        assert_eq!(Method::parse(b""), Err(ParseError::BadMethod));
        assert_eq!(Method::parse(b"IN VITE"), Err(ParseError::BadMethod));
    }
}
