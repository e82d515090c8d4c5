//! The crypto suites (RFC 4568 §6.2, RFC 7714 §14) and their fixed parameters.

/// An SRTP crypto suite as negotiated by SDES (`a=crypto`) or DTLS-SRTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
    AeadAes128Gcm,
    AeadAes256Gcm,
}

/// The media port's name for a suite (what signaling negotiated) as a transform.
impl From<sbc_core::media::SrtpSuite> for Suite {
    fn from(s: sbc_core::media::SrtpSuite) -> Self {
        use sbc_core::media::SrtpSuite as S;
        match s {
            S::AesCm128HmacSha1_80 => Suite::AesCm128HmacSha1_80,
            S::AesCm128HmacSha1_32 => Suite::AesCm128HmacSha1_32,
            S::AeadAes128Gcm => Suite::AeadAes128Gcm,
            S::AeadAes256Gcm => Suite::AeadAes256Gcm,
        }
    }
}

impl Suite {
    /// Every suite, in SDES preference order (AEAD first).
    pub const ALL: [Suite; 4] = [
        Suite::AeadAes256Gcm,
        Suite::AeadAes128Gcm,
        Suite::AesCm128HmacSha1_80,
        Suite::AesCm128HmacSha1_32,
    ];

    /// The RFC 4568 / RFC 7714 SDES name.
    pub const fn sdes_name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Self::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    /// Parse an SDES suite name (exact, case-sensitive as in RFC 4568).
    pub fn from_sdes_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.sdes_name() == name)
    }

    /// Master (and session) encryption key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master (and session) salt length in bytes: 112 bits for AES-CM, 96 for GCM.
    pub const fn salt_len(self) -> usize {
        if self.is_aead() {
            12
        } else {
            14
        }
    }

    /// Whether this is an AEAD (GCM) suite rather than AES-CM + HMAC-SHA1.
    pub const fn is_aead(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }

    /// SRTP authentication tag length (for AEAD: the GCM tag).
    pub const fn rtp_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 => 10,
            Self::AesCm128HmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// SRTCP authentication tag length. `_32` still uses 80 bits for SRTCP
    /// (RFC 4568 §6.2.2, RFC 3711 §5.2).
    pub const fn rtcp_tag_len(self) -> usize {
        if self.is_aead() {
            16
        } else {
            10
        }
    }
}
