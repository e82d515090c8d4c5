//! Monitoring through the real relay workers: the latency whisper and barge add to a
//! supervisor's voice (tone onset sent by the supervisor's phone to tone onset
//! received by the agent's or customer's phone, p50/p90/p99/max; target p99 <= 40 ms)
//! against the plain relay's floor measured the same way in the same run, then the
//! relay worker's CPU per monitored call and the calls one core can mix, against the
//! same calls relayed without monitoring. Phones are UDP sockets on 127.0.0.1 sending
//! PCMU in real time to a one-worker `MediaEngine`. Figures are printed, never
//! asserted.
//!
//! Latency is measured twice: with steady phones (a clean network: each call keeps
//! its packet phase, so what varies is where it falls in the mixer's 20 ms tick,
//! sampled across calls) and with jittered phones (before each burst the packets step by
//! up to 20 ms, which the mixer's adaptive jitter buffer answers by holding more).
//!
//! Knobs: BENCH_ONSETS=200 (per measured path and run), BENCH_STEADY_CALLS=20 and
//! BENCH_JITTER_CALLS=5 (calls per mode bursting side by side in each run; fewer
//! calls take longer), BENCH_MONITOR_CALLS="20,50,100" (calls per CPU step; "" skips),
//! BENCH_CPU_SECONDS=5 (CPU window per step), BENCH_CPU_MODES="relay,barge,whisper",
//! BENCH_MONITOR_PORTS="20000-31999" (the SBC's range, below the ephemeral ports the
//! phones bind). Run: `cargo bench --bench monitor_latency` (~95 s).

#[path = "monitor_latency/cpu.rs"]
mod cpu;
#[path = "monitor_latency/latency.rs"]
mod latency;
// Shared with the media relay bench; this one reads thread CPU only.
#[allow(dead_code)]
#[path = "media_relay/procfs.rs"]
mod procfs;
#[path = "monitor_latency/receiver.rs"]
mod receiver;
#[path = "monitor_latency/rig.rs"]
mod rig;

use std::time::Duration;

use anyhow::{bail, Context, Result};

use cpu::CpuResult;
use latency::LatencyRun;
use rig::Mode;

/// Mouth-to-ear budget of the acceptance criterion (p99), in ms.
const TARGET_P99_MS: f64 = 40.0;
const CPU_WARMUP: Duration = Duration::from_millis(1000);

struct Config {
    onsets: usize,
    /// Calls per mode in the steady and in the jittered latency runs.
    steady_calls: usize,
    jitter_calls: usize,
    cpu_calls: Vec<usize>,
    cpu_seconds: f64,
    cpu_modes: Vec<Mode>,
    ports: (u16, u16),
}

fn config() -> Result<Config> {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let num =
        |k: &str, d: &str| -> Result<usize> { var(k, d).trim().parse().context(k.to_string()) };
    let onsets = num("BENCH_ONSETS", "200")?;
    let steady_calls = num("BENCH_STEADY_CALLS", "20")?;
    let jitter_calls = num("BENCH_JITTER_CALLS", "5")?;
    if onsets == 0 || steady_calls == 0 || jitter_calls == 0 {
        bail!("BENCH_ONSETS, BENCH_STEADY_CALLS and BENCH_JITTER_CALLS must be > 0");
    }
    let cpu_calls = var("BENCH_MONITOR_CALLS", "20,50,100")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<usize>().context("BENCH_MONITOR_CALLS"))
        .collect::<Result<Vec<_>>>()?;
    if cpu_calls.contains(&0) {
        bail!("BENCH_MONITOR_CALLS: a call count must be > 0");
    }
    let cpu_seconds: f64 = var("BENCH_CPU_SECONDS", "5")
        .parse()
        .context("BENCH_CPU_SECONDS")?;
    if !(0.5..=60.0).contains(&cpu_seconds) {
        bail!("BENCH_CPU_SECONDS must be within 0.5..=60");
    }
    let cpu_modes = var("BENCH_CPU_MODES", "relay,barge,whisper")
        .split(',')
        .map(|m| match m.trim() {
            "relay" => Ok(Mode::Relay),
            "barge" => Ok(Mode::Barge),
            "whisper" => Ok(Mode::Whisper),
            other => bail!("BENCH_CPU_MODES: unknown mode {other:?}"),
        })
        .collect::<Result<Vec<_>>>()?;
    let ports = var("BENCH_MONITOR_PORTS", "20000-31999");
    let (lo, hi) = ports
        .split_once('-')
        .context("BENCH_MONITOR_PORTS is MIN-MAX")?;
    Ok(Config {
        onsets,
        steady_calls,
        jitter_calls,
        cpu_calls,
        cpu_seconds,
        cpu_modes,
        ports: (lo.trim().parse()?, hi.trim().parse()?),
    })
}

