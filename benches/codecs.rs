//! Codec micro-benchmark: ns per 20 ms frame for encode + decode of each codec and
//! for each resampling direction. These bound how many monitored calls one core can
//! mix (a whisper/barge call decodes every input, resamples, and encodes per
//! listener every 20 ms). Under 60 s: `cargo bench --bench codecs`.

use std::f64::consts::PI;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sbc_media::codec::{
    AudioCodec, CodecConfig, CodecKind, FrameDuration, Resampler, SampleRate, MAX_FRAME_SAMPLES,
    MAX_PAYLOAD_BYTES,
};

const FRAME: FrameDuration = FrameDuration::Ms20;
/// Distinct frames cycled through, so Opus does not see one frame repeated.
const FRAMES: usize = 50;

/// A two-tone signal (speech-band and wideband part) cut into 20 ms frames.
fn frames(rate: SampleRate) -> Vec<Vec<i16>> {
    let n = rate.samples(FRAME);
    let r = f64::from(rate.hz());
    (0..FRAMES)
        .map(|f| {
            (0..n)
                .map(|i| {
                    let t = (f * n + i) as f64 / r;
                    let v = (2.0 * PI * 440.0 * t).sin() + 0.5 * (2.0 * PI * 2900.0 * t).sin();
                    (6000.0 * v) as i16
                })
                .collect()
        })
        .collect()
}

fn codecs(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec_20ms_encode_decode");
    group.throughput(Throughput::Elements(1));
    let mut opus_c5 = CodecConfig::new(CodecKind::Opus, FRAME);
    opus_c5.opus.complexity = 5;
    let configs = [
        ("pcmu", CodecConfig::new(CodecKind::Pcmu, FRAME)),
        ("pcma", CodecConfig::new(CodecKind::Pcma, FRAME)),
        ("g722", CodecConfig::new(CodecKind::G722, FRAME)),
        ("opus_32k_c10", CodecConfig::new(CodecKind::Opus, FRAME)),
        ("opus_32k_c5", opus_c5),
    ];
    for (name, config) in configs {
        let input = frames(config.kind.sample_rate());
        let mut codec = AudioCodec::new(config).expect("codec");
        let mut payload = [0u8; MAX_PAYLOAD_BYTES];
        let mut pcm = [0i16; MAX_FRAME_SAMPLES];
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % FRAMES;
                let len = codec.encode(&input[i], &mut payload).expect("encode");
                black_box(codec.decode(&payload[..len], &mut pcm).expect("decode"))
            })
        });
    }
    group.finish();
}

fn resampling(c: &mut Criterion) {
    let rates = [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000];
    let mut group = c.benchmark_group("resample_20ms");
    group.throughput(Throughput::Elements(1));
    for from in rates {
        for to in rates.into_iter().filter(|&to| to != from) {
            let input = frames(from);
            let mut r = Resampler::new(from, to);
            let mut out = [0i16; MAX_FRAME_SAMPLES];
            let mut i = 0;
            group.bench_function(
                format!("{}k_to_{}k", from.hz() / 1000, to.hz() / 1000),
                |b| {
                    b.iter(|| {
                        i = (i + 1) % FRAMES;
                        black_box(r.process(&input[i], &mut out).expect("resample"))
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = codecs, resampling
}
criterion_main!(benches);
