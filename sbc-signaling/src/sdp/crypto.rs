//! SDES: the `a=crypto` attribute (RFC 4568) that carries SRTP master keys in SDP. This
//! module owns parsing a peer's lines ([`CryptoAttr::parse`], [`crypto_lines`]),
//! choosing the one to use ([`choose`], after [`CryptoAttr::usable`]), and making the
//! SBC's own lines ([`CryptoAttr::generate`] and `Display`). Replacing or removing the
//! lines of an m= section on rewrite is `rewrite::SecurityRewrite`.
//!
//! - `suite`: [`Suite`] and its key sizes;
//! - `key`: [`KeyParam`] (secret, zeroed on drop, redacted in Debug) and [`Mki`];
//! - `params`: [`SessionParam`] and which ones we refuse;
//! - `base64`: the padding-tolerant codec the key-salt needs;
//! - `error`: [`CryptoError`] (malformed) and [`Unusable`] (well-formed, not for us).
//!
//! A line with a suite we do not implement parses as [`Suite::Unsupported`] without
//! looking at its keys or parameters (their grammar belongs to the suite); a malformed
//! line is an error for that line only, never for the SDP. Nothing here panics.

mod base64;
mod error;
mod key;
mod params;
mod suite;

use std::fmt;
use std::str::FromStr;

use rand::{CryptoRng, RngCore};
use smallvec::SmallVec;

pub use error::{CryptoError, Unusable};
pub use key::{KeyParam, Mki};
pub use params::{FecOrder, SecretText, SessionParam};
pub use suite::{Suite, DEFAULT_PREFERENCE};

use super::media::MediaDescription;
use params::digits;
use suite::is_suite_name;

/// Key-params accepted in one line; more is hostile (§6.1 allows several, all
/// distinguished by MKI; nobody sends more than a handful).
const MAX_KEYS: usize = 16;
/// Session parameters accepted in one line (seven are defined).
const MAX_SESSION_PARAMS: usize = 16;

/// One `a=crypto` line: `tag crypto-suite key-params [session-params]` (RFC 4568 §9.1).
/// Debug never shows key material.
#[derive(Debug, Clone)]
pub struct CryptoAttr {
    /// Chosen by the offerer, echoed by the answerer (RFC 4568 §4), 0..=999_999_999.
    pub tag: u32,
    pub suite: Suite,
    /// Empty for an unsupported suite (not interpreted), else at least one.
    pub keys: SmallVec<[KeyParam; 1]>,
    /// Empty for an unsupported suite (not interpreted).
    pub params: SmallVec<[SessionParam; 2]>,
}

impl CryptoAttr {
    /// Parses the value of an `a=crypto` attribute (what follows `a=crypto:`). Fields
    /// are separated by blanks (1*WSP); leading and trailing blanks are tolerated.
    pub fn parse(value: &str) -> Result<CryptoAttr, CryptoError> {
        let mut fields = value.split([' ', '\t']).filter(|f| !f.is_empty());
        let tag = fields.next().ok_or(CryptoError::Missing("tag"))?;
        let tag = digits(tag, 1, 9).ok_or(CryptoError::BadTag)?;
        let suite = fields.next().ok_or(CryptoError::Missing("crypto-suite"))?;
        if !is_suite_name(suite) {
            return Err(CryptoError::BadSuiteName);
        }
        let suite = Suite::from_name(suite);
        let key_params = fields.next().ok_or(CryptoError::Missing("key-params"))?;
        let mut attr = CryptoAttr {
            tag,
            suite,
            keys: SmallVec::new(),
            params: SmallVec::new(),
        };
        if !attr.suite.is_supported() {
            return Ok(attr);
        }
        for key_param in key_params.split(';') {
            if attr.keys.len() == MAX_KEYS {
                return Err(CryptoError::TooManyKeys { max: MAX_KEYS });
            }
            let info = inline_info(key_param).ok_or(CryptoError::BadKeyMethod)?;
            attr.keys.push(KeyParam::parse(info, &attr.suite)?);
        }
        if attr.keys.len() > 1 && attr.keys.iter().any(|k| k.mki.is_none()) {
            return Err(CryptoError::MultipleKeysWithoutMki);
        }
        for param in fields {
            if attr.params.len() == MAX_SESSION_PARAMS {
                return Err(CryptoError::TooManySessionParams {
                    max: MAX_SESSION_PARAMS,
                });
            }
            attr.params.push(SessionParam::parse(param)?);
        }
        Ok(attr)
    }

    /// A line with one fresh key (from a CSPRNG such as `rand::rngs::OsRng`) for
    /// `suite`; no lifetime, MKI or session parameter.
    pub fn generate<R: RngCore + CryptoRng>(
        tag: u32,
        suite: Suite,
        rng: &mut R,
    ) -> Result<CryptoAttr, CryptoError> {
        if tag > 999_999_999 {
            return Err(CryptoError::BadTag);
        }
        let key = KeyParam::random(&suite, rng)?;
        Ok(CryptoAttr {
            tag,
            suite,
            keys: SmallVec::from_buf([key]),
            params: SmallVec::new(),
        })
    }

    /// Whether the SBC can use this line as it stands; the reason if not.
    pub fn usable(&self) -> Result<(), Unusable> {
        if !self.suite.is_supported() {
            return Err(Unusable::Suite(self.suite.clone()));
        }
        if self.keys.len() != 1 {
            return Err(Unusable::MultipleKeys);
        }
        if let Some(mki) = self.keys.iter().find_map(|k| k.mki).filter(|m| m.len > 4) {
            return Err(Unusable::MkiLength(mki.len));
        }
        match self.params.iter().find_map(SessionParam::refusal) {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        }
    }

