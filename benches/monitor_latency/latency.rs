//! Tone-onset latency through the SBC: relay (customer -> agent, the floor), whisper
//! (supervisor -> agent) and barge (supervisor -> agent and -> customer).
//!
//! Every call's phones send a frame each 20 ms in real time (one paced sender thread
//! for all). The burster (the customer in relay calls, the supervisor in monitored
//! ones) sends silence, then 200 ms of 1700 Hz, then 200-400 ms of silence, again and
//! again; everyone else sends silence. The latency of a burst is the arrival of the
//! first frame at the listener whose 1700 Hz amplitude reaches half of that burst's
//! steady level, minus the send instant of the burst's first tone packet. The mixer
//! ticks on its own 20 ms clock, so where a call's packets fall in the tick matters.
//! Steady calls keep one random send phase in [0, 20 ms) for the whole run, as a
//! phone on a clean network does: the phase is sampled across calls. Jittered calls
//! (`reshuffle`) draw a new phase a few frames before each burst, in silence: one
//! packet comes up to 20 ms early or late, every phase is sampled within a call, and
//! the mixer's jitter buffer reacts as it does to network jitter. Relay, whisper and
//! barge calls run at the same time on the one worker (several calls per mode, to
//! collect the onsets in seconds); the load is tiny.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;

use crate::receiver::{self, Frame};
use crate::rig::{self, Mode, AGENT, AMPLITUDE, BURST_HZ, CUSTOMER, FRAME_SAMPLES, SUPERVISOR};

const FRAME: Duration = Duration::from_millis(20);
/// Frames of silence before the first burst (mixers and jitter buffers settle).
const LEAD_FRAMES: u64 = 50;
const TONE_FRAMES: u64 = 10;
/// Silence after a burst: 10..=20 frames (200-400 ms).
const GAP_FRAMES: (u64, u64) = (10, 20);
/// Frames before a burst at which the send phase moves.
const PHASE_LEAD: u64 = 5;
/// Frames of silence after the last burst (its tail arrives).
const TAIL_FRAMES: u64 = 15;
/// A burst is heard only if its steady level reaches this share of `AMPLITUDE`.
const MIN_LEVEL: f32 = 0.25;
/// Onset: the first frame at or above this share of the burst's steady level.
const ONSET_SHARE: f32 = 0.5;

/// The paths measured: name, the calls' mode, the listening phone.
const PATHS: [(&str, Mode, usize); 4] = [
    ("relay: customer -> agent", Mode::Relay, AGENT),
    ("whisper: supervisor -> agent", Mode::Whisper, AGENT),
    ("barge: supervisor -> agent", Mode::Barge, AGENT),
    ("barge: supervisor -> customer", Mode::Barge, CUSTOMER),
];

/// One measured path's onsets.
pub struct PathResult {
    pub name: &'static str,
    pub hist: Histogram<u64>,
    pub bursts: usize,
    /// Bursts the listener never heard (or heard too faintly).
    pub missed: usize,
    /// Bursts whose onset could not be told from the previous burst's tail.
    pub ambiguous: usize,
}

pub struct LatencyRun {
    pub paths: Vec<PathResult>,
    /// Whisper: bursts the customer heard (it must hear none).
    pub whisper_leaks: usize,
    pub calls_per_mode: usize,
    pub seconds: f64,
    pub drops: String,
}

/// Small deterministic generator for burst gaps and phases (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The paced send side of one call.
struct Talker {
    call: rig::BenchCall,
    burster: usize,
    /// First frame of each burst.
    bursts: Vec<u64>,
    /// Send instant of each burst's first tone packet.
    sent: Vec<Instant>,
    frame: u64,
    last_frame: u64,
    phase: Duration,
    /// Draw a new phase before each burst (else keep the call's first one).
    reshuffle: bool,
    rng: Rng,
}

