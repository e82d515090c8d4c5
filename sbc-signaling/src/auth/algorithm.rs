//! Digest hash algorithms (RFC 8760 §2: SHA-256 preferred, MD5 for old phones) and the
//! stored form of a password: HA1 = H(username ":" realm ":" password), per algorithm.

use md5::{Digest as _, Md5};
use ring::digest::{digest, SHA256};

/// A digest algorithm the SBC accepts. `-sess` variants are not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha256,
    Md5,
}

impl DigestAlgorithm {
    /// Challenge order: strongest first (RFC 8760 §2.4: a UAS lists its preference).
    pub const PREFERENCE: [DigestAlgorithm; 2] = [DigestAlgorithm::Sha256, DigestAlgorithm::Md5];

    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Md5 => "MD5",
        }
    }

    /// From the `algorithm` parameter; absent means MD5 (RFC 3261 §22.4).
    pub fn from_param(value: Option<&str>) -> Option<Self> {
        match value {
            None => Some(DigestAlgorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("MD5") => Some(DigestAlgorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("SHA-256") => Some(DigestAlgorithm::Sha256),
            Some(_) => None,
        }
    }

    /// Lowercase hex of H(data) (RFC 7616 §3.4.1: "H(data)" is hex-encoded).
    pub(crate) fn hex(self, parts: &[&[u8]]) -> String {
        match self {
            DigestAlgorithm::Md5 => {
                let mut h = Md5::new();
                for p in parts {
                    h.update(p);
                }
                hex(&h.finalize())
            }
            DigestAlgorithm::Sha256 => {
                let joined: Vec<u8> = parts.concat();
                hex(digest(&SHA256, &joined).as_ref())
            }
        }
    }

    /// HA1 of a password, for provisioning (`sbc` tooling and tests).
    pub fn ha1(self, username: &str, realm: &str, password: &str) -> String {
        self.hex(&[
            username.as_bytes(),
            b":",
            realm.as_bytes(),
            b":",
            password.as_bytes(),
        ])
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// A user's stored secrets: HA1 per algorithm, lowercase hex. An algorithm without a
/// stored HA1 is refused for that user (deny by default).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StoredCredential {
    sha256: Option<String>,
    md5: Option<String>,
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("sha256", &self.sha256.is_some())
            .field("md5", &self.md5.is_some())
            .finish()
    }
}

/// A stored hash that cannot be an HA1 of its algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{algorithm} HA1 must be {want} hex digits")]
pub struct StoredCredentialError {
    pub algorithm: &'static str,
    pub want: usize,
}

impl StoredCredential {
    /// From hex HA1 values (either may be absent; at least one should be present).
    pub fn new(sha256: Option<&str>, md5: Option<&str>) -> Result<Self, StoredCredentialError> {
        let check = |v: Option<&str>, want: usize, algorithm| match v {
            Some(h) if h.len() == want && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Some(h.to_ascii_lowercase()))
            }
            Some(_) => Err(StoredCredentialError { algorithm, want }),
            None => Ok(None),
        };
        Ok(StoredCredential {
            sha256: check(sha256, 64, "SHA-256")?,
            md5: check(md5, 32, "MD5")?,
        })
    }

    /// Both HA1s from a password (provisioning and tests only).
    pub fn from_password(username: &str, realm: &str, password: &str) -> Self {
        StoredCredential {
            sha256: Some(DigestAlgorithm::Sha256.ha1(username, realm, password)),
            md5: Some(DigestAlgorithm::Md5.ha1(username, realm, password)),
        }
    }

    pub(crate) fn ha1(&self, algorithm: DigestAlgorithm) -> Option<&str> {
        match algorithm {
            DigestAlgorithm::Sha256 => self.sha256.as_deref(),
            DigestAlgorithm::Md5 => self.md5.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_md5_example_ha1() {
        // RFC 2617 §3.5: Mufasa / testrealm@host.com / Circle Of Life.
        assert_eq!(
            DigestAlgorithm::Md5.ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9"
        );
    }

    #[test]
    fn rfc7616_sha256_example_ha1() {
        // RFC 7616 §3.9.1: Mufasa / http-auth@example.org / Circle of Life.
        assert_eq!(
            DigestAlgorithm::Sha256.ha1("Mufasa", "http-auth@example.org", "Circle of Life"),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"
        );
    }

    #[test]
    fn stored_hashes_are_checked() {
        assert!(StoredCredential::new(Some("ab"), None).is_err());
        assert!(StoredCredential::new(None, Some(&"g".repeat(32))).is_err());
        let s = StoredCredential::new(None, Some(&"A".repeat(32))).unwrap();
        assert_eq!(s.ha1(DigestAlgorithm::Md5), Some("a".repeat(32).as_str()));
        assert_eq!(s.ha1(DigestAlgorithm::Sha256), None);
        assert!(!format!("{s:?}").contains("aaaa"));
    }
}
