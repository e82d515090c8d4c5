//! Packet-loss concealment for the waveform codecs (G.711, G.722): repeat the last
//! good audio and fade it out, after the shape of G.711 Appendix I (full level for
//! the first 10 ms of a loss, then down 20 % per 10 ms, silent from 60 ms on) but
//! without its pitch search: the whole last frame is the repeated period. Cheap and
//! good enough for the short gaps a 20–60 ms jitter buffer leaves.

use super::SampleRate;

/// Longest remembered period: 60 ms at 16 kHz.
const MAX_PERIOD: usize = 960;

/// Q15 unity gain.
const UNITY: i64 = 1 << 15;

/// Remembers the last good audio of one decoder and synthesizes missing frames.
#[derive(Debug, Clone)]
pub(crate) struct RepeatPlc {
    last: [i16; MAX_PERIOD],
    /// Valid samples in `last`; 0 before the first good frame (conceal = silence).
    len: usize,
    /// Where in `last` the next concealed sample is read, so consecutive lost
    /// frames continue the repetition instead of restarting it.
    pos: usize,
    /// Samples concealed since the last good frame.
    lost: usize,
    /// Samples in 10 ms at this decoder's rate.
    ten_ms: usize,
}

impl RepeatPlc {
    pub(crate) fn new(rate: SampleRate) -> Self {
        RepeatPlc {
            last: [0; MAX_PERIOD],
            len: 0,
            pos: 0,
            lost: 0,
            ten_ms: (rate.hz() / 100) as usize,
        }
    }

    /// Keep the tail of a good frame (at most `MAX_PERIOD` samples) and end any loss.
    pub(crate) fn remember(&mut self, pcm: &[i16]) {
        let tail = pcm
            .get(pcm.len().saturating_sub(MAX_PERIOD)..)
            .unwrap_or(&[]);
        if tail.is_empty() {
            return;
        }
        for (dst, &src) in self.last.iter_mut().zip(tail) {
            *dst = src;
        }
        self.len = tail.len();
        self.pos = 0;
        self.lost = 0;
    }

    /// Fill `out` with the faded repetition of the last good audio.
    pub(crate) fn conceal(&mut self, out: &mut [i16]) {
        let period = self.last.get(..self.len).unwrap_or(&[]);
        if period.is_empty() {
            out.fill(0);
            return;
        }
        for o in out.iter_mut() {
            let src = period.get(self.pos).copied().unwrap_or(0);
            self.pos = (self.pos + 1) % period.len();
            *o = ((i64::from(src) * self.gain_q15()) >> 15) as i16;
            self.lost = self.lost.saturating_add(1);
        }
    }

    /// Q15 gain at the current point of the loss.
    fn gain_q15(&self) -> i64 {
        let t = self.lost as i64;
        let ten = self.ten_ms.max(1) as i64;
        if t < ten {
            return UNITY;
        }
        ((6 * ten - t) * UNITY / (5 * ten)).clamp(0, UNITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_before_any_good_frame() {
        let mut plc = RepeatPlc::new(SampleRate::Hz8000);
        let mut out = [7i16; 160];
        plc.conceal(&mut out);
        assert!(out.iter().all(|&s| s == 0));
    }

    #[test]
    fn repeats_then_fades_to_silence_by_60_ms() {
        let mut plc = RepeatPlc::new(SampleRate::Hz8000);
        plc.remember(&[1000i16; 160]);
        let mut out = [0i16; 160];
        plc.conceal(&mut out);
        assert_eq!(out[0], 1000, "full level at the start of the loss");
        assert_eq!(out[79], 1000, "full level for 10 ms");
        assert!(out[159] < 900 && out[159] > 700, "fading: {}", out[159]);
        for _ in 0..3 {
            plc.conceal(&mut out);
        }
        assert!(out.iter().all(|&s| s == 0), "silent from 60 ms on");
        plc.remember(&[500i16; 160]);
        plc.conceal(&mut out);
        assert_eq!(out[0], 500, "a good frame ends the loss");
    }

    #[test]
    fn repetition_continues_across_calls() {
        let mut plc = RepeatPlc::new(SampleRate::Hz16000);
        let frame: Vec<i16> = (0..320).map(|i| i as i16).collect();
        plc.remember(&frame);
        let mut a = [0i16; 100];
        plc.conceal(&mut a);
        let mut b = [0i16; 100];
        plc.conceal(&mut b);
        assert_eq!(a[99], 99);
        assert_eq!(b[0], 100);
    }
}
