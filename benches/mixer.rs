//! Monitoring mixer micro-benchmark: CPU per monitored call per 20 ms tick (three
//! packets pushed, one tick: decode, jitter buffer, resample, mix, encode, RTP), for
//! whisper and barge with mixed codecs (PCMU customer, G.722 agent, Opus supervisor)
//! and for an all-PCMU call mixed at 8 kHz. The calls one core can mix is 20 ms
//! divided by the time per tick (printed at the end). Under 60 s:
//! `cargo bench --bench mixer`.

use std::f64::consts::PI;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sbc_media::codec::{AudioCodec, CodecConfig, CodecKind, FrameDuration, MAX_PAYLOAD_BYTES};
use sbc_media::mixer::{
    InputConfig, InputId, MixPlan, Mixer, MixerConfig, OutputConfig, Participant, TICK,
};
use sbc_media::rtp::{PayloadType, Ssrc};

const FRAME: FrameDuration = FrameDuration::Ms20;
/// Distinct frames per party, cycled (sequence numbers keep counting).
const FRAMES: usize = 50;

/// `FRAMES` RTP packets of a tone in `kind`, payload type `pt`.
fn packets(kind: CodecKind, pt: u8, freq: f64) -> Vec<Vec<u8>> {
    let mut codec = AudioCodec::new(CodecConfig::new(kind, FRAME)).expect("codec");
    let n = codec.samples_per_frame();
    let rate = f64::from(codec.sample_rate().hz());
    (0..FRAMES)
        .map(|f| {
            let pcm: Vec<i16> = (0..n)
                .map(|i| (6000.0 * (2.0 * PI * freq * (f * n + i) as f64 / rate).sin()) as i16)
                .collect();
            let mut payload = vec![0u8; MAX_PAYLOAD_BYTES];
            let len = codec.encode(&pcm, &mut payload).expect("encode");
            let mut pkt = vec![0x80, pt, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, pt];
            pkt.extend_from_slice(&payload[..len]);
            pkt
        })
        .collect()
}

/// A mixer with customer, agent and supervisor in `kinds`, and their packets.
struct Call {
    mixer: Mixer,
    inputs: [InputId; 3],
    packets: [Vec<Vec<u8>>; 3],
    increments: [u32; 3],
    now: Instant,
    n: u32,
}

/// Builds a mode's plan from customer, agent and supervisor.
type PlanFn = fn(Participant, Participant, Participant) -> MixPlan;

fn call(kinds: [CodecKind; 3], plan: PlanFn) -> Call {
    let now = Instant::now();
    let mut mixer = Mixer::new(MixerConfig::for_codecs(kinds), now).expect("mixer");
    let pts = kinds.map(|k| k.static_payload_type().unwrap_or(111));
    let parties = [0, 1, 2].map(|i| {
        let codec = CodecConfig::new(kinds[i], FRAME);
        let payload_type = PayloadType::new(pts[i]).expect("7 bits");
        let input = mixer
            .add_input(InputConfig {
                codec,
                payload_type,
            })
            .expect("input");
        let output = mixer
            .add_output(OutputConfig {
                codec,
                payload_type,
                ssrc: Ssrc(i as u32),
                first_seq: 0,
                first_timestamp: 0,
                own_input: Some(input),
            })
            .expect("output");
        Participant { input, output }
    });
    mixer
        .apply(&plan(parties[0], parties[1], parties[2]))
        .expect("plan");
    let freqs = [440.0, 1000.0, 1800.0];
    Call {
        mixer,
        inputs: parties.map(|p| p.input),
        packets: [0, 1, 2].map(|i| packets(kinds[i], pts[i], freqs[i])),
        increments: kinds.map(|k| k.rtp_clock_rate() / 50),
        now,
        n: 0,
    }
}

impl Call {
    /// One monitored call's 20 ms: three packets in, one tick, every packet out.
    fn tick(&mut self) -> usize {
        let i = self.n as usize % FRAMES;
        for p in 0..3 {
            let pkt = &mut self.packets[p][i];
            pkt[2..4].copy_from_slice(&(self.n as u16).to_be_bytes());
            pkt[4..8].copy_from_slice(&self.n.wrapping_mul(self.increments[p]).to_be_bytes());
            self.mixer.push(self.inputs[p], pkt, self.now).ok();
        }
        let bytes = self.mixer.tick(self.now).map(|(_, pkt)| pkt.len()).sum();
        self.now += TICK;
        self.n = self.n.wrapping_add(1);
        bytes
    }
}

/// A benchmark case: its name, the codecs of customer/agent/supervisor, the mode.
type Case = (&'static str, [CodecKind; 3], PlanFn);

fn mixer(c: &mut Criterion) {
    let mut group = c.benchmark_group("mixer_tick_per_call");
    group.throughput(Throughput::Elements(1));
    let mixed = [CodecKind::Pcmu, CodecKind::G722, CodecKind::Opus];
    let pcmu = [CodecKind::Pcmu; 3];
    let cases: [Case; 3] = [
        ("whisper_pcmu_g722_opus", mixed, MixPlan::whisper),
        ("barge_pcmu_g722_opus", mixed, MixPlan::barge),
        ("barge_pcmu_8k", pcmu, MixPlan::barge),
    ];
    let mut summary = Vec::new();
    for (name, kinds, plan) in cases {
        let mut call = call(kinds, plan);
        for _ in 0..FRAMES {
            call.tick();
        }
        // The benchmark must measure real playout, not concealment or silence.
        let stats = call.mixer.input_stats(call.inputs[0]).expect("input");
        assert!(stats.received > 0 && stats.concealed == 0, "{stats:?}");
        group.bench_function(name, |b| b.iter(|| black_box(call.tick())));
        // A plain timing for the summary table (criterion keeps its own estimates).
        let start = Instant::now();
        let ticks = 500u32;
        for _ in 0..ticks {
            black_box(call.tick());
        }
        summary.push((name, start.elapsed() / ticks));
    }
    group.finish();
    println!(
        "\n{:<26} {:>12} {:>16}",
        "monitored call", "µs per tick", "calls per core"
    );
    for (name, per_tick) in summary {
        let calls = TICK.as_secs_f64() / per_tick.max(Duration::from_nanos(1)).as_secs_f64();
        println!(
            "{name:<26} {:>12.1} {calls:>16.0}",
            per_tick.as_secs_f64() * 1e6
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = mixer
}
criterion_main!(benches);
