//! Resampler: tone level and purity in all six directions, anti-aliasing and
//! anti-imaging against the stated mask, and streaming equal to one-shot.

use super::*;
use crate::codec::goertzel::{tone_amplitude, tone_snr_db};
use crate::codec::FrameDuration;
use std::f64::consts::PI;

const RATES: [SampleRate; 3] = [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000];

fn tone(freq: f64, amp: f64, rate: SampleRate, n: usize) -> Vec<i16> {
    let r = f64::from(rate.hz());
    (0..n)
        .map(|i| (amp * (2.0 * PI * freq * i as f64 / r).sin()).round() as i16)
        .collect()
}

/// Feed `input` in 20 ms frames; return the whole output.
fn run(from: SampleRate, to: SampleRate, input: &[i16]) -> Vec<i16> {
    let mut r = Resampler::new(from, to);
    let frame = from.samples(FrameDuration::Ms20);
    let mut out = vec![0i16; r.output_len(input.len())];
    let mut written = 0;
    for chunk in input.chunks(frame) {
        let n = r.process(chunk, &mut out[written..]).unwrap();
        assert_eq!(n, to.samples(FrameDuration::Ms20) * chunk.len() / frame);
        written += n;
    }
    assert_eq!(written, out.len());
    out
}

fn directions() -> impl Iterator<Item = (SampleRate, SampleRate)> {
    RATES
        .into_iter()
        .flat_map(|a| RATES.into_iter().map(move |b| (a, b)))
}

#[test]
fn tone_survives_every_direction() {
    for (from, to) in directions() {
        // 500 ms; skip the first 100 ms (filter settling), measure 400 ms.
        let input = tone(
            1000.0,
            10_000.0,
            from,
            from.samples(FrameDuration::Ms20) * 25,
        );
        let out = run(from, to, &input);
        let tail = &out[to.samples(FrameDuration::Ms20) * 5..];
        let amp = tone_amplitude(tail, 1000.0, to.hz());
        let snr = tone_snr_db(tail, &[1000.0], to.hz());
        assert!((amp - 10_000.0).abs() < 12.0, "{from:?}->{to:?}: {amp}");
        assert!(snr > 60.0, "{from:?}->{to:?}: SNR {snr} dB");
    }
}

#[test]
fn frames_stream_exactly_like_one_block() {
    for (from, to) in directions() {
        let input = tone(
            1234.0,
            12_000.0,
            from,
            from.samples(FrameDuration::Ms60) * 3,
        );
        let streamed = run(from, to, &input);
        let mut r = Resampler::new(from, to);
        let mut once = vec![0i16; r.output_len(input.len())];
        r.process(&input, &mut once).unwrap();
        assert_eq!(streamed, once, "{from:?}->{to:?}");
    }
}

#[test]
fn downsampling_rejects_aliases() {
    // (from, to, tone above the stopband edge, where it would alias to)
    let cases = [
        (SampleRate::Hz16000, SampleRate::Hz8000, 6000.0, 2000.0),
        (SampleRate::Hz48000, SampleRate::Hz8000, 5000.0, 3000.0),
        (SampleRate::Hz48000, SampleRate::Hz16000, 10_000.0, 6000.0),
    ];
    for (from, to, f, alias) in cases {
        let input = tone(f, 20_000.0, from, from.samples(FrameDuration::Ms20) * 25);
        let out = run(from, to, &input);
        let tail = &out[to.samples(FrameDuration::Ms20) * 5..];
        let amp = tone_amplitude(tail, alias, to.hz());
        assert!(amp < 20.0, "{from:?}->{to:?}: alias {amp} (< -60 dB)");
    }
}

#[test]
fn upsampling_rejects_images() {
    for (from, to) in [
        (SampleRate::Hz8000, SampleRate::Hz16000),
        (SampleRate::Hz8000, SampleRate::Hz48000),
        (SampleRate::Hz16000, SampleRate::Hz48000),
    ] {
        let f = 1000.0;
        let input = tone(f, 20_000.0, from, from.samples(FrameDuration::Ms20) * 25);
        let out = run(from, to, &input);
        let tail = &out[to.samples(FrameDuration::Ms20) * 5..];
        let image = f64::from(from.hz()) - f;
        let amp = tone_amplitude(tail, image, to.hz());
        assert!(amp < 20.0, "{from:?}->{to:?}: image at {image} Hz: {amp}");
    }
}

#[test]
fn short_output_is_refused_without_consuming() {
    let mut r = Resampler::new(SampleRate::Hz8000, SampleRate::Hz48000);
    let input = [1000i16; 160];
    let mut small = [0i16; 959];
    assert_eq!(
        r.process(&input, &mut small),
        Err(CodecError::BufferTooSmall {
            needed: 960,
            available: 959
        })
    );
    let mut down = Resampler::new(SampleRate::Hz48000, SampleRate::Hz8000);
    let mut out = [0i16; 2];
    assert_eq!(down.process(&[0; 5], &mut out), Ok(0));
    assert_eq!(down.output_len(1), 1, "the phase carries over");
    assert_eq!(down.process(&[0; 1], &mut out), Ok(1));
}

#[test]
fn delay_is_small() {
    for (from, to) in directions() {
        let d = Resampler::new(from, to).delay_micros();
        assert!(d <= 1700, "{from:?}->{to:?}: {d} µs");
    }
}