    /// The single key of a usable line.
    pub fn key(&self) -> Option<&KeyParam> {
        self.keys.first()
    }
}

/// The value of an `a=crypto` attribute (without `a=crypto:`), base64 padded as RFC
/// 4568 §6.1 asks of senders. For an unsupported suite only `tag suite` is written:
/// such a line is never sent.
impl fmt::Display for CryptoAttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.tag, self.suite)?;
        for (i, key) in self.keys.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ";" })?;
            fmt::Display::fmt(key, f)?;
        }
        for param in &self.params {
            write!(f, " {param}")?;
        }
        Ok(())
    }
}

impl FromStr for CryptoAttr {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CryptoAttr::parse(s)
    }
}

/// The key-info of an `inline:` key-param; the method is an ABNF literal, so
/// case-insensitive.
fn inline_info(key_param: &str) -> Option<&str> {
    let (method, info) = key_param.split_once(':')?;
    method.eq_ignore_ascii_case("inline").then_some(info)
}

/// The first offered line that is usable, in `policy` order (our preference first,
/// then the offerer's order among lines of the same suite).
pub fn choose<'o>(offers: &'o [CryptoAttr], policy: &[Suite]) -> Option<&'o CryptoAttr> {
    policy.iter().find_map(|suite| {
        offers
            .iter()
            .find(|offer| offer.suite == *suite && offer.usable().is_ok())
    })
}

/// Every `a=crypto` line of a media description, parsed, in order. Attribute names are
/// case-sensitive (RFC 8866 §5.13).
pub fn crypto_lines<'m>(
    md: &'m MediaDescription<'_>,
) -> impl Iterator<Item = Result<CryptoAttr, CryptoError>> + 'm {
    md.attributes()
        .filter(|(name, _)| *name == "crypto")
        .map(|(_, value)| CryptoAttr::parse(value.unwrap_or_default()))
}

/// The SRTP profile of a plain RTP one: RTP/AVP -> RTP/SAVP, RTP/AVPF -> RTP/SAVPF
/// (RFC 3711 §12, RFC 5124). `None` if `proto` is not one of those.
pub fn secure_proto(proto: &str) -> Option<&'static str> {
    match proto {
        "RTP/AVP" => Some("RTP/SAVP"),
        "RTP/AVPF" => Some("RTP/SAVPF"),
        _ => None,
    }
}

/// The plain RTP profile of an SRTP one (the reverse of [`secure_proto`]).
pub fn plain_proto(proto: &str) -> Option<&'static str> {
    match proto {
        "RTP/SAVP" => Some("RTP/AVP"),
        "RTP/SAVPF" => Some("RTP/AVPF"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AES80: &str = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

    #[test]
    fn structure_errors() {
        let e = |s: &str| CryptoAttr::parse(s).unwrap_err();
        assert_eq!(e(""), CryptoError::Missing("tag"));
        assert_eq!(e("1"), CryptoError::Missing("crypto-suite"));
        assert_eq!(
            e("1 AES_CM_128_HMAC_SHA1_80"),
            CryptoError::Missing("key-params")
        );
        assert_eq!(e("1234567890 X inline:a"), CryptoError::BadTag);
        assert_eq!(e("x X inline:a"), CryptoError::BadTag);
        assert_eq!(e("1 A-B inline:a"), CryptoError::BadSuiteName);
        assert_eq!(
            e("1 AES_CM_128_HMAC_SHA1_80 uri:x"),
            CryptoError::BadKeyMethod
        );
        assert_eq!(
            e("1 AES_CM_128_HMAC_SHA1_80 inline"),
            CryptoError::BadKeyMethod
        );
        assert_eq!(
            e("1 AES_CM_128_HMAC_SHA1_80 inline:!!!!"),
            CryptoError::BadBase64
        );
        assert_eq!(e(&format!("{AES80}|1:4|2^20")), CryptoError::BadKeyFields);
        assert_eq!(e(&format!("{AES80}|2^20|2^20")), CryptoError::BadKeyFields);
        assert_eq!(e(&format!("{AES80}|1:4|2:4")), CryptoError::BadKeyFields);
        let k = AES80.split_once(' ').unwrap().1.split_once(' ').unwrap().1;
        let many = vec![format!("{k}|1:1"); MAX_KEYS + 1].join(";");
        assert_eq!(
            e(&format!("1 AES_CM_128_HMAC_SHA1_80 {many}")),
            CryptoError::TooManyKeys { max: MAX_KEYS }
        );
        assert_eq!(
            e(&format!("1 AES_CM_128_HMAC_SHA1_80 {k};{k}")),
            CryptoError::MultipleKeysWithoutMki
        );
    }

    #[test]
    fn blanks_and_case() {
        let a = CryptoAttr::parse(
            "\t 7  aes_cm_128_hmac_sha1_32\tINLINE:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR  ",
        )
        .unwrap();
        assert_eq!((a.tag, &a.suite), (7, &Suite::AesCm128HmacSha1_32));
        assert!(a.usable().is_ok());
    }

    #[test]
    fn proto_mapping() {
        assert_eq!(secure_proto("RTP/AVPF"), Some("RTP/SAVPF"));
        assert_eq!(plain_proto("RTP/SAVP"), Some("RTP/AVP"));
        assert_eq!(secure_proto("UDP/TLS/RTP/SAVPF"), None);
    }
}
