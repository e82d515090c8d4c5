//! SDES keys for the test UA: the four SRTP suites by their RFC 4568 /
//! RFC 7714 names and key sizes, random key||salt material, and the base64
//! of the `inline:` key-param. Deliberately independent of the SBC's own
//! crypto code, so a shared mistake cannot hide itself.
//!
//! The randomness only has to make keys differ between calls and legs, not
//! resist an attacker: it comes from std's randomly seeded SipHash.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// An SRTP crypto suite as SDES names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
    AeadAes128Gcm,
    AeadAes256Gcm,
}

impl Suite {
    pub const ALL: [Suite; 4] = [
        Suite::AesCm128HmacSha1_80,
        Suite::AesCm128HmacSha1_32,
        Suite::AeadAes128Gcm,
        Suite::AeadAes256Gcm,
    ];

    /// The crypto-suite token of `a=crypto` (and of the SBC's `srtp_suites`).
    pub const fn name(self) -> &'static str {
        match self {
            Suite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Suite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Suite::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Suite::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    /// Master key plus master salt in octets (RFC 4568 §6.2, RFC 7714 §12).
    pub const fn key_salt_len(self) -> usize {
        match self {
            Suite::AesCm128HmacSha1_80 | Suite::AesCm128HmacSha1_32 => 16 + 14,
            Suite::AeadAes128Gcm => 16 + 12,
            Suite::AeadAes256Gcm => 32 + 12,
        }
    }

    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A random u64, different on every call.
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// A random token for tags, branches and Call-IDs.
pub fn token() -> String {
    format!("{:016x}", random_u64())
}

/// Fresh master key and salt for `suite`, base64 encoded (padded).
pub fn generate_key_salt(suite: Suite) -> String {
    let mut bytes = Vec::with_capacity(suite.key_salt_len() + 8);
    while bytes.len() < suite.key_salt_len() {
        bytes.extend_from_slice(&random_u64().to_be_bytes());
    }
    bytes.truncate(suite.key_salt_len());
    base64(&bytes)
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |v: u32| char::from(ALPHABET[(v & 63) as usize]);
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let v = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sextet(v >> 18));
        out.push(sextet(v >> 12));
        out.push(if chunk.len() > 1 { sextet(v >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(v) } else { '=' });
    }
    out
}
