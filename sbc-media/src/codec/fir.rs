//! Low-pass FIR design for the resampler: a Kaiser-windowed sinc (Kaiser & Schafer),
//! computed once at setup in `f64`.
//!
//! The resampler's filters are "alias-free in the passband": passband to 0.425 of
//! the lower rate (3.4 kHz at 8 kHz, 6.8 kHz at 16 kHz, the G.712 / G.722 speech
//! bands), stopband from 0.575 of it (4.6 / 9.2 kHz) at 65 dB design attenuation.
//! What lands between the lower rate's Nyquist and the stopband edge folds back
//! only into 3.4–4 kHz (6.8–8 kHz), above the speech band; everything from the
//! stopband edge up is at least 60 dB down (checked in the tests). The wide
//! transition keeps the filters short: 27 taps per output phase, at most 1.7 ms
//! group delay in any direction.

use std::f64::consts::PI;

/// Passband edge as a fraction of the lower sample rate.
pub(crate) const PASS_FRACTION: f64 = 0.425;
/// Stopband edge as a fraction of the lower sample rate.
pub(crate) const STOP_FRACTION: f64 = 0.575;
/// Design stopband attenuation in dB (the Kaiser formulas are approximate, so this
/// carries 5 dB of margin over the 60 dB the tests demand).
const ATTENUATION_DB: f64 = 65.0;

/// Zeroth-order modified Bessel function of the first kind (power series).
fn bessel_i0(x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > sum * 1e-16 {
        term *= (half / k) * (half / k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Anti-aliasing low-pass at `high_hz` for a conversion to or from `low_hz`, with
/// a length that is a multiple of `phases` (the polyphase split needs equal
/// branches) and unity DC gain.
pub(crate) fn design_lowpass(high_hz: f64, low_hz: f64, phases: usize) -> Vec<f64> {
    let pass = PASS_FRACTION * low_hz / high_hz;
    let stop = STOP_FRACTION * low_hz / high_hz;
    let a = ATTENUATION_DB;
    // Kaiser's formulas for beta and length (cycles/sample -> radians).
    let beta = 0.1102 * (a - 8.7);
    let delta_omega = 2.0 * PI * (stop - pass);
    let min_len = ((a - 7.95) / (2.285 * delta_omega)).ceil() as usize + 1;
    let phases = phases.max(1);
    let len = min_len.div_ceil(phases) * phases;
    let cutoff = (pass + stop) / 2.0;
    let centre = (len as f64 - 1.0) / 2.0;
    let i0_beta = bessel_i0(beta);
    let mut taps: Vec<f64> = (0..len)
        .map(|n| {
            let t = n as f64 - centre;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * PI * cutoff * t).sin() / (PI * t)
            };
            let r = if centre > 0.0 { t / centre } else { 0.0 };
            let window = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
            sinc * window
        })
        .collect();
    let dc: f64 = taps.iter().sum();
    if dc != 0.0 {
        taps.iter_mut().for_each(|h| *h /= dc);
    }
    taps
}

/// Magnitude response in dB of `taps` at `freq` (cycles/sample).
#[cfg(test)]
pub(crate) fn response_db(taps: &[f64], freq: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (n, h) in taps.iter().enumerate() {
        let w = 2.0 * PI * freq * n as f64;
        re += h * w.cos();
        im -= h * w.sin();
    }
    20.0 * (re * re + im * im).sqrt().max(1e-20).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worst passband deviation and worst stopband level over a fine grid.
    fn measure(high: f64, low: f64, phases: usize) -> (f64, f64, usize) {
        let taps = design_lowpass(high, low, phases);
        let steps = 2000;
        let (mut ripple, mut stop_max) = (0.0f64, f64::NEG_INFINITY);
        for i in 0..=steps {
            let f = 0.5 * i as f64 / steps as f64;
            let hz = f * high;
            let db = response_db(&taps, f);
            if hz <= PASS_FRACTION * low {
                ripple = ripple.max(db.abs());
            } else if hz >= STOP_FRACTION * low {
                stop_max = stop_max.max(db);
            }
        }
        (ripple, stop_max, taps.len())
    }

    #[test]
    fn every_direction_meets_the_speech_mask() {
        for (high, low, phases) in [(16e3, 8e3, 2), (48e3, 8e3, 6), (48e3, 16e3, 3)] {
            let (ripple, stop, len) = measure(high, low, phases);
            assert!(ripple < 0.01, "{high}/{low}: passband ripple {ripple} dB");
            assert!(stop < -64.0, "{high}/{low}: stopband {stop} dB");
            assert_eq!(len % phases, 0);
            assert!(len <= 162, "{high}/{low}: {len} taps");
        }
    }

    #[test]
    fn bessel_matches_known_values() {
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-12);
        assert!((bessel_i0(5.0) - 27.239_871_823_604_45).abs() < 1e-9);
    }
}