impl Talker {
    fn new(call: rig::BenchCall, mode: Mode, bursts: usize, seed: u64, reshuffle: bool) -> Talker {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut at = LEAD_FRAMES + rng.range(0, GAP_FRAMES.1);
        let mut starts = Vec::with_capacity(bursts);
        for _ in 0..bursts {
            starts.push(at);
            at += TONE_FRAMES + rng.range(GAP_FRAMES.0, GAP_FRAMES.1);
        }
        Talker {
            call,
            burster: if mode == Mode::Relay {
                CUSTOMER
            } else {
                SUPERVISOR
            },
            last_frame: at + TAIL_FRAMES,
            bursts: starts,
            sent: Vec::with_capacity(bursts),
            frame: 0,
            phase: Duration::from_micros(rng.range(0, 19_999)),
            reshuffle,
            rng,
        }
    }

    fn due(&self, t0: Instant) -> Instant {
        t0 + FRAME * self.frame as u32 + self.phase
    }

    fn done(&self) -> bool {
        self.frame > self.last_frame
    }

    /// Sends this frame on every phone, the burster first; returns refused sends.
    fn send(&mut self, tone: &[u8; FRAME_SAMPLES], silence: &[u8; FRAME_SAMPLES]) -> u64 {
        let f = self.frame;
        let next = self.bursts.get(self.sent.len()).copied();
        let in_tone = (self.sent.len().checked_sub(1))
            .map(|k| self.bursts[k])
            .is_some_and(|b| (b..b + TONE_FRAMES).contains(&f));
        let mut refused = 0;
        if next == Some(f) {
            self.sent.push(Instant::now());
            refused += u64::from(!self.call.phones[self.burster].send(tone));
        } else {
            let p = if in_tone { tone } else { silence };
            refused += u64::from(!self.call.phones[self.burster].send(p));
        }
        for (i, phone) in self.call.phones.iter_mut().enumerate() {
            if i != self.burster {
                refused += u64::from(!phone.send(silence));
            }
        }
        self.frame += 1;
        // Move to a new phase a few frames ahead of the next burst, in silence.
        if let Some(b) = self.bursts.get(self.sent.len()) {
            if self.reshuffle && self.frame + PHASE_LEAD == *b {
                self.phase = Duration::from_micros(self.rng.range(0, 19_999));
            }
        }
        refused
    }
}

/// Sends every call's frames on schedule until all are done; returns refused sends.
fn pace(talkers: &mut [Talker]) -> u64 {
    let tone = rig::payload(Some(BURST_HZ));
    let silence = rig::payload(None);
    let t0 = Instant::now() + FRAME;
    let mut refused = 0;
    loop {
        let now = Instant::now();
        let mut earliest: Option<Instant> = None;
        for t in talkers.iter_mut().filter(|t| !t.done()) {
            if t.due(t0) <= now {
                refused += t.send(&tone, &silence);
            }
            if !t.done() {
                let due = t.due(t0);
                earliest = Some(earliest.map_or(due, |e| e.min(due)));
            }
        }
        let Some(next) = earliest else {
            return refused;
        };
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
    }
}

/// Latency of each burst heard in `frames` (µs into `hist`); (missed, ambiguous).
fn measure_onsets(sent: &[Instant], frames: &[Frame], hist: &mut Histogram<u64>) -> (usize, usize) {
    let (mut missed, mut ambiguous) = (0, 0);
    for (k, &t) in sent.iter().enumerate() {
        let end = sent
            .get(k + 1)
            .copied()
            .unwrap_or(t + Duration::from_secs(1));
        let from = frames.partition_point(|f| f.at < t);
        let to = frames.partition_point(|f| f.at < end);
        let window = &frames[from..to];
        let steady = window.iter().map(|f| f.level).fold(0.0f32, f32::max);
        if steady < MIN_LEVEL * AMPLITUDE as f32 {
            missed += 1;
            continue;
        }
        let threshold = ONSET_SHARE * steady;
        // The previous burst still sounding when this one starts: no clean onset.
        let before = frames.partition_point(|f| f.at < t - 3 * FRAME);
        if frames[before..from].iter().any(|f| f.level >= threshold) {
            ambiguous += 1;
            continue;
        }
        if let Some(onset) = window.iter().find(|f| f.level >= threshold) {
            let us = onset.at.duration_since(t).as_micros() as u64;
            hist.record(us.max(1)).ok();
        }
    }
    (missed, ambiguous)
}

