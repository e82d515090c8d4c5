//! Relay-worker CPU per call: N calls in one mode on a one-worker engine, every phone
//! sending a 20 ms PCMU frame in real time (one paced sender thread for all, one
//! send per phone per tick), a receiver thread that only drains. After a warm-up the
//! worker thread's CPU time (`/proc/self/task/<tid>/schedstat`, found by its name) is
//! read across a fixed window. Customer 500 Hz, agent 1000 Hz, supervisor 1700 Hz: the
//! mixer decodes and mixes real audio, though its cost does not depend on content.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::procfs;
use crate::receiver;
use crate::rig::{self, BenchCall, Mode, BURST_HZ, WORKER_PREFIX};

const FRAME: Duration = Duration::from_millis(20);

pub struct CpuResult {
    pub mode: Mode,
    pub calls: usize,
    /// Worker CPU over the window.
    pub cpu_ns: u64,
    pub seconds: f64,
    pub sent: u64,
    pub received: u64,
    pub drops: String,
}

impl CpuResult {
    /// Share of one core the worker used.
    pub fn share(&self) -> f64 {
        self.cpu_ns as f64 / 1e9 / self.seconds
    }
    /// Worker CPU µs per call per second of call.
    pub fn us_per_call_s(&self) -> f64 {
        self.share() * 1e6 / self.calls as f64
    }
    /// Calls one core could serve at this cost per call.
    pub fn calls_per_core(&self) -> f64 {
        self.calls as f64 / self.share().max(1e-12)
    }
    /// Phones per call: each sends 50 pps and gets a mix or a relayed stream back.
    fn phones(&self) -> f64 {
        match self.mode {
            Mode::Relay => 2.0,
            Mode::Whisper | Mode::Barge => 3.0,
        }
    }
    /// Packets sent over the window as a share of real time (pacing kept up).
    pub fn offered(&self) -> f64 {
        self.sent as f64 / (self.phones() * 50.0 * self.calls as f64 * self.seconds)
    }
    /// Packets received as a share of what the mode should deliver.
    pub fn delivered(&self) -> f64 {
        self.received as f64 / (self.phones() * 50.0 * self.calls as f64 * self.seconds)
    }
}

/// Every phone of every call sends a frame each 20 ms until `stop`.
fn pace(calls: &mut [BenchCall], stop: &AtomicBool, sent: &AtomicU64) {
    let payloads = [
        rig::payload(Some(500.0)),
        rig::payload(Some(1000.0)),
        rig::payload(Some(BURST_HZ)),
    ];
    let t0 = Instant::now();
    let mut tick = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let due = t0 + FRAME * tick;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let mut n = 0;
        for call in calls.iter_mut() {
            for (phone, payload) in call.phones.iter_mut().zip(&payloads) {
                n += u64::from(phone.send(payload));
            }
        }
        sent.fetch_add(n, Ordering::Relaxed);
        tick += 1;
    }
}

/// Measures `calls` calls in `mode` for `seconds` after `warmup`.
pub fn run(
    ports: (u16, u16),
    mode: Mode,
    calls: usize,
    warmup: Duration,
    seconds: Duration,
) -> Result<CpuResult> {
    let engine = rig::engine(ports)?;
    let mut bench_calls = (0..calls)
        .map(|i| rig::add_call(&engine, i as u64 + 1, mode))
        .collect::<Result<Vec<_>>>()?;
    engine.sync().map_err(|e| anyhow!("media sync: {e}"))?;
    let (_, workers) = procfs::named_threads_cpu_ns(WORKER_PREFIX)?;
    if workers != 1 {
        bail!("expected one {WORKER_PREFIX}* thread, found {workers}");
    }
    let socks: Vec<UdpSocket> = bench_calls
        .iter()
        .flat_map(|c| c.phones.iter().map(|p| p.sock.try_clone()))
        .collect::<std::io::Result<_>>()
        .context("cloning phone sockets")?;
    let refs: Vec<&UdpSocket> = socks.iter().collect();
    let measure = vec![false; refs.len()];
    let stop = AtomicBool::new(false);
    let (sent, received) = (AtomicU64::new(0), AtomicU64::new(0));
    let window = std::thread::scope(|s| {
        let rx = std::thread::Builder::new()
            .name("bench-rx".into())
            .spawn_scoped(s, || receiver::run(&refs, &measure, &stop, &received))?;
        let tx = std::thread::Builder::new()
            .name("bench-tx".into())
            .spawn_scoped(s, || pace(&mut bench_calls, &stop, &sent))?;
        std::thread::sleep(warmup);
        let start = (
            Instant::now(),
            procfs::named_threads_cpu_ns(WORKER_PREFIX),
            sent.load(Ordering::Relaxed),
            received.load(Ordering::Relaxed),
        );
        std::thread::sleep(seconds);
        let end = (
            Instant::now(),
            procfs::named_threads_cpu_ns(WORKER_PREFIX),
            sent.load(Ordering::Relaxed),
            received.load(Ordering::Relaxed),
        );
        stop.store(true, Ordering::Relaxed);
        let joined = tx.join().is_ok() & rx.join().is_ok();
        if !joined {
            bail!("a phone thread panicked");
        }
        Ok::<_, anyhow::Error>((start, end))
    })?;
    let ((t0, cpu0, s0, r0), (t1, cpu1, s1, r1)) = window;
    let result = CpuResult {
        mode,
        calls,
        cpu_ns: cpu1?.0.saturating_sub(cpu0?.0),
        seconds: t1.duration_since(t0).as_secs_f64(),
        sent: s1 - s0,
        received: r1 - r0,
        drops: rig::drops(&engine),
    };
    engine.shutdown();
    Ok(result)
}
