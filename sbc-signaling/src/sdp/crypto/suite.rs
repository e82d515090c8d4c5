//! SRTP crypto suites named in `a=crypto` (RFC 4568 §6.2, RFC 7714 §12) and the master
//! key and salt sizes each one needs. A suite we do not implement is kept by name as
//! [`Suite::Unsupported`]: it makes that one crypto line unusable, never the SDP.

use std::fmt;

/// An SRTP crypto suite.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Suite {
    /// RFC 4568 §6.2.1: AES-128 counter mode, 80-bit HMAC-SHA1 tag.
    AesCm128HmacSha1_80,
    /// RFC 4568 §6.2.2: AES-128 counter mode, 32-bit HMAC-SHA1 tag.
    AesCm128HmacSha1_32,
    /// RFC 7714 §12: AES-128 GCM, 16-octet tag.
    AeadAes128Gcm,
    /// RFC 7714 §12: AES-256 GCM, 16-octet tag.
    AeadAes256Gcm,
    /// Any other suite, as written (F8, SEED, AES-192/256-CM…).
    Unsupported(String),
}

/// Every suite the SBC implements, strongest first: a sensible default preference.
pub const DEFAULT_PREFERENCE: &[Suite] = &[
    Suite::AeadAes256Gcm,
    Suite::AeadAes128Gcm,
    Suite::AesCm128HmacSha1_80,
    Suite::AesCm128HmacSha1_32,
];

/// The longest master key and salt of any supported suite.
pub(crate) const MAX_KEY_LEN: usize = 32;
pub(crate) const MAX_SALT_LEN: usize = 14;

impl Suite {
    /// The suite of a name. ABNF literals are case-insensitive (RFC 5234 §2.3), so
    /// `aes_cm_128_hmac_sha1_80` is the same suite.
    pub fn from_name(name: &str) -> Suite {
        DEFAULT_PREFERENCE
            .iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| Suite::Unsupported(name.to_owned()))
    }

    /// The name as written in `a=crypto` (the original text for an unsupported one).
    pub fn name(&self) -> &str {
        match self {
            Suite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Suite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Suite::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Suite::AeadAes256Gcm => "AEAD_AES_256_GCM",
            Suite::Unsupported(name) => name,
        }
    }

    pub fn is_supported(&self) -> bool {
        !matches!(self, Suite::Unsupported(_))
    }

    /// Master key and master salt lengths in octets, `None` for an unsupported suite.
    /// AES-CM suites use a 112-bit salt (RFC 3711 §8.2, RFC 4568 §6.2.1), the AEAD
    /// suites a 96-bit one (RFC 7714 §12).
    pub fn key_salt_len(&self) -> Option<(usize, usize)> {
        match self {
            Suite::AesCm128HmacSha1_80 | Suite::AesCm128HmacSha1_32 => Some((16, 14)),
            Suite::AeadAes128Gcm => Some((16, 12)),
            Suite::AeadAes256Gcm => Some((32, 12)),
            Suite::Unsupported(_) => None,
        }
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `name` fits the `crypto-suite` grammar: 1*(ALPHA / DIGIT / "_") (RFC 4568
/// §9.1).
pub(crate) fn is_suite_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sizes_fit_the_buffers() {
        for suite in DEFAULT_PREFERENCE {
            assert_eq!(&Suite::from_name(suite.name()), suite);
            let (key, salt) = suite.key_salt_len().unwrap();
            assert!(key <= MAX_KEY_LEN && salt <= MAX_SALT_LEN);
        }
        assert_eq!(Suite::from_name("aead_aes_128_gcm"), Suite::AeadAes128Gcm);
        let f8 = Suite::from_name("F8_128_HMAC_SHA1_80");
        assert_eq!(f8, Suite::Unsupported("F8_128_HMAC_SHA1_80".into()));
        assert!(!f8.is_supported() && f8.key_salt_len().is_none());
        assert!(is_suite_name("AES_256_CM_HMAC_SHA1_32") && !is_suite_name("A-B"));
    }
}
