//! The agent's monitoring notice: a short beep mixed into what the agent hears when
//! monitoring starts (first supervisor) and when it stops (last supervisor leaves).
//!
//! The sound: two 100 ms bursts of 1400 Hz, 100 ms apart, at about -15 dBFS, each
//! with 5 ms raised-cosine edges (no clicks), then 60 ms of silence. 1400 Hz is off
//! the DTMF grid and above most voice fundamentals, and survives every codec here.
//! It is a mixer input of its own (PCMU, 20 ms frames) fed one packet per tick from a
//! track encoded at control time; the trailing silence keeps the decoder's loss
//! concealment from stretching the last burst while the agent's mix still holds it.

use crate::codec::{AudioCodec, CodecConfig, CodecError, CodecKind, FrameDuration};
use crate::mixer::InputConfig;
use crate::rtp::PayloadType;

/// Frequency of the beep.
pub(crate) const BEEP_HZ: f64 = 1400.0;
/// Peak amplitude (about -15 dBFS).
const AMPLITUDE: f64 = 6000.0;
/// Per 20 ms frame: tone or silence (100 on, 100 off, 100 on, 60 off).
const PATTERN: [bool; 18] = [
    true, true, true, true, true, false, false, false, false, false, true, true, true, true, true,
    false, false, false,
];
const FRAMES: usize = PATTERN.len();
/// Samples per frame at 8 kHz.
const FRAME_SAMPLES: usize = 160;
/// Samples of each fade in and out (5 ms).
const RAMP: usize = 40;
/// One packet: fixed RTP header and a 20 ms PCMU payload.
pub(crate) const BEEP_PACKET_LEN: usize = 12 + FRAME_SAMPLES;
/// Ticks after the last frame before the run is over: the jitter buffer holds one
/// frame, plus a tick of slack.
const TAIL_TICKS: u8 = 2;
const SSRC: u32 = 0xBEE9_0001;

/// What one tick of the beep does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BeepStep {
    /// No run in progress.
    Idle,
    /// Push the packet now in the buffer (`len` octets).
    Push(usize),
    /// The last frame is on its way through the mixer.
    Wait,
    /// The run just ended (reported once).
    Finished,
}

/// The encoded beep and the state of the current run.
pub(crate) struct BeepTrack {
    payloads: Box<[u8]>,
    /// Sequence number of the next packet (runs continue it, so the input's jitter
    /// buffer sees one source that pauses).
    seq: u16,
    /// Next frame of the current run.
    frame: Option<usize>,
    tail: u8,
}

impl std::fmt::Debug for BeepTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeepTrack")
            .field("frame", &self.frame)
            .finish_non_exhaustive()
    }
}

impl BeepTrack {
    /// Encodes the beep (control time).
    pub(crate) fn new() -> Result<Self, CodecError> {
        let mut codec = AudioCodec::new(Self::codec())?;
        let pcm = render();
        let mut payloads = vec![0u8; FRAMES * FRAME_SAMPLES].into_boxed_slice();
        for (frame, out) in pcm
            .chunks_exact(FRAME_SAMPLES)
            .zip(payloads.chunks_exact_mut(FRAME_SAMPLES))
        {
            codec.encode(frame, out)?;
        }
        Ok(BeepTrack {
            payloads,
            seq: 0,
            frame: None,
            tail: 0,
        })
    }

    fn codec() -> CodecConfig {
        CodecConfig::new(CodecKind::Pcmu, FrameDuration::Ms20)
    }

    /// The mixer input the beep is played through.
    pub(crate) fn input_config() -> InputConfig {
        InputConfig {
            codec: Self::codec(),
            payload_type: PayloadType::PCMU,
        }
    }

    /// Starts a run from the first frame (restarts one in progress).
    pub(crate) fn start(&mut self) {
        self.frame = Some(0);
        self.tail = TAIL_TICKS;
    }

    pub(crate) fn is_running(&self) -> bool {
        self.frame.is_some()
    }

    /// Advances the run by one tick, writing the packet to push into `out`.
    pub(crate) fn step(&mut self, out: &mut [u8; BEEP_PACKET_LEN]) -> BeepStep {
        let Some(frame) = self.frame else {
            return BeepStep::Idle;
        };
        let start = frame * FRAME_SAMPLES;
        if let Some(payload) = self.payloads.get(start..start + FRAME_SAMPLES) {
            let ts = u32::from(self.seq).wrapping_mul(FRAME_SAMPLES as u32);
            out[0] = 0x80;
            out[1] = PayloadType::PCMU.get();
            out[2..4].copy_from_slice(&self.seq.to_be_bytes());
            out[4..8].copy_from_slice(&ts.to_be_bytes());
            out[8..12].copy_from_slice(&SSRC.to_be_bytes());
            out[12..].copy_from_slice(payload);
            self.seq = self.seq.wrapping_add(1);
            self.frame = Some(frame + 1);
            return BeepStep::Push(BEEP_PACKET_LEN);
        }
        if self.tail > 0 {
            self.tail -= 1;
            return BeepStep::Wait;
        }
        self.frame = None;
        BeepStep::Finished
    }
}

/// The whole beep as 8 kHz PCM.
fn render() -> Vec<i16> {
    let mut pcm = vec![0i16; FRAMES * FRAME_SAMPLES];
    let mut n = 0usize;
    while n < pcm.len() {
        let on = PATTERN.get(n / FRAME_SAMPLES).copied().unwrap_or(false);
        if !on {
            n += FRAME_SAMPLES;
            continue;
        }
        // One burst: consecutive tone frames.
        let len = PATTERN
            .iter()
            .skip(n / FRAME_SAMPLES)
            .take_while(|t| **t)
            .count()
            * FRAME_SAMPLES;
        for (i, s) in pcm.iter_mut().skip(n).take(len).enumerate() {
            let edge = i.min(len - 1 - i);
            let gain = if edge < RAMP {
                0.5 - 0.5 * (std::f64::consts::PI * edge as f64 / RAMP as f64).cos()
            } else {
                1.0
            };
            let phase = 2.0 * std::f64::consts::PI * BEEP_HZ * i as f64 / 8000.0;
            *s = (AMPLITUDE * gain * phase.sin()).round() as i16;
        }
        n += len;
    }
    pcm
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::goertzel::tone_amplitude;

    #[test]
    fn two_bursts_then_silence_then_finished() {
        let mut beep = BeepTrack::new().unwrap();
        let mut out = [0u8; BEEP_PACKET_LEN];
        assert_eq!(beep.step(&mut out), BeepStep::Idle);
        beep.start();
        let mut codec = AudioCodec::new(BeepTrack::codec()).unwrap();
        let mut heard = Vec::new();
        let mut pcm = [0i16; FRAME_SAMPLES];
        for _ in 0..FRAMES {
            assert_eq!(beep.step(&mut out), BeepStep::Push(BEEP_PACKET_LEN));
            codec.decode(&out[12..], &mut pcm).unwrap();
            heard.push(tone_amplitude(&pcm, BEEP_HZ, 8000));
        }
        for (i, a) in heard.iter().enumerate() {
            let on = PATTERN[i];
            assert!(if on { *a > 3000.0 } else { *a < 10.0 }, "frame {i}: {a}");
        }
        assert_eq!(beep.step(&mut out), BeepStep::Wait);
        assert_eq!(beep.step(&mut out), BeepStep::Wait);
        assert_eq!(beep.step(&mut out), BeepStep::Finished);
        assert!(!beep.is_running());
        assert_eq!(beep.step(&mut out), BeepStep::Idle);
    }
}
