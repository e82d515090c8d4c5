//! SRTP keying as the media port carries it: which suite and master keys one stream
//! uses, negotiated by signaling (SDES today, DTLS-SRTP later) and applied by the media
//! plane. Only data: the transforms live in `sbc-media`, the SDP syntax in
//! `sbc-signaling`. Key material is zeroed on drop and never shown by `Debug`.

use std::fmt;

use zeroize::Zeroize;

/// The SRTP crypto suites the SBC implements (RFC 4568 §6.2, RFC 7714 §14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpSuite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
    AeadAes128Gcm,
    AeadAes256Gcm,
}

impl SrtpSuite {
    /// Every suite, strongest first.
    pub const ALL: [SrtpSuite; 4] = [
        SrtpSuite::AeadAes256Gcm,
        SrtpSuite::AeadAes128Gcm,
        SrtpSuite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32,
    ];

    /// Master key plus master salt, in octets.
    pub const fn key_salt_len(self) -> usize {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 | SrtpSuite::AesCm128HmacSha1_32 => 16 + 14,
            SrtpSuite::AeadAes128Gcm => 16 + 12,
            SrtpSuite::AeadAes256Gcm => 32 + 12,
        }
    }

    /// The RFC 4568 / RFC 7714 SDES name.
    pub const fn sdes_name(self) -> &'static str {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            SrtpSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            SrtpSuite::AeadAes128Gcm => "AEAD_AES_128_GCM",
            SrtpSuite::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }
}

impl fmt::Display for SrtpSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sdes_name())
    }
}

/// A master key identifier (RFC 3711 §3.1) as carried on every packet: a value of
/// 1..=4 octets, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SrtpMki {
    value: u32,
    len: u8,
}

impl SrtpMki {
    /// `value` must fit in `len` octets, `len` in 1..=4.
    pub fn new(value: u32, len: u8) -> Result<Self, SrtpKeyError> {
        let fits = len >= 4 || value >> (8 * u32::from(len)) == 0;
        if !(1..=4).contains(&len) || !fits {
            return Err(SrtpKeyError::Mki { value, len });
        }
        Ok(SrtpMki { value, len })
    }
    pub fn value(self) -> u32 {
        self.value
    }
    pub fn len(self) -> u8 {
        self.len
    }
    /// Never true: an MKI has at least one octet (here for clippy's `len` rule).
    pub fn is_empty(self) -> bool {
        false
    }
}

/// The longest master key + salt (AEAD_AES_256_GCM).
const MAX_KEY_SALT: usize = 44;

/// One master key and salt with its suite and optional MKI. Zeroed on drop; `Debug`
/// shows the suite only.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKey {
    suite: SrtpSuite,
    key_salt: [u8; MAX_KEY_SALT],
    mki: Option<SrtpMki>,
}

impl SrtpKey {
    /// `key_salt` is the master key followed by the master salt, exactly as long as
    /// the suite needs.
    pub fn new(
        suite: SrtpSuite,
        key_salt: &[u8],
        mki: Option<SrtpMki>,
    ) -> Result<Self, SrtpKeyError> {
        let want = suite.key_salt_len();
        if key_salt.len() != want {
            return Err(SrtpKeyError::Length {
                suite,
                got: key_salt.len(),
                want,
            });
        }
        let mut bytes = [0u8; MAX_KEY_SALT];
        bytes[..want].copy_from_slice(key_salt);
        Ok(SrtpKey {
            suite,
            key_salt: bytes,
            mki,
        })
    }
    pub fn suite(&self) -> SrtpSuite {
        self.suite
    }
    /// Master key followed by master salt.
    pub fn key_salt(&self) -> &[u8] {
        &self.key_salt[..self.suite.key_salt_len()]
    }
    pub fn mki(&self) -> Option<SrtpMki> {
        self.mki
    }
}

impl Drop for SrtpKey {
    fn drop(&mut self) {
        self.key_salt.zeroize();
    }
}

impl fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtpKey")
            .field("suite", &self.suite)
            .field("mki", &self.mki)
            .finish_non_exhaustive()
    }
}

/// SRTP for one stream: the key its peer protects with (to unprotect what arrives
/// from the peer) and the key the SBC protects with (what it sends to the peer). The
/// two may use different suites only if signaling negotiated them separately; SDES
/// gives both directions of one leg the same suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeying {
    /// Unprotects packets received from this stream's peer.
    pub inbound: SrtpKey,
    /// Protects packets the SBC sends to this stream's peer.
    pub outbound: SrtpKey,
}

/// Key material that does not fit its suite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrtpKeyError {
    #[error("{suite} needs {want} octets of master key and salt, got {got}")]
    Length {
        suite: SrtpSuite,
        got: usize,
        want: usize,
    },
    #[error("MKI {value} does not fit in {len} octets (1 to 4)")]
    Mki { value: u32, len: u8 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked() {
        for suite in SrtpSuite::ALL {
            let n = suite.key_salt_len();
            assert!(SrtpKey::new(suite, &vec![1; n], None).is_ok());
            assert!(SrtpKey::new(suite, &vec![1; n - 1], None).is_err());
            assert!(SrtpKey::new(suite, &vec![1; n + 1], None).is_err());
        }
    }

    #[test]
    fn mki_must_fit() {
        assert!(SrtpMki::new(255, 1).is_ok());
        assert!(SrtpMki::new(256, 1).is_err());
        assert!(SrtpMki::new(u32::MAX, 4).is_ok());
        assert!(SrtpMki::new(1, 0).is_err());
        assert!(SrtpMki::new(1, 5).is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let k = SrtpKey::new(SrtpSuite::AeadAes128Gcm, &[0xAB; 28], None).unwrap();
        let s = format!("{k:?}");
        assert!(
            !s.to_lowercase().contains("ab, ") && !s.contains("171"),
            "{s}"
        );
    }
}