fn main() {
    if let Err(e) = run() {
        eprintln!("monitor_latency: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cfg = config()?;
    for (calls, jittered) in [(cfg.steady_calls, false), (cfg.jitter_calls, true)] {
        let kind = if jittered { "jittered" } else { "steady" };
        eprintln!(
            "monitor_latency: tone onsets, {kind} phones, {} per path, {calls} calls per mode ...",
            cfg.onsets
        );
        let lat = latency::run(cfg.ports, cfg.onsets, calls, jittered)?;
        print_latency(&lat, jittered);
    }
    let mut rows = Vec::new();
    for &calls in &cfg.cpu_calls {
        for &mode in &cfg.cpu_modes {
            eprintln!("monitor_latency: CPU, {calls} calls in {} ...", mode.name());
            let window = Duration::from_secs_f64(cfg.cpu_seconds);
            rows.push(cpu::run(cfg.ports, mode, calls, CPU_WARMUP, window)?);
        }
    }
    print_cpu(&rows);
    Ok(())
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn print_latency(run: &LatencyRun, jittered: bool) {
    let phones = if jittered {
        "JITTERED phones: the send phase steps by up to 20 ms before each burst"
    } else {
        "STEADY phones: a fixed random phase per call"
    };
    println!();
    println!(
        "Tone onset latency, phone to phone through the SBC, {phones} (1 worker, loopback, \
         PCMU 20 ms; {n} relay + {n} whisper + {n} barge calls at once, {:.0} s)",
        run.seconds,
        n = run.calls_per_mode,
    );
    println!(
        "{:<32} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>7}",
        "path", "onsets", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms", "+p50 ms", "x p50"
    );
    let floor = run.paths.first().map(|p| p.hist.value_at_quantile(0.5));
    for p in &run.paths {
        let h = &p.hist;
        let p50 = h.value_at_quantile(0.5);
        let (added, ratio) = match floor {
            Some(f) if !h.is_empty() && f > 0 => (
                format!("{:.2}", ms(p50) - ms(f)),
                format!("{:.0}", p50 as f64 / f as f64),
            ),
            _ => ("-".into(), "-".into()),
        };
        println!(
            "{:<32} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>10} {:>7}",
            p.name,
            h.len(),
            h.mean() / 1000.0,
            ms(p50),
            ms(h.value_at_quantile(0.9)),
            ms(h.value_at_quantile(0.99)),
            ms(h.max()),
            added,
            ratio
        );
    }
    println!(
        "+p50: added by the mixer (p50 minus the relay's p50); x p50: ratio to the relay's p50."
    );
    for p in run.paths.iter().skip(1) {
        let p99 = ms(p.hist.value_at_quantile(0.99));
        let verdict = if p99 <= TARGET_P99_MS {
            "within"
        } else {
            "OVER"
        };
        println!(
            "  {}: p99 {p99:.2} ms, {verdict} the {TARGET_P99_MS} ms target",
            p.name
        );
    }
    for p in &run.paths {
        if p.missed + p.ambiguous > 0 {
            println!(
                "  note: {}: of {} bursts, {} not heard, {} overlapping the previous one",
                p.name, p.bursts, p.missed, p.ambiguous
            );
        }
    }
    println!(
        "  whisper: the customer heard {} of the supervisor's bursts (must be 0)",
        run.whisper_leaks
    );
    if !run.drops.is_empty() {
        println!("  engine drops: {}", run.drops);
    }
}

fn print_cpu(rows: &[CpuResult]) {
    println!();
    println!("Relay worker CPU per call (1 worker; every phone sends 50 pps of PCMU)");
    println!(
        "{:<8} {:>6} {:>9} {:>12} {:>10} {:>13} {:>8} {:>7} {:>7}",
        "mode", "calls", "core %", "us/call/s", "% / call", "calls / core", "x relay", "tx", "rx"
    );
    for r in rows {
        let relay = rows
            .iter()
            .find(|b| b.mode == Mode::Relay && b.calls == r.calls)
            .map(|b| b.us_per_call_s());
        let ratio = relay
            .filter(|&b| b > 0.0)
            .map_or("-".to_string(), |b| format!("{:.1}", r.us_per_call_s() / b));
        println!(
            "{:<8} {:>6} {:>9.2} {:>12.1} {:>10.4} {:>13.0} {:>8} {:>6.1}% {:>6.1}%",
            r.mode.name(),
            r.calls,
            r.share() * 100.0,
            r.us_per_call_s(),
            r.share() * 100.0 / r.calls as f64,
            r.calls_per_core(),
            ratio,
            r.offered() * 100.0,
            r.delivered() * 100.0
        );
    }
    println!(
        "calls / core = 100% divided by the % per call (worker CPU only, from schedstat); \
         x relay: CPU per call over the plain relay's at the same N; tx / rx: packets the \
         phones sent / received over the real-time rate the mode should carry."
    );
    for r in rows.iter().filter(|r| !r.drops.is_empty()) {
        println!("  drops, {} x {}: {}", r.mode.name(), r.calls, r.drops);
    }
}
