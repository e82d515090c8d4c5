//! `AudioCodec`: one leg's encoder + decoder pair behind a single type, so the mixer
//! holds one per leg and never matches on the codec itself.
//!
//! Dispatch is an enum, not a trait object: the set of codecs is closed, the state
//! lives inline (no box per leg beyond libopus's own), and calls inline.

use super::g711::G711Law;
use super::g722::G722Codec;
use super::opus::OpusCodec;
use super::plc::RepeatPlc;
use super::{CodecConfig, CodecError, CodecKind, FrameDuration, SampleRate};

/// The state of one codec. The waveform codecs carry their concealment buffer
/// inline (about 2 KiB): one `AudioCodec` per leg, built once and never moved on
/// the packet path, so the size difference to the boxed-by-libopus Opus variant
/// costs nothing, while boxing would add a pointer chase per frame.
#[allow(clippy::large_enum_variant)]
enum Engine {
    G711 { law: G711Law, plc: RepeatPlc },
    G722(G722Codec),
    Opus(OpusCodec),
}

/// Encoder and decoder of one leg, built at setup and then allocation-free.
pub struct AudioCodec {
    config: CodecConfig,
    engine: Engine,
}

impl std::fmt::Debug for AudioCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioCodec")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AudioCodec {
    /// Build the codec state (libopus allocates its encoder and decoder here).
    pub fn new(config: CodecConfig) -> Result<Self, CodecError> {
        let kind = config.kind;
        if !kind.supports(config.frame) {
            return Err(CodecError::UnsupportedFrame {
                codec: kind,
                millis: config.frame.millis(),
            });
        }
        let engine = match kind {
            CodecKind::Pcmu | CodecKind::Pcma => Engine::G711 {
                law: if kind == CodecKind::Pcmu {
                    G711Law::Mu
                } else {
                    G711Law::A
                },
                plc: RepeatPlc::new(SampleRate::Hz8000),
            },
            CodecKind::G722 => Engine::G722(G722Codec::new()),
            CodecKind::Opus => Engine::Opus(OpusCodec::new(
                config.opus,
                kind.sample_rate().samples(config.frame),
            )?),
        };
        Ok(AudioCodec { config, engine })
    }

    /// The configuration this codec was built from.
    pub fn config(&self) -> &CodecConfig {
        &self.config
    }

    pub fn kind(&self) -> CodecKind {
        self.config.kind
    }

    pub fn frame(&self) -> FrameDuration {
        self.config.frame
    }

    /// The PCM rate of `decode` output and `encode` input.
    pub fn sample_rate(&self) -> SampleRate {
        self.config.kind.sample_rate()
    }

    /// The RTP timestamp clock (8 kHz for G.722 although it samples at 16 kHz).
    pub fn rtp_clock_rate(&self) -> u32 {
        self.config.kind.rtp_clock_rate()
    }

    /// PCM samples in one frame: what `encode` takes and `conceal` usually yields.
    pub fn samples_per_frame(&self) -> usize {
        self.sample_rate().samples(self.config.frame)
    }

    /// RTP timestamp advance per frame (RFC 3551: counts clock ticks, not samples).
    pub fn timestamp_increment(&self) -> u32 {
        self.rtp_clock_rate() / 1000 * self.config.frame.millis()
    }

    /// Decode one RTP payload into `pcm`; returns the samples written. G.711 and
    /// G.722 payloads may be of any length (any ptime the peer chose); an Opus
    /// packet may hold 2.5–120 ms. `pcm` must hold them all, else nothing changes.
    pub fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        match &mut self.engine {
            Engine::G711 { law, plc } => {
                CodecError::check_capacity(payload.len(), pcm.len())?;
                law.decode_into(payload, pcm);
                let n = payload.len();
                plc.remember(pcm.get(..n).unwrap_or(&[]));
                Ok(n)
            }
            Engine::G722(g) => g.decode(payload, pcm),
            Engine::Opus(o) => o.decode(payload, pcm),
        }
    }

    /// Synthesize a missing frame into `pcm`. `next` is the packet after the gap
    /// when the jitter buffer already has it: Opus rebuilds the lost frame from its
    /// in-band FEC; the others repeat and fade the last good audio (G.711 Appendix
    /// I style) and ignore it. Returns the samples written: one of our frames for
    /// G.711/G.722, the peer's last packet duration for Opus.
    pub fn conceal(&mut self, next: Option<&[u8]>, pcm: &mut [i16]) -> Result<usize, CodecError> {
        let frame = self.samples_per_frame();
        let available = pcm.len();
        let too_small = CodecError::BufferTooSmall {
            needed: frame,
            available,
        };
        match &mut self.engine {
            Engine::G711 { plc, .. } => {
                plc.conceal(pcm.get_mut(..frame).ok_or(too_small)?);
                Ok(frame)
            }
            Engine::G722(g) => {
                g.conceal(pcm.get_mut(..frame).ok_or(too_small)?);
                Ok(frame)
            }
            Engine::Opus(o) => o.conceal(next, pcm),
        }
    }

    /// Encode exactly one frame (`samples_per_frame` samples) into `payload`;
    /// returns the payload length. `MAX_PAYLOAD_BYTES` always suffices.
    pub fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, CodecError> {
        let expected = self.samples_per_frame();
        if pcm.len() != expected {
            return Err(CodecError::FrameLength {
                codec: self.config.kind,
                expected,
                got: pcm.len(),
            });
        }
        match &mut self.engine {
            Engine::G711 { law, .. } => {
                CodecError::check_capacity(pcm.len(), payload.len())?;
                law.encode_into(pcm, payload);
                Ok(pcm.len())
            }
            Engine::G722(g) => g.encode(pcm, payload),
            Engine::Opus(o) => o.encode(pcm, payload),
        }
    }

    /// Change the Opus target bitrate; the waveform codecs have a fixed rate and
    /// accept only theirs (64 kbit/s).
    pub fn set_bitrate(&mut self, bitrate_bps: u32) -> Result<(), CodecError> {
        match &mut self.engine {
            Engine::Opus(o) => {
                o.set_bitrate(bitrate_bps)?;
                self.config.opus.bitrate_bps = bitrate_bps;
                Ok(())
            }
            _ if bitrate_bps == 64_000 => Ok(()),
            _ => Err(CodecError::Bitrate(bitrate_bps)),
        }
    }

    /// Forget all history (a new source behind the same leg, e.g. after an SSRC
    /// change): predictors, concealment memory, libopus state.
    pub fn reset(&mut self) -> Result<(), CodecError> {
        match &mut self.engine {
            Engine::G711 { plc, .. } => {
                *plc = RepeatPlc::new(SampleRate::Hz8000);
                Ok(())
            }
            Engine::G722(g) => {
                g.reset();
                Ok(())
            }
            Engine::Opus(o) => o.reset(),
        }
    }
}

#[cfg(test)]
#[path = "audio_tests.rs"]
mod tests;
