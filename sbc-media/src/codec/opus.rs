//! Opus (RFC 6716, RTP per RFC 7587) through libopus via the `opus` crate:
//! 48 kHz mono, VoIP application, configurable bitrate and in-band FEC.
//!
//! Why `opus` 0.3 over `audiopus`: both are thin, allocation-free bindings
//! (`encode`/`decode` into caller slices), but `opus` is the better-kept one
//! (same maintainer still releasing; `audiopus` has sat at a 0.3 release
//! candidate since 2021) and has the simpler API (an empty packet means loss).
//! The 0.3 line links the system libopus found by pkg-config (Debian
//! `libopus-dev`); 0.4 switched to `opusic-sys`, which builds a bundled libopus
//! with CMake by default.

use opus::{Application, Bitrate, Channels, Decoder, Encoder};

use super::{CodecError, OpusSettings, SampleRate};

/// libopus's bitrate range for one mono stream.
const BITRATE_RANGE: std::ops::RangeInclusive<u32> = 6_000..=510_000;

/// Encoder and decoder state of one Opus leg.
pub(crate) struct OpusCodec {
    enc: Encoder,
    dec: Decoder,
    /// Samples in one of our own frames.
    frame_samples: usize,
    /// Samples in the peer's last packet: a lost packet is assumed as long.
    last_samples: usize,
}

impl OpusCodec {
    pub(crate) fn new(settings: OpusSettings, frame_samples: usize) -> Result<Self, CodecError> {
        if !BITRATE_RANGE.contains(&settings.bitrate_bps) {
            return Err(CodecError::Bitrate(settings.bitrate_bps));
        }
        let rate = SampleRate::Hz48000.hz();
        let mut enc = Encoder::new(rate, Channels::Mono, Application::Voip)?;
        // In range above, so the cast cannot truncate.
        enc.set_bitrate(Bitrate::Bits(settings.bitrate_bps as i32))?;
        enc.set_inband_fec(settings.inband_fec)?;
        enc.set_packet_loss_perc(i32::from(settings.expected_loss_pct.min(100)))?;
        enc.set_complexity(i32::from(settings.complexity.min(10)))?;
        let dec = Decoder::new(rate, Channels::Mono)?;
        Ok(OpusCodec {
            enc,
            dec,
            frame_samples,
            last_samples: frame_samples,
        })
    }

    /// Decode one packet of any legal duration (2.5–120 ms) that fits in `pcm`.
    pub(crate) fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            // RFC 6716 section 3.1: a packet has at least the TOC byte; treat an
            // empty payload as a lost one rather than as an error.
            return self.conceal(None, pcm);
        }
        let samples = opus::packet::get_nb_samples(payload, SampleRate::Hz48000.hz())?;
        CodecError::check_capacity(samples, pcm.len())?;
        let n = self.dec.decode(payload, pcm, false)?;
        self.last_samples = n;
        Ok(n)
    }

    /// Synthesize the lost packet: from `next`'s in-band FEC data when the next
    /// packet is already here, else by libopus's PLC.
    pub(crate) fn conceal(
        &mut self,
        next: Option<&[u8]>,
        out: &mut [i16],
    ) -> Result<usize, CodecError> {
        let samples = self.last_samples;
        let available = out.len();
        let out = out.get_mut(..samples).ok_or(CodecError::BufferTooSmall {
            needed: samples,
            available,
        })?;
        let n = match next {
            Some(packet) if !packet.is_empty() => self.dec.decode(packet, out, true)?,
            _ => self.dec.decode(&[], out, false)?,
        };
        Ok(n)
    }

    /// Encode exactly one frame (checked by the caller).
    pub(crate) fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, CodecError> {
        Ok(self.enc.encode(pcm, payload)?)
    }

    /// Change the target bitrate mid-call (e.g. after a re-INVITE or on REMB).
    pub(crate) fn set_bitrate(&mut self, bitrate_bps: u32) -> Result<(), CodecError> {
        if !BITRATE_RANGE.contains(&bitrate_bps) {
            return Err(CodecError::Bitrate(bitrate_bps));
        }
        self.enc.set_bitrate(Bitrate::Bits(bitrate_bps as i32))?;
        Ok(())
    }

    pub(crate) fn reset(&mut self) -> Result<(), CodecError> {
        self.enc.reset_state()?;
        self.dec.reset_state()?;
        self.last_samples = self.frame_samples;
        Ok(())
    }
}
