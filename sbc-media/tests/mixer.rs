//! The monitoring mixer end to end, in virtual time: a customer (PCMU, 440 Hz), an
//! agent (G.722, 1000 Hz) and a supervisor (Opus, 1800 Hz) each send a tone; every
//! output is decoded like a phone would and analysed with Goertzel.
//!
//! Shown here: in each mode every output carries exactly the tones it should; mode
//! switches listen → whisper → barge → listen keep each output's RTP gapless (one
//! SSRC, sequence +1, timestamp + one frame); jitter and loss on an input are
//! absorbed; the tone-onset delay through the mixer stays within jitter-buffer
//! target + one tick + codec delays (printed: run with `--nocapture`); and `push` and
//! `tick` allocate nothing (own counting allocator, armed per thread).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::f64::consts::PI;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use sbc_core::media::AgentAfterTakeover;
use sbc_media::codec::goertzel::tone_amplitude;
use sbc_media::codec::{AudioCodec, CodecConfig, CodecKind, FrameDuration, MAX_FRAME_SAMPLES};
use sbc_media::codec::{Resampler, SampleRate, MAX_PAYLOAD_BYTES};
use sbc_media::mixer::{
    InputConfig, MixPlan, Mixer, MixerConfig, OutputConfig, OutputId, Participant, TICK,
};
use sbc_media::rtp::{PayloadType, RtpHeader, Ssrc};

// ---- counting allocator: counts only on threads that armed it ----

struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A const-initialized `Cell<bool>` thread-local never allocates.
        if ARMED.try_with(Cell::get).unwrap_or(false) {
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's layout, forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---- the parties ----

const CUSTOMER_HZ: f64 = 440.0;
const AGENT_HZ: f64 = 1000.0;
const SUPERVISOR_HZ: f64 = 1800.0;
const TONES: [f64; 3] = [CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ];
const AMPLITUDE: f64 = 8000.0;
const OPUS_PT: u8 = 111;
const FRAME: FrameDuration = FrameDuration::Ms20;

fn pt(n: u8) -> PayloadType {
    PayloadType::new(n).unwrap_or(PayloadType::PCMU)
}

/// A phone sending one tone (or silence until `onset_at`) as 20 ms RTP packets.
struct Source {
    codec: AudioCodec,
    pt: u8,
    ssrc: u32,
    seq: u16,
    ts: u32,
    freq: f64,
    sample: u64,
    /// Packets sent; the tone starts with packet `onset_at`.
    sent: u64,
    onset_at: u64,
}

impl Source {
    fn new(kind: CodecKind, pt: u8, ssrc: u32, freq: f64) -> Self {
        Source {
            codec: AudioCodec::new(CodecConfig::new(kind, FRAME)).expect("codec"),
            pt,
            ssrc,
            seq: 1000,
            ts: 5000,
            freq,
            sample: 0,
            sent: 0,
            onset_at: 0,
        }
    }

    fn packet(&mut self) -> Vec<u8> {
        let rate = f64::from(self.codec.sample_rate().hz());
        let audible = self.sent >= self.onset_at;
        let pcm: Vec<i16> = (0..self.codec.samples_per_frame())
            .map(|i| {
                let n = (self.sample + i as u64) as f64;
                let v = AMPLITUDE * (2.0 * PI * self.freq * n / rate).sin();
                if audible {
                    v.round() as i16
                } else {
                    0
                }
            })
            .collect();
        self.sample += pcm.len() as u64;
        let mut payload = vec![0u8; MAX_PAYLOAD_BYTES];
        let len = self.codec.encode(&pcm, &mut payload).expect("encode");
        let mut pkt = vec![0x80, self.pt];
        pkt.extend_from_slice(&self.seq.to_be_bytes());
        pkt.extend_from_slice(&self.ts.to_be_bytes());
        pkt.extend_from_slice(&self.ssrc.to_be_bytes());
        pkt.extend_from_slice(&payload[..len]);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(self.codec.timestamp_increment());
        self.sent += 1;
        pkt
    }
}

/// A phone receiving one output: checks RTP continuity, decodes everything.
struct Sink {
    codec: AudioCodec,
    pcm: Vec<i16>,
    last: Option<(u16, u32, u32)>,
    gaps: usize,
    packets: usize,
    /// (tick time, first sample index) of every packet, for the latency test.
    arrivals: Vec<(Instant, usize)>,
}

impl Sink {
    fn new(kind: CodecKind) -> Self {
        Sink {
            codec: AudioCodec::new(CodecConfig::new(kind, FRAME)).expect("codec"),
            pcm: Vec::new(),
            last: None,
            gaps: 0,
            packets: 0,
            arrivals: Vec::new(),
        }
    }

    fn receive(&mut self, pkt: &[u8], at: Instant) {
        let h = RtpHeader::parse(pkt).expect("mixer sends valid RTP");
        let (seq, ts, ssrc) = (h.sequence(), h.timestamp(), h.ssrc().0);
        if let Some((s, t, x)) = self.last {
            let inc = self.codec.timestamp_increment();
            if seq != s.wrapping_add(1) || ts != t.wrapping_add(inc) || ssrc != x {
                self.gaps += 1;
            }
        }
        self.last = Some((seq, ts, ssrc));
        self.packets += 1;
        self.arrivals.push((at, self.pcm.len()));
        let mut out = [0i16; MAX_FRAME_SAMPLES];
        let n = self.codec.decode(h.payload(), &mut out).expect("decode");
        self.pcm.extend_from_slice(&out[..n]);
    }

    fn rate(&self) -> u32 {
        self.codec.sample_rate().hz()
    }

    /// Tone amplitudes (customer, agent, supervisor) in each 100 ms block of the
    /// `from..to` ms span of the received stream (time 0 = first packet).
    fn blocks(&self, from_ms: usize, to_ms: usize) -> Vec<[f64; 3]> {
        let per_ms = self.rate() as usize / 1000;
        (from_ms..to_ms)
            .step_by(100)
            .map(|ms| {
                let block = &self.pcm[ms * per_ms..(ms + 100) * per_ms];
                TONES.map(|f| tone_amplitude(block, f, self.rate()))
            })
            .collect()
    }
}

/// Customer, agent and supervisor around one mixer, in virtual time.
struct Call {
    mixer: Mixer,
    parties: [Participant; 3],
    sources: [Source; 3],
    sinks: [Sink; 3],
    t0: Instant,
    ticks: u32,
    /// In flight: (arrival, party, packet).
    network: Vec<(Instant, usize, Vec<u8>)>,
    /// Per party: (max extra delay in ms, loss in percent).
    impair: [(u64, u64); 3],
    rng: u64,
}

const CUSTOMER: usize = 0;
const AGENT: usize = 1;
const SUPERVISOR: usize = 2;
const KINDS: [CodecKind; 3] = [CodecKind::Pcmu, CodecKind::G722, CodecKind::Opus];
const PTS: [u8; 3] = [0, 9, OPUS_PT];

impl Call {
    fn new() -> Self {
        let t0 = Instant::now();
        let mut mixer = Mixer::new(MixerConfig::for_codecs(KINDS), t0).expect("mixer");
        let parties = [0, 1, 2].map(|i| {
            let codec = CodecConfig::new(KINDS[i], FRAME);
            let input = mixer
                .add_input(InputConfig {
                    codec,
                    payload_type: pt(PTS[i]),
                })
                .expect("input");
            let output = mixer
                .add_output(OutputConfig {
                    codec,
                    payload_type: pt(PTS[i]),
                    ssrc: Ssrc(0x5bc0_0000 + i as u32),
                    // The customer's numbering wraps during the tests.
                    first_seq: [65_500, 7, 30_000][i],
                    first_timestamp: [u32::MAX - 1000, 0, 12_345][i],
                    own_input: Some(input),
                })
                .expect("output");
            Participant { input, output }
        });
        let sources = [0, 1, 2].map(|i| Source::new(KINDS[i], PTS[i], 0x1000 + i as u32, TONES[i]));
        Call {
            mixer,
            parties,
            sources,
            sinks: KINDS.map(Sink::new),
            t0,
            ticks: 0,
            network: Vec::new(),
            impair: [(0, 0); 3],
            rng: 0x2545_f491_4f6c_dd1d,
        }
    }

    fn plan(&self, f: fn(Participant, Participant, Participant) -> MixPlan) -> MixPlan {
        f(
            self.parties[CUSTOMER],
            self.parties[AGENT],
            self.parties[SUPERVISOR],
        )
    }

    fn random(&mut self, below: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % below.max(1)
    }

    /// One 20 ms step: every party sends (5 ms after the last tick, plus any
    /// impairment); what has arrived is pushed; the mixer ticks; outputs are received.
    fn step(&mut self, send_offset: Duration) {
        let tick_at = self.t0 + TICK * self.ticks;
        for party in 0..3 {
            let pkt = self.sources[party].packet();
            let (jitter_ms, loss_pct) = self.impair[party];
            if self.random(100) < loss_pct {
                continue;
            }
            let delay = Duration::from_millis(self.random(jitter_ms + 1));
            let sent = tick_at.checked_sub(TICK).unwrap_or(tick_at) + send_offset;
            self.network.push((sent + delay, party, pkt));
        }
        self.network.sort_by_key(|(at, _, _)| *at);
        let due = self
            .network
            .iter()
            .take_while(|(at, _, _)| *at <= tick_at)
            .count();
        for (at, party, pkt) in self.network.drain(..due) {
            self.mixer
                .push(self.parties[party].input, &pkt, at)
                .expect("push");
        }
        assert!(self.mixer.poll_timeout() <= Some(tick_at));
        let outputs = self.parties.map(|p| p.output);
        let packets: Vec<(OutputId, Vec<u8>)> = self
            .mixer
            .tick(tick_at)
            .map(|(id, pkt)| (id, pkt.to_vec()))
            .collect();
        for (id, pkt) in packets {
            let party = outputs.iter().position(|&o| o == id).expect("known output");
            self.sinks[party].receive(&pkt, tick_at);
        }
        self.ticks += 1;
    }

    fn run(&mut self, ms: u32) {
        for _ in 0..ms / 20 {
            self.step(Duration::from_millis(5));
        }
    }
}

/// Every 100 ms block of `blocks` has the `expected` tones (by party) and no other.
fn assert_tones(what: &str, blocks: &[[f64; 3]], expected: [bool; 3]) {
    for (i, amps) in blocks.iter().enumerate() {
        for party in 0..3 {
            let a = amps[party];
            let ok = if expected[party] {
                a > 6000.0
            } else {
                a < 200.0
            };
            assert!(
                ok,
                "{what}, block {i}: tone {} amplitude {a:.0} (all {amps:.0?})",
                TONES[party]
            );
        }
    }
}

// ---- tests ----

#[test]
fn each_mode_routes_exactly_the_right_tones_and_rtp_stays_continuous() {
    let mut call = Call::new();
    // (plan, customer hears, agent hears, supervisor hears), 600 ms each.
    type Plan = fn(Participant, Participant, Participant) -> MixPlan;
    let modes: [(&str, Plan, [[bool; 3]; 3]); 4] = [
        (
            "listen",
            MixPlan::listen,
            [
                [false, true, false],
                [true, false, false],
                [true, true, false],
            ],
        ),
        (
            "whisper",
            MixPlan::whisper,
            [
                [false, true, false],
                [true, false, true],
                [true, true, false],
            ],
        ),
        (
            "barge",
            MixPlan::barge,
            [
                [false, true, true],
                [true, false, true],
                [true, true, false],
            ],
        ),
        (
            "listen again",
            MixPlan::listen,
            [
                [false, true, false],
                [true, false, false],
                [true, true, false],
            ],
        ),
    ];
    for (_, plan, _) in &modes {
        let plan = call.plan(*plan);
        call.mixer.apply(&plan).expect("plan applies");
        call.run(600);
    }
    for (i, (name, _, hears)) in modes.iter().enumerate() {
        // Skip the first 200 ms of a mode: jitter buffer, codec and filter settling.
        let from = i * 600 + 200;
        for (party, (sink, hears)) in call.sinks.iter().zip(hears).enumerate() {
            let what = format!("{name}: output of party {party}");
            assert_tones(&what, &sink.blocks(from, from + 400), *hears);
        }
    }
    for (party, sink) in call.sinks.iter().enumerate() {
        assert_eq!(sink.gaps, 0, "party {party}: RTP discontinuity");
        assert_eq!(sink.packets, 120, "party {party}: one packet per tick");
    }
    let stats = call
        .mixer
        .input_stats(call.parties[CUSTOMER].input)
        .expect("stats");
    assert_eq!((stats.lost, stats.late), (0, 0), "{stats:?}");
}

#[test]
fn take_over_bridges_customer_and_supervisor() {
    let mut call = Call::new();
    call.mixer
        .apply(&call.plan(MixPlan::listen))
        .expect("listen");
    call.run(300);
    let (c, a, s) = (
        call.parties[CUSTOMER],
        call.parties[AGENT],
        call.parties[SUPERVISOR],
    );
    call.mixer
        .apply(&MixPlan::take_over(c, a, s, AgentAfterTakeover::Released))
        .expect("take-over");
    call.run(600);
    assert_tones(
        "customer",
        &call.sinks[CUSTOMER].blocks(500, 900),
        [false, false, true],
    );
    assert_tones(
        "agent",
        &call.sinks[AGENT].blocks(500, 900),
        [false, false, false],
    );
    assert_tones(
        "supervisor",
        &call.sinks[SUPERVISOR].blocks(500, 900),
        [true, false, false],
    );
    call.mixer
        .apply(&MixPlan::take_over(c, a, s, AgentAfterTakeover::Listening))
        .expect("take-over, agent listening");
    call.run(600);
    assert_tones(
        "agent listening",
        &call.sinks[AGENT].blocks(1100, 1500),
        [true, false, true],
    );
    assert!(call.sinks.iter().all(|s| s.gaps == 0));
}

#[test]
fn a_listener_never_hears_itself() {
    let mut call = Call::new();
    let s = call.parties[SUPERVISOR];
    let err = call
        .mixer
        .set_hears(s.output, &[call.parties[CUSTOMER].input, s.input]);
    assert!(err.is_err());
    assert!(!call
        .mixer
        .hears(s.output, call.parties[CUSTOMER].input)
        .expect("known"));
}

#[test]
fn jitter_and_loss_on_an_input_are_absorbed() {
    let mut call = Call::new();
    call.mixer
        .apply(&call.plan(MixPlan::listen))
        .expect("listen");
    // The customer's packets: up to 30 ms of extra delay, 5 % lost.
    call.impair[CUSTOMER] = (30, 5);
    call.run(6000);
    let sup = &call.sinks[SUPERVISOR];
    assert_eq!(sup.gaps, 0);
    assert_eq!(sup.packets, 300);
    for (i, amps) in sup.blocks(300, 6000).iter().enumerate() {
        assert!(
            amps[0] > 2000.0,
            "block {i}: customer tone lost ({amps:.0?})"
        );
        assert!(amps[1] > 3000.0, "block {i}: agent tone lost ({amps:.0?})");
    }
    let stats = call
        .mixer
        .input_stats(call.parties[CUSTOMER].input)
        .expect("stats");
    println!("customer input under 30 ms jitter, 5 % loss: {stats:?}");
    assert!(stats.lost > 0 && stats.concealed >= stats.lost, "{stats:?}");
    assert!((20..=60).contains(&stats.target_ms), "{stats:?}");
    assert!(stats.jitter_ms > 0, "{stats:?}");
}

/// Codec delays on the whisper path supervisor (Opus) → agent (G.722), in ms:
/// Opus encoder lookahead (the test's sender), the 48 → 16 kHz resampler, and the
/// G.722 QMF pair of mixer encoder and phone decoder.
fn whisper_codec_delay_ms() -> f64 {
    let resampler = Resampler::new(SampleRate::Hz48000, SampleRate::Hz16000).delay_micros();
    6.5 + f64::from(resampler) / 1000.0 + 1.5
}

#[test]
fn tone_onset_delay_stays_within_target_tick_and_codec_delays() {
    let mut delays = Vec::new();
    for offset_ms in (1..20).step_by(3) {
        let mut call = Call::new();
        call.mixer
            .apply(&call.plan(MixPlan::whisper))
            .expect("whisper");
        call.sources[CUSTOMER].freq = 0.0;
        call.sources[SUPERVISOR].onset_at = 25;
        for _ in 0..40 {
            call.step(Duration::from_millis(offset_ms));
        }
        // Packet 25 of the supervisor was sent (and arrived) `offset` after tick 24.
        let onset = call.t0 + TICK * 24 + Duration::from_millis(offset_ms);
        let sink = &call.sinks[AGENT];
        let first = sink
            .pcm
            .iter()
            .position(|s| s.unsigned_abs() > 2000)
            .expect("onset heard");
        let (tick_at, start) = sink
            .arrivals
            .iter()
            .rev()
            .find(|(_, start)| *start <= first)
            .copied()
            .expect("packet");
        let heard =
            tick_at + Duration::from_secs_f64((first - start) as f64 / f64::from(sink.rate()));
        delays.push(heard.saturating_duration_since(onset).as_secs_f64() * 1000.0);
        let target = call
            .mixer
            .input_stats(call.parties[SUPERVISOR].input)
            .expect("stats")
            .target_ms;
        assert_eq!(target, 20);
    }
    let max = delays.iter().cloned().fold(0.0, f64::max);
    let min = delays.iter().cloned().fold(f64::MAX, f64::min);
    let bound = 20.0 + 20.0 + whisper_codec_delay_ms();
    println!("whisper onset delay through the mixer: min {min:.1} ms, max {max:.1} ms, bound {bound:.1} ms ({delays:.1?})");
    assert!(max <= bound, "{delays:?}");
}

#[test]
fn push_and_tick_allocate_nothing() {
    let mut call = Call::new();
    call.mixer
        .apply(&call.plan(MixPlan::listen))
        .expect("listen");
    call.run(1000);
    // Packets for the counted period are made in advance (the test's encoders allocate).
    let ticks = 500;
    let packets: Vec<[Vec<u8>; 3]> = (0..ticks)
        .map(|_| [0, 1, 2].map(|p| call.sources[p].packet()))
        .collect();
    let plans = [
        call.plan(MixPlan::whisper),
        call.plan(MixPlan::barge),
        call.plan(MixPlan::listen),
    ];
    let inputs = call.parties.map(|p| p.input);
    let mut now = call.t0 + TICK * call.ticks;
    let mut bytes = 0usize;
    ALLOCS.store(0, Relaxed);
    ARMED.with(|a| a.set(true));
    for (i, set) in packets.iter().enumerate() {
        if i % 100 == 50 {
            call.mixer.apply(&plans[(i / 100) % 3]).ok();
        }
        for (p, pkt) in set.iter().enumerate() {
            call.mixer.push(inputs[p], pkt, now).ok();
        }
        bytes += call
            .mixer
            .tick(now)
            .map(|(_, pkt)| pkt.len())
            .sum::<usize>();
        now += TICK;
    }
    ARMED.with(|a| a.set(false));
    assert!(bytes > 0);
    assert_eq!(ALLOCS.load(Relaxed), 0, "allocations during push/tick");
}

#[test]
fn bad_packets_and_stale_handles_get_typed_errors() {
    use sbc_media::mixer::MixerError;
    let mut call = Call::new();
    let (c, s) = (call.parties[CUSTOMER], call.parties[SUPERVISOR]);
    let now = call.t0;
    for garbage in [&[][..], &[0x80; 5][..], &[0x40; 20][..], &[0xff; 200][..]] {
        assert!(matches!(
            call.mixer.push(c.input, garbage, now),
            Err(MixerError::Rtp(_))
        ));
    }
    let mut dtmf = call.sources[CUSTOMER].packet();
    dtmf[1] = 101;
    assert_eq!(
        call.mixer.push(c.input, &dtmf, now),
        Err(MixerError::PayloadType {
            expected: 0,
            got: 101
        })
    );
    let mut huge = call.sources[CUSTOMER].packet();
    huge.resize(3000, 0xff);
    assert!(matches!(
        call.mixer.push(c.input, &huge, now),
        Err(MixerError::PayloadTooLarge { .. })
    ));
    let stats = call.mixer.input_stats(c.input).expect("stats");
    assert_eq!((stats.rejected, stats.received), (6, 0));

    call.mixer
        .apply(&call.plan(MixPlan::listen))
        .expect("listen");
    call.mixer.remove_input(c.input).expect("remove");
    assert!(!call.mixer.hears(s.output, c.input).expect("output lives"));
    assert_eq!(
        call.mixer.push(c.input, &dtmf, now),
        Err(MixerError::UnknownInput(c.input))
    );
    // The freed slot is reused, but the old handle stays dead.
    let again = call
        .mixer
        .add_input(InputConfig {
            codec: CodecConfig::new(CodecKind::Pcma, FRAME),
            payload_type: pt(8),
        })
        .expect("input");
    assert_eq!(again.index(), c.input.index());
    assert!(call.mixer.set_hears(s.output, &[c.input]).is_err());
    assert!(call.mixer.set_hears(s.output, &[again]).is_ok());
    call.mixer.remove_output(s.output).expect("remove");
    assert_eq!(
        call.mixer.output_stats(s.output),
        Err(MixerError::UnknownOutput(s.output))
    );
    // The remaining outputs keep ticking; the new customer input (PCMA) plays.
    call.parties[CUSTOMER].input = again;
    call.sources[CUSTOMER] = Source::new(CodecKind::Pcma, 8, 0x2000, CUSTOMER_HZ);
    call.sinks[SUPERVISOR] = Sink::new(CodecKind::Opus);
    call.run(200);
    assert_eq!(call.sinks[SUPERVISOR].packets, 0);
    assert_eq!(call.sinks[AGENT].packets, 10);
    let stats = call.mixer.input_stats(again).expect("stats");
    assert_eq!((stats.received, stats.rejected), (10, 0));
}
