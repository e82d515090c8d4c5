//! What signaling tells the mixer at set-up: the mix rate and jitter-buffer bounds of
//! the whole mixer, and per input and per output its negotiated codec and RTP identity.

use std::time::Duration;

use super::{InputId, MixerError};
use crate::codec::{CodecConfig, CodecKind, SampleRate};
use crate::rtp::{PayloadType, Ssrc};

/// The mixer's processing period: every tick takes 20 ms from each input and
/// produces 20 ms for each output.
pub const TICK: Duration = Duration::from_millis(20);

/// Bounds of the per-input adaptive jitter buffer. The target starts at `initial`,
/// grows a frame at a time on late packets and underruns up to `max`, and shrinks
/// a frame at a time back to `min` after a few calm seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    pub min: Duration,
    pub initial: Duration,
    pub max: Duration,
}

impl Default for JitterConfig {
    /// 20–60 ms, starting at the minimum: monitoring is interactive (whisper, barge),
    /// so latency is won first and only given back when the network demands it.
    fn default() -> Self {
        JitterConfig {
            min: Duration::from_millis(20),
            initial: Duration::from_millis(20),
            max: Duration::from_millis(60),
        }
    }
}

impl JitterConfig {
    pub(crate) fn validate(&self) -> Result<(), MixerError> {
        let (min_ms, initial_ms, max_ms) = (
            self.min.as_millis() as u32,
            self.initial.as_millis() as u32,
            self.max.as_millis() as u32,
        );
        if min_ms == 0 || min_ms > initial_ms || initial_ms > max_ms {
            return Err(MixerError::JitterBounds {
                min_ms,
                max_ms,
                initial_ms,
            });
        }
        Ok(())
    }
}

/// Settings of one mixer (one monitored call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixerConfig {
    /// The rate inputs are resampled to and summed at. Use the highest rate any
    /// input or output needs ([`MixerConfig::for_codecs`]): mixing above it costs
    /// CPU and buys nothing, mixing below it throws bandwidth away.
    pub mix_rate: SampleRate,
    pub jitter: JitterConfig,
}

impl MixerConfig {
    /// Mixes at the highest PCM rate among `codecs` (8 kHz if none).
    pub fn for_codecs(codecs: impl IntoIterator<Item = CodecKind>) -> Self {
        let mix_rate = codecs
            .into_iter()
            .map(CodecKind::sample_rate)
            .max_by_key(|r| r.hz())
            .unwrap_or(SampleRate::Hz8000);
        MixerConfig {
            mix_rate,
            jitter: JitterConfig::default(),
        }
    }
}

impl Default for MixerConfig {
    /// Fullband, so any codec mix is covered.
    fn default() -> Self {
        MixerConfig {
            mix_rate: SampleRate::Hz48000,
            jitter: JitterConfig::default(),
        }
    }
}

/// One input: the audio codec and payload type its leg negotiated. Its frame
/// duration (`codec.frame`, the peer's `ptime`) sizes the jitter-buffer steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputConfig {
    pub codec: CodecConfig,
    pub payload_type: PayloadType,
}

/// One output: the codec, payload type and RTP identity of the stream it sends.
/// Sequence and timestamp start where the leg's egress left off (or random, per
/// RFC 3550 section 5.1) and then run on without a gap for the output's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputConfig {
    pub codec: CodecConfig,
    pub payload_type: PayloadType,
    pub ssrc: Ssrc,
    pub first_seq: u16,
    pub first_timestamp: u32,
    /// The listener's own input, if it also speaks into this mixer: it is never
    /// part of what this output hears.
    pub own_input: Option<InputId>,
}
