//! Errors of the SRTP module: `SrtpError` for the packet path (a closed, `Copy` set that
//! maps one-to-one onto drop-reason counters) and `SrtpKeyError` for building a context
//! from keying material (signaling time, never per packet).

use thiserror::Error;

/// Why a packet could not be protected or unprotected. The packet is to be dropped and
/// counted under `as_str()`; none of these is fatal for the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum SrtpError {
    /// Shorter than the fixed header plus the trailer (index, MKI, tag) it must carry.
    #[error("packet too short")]
    TooShort,
    /// Not RTP/RTCP version 2, or a CSRC list/extension that overruns the packet.
    #[error("malformed RTP/RTCP header")]
    BadHeader,
    /// The caller's buffer has no room for the trailer protect appends.
    #[error("buffer too small for the SRTP trailer")]
    BufferTooSmall,
    /// The authentication tag (HMAC or AEAD) did not verify.
    #[error("authentication failed")]
    AuthFailed,
    /// This index was already received (inside the replay window).
    #[error("replayed packet")]
    Replayed,
    /// The index is older than the replay window (or before the first ROC).
    #[error("packet older than the replay window")]
    TooOld,
    /// The MKI in the packet is not the one this context was keyed with.
    #[error("unknown MKI")]
    UnknownMki,
    /// ROC or SRTCP index would wrap: the key must be replaced (RFC 3711 §9.2).
    #[error("key exhausted, re-keying required")]
    KeyExhausted,
}

impl SrtpError {
    /// A stable, lowercase name for counters and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TooShort => "srtp_too_short",
            Self::BadHeader => "srtp_bad_header",
            Self::BufferTooSmall => "srtp_buffer_too_small",
            Self::AuthFailed => "srtp_auth_failed",
            Self::Replayed => "srtp_replayed",
            Self::TooOld => "srtp_too_old",
            Self::UnknownMki => "srtp_unknown_mki",
            Self::KeyExhausted => "srtp_key_exhausted",
        }
    }
}

/// Why keying material could not become a context.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SrtpKeyError {
    #[error("master key is {got} bytes, suite needs {want}")]
    MasterKeyLength { want: usize, got: usize },
    #[error("master salt is {got} bytes, suite needs {want}")]
    MasterSaltLength { want: usize, got: usize },
    /// Only key_derivation_rate = 0 (derive once) is implemented; RFC 4568 KDR
    /// values other than 0 are refused at negotiation rather than mis-keyed.
    #[error("key derivation rate {0} not supported (only 0)")]
    UnsupportedKdr(u64),
    #[error("MKI length {0} not supported (1..=4 bytes)")]
    MkiLength(usize),
    #[error("replay window {0} not supported (64..=1024)")]
    ReplayWindow(u32),
    #[error("max SSRCs {0} not supported (1..=256)")]
    MaxSsrcs(usize),
    #[error("cipher rejected the key")]
    Cipher,
}