/// Bursts in `sent` during which `frames` carried the tone at all.
fn heard(sent: &[Instant], frames: &[Frame]) -> usize {
    let floor = MIN_LEVEL * AMPLITUDE as f32;
    sent.iter()
        .enumerate()
        .filter(|&(k, &t)| {
            let end = sent
                .get(k + 1)
                .copied()
                .unwrap_or(t + Duration::from_secs(1));
            frames
                .iter()
                .any(|f| f.at >= t && f.at < end && f.level >= floor)
        })
        .count()
}

/// Runs relay, whisper and barge calls side by side until each path has `onsets`.
pub fn run(
    ports: (u16, u16),
    onsets: usize,
    calls_per_mode: usize,
    reshuffle: bool,
) -> Result<LatencyRun> {
    let engine = rig::engine(ports)?;
    let bursts = onsets.div_ceil(calls_per_mode);
    let modes = [Mode::Relay, Mode::Whisper, Mode::Barge];
    let mut talkers = Vec::new();
    let mut call_modes = Vec::new();
    for mode in modes {
        for _ in 0..calls_per_mode {
            let n = talkers.len() as u64 + 1;
            let call = rig::add_call(&engine, n, mode)?;
            talkers.push(Talker::new(call, mode, bursts, n, reshuffle));
            call_modes.push(mode);
        }
    }
    engine
        .sync()
        .map_err(|e| anyhow::anyhow!("media sync: {e}"))?;
    // Listen on the agent and customer of every call; supervisors are only drained.
    let mut socks_meta: Vec<(usize, usize)> = Vec::new();
    for (c, t) in talkers.iter().enumerate() {
        for p in 0..t.call.phones.len() {
            socks_meta.push((c, p));
        }
    }
    let measure: Vec<bool> = socks_meta.iter().map(|&(_, p)| p != SUPERVISOR).collect();
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let (heard_all, refused) = {
        // The receiver borrows duplicated handles; the sender owns the phones.
        let socks: Vec<UdpSocket> = socks_meta
            .iter()
            .map(|&(c, p)| talkers[c].call.phones[p].sock.try_clone())
            .collect::<std::io::Result<_>>()
            .context("cloning phone sockets")?;
        let refs: Vec<&UdpSocket> = socks.iter().collect();
        std::thread::scope(|s| {
            let rx = std::thread::Builder::new()
                .name("bench-rx".into())
                .spawn_scoped(s, || receiver::run(&refs, &measure, &stop, &count))?;
            let refused = pace(&mut talkers);
            // What is still in flight (jitter buffer + a tick) reaches the phones.
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
            let heard = rx
                .join()
                .map_err(|_| anyhow::anyhow!("receiver panicked"))?;
            Ok::<_, anyhow::Error>((heard, refused))
        })?
    };
    let seconds = started.elapsed().as_secs_f64();
    let mut drops = rig::drops(&engine);
    if refused > 0 {
        let sep = if drops.is_empty() { "" } else { "; " };
        drops.push_str(&format!("{sep}{refused} sends refused by the kernel"));
    }
    engine.shutdown();
    let mut paths: Vec<PathResult> = PATHS
        .iter()
        .map(|&(name, _, _)| PathResult {
            name,
            hist: Histogram::new_with_bounds(1, 10_000_000, 3).expect("valid bounds"),
            bursts: 0,
            missed: 0,
            ambiguous: 0,
        })
        .collect();
    let mut whisper_leaks = 0;
    for (i, &(c, p)) in socks_meta.iter().enumerate() {
        let (mode, talker) = (call_modes[c], &talkers[c]);
        let frames = &heard_all[i].frames;
        if (mode, p) == (Mode::Whisper, CUSTOMER) {
            whisper_leaks += heard(&talker.sent, frames);
            continue;
        }
        let Some(path) = PATHS.iter().position(|&(_, m, l)| (m, l) == (mode, p)) else {
            continue;
        };
        let r = &mut paths[path];
        let (missed, ambiguous) = measure_onsets(&talker.sent, frames, &mut r.hist);
        r.bursts += talker.sent.len();
        r.missed += missed;
        r.ambiguous += ambiguous;
    }
    Ok(LatencyRun {
        paths,
        whisper_leaks,
        calls_per_mode,
        seconds,
        drops,
    })
}
