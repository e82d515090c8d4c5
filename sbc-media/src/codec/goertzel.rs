//! Goertzel tone detector: the energy of one frequency in a block of samples, in
//! O(N) with two state variables. The codec and mixer tests use it to tell which
//! party's tone a listener hears, and how clean it is.
//!
//! Amplitude estimates are exact when the block holds a whole number of cycles of
//! the tone (e.g. 100 ms blocks for tones on a 10 Hz grid); otherwise the usual
//! DFT leakage applies. All arithmetic is `f64`, so long blocks lose nothing.

use std::f64::consts::PI;

/// Accumulates one block for one frequency.
#[derive(Debug, Clone)]
pub struct Goertzel {
    freq_hz: f64,
    /// 2·cos(ω), the recurrence coefficient.
    coeff: f64,
    s1: f64,
    s2: f64,
    /// Samples fed since the last reset.
    count: usize,
    /// Sum of squares fed, for the total power.
    energy: f64,
}

impl Goertzel {
    /// A detector for `freq_hz` in a stream sampled at `sample_rate` Hz.
    pub fn new(freq_hz: f64, sample_rate: u32) -> Self {
        let omega = 2.0 * PI * freq_hz / f64::from(sample_rate.max(1));
        Goertzel {
            freq_hz,
            coeff: 2.0 * omega.cos(),
            s1: 0.0,
            s2: 0.0,
            count: 0,
            energy: 0.0,
        }
    }

    pub fn freq_hz(&self) -> f64 {
        self.freq_hz
    }

    /// Run the recurrence over more samples of the block.
    pub fn feed(&mut self, samples: &[i16]) {
        for &s in samples {
            let x = f64::from(s);
            let s0 = x + self.coeff * self.s1 - self.s2;
            self.s2 = self.s1;
            self.s1 = s0;
            self.energy += x * x;
        }
        self.count += samples.len();
    }

    /// Samples in the block so far.
    pub fn samples(&self) -> usize {
        self.count
    }

    /// Estimated peak amplitude of the tone (a full-scale sine gives ~32767).
    pub fn amplitude(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let mag_sq = self.s1 * self.s1 + self.s2 * self.s2 - self.coeff * self.s1 * self.s2;
        2.0 * mag_sq.max(0.0).sqrt() / self.count as f64
    }

    /// Mean-square power the tone contributes (amplitude² / 2).
    pub fn tone_power(&self) -> f64 {
        let a = self.amplitude();
        a * a / 2.0
    }

    /// Mean-square power of everything fed (tone, other tones and noise).
    pub fn total_power(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        self.energy / self.count as f64
    }

    /// Start a new block.
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
        self.count = 0;
        self.energy = 0.0;
    }
}

/// Peak amplitude of `freq_hz` in `samples` taken at `sample_rate` Hz.
pub fn tone_amplitude(samples: &[i16], freq_hz: f64, sample_rate: u32) -> f64 {
    let mut g = Goertzel::new(freq_hz, sample_rate);
    g.feed(samples);
    g.amplitude()
}

/// Power in `freqs` over the power of everything else, in dB: how cleanly a block
/// carries the expected tones. Independent of delay, so it measures a codec chain
/// without aligning input and output. Capped at 100 dB for a perfect signal.
pub fn tone_snr_db(samples: &[i16], freqs: &[f64], sample_rate: u32) -> f64 {
    let mut tone = 0.0;
    let mut total = 0.0;
    for &f in freqs {
        let mut g = Goertzel::new(f, sample_rate);
        g.feed(samples);
        tone += g.tone_power();
        total = g.total_power();
    }
    let noise = (total - tone).max(tone * 1e-10);
    if tone <= 0.0 {
        return f64::NEG_INFINITY;
    }
    (10.0 * (tone / noise).log10()).min(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, amp: f64, rate: u32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| (amp * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()).round() as i16)
            .collect()
    }

    #[test]
    fn measures_amplitude_of_a_bin_centred_tone() {
        let x = tone(1000.0, 10_000.0, 8000, 800);
        assert!((tone_amplitude(&x, 1000.0, 8000) - 10_000.0).abs() < 5.0);
        assert!(tone_amplitude(&x, 1500.0, 8000) < 10.0);
    }

    #[test]
    fn separates_two_tones_and_reports_snr() {
        let a = tone(600.0, 8000.0, 16_000, 1600);
        let b = tone(5000.0, 4000.0, 16_000, 1600);
        let mix: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        assert!((tone_amplitude(&mix, 600.0, 16_000) - 8000.0).abs() < 5.0);
        assert!((tone_amplitude(&mix, 5000.0, 16_000) - 4000.0).abs() < 5.0);
        assert!(tone_snr_db(&mix, &[600.0, 5000.0], 16_000) > 60.0);
        // Only one of the two tones expected: the other is "noise" (-6 dB).
        let snr = tone_snr_db(&mix, &[600.0], 16_000);
        assert!((snr - 6.02).abs() < 0.1, "{snr}");
    }

    #[test]
    fn streaming_equals_one_block() {
        let x = tone(440.0, 3000.0, 48_000, 4800);
        let mut g = Goertzel::new(440.0, 48_000);
        for frame in x.chunks(960) {
            g.feed(frame);
        }
        assert_eq!(g.samples(), 4800);
        assert!((g.amplitude() - tone_amplitude(&x, 440.0, 48_000)).abs() < 1e-9);
        g.reset();
        assert_eq!(g.amplitude(), 0.0);
    }
}
