//! Calls per second through the SBC, against the same load sent SIPp to
//! SIPp directly (the ceiling of the test rig) and through Kamailio as a
//! stateless proxy (the peer), all in one run on one machine.
//!
//! For each offered rate (BENCH_CPS_RATES, default "500,2000") and each
//! set-up, SIPp's built-in `uac` places calls (`-d 0`: INVITE, 200, ACK,
//! BYE, 200) for BENCH_CPS_SECONDS (default 10) to the built-in `uas`, and
//! the table shows the calls attempted, succeeded and failed and the CPU
//! time the middle box consumed (user + system, from /proc, over all its
//! threads; for Kamailio over its main process and workers) from the first
//! call to one second after the last, per successful call.
//!
//! Run: `cargo bench --bench calls_per_second` (the bench profile builds
//! the daemon optimized, like --release). Kamailio runs
//! benches/kamailio/stateless.cfg with one UDP worker; without kamailio
//! installed its rows are skipped.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::kamailio::{self, Kamailio};
use support::{proc, scenarios, SbcConfig, SbcProcess, SippResult};

/// What one set-up did at one rate.
struct Row {
    setup: &'static str,
    rate: u64,
    uac: SippResult,
    wall: Duration,
    /// CPU time of the middle box; `None` for the direct set-up.
    cpu: Option<Duration>,
}

impl Row {
    fn attempted(&self) -> u64 {
        self.uac.successful + self.uac.failed
    }

    fn cpu_us_per_call(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.uac.successful > 0).then(|| cpu.as_secs_f64() * 1e6 / self.uac.successful as f64)
    }
}

/// Settings from the environment.
struct Settings {
    rates: Vec<u64>,
    seconds: u64,
}

fn settings() -> Settings {
    let rates = std::env::var("BENCH_CPS_RATES").unwrap_or_else(|_| "500,2000".into());
    let rates = rates
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .filter(|r| *r > 0)
        .collect();
    let seconds = std::env::var("BENCH_CPS_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|s| *s > 0)
        .unwrap_or(10);
    Settings { rates, seconds }
}

/// Runs the UAC against `target` while `cpu` reads the middle box.
fn run_load(
    setup: &'static str,
    rate: u64,
    seconds: u64,
    uas: support::SippChild,
    target: SocketAddr,
    cpu: impl Fn() -> Option<Duration>,
) -> Row {
    let calls = rate * seconds;
    let uac = scenarios::basic_uac(target, calls, rate)
        .label(setup)
        .limit(rate * 5)
        .timeout(Duration::from_secs(seconds + 60));
    let cpu_before = cpu();
    let started = Instant::now();
    let uac = uac.run();
    let wall = started.elapsed();
    // Let the middle box finish the last transactions it was handling.
    std::thread::sleep(Duration::from_secs(1));
    let cpu_used = match (cpu_before, cpu()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    let _ = uas.finish(Duration::from_secs(6));
    Row {
        setup,
        rate,
        uac,
        wall,
        cpu: cpu_used,
    }
}

fn uas_for(rate: u64, seconds: u64) -> support::SippChild {
    scenarios::basic_uas(rate * seconds)
        .label("uas")
        .timeout(Duration::from_secs(seconds + 70))
        .spawn()
}

fn direct(rate: u64, seconds: u64) -> Row {
    let uas = uas_for(rate, seconds);
    let target = uas.sip_addr();
    run_load("direct", rate, seconds, uas, target, || None)
}

fn through_sbc(rate: u64, seconds: u64) -> Row {
    let uas = uas_for(rate, seconds);
    let config = SbcConfig::new(uas.sip_addr());
    let sbc = SbcProcess::start_with(|dir| config.to_toml(dir));
    let pid = sbc.pid();
    let row = run_load("sbc", rate, seconds, uas, sbc.sip_udp(), || {
        proc::cpu_time(pid)
    });
    if row.uac.failed > 0 {
        eprintln!("sbc log (tail):\n{}", support::tail(&sbc.stderr(), 2000));
    }
    row
}

fn through_kamailio(rate: u64, seconds: u64) -> Option<Row> {
    let uas = uas_for(rate, seconds);
    let kam = match Kamailio::start(uas.sip_addr()) {
        Ok(kam) => kam,
        Err(e) => {
            eprintln!("kamailio row skipped: {e}");
            return None;
        }
    };
    let row = run_load("kamailio", rate, seconds, uas, kam.addr(), || {
        Some(kam.cpu_time())
    });
    if row.uac.failed > 0 {
        eprintln!("kamailio log (tail):\n{}", support::tail(&kam.log(), 2000));
    }
    Some(row)
}

/// Runs one row; a failure (the panic message is already on stderr) drops
/// that row instead of the whole table.
fn guarded(setup: &str, row: impl FnOnce() -> Option<Row>) -> Option<Row> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(row)) {
        Ok(row) => row,
        Err(_) => {
            eprintln!("{setup} row failed; see the message above");
            None
        }
    }
}

