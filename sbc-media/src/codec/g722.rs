//! G.722 at 64 kbit/s (ITU-T G.722 SB-ADPCM with the QMF split into two 8 kHz
//! bands), over the `audio-codec` crate's pure-Rust port of the spandsp codec.
//!
//! Why that crate: MIT, maintained, `no_std` without its default features (so no
//! Opus or G.729 pulled in), and a slice API (`encode_into`/`decode_into`) that
//! writes into our buffers without allocating. It updates decoder state before it
//! notices a short output buffer, so capacity is checked here first.

use audio_codec::g722::{G722Decoder, G722Encoder};
use audio_codec::{Decoder as _, Encoder as _};

use super::plc::RepeatPlc;
use super::{CodecError, SampleRate};

/// Encoder and decoder state of one G.722 leg, plus concealment.
pub(crate) struct G722Codec {
    enc: G722Encoder,
    dec: G722Decoder,
    plc: RepeatPlc,
}

impl G722Codec {
    pub(crate) fn new() -> Self {
        G722Codec {
            enc: G722Encoder::new(),
            dec: G722Decoder::new(),
            plc: RepeatPlc::new(SampleRate::Hz16000),
        }
    }

    /// Every payload byte carries one 16 kHz sample pair at 64 kbit/s.
    pub(crate) fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        let needed = payload.len().saturating_mul(2);
        CodecError::check_capacity(needed, pcm.len())?;
        let n = self
            .dec
            .decode_into(payload, pcm)
            .map_err(|_| CodecError::G722)?;
        self.plc.remember(pcm.get(..n).unwrap_or(&[]));
        Ok(n)
    }

    /// Encode whole sample pairs; the caller passes exactly one frame (even length).
    pub(crate) fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, CodecError> {
        CodecError::check_capacity(pcm.len().div_ceil(2), payload.len())?;
        self.enc
            .encode_into(pcm, payload)
            .map_err(|_| CodecError::G722)
    }

    /// Fill `out` (one frame) with concealment; the ADPCM state is left as it was,
    /// so the next good frame decodes from the pre-loss predictor.
    pub(crate) fn conceal(&mut self, out: &mut [i16]) {
        self.plc.conceal(out);
    }

    pub(crate) fn reset(&mut self) {
        *self = G722Codec::new();
    }
}
