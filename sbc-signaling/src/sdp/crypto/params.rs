//! SRTP session parameters of `a=crypto` (RFC 4568 §6.3): parsed into [`SessionParam`]
//! and judged. Known parameters with a bad value make the line malformed
//! ([`CryptoError::BadSessionParam`]); known parameters the SBC does not implement, and
//! unknown ones not marked optional, make it unusable ([`Unusable`]).

use std::fmt;

use zeroize::Zeroize;

use super::error::{CryptoError, Unusable};

/// One SRTP session parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionParam {
    /// `KDR=n`: key derivation rate 2^n (RFC 4568 §6.3.1); 0 (no re-derivation, the
    /// RFC 3711 default) is the only value we use.
    Kdr(u8),
    /// `UNENCRYPTED_SRTP` (RFC 4568 §6.3.2).
    UnencryptedSrtp,
    /// `UNENCRYPTED_SRTCP` (RFC 4568 §6.3.2).
    UnencryptedSrtcp,
    /// `UNAUTHENTICATED_SRTP` (RFC 4568 §6.3.3).
    UnauthenticatedSrtp,
    /// `FEC_ORDER=...` (RFC 4568 §6.3.4): harmless, no FEC is relayed.
    FecOrder(FecOrder),
    /// `FEC_KEY=<key-params>` (RFC 4568 §6.3.5), kept as text (secret, redacted).
    FecKey(SecretText),
    /// `WSH=n`: replay window size hint (RFC 4568 §6.3.6), at least 64.
    Wsh(u32),
    /// Any other parameter, as written; `optional` when it starts with '-' (§6.3.7).
    Extension { text: String, optional: bool },
}

/// Whether FEC is applied before or after SRTP (RFC 4568 §6.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FecOrder {
    FecSrtp,
    SrtpFec,
}

/// Text that holds key material: zeroed on drop, never shown by Debug.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(String);

impl Drop for SecretText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl SessionParam {
    /// Parses one whitespace-free session parameter. Names are ABNF literals, so
    /// case-insensitive (RFC 5234 §2.3).
    pub(crate) fn parse(text: &str) -> Result<SessionParam, CryptoError> {
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CryptoError::BadSessionParam("session-param"));
        }
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (text, None),
        };
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        let flag =
            |param, label| value.map_or(Ok(param), |_| Err(CryptoError::BadSessionParam(label)));
        if is("KDR") {
            let n = value.and_then(|v| digits(v, 1, 2)).filter(|&n| n <= 24);
            let n = n.ok_or(CryptoError::BadSessionParam("KDR"))?;
            Ok(SessionParam::Kdr(u8::try_from(n).unwrap_or(u8::MAX)))
        } else if is("UNENCRYPTED_SRTP") {
            flag(SessionParam::UnencryptedSrtp, "UNENCRYPTED_SRTP")
        } else if is("UNENCRYPTED_SRTCP") {
            flag(SessionParam::UnencryptedSrtcp, "UNENCRYPTED_SRTCP")
        } else if is("UNAUTHENTICATED_SRTP") {
            flag(SessionParam::UnauthenticatedSrtp, "UNAUTHENTICATED_SRTP")
        } else if is("FEC_ORDER") {
            match value {
                Some(v) if v.eq_ignore_ascii_case("FEC_SRTP") => {
                    Ok(SessionParam::FecOrder(FecOrder::FecSrtp))
                }
                Some(v) if v.eq_ignore_ascii_case("SRTP_FEC") => {
                    Ok(SessionParam::FecOrder(FecOrder::SrtpFec))
                }
                _ => Err(CryptoError::BadSessionParam("FEC_ORDER")),
            }
        } else if is("FEC_KEY") {
            match value {
                Some(v) if !v.is_empty() => Ok(SessionParam::FecKey(SecretText(v.to_owned()))),
                _ => Err(CryptoError::BadSessionParam("FEC_KEY")),
            }
        } else if is("WSH") {
            let n = value.and_then(|v| digits(v, 2, 9)).filter(|&n| n >= 64);
            Ok(SessionParam::Wsh(
                n.ok_or(CryptoError::BadSessionParam("WSH"))?,
            ))
        } else {
            Ok(SessionParam::Extension {
                text: text.to_owned(),
                optional: text.starts_with('-'),
            })
        }
    }

    /// Why this parameter makes its crypto line unusable, if it does.
    pub fn refusal(&self) -> Option<Unusable> {
        match self {
            SessionParam::Kdr(0) | SessionParam::FecOrder(_) | SessionParam::Wsh(_) => None,
            SessionParam::Kdr(n) => Some(Unusable::KeyDerivationRate(*n)),
            SessionParam::UnencryptedSrtp | SessionParam::UnencryptedSrtcp => {
                Some(Unusable::Unencrypted)
            }
            SessionParam::UnauthenticatedSrtp => Some(Unusable::Unauthenticated),
            SessionParam::FecKey(_) => Some(Unusable::FecKey),
            SessionParam::Extension { optional: true, .. } => None,
            SessionParam::Extension {
                optional: false, ..
            } => Some(Unusable::UnknownParam),
        }
    }
}