fn fmt_opt(value: Option<f64>, precision: usize) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.precision$}"))
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<9} {:>9} {:>9} {:>9} {:>7} {:>10} {:>7} {:>12} {:>12} {:>12}",
        "setup",
        "offered/s",
        "attempted",
        "succeeded",
        "failed",
        "achieved/s",
        "wall s",
        "middle CPU s",
        "CPU us/call",
        "vs kamailio"
    );
    for row in rows {
        let kamailio = rows
            .iter()
            .find(|r| r.setup == "kamailio" && r.rate == row.rate)
            .and_then(Row::cpu_us_per_call);
        let ratio = match (row.cpu_us_per_call(), kamailio) {
            (Some(mine), Some(peer)) if peer > 0.0 => Some(mine / peer),
            _ => None,
        };
        let achieved = row.uac.successful as f64 / row.wall.as_secs_f64().max(1e-9);
        println!(
            "{:<9} {:>9} {:>9} {:>9} {:>7} {:>10.0} {:>7.1} {:>12} {:>12} {:>12}",
            row.setup,
            row.rate,
            row.attempted(),
            row.uac.successful,
            row.uac.failed,
            achieved,
            row.wall.as_secs_f64(),
            fmt_opt(row.cpu.map(|c| c.as_secs_f64()), 2),
            fmt_opt(row.cpu_us_per_call(), 1),
            fmt_opt(ratio, 2),
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this
    // with other arguments: do nothing then, a load test is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    support::require_sipp();
    let Settings { rates, seconds } = settings();
    let binary = support::sbc::sbc_binary();
    println!("calls_per_second: SIPp uac -> middle box -> SIPp uas on 127.0.0.1, -d 0");
    println!(
        "rates {rates:?} calls/s, {seconds} s each; sbc binary {}",
        binary.display()
    );
    if !binary.to_string_lossy().contains("/release/") {
        println!("WARNING: the sbc binary is not an optimized build; its numbers mean little");
    }
    let has_kamailio = support::on_path("kamailio");
    if has_kamailio {
        println!(
            "kamailio: stateless forward(), children=1, -DD, CPU summed over all its \
             processes ({})",
            kamailio::config_path().display()
        );
    } else {
        println!("kamailio not installed: skipping its rows");
    }
    let mut rows = Vec::new();
    for &rate in &rates {
        rows.extend(guarded("direct", || Some(direct(rate, seconds))));
        rows.extend(guarded("sbc", || Some(through_sbc(rate, seconds))));
        if has_kamailio {
            rows.extend(guarded("kamailio", || through_kamailio(rate, seconds)));
        }
    }
    print_table(&rows);
    println!(
        "\nCPU is user+system time of the middle box from the first call to 1 s after the \
         last; us/call divides it by the successful calls."
    );
}
