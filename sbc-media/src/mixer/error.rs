//! Typed errors of the mixer: signaling's misuse (stale handles, a listener told to
//! hear itself, full tables) and a peer's bad packets, never a panic.

use thiserror::Error;

use super::{InputId, OutputId};
use crate::codec::CodecError;
use crate::rtp::RtpError;

/// Why a mixer call failed. Packet-level failures leave the mixer unchanged apart
/// from the input's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MixerError {
    /// The input was removed (or never existed in this mixer).
    #[error("unknown mixer input {0:?}")]
    UnknownInput(InputId),
    /// The output was removed (or never existed in this mixer).
    #[error("unknown mixer output {0:?}")]
    UnknownOutput(OutputId),
    /// All `MAX_INPUTS` input slots are in use.
    #[error("mixer input table full")]
    TooManyInputs,
    /// All `MAX_OUTPUTS` output slots are in use.
    #[error("mixer output table full")]
    TooManyOutputs,
    /// A listener never hears its own voice back.
    #[error("output {output:?} cannot hear its own input {input:?}")]
    HearsItself { output: OutputId, input: InputId },
    /// The jitter-buffer bounds are not `min <= initial <= max` with `min > 0`.
    #[error("jitter buffer bounds {min_ms}..={max_ms} ms (initial {initial_ms}) are invalid")]
    JitterBounds {
        min_ms: u32,
        max_ms: u32,
        initial_ms: u32,
    },
    /// Building a codec failed (unsupported frame duration, bad Opus settings).
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// The peer sent something that is not an RTP packet.
    #[error("bad RTP packet: {0}")]
    Rtp(#[from] RtpError),
    /// A payload type other than the input's negotiated audio (RFC 4733 events and
    /// comfort noise are for the relay, not the mixer).
    #[error("payload type {got} is not the input's audio payload type {expected}")]
    PayloadType { expected: u8, got: u8 },
    /// A payload longer than a jitter-buffer slot (larger than any sane audio frame).
    #[error("payload of {len} bytes exceeds the {max}-byte jitter slot")]
    PayloadTooLarge { len: usize, max: usize },
}