impl fmt::Display for SessionParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionParam::Kdr(n) => write!(f, "KDR={n}"),
            SessionParam::UnencryptedSrtp => f.write_str("UNENCRYPTED_SRTP"),
            SessionParam::UnencryptedSrtcp => f.write_str("UNENCRYPTED_SRTCP"),
            SessionParam::UnauthenticatedSrtp => f.write_str("UNAUTHENTICATED_SRTP"),
            SessionParam::FecOrder(FecOrder::FecSrtp) => f.write_str("FEC_ORDER=FEC_SRTP"),
            SessionParam::FecOrder(FecOrder::SrtpFec) => f.write_str("FEC_ORDER=SRTP_FEC"),
            SessionParam::FecKey(key) => write!(f, "FEC_KEY={}", key.0),
            SessionParam::Wsh(n) => write!(f, "WSH={n}"),
            SessionParam::Extension { text, .. } => f.write_str(text),
        }
    }
}

/// A decimal of `min..=max` plain digits (no sign), if it fits u32.
pub(crate) fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SessionParam, CryptoError> {
        SessionParam::parse(s)
    }

    #[test]
    fn known_parameters() {
        assert_eq!(parse("KDR=0"), Ok(SessionParam::Kdr(0)));
        assert_eq!(parse("kdr=24"), Ok(SessionParam::Kdr(24)));
        assert_eq!(parse("WSH=128"), Ok(SessionParam::Wsh(128)));
        assert_eq!(
            parse("FEC_ORDER=SRTP_FEC"),
            Ok(SessionParam::FecOrder(FecOrder::SrtpFec))
        );
        assert_eq!(
            parse("UNENCRYPTED_SRTCP"),
            Ok(SessionParam::UnencryptedSrtcp)
        );
        assert_eq!(parse("-FUTURE=1").unwrap().refusal(), None);
        assert_eq!(
            parse("FUTURE=1").unwrap().refusal(),
            Some(Unusable::UnknownParam)
        );
        for ok in ["KDR=0", "WSH=64", "FEC_ORDER=FEC_SRTP", "-X"] {
            assert_eq!(parse(ok).unwrap().refusal(), None, "{ok}");
            assert_eq!(parse(ok).unwrap().to_string(), ok);
        }
    }

    #[test]
    fn malformed_values() {
        for (text, name) in [
            ("KDR=25", "KDR"),
            ("KDR=", "KDR"),
            ("KDR=+1", "KDR"),
            ("KDR", "KDR"),
            ("WSH=63", "WSH"),
            ("WSH=9999999999", "WSH"),
            ("FEC_ORDER=X", "FEC_ORDER"),
            ("FEC_KEY=", "FEC_KEY"),
            ("UNENCRYPTED_SRTP=1", "UNENCRYPTED_SRTP"),
            ("A\u{1}", "session-param"),
        ] {
            assert_eq!(
                parse(text),
                Err(CryptoError::BadSessionParam(name)),
                "{text}"
            );
        }
    }

    #[test]
    fn fec_key_is_redacted() {
        let p = parse("FEC_KEY=inline:c2VjcmV0c2VjcmV0").unwrap();
        assert!(!format!("{p:?}").contains("c2Vj"));
        assert_eq!(p.refusal(), Some(Unusable::FecKey));
    }
}
