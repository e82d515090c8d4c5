//! Typed errors of the codec layer: every misuse by the caller (wrong frame length,
//! short buffer) and every bad payload from a peer gets a variant, never a panic.

use thiserror::Error;

use super::CodecKind;

/// Why a codec, resampler or configuration call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The caller's output buffer cannot hold the result; nothing was written and
    /// no state changed.
    #[error("output buffer too small: need {needed}, have {available}")]
    BufferTooSmall { needed: usize, available: usize },
    /// `encode` takes exactly one frame of PCM at the codec's sample rate.
    #[error("{codec:?} encodes frames of {expected} samples, got {got}")]
    FrameLength {
        codec: CodecKind,
        expected: usize,
        got: usize,
    },
    /// The codec cannot packetize this frame duration (Opus has no 30 ms frame).
    #[error("{codec:?} does not support {millis} ms frames")]
    UnsupportedFrame { codec: CodecKind, millis: u32 },
    /// Opus bitrate outside 6–510 kbit/s, or any rate but 64 kbit/s for G.711/G.722.
    #[error("bitrate {0} bit/s not supported by the codec")]
    Bitrate(u32),
    /// libopus refused a packet or a setting (peer's bad payload or internal).
    #[error("libopus {op}: {code}")]
    Opus { op: &'static str, code: i32 },
    /// The pure-Rust G.722 codec refused (it only does so for short buffers, which
    /// we check first, so this marks an internal inconsistency).
    #[error("G.722 codec error")]
    G722,
}

impl CodecError {
    pub(crate) fn check_capacity(needed: usize, available: usize) -> Result<(), Self> {
        if needed > available {
            return Err(Self::BufferTooSmall { needed, available });
        }
        Ok(())
    }
}

impl From<opus::Error> for CodecError {
    fn from(e: opus::Error) -> Self {
        CodecError::Opus {
            op: e.function(),
            code: e.code() as i32,
        }
    }
}
