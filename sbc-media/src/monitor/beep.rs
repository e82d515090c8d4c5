//! The agent's monitoring notice: a short beep mixed into what the agent hears when
//! monitoring starts (first supervisor) and when it stops (last supervisor leaves).
//! The track that plays it is generic (`BeepSound`): the supervisor's notices
//! (`notice`) are played the same way.
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

/// One tone pattern, encoded into a `BeepTrack` at control time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BeepSound {
    pub hz: f64,
    /// Peak amplitude.
    pub amplitude: f64,
    /// Per 20 ms frame: tone or silence. Consecutive tone frames are one burst.
    pub pattern: &'static [bool],
    /// The SSRC of the track's packets (its own mixer input).
    pub ssrc: u32,
}

/// Frequency of the agent's beep.
pub(crate) const BEEP_HZ: f64 = 1400.0;
/// The agent's beep: 100 ms on, 100 off, 100 on, 60 off, at about -15 dBFS.
pub(crate) const AGENT_BEEP: BeepSound = BeepSound {
    hz: BEEP_HZ,
    amplitude: 6000.0,
    pattern: &[
        true, true, true, true, true, false, false, false, false, false, true, true, true, true,
        true, false, false, false,
    ],
    ssrc: 0xBEE9_0001,
};
/// Samples per frame at 8 kHz.
pub(crate) const FRAME_SAMPLES: usize = 160;
/// Samples of each fade in and out (5 ms).
const RAMP: usize = 40;
/// One packet: fixed RTP header and a 20 ms PCMU payload.
pub(crate) const BEEP_PACKET_LEN: usize = 12 + FRAME_SAMPLES;
/// Ticks after the last frame before the run is over: the jitter buffer holds one
/// frame, plus a tick of slack.
const TAIL_TICKS: u8 = 2;

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

/// The encoded sound and the state of the current run.
pub(crate) struct BeepTrack {
    payloads: Box<[u8]>,
    ssrc: u32,
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
    /// Encodes `sound` (control time).
    pub(crate) fn new(sound: &BeepSound) -> Result<Self, CodecError> {
        let mut codec = AudioCodec::new(Self::codec())?;
        let pcm = render(sound);
        let mut payloads = vec![0u8; pcm.len()].into_boxed_slice();
        for (frame, out) in pcm
            .chunks_exact(FRAME_SAMPLES)
            .zip(payloads.chunks_exact_mut(FRAME_SAMPLES))
        {
            codec.encode(frame, out)?;
        }
        Ok(BeepTrack {
            payloads,
            ssrc: sound.ssrc,
            seq: 0,
            frame: None,
            tail: 0,
        })
    }

    pub(crate) fn codec() -> CodecConfig {
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
            out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
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

/// The whole sound as 8 kHz PCM.
fn render(sound: &BeepSound) -> Vec<i16> {
    let mut pcm = vec![0i16; sound.pattern.len() * FRAME_SAMPLES];
    let mut n = 0usize;
    while n < pcm.len() {
        let on = sound
            .pattern
            .get(n / FRAME_SAMPLES)
            .copied()
            .unwrap_or(false);
        if !on {
            n += FRAME_SAMPLES;
            continue;
        }
        // One burst: consecutive tone frames.
        let len = sound
            .pattern
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
            let phase = 2.0 * std::f64::consts::PI * sound.hz * i as f64 / 8000.0;
            *s = (sound.amplitude * gain * phase.sin()).round() as i16;
        }
        n += len;
    }
    pcm
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::codec::goertzel::tone_amplitude;

    /// Plays `sound` once through a track: the decoded audio and the SSRC of its
    /// packets. Asserts the run's steps (idle before, one packet per frame, two
    /// waits, finished once, idle after).
    pub(in crate::monitor) fn play(sound: &BeepSound) -> (Vec<i16>, u32) {
        let mut track = BeepTrack::new(sound).unwrap();
        let mut out = [0u8; BEEP_PACKET_LEN];
        assert_eq!(track.step(&mut out), BeepStep::Idle);
        track.start();
        let mut codec = AudioCodec::new(BeepTrack::codec()).unwrap();
        let mut heard = vec![0i16; sound.pattern.len() * FRAME_SAMPLES];
        for frame in heard.chunks_exact_mut(FRAME_SAMPLES) {
            assert_eq!(track.step(&mut out), BeepStep::Push(BEEP_PACKET_LEN));
            codec.decode(&out[12..], frame).unwrap();
        }
        let ssrc = u32::from_be_bytes([out[8], out[9], out[10], out[11]]);
        assert_eq!(track.step(&mut out), BeepStep::Wait);
        assert_eq!(track.step(&mut out), BeepStep::Wait);
        assert_eq!(track.step(&mut out), BeepStep::Finished);
        assert!(!track.is_running());
        assert_eq!(track.step(&mut out), BeepStep::Idle);
        (heard, ssrc)
    }

    /// The Goertzel amplitude of `hz` in each 20 ms frame of `pcm`.
    pub(in crate::monitor) fn per_frame(pcm: &[i16], hz: f64) -> Vec<f64> {
        pcm.chunks_exact(FRAME_SAMPLES)
            .map(|f| tone_amplitude(f, hz, 8000))
            .collect()
    }

    #[test]
    fn two_bursts_then_silence_then_finished() {
        let (pcm, ssrc) = play(&AGENT_BEEP);
        let heard = per_frame(&pcm, BEEP_HZ);
        for (i, a) in heard.iter().enumerate() {
            let on = AGENT_BEEP.pattern[i];
            assert!(if on { *a > 3000.0 } else { *a < 10.0 }, "frame {i}: {a}");
        }
        let bursts = AGENT_BEEP
            .pattern
            .windows(2)
            .filter(|w| !w[0] && w[1])
            .count()
            + 1;
        assert_eq!(bursts, 2);
        assert_eq!(ssrc, AGENT_BEEP.ssrc);
    }
}
