//! Media relay load benchmark (plain RTP): packets/s per relay core, CPU per packet,
//! loss and added latency, for a raw `recvmmsg`/`sendmmsg` forwarder (the ceiling), the
//! SBC's `MediaEngine` (one worker, deferred wake-ups like the daemon) and rtpengine in
//! userspace mode (the peer, if installed), all in one run and printed as one table.
//!
//! Knobs: BENCH_RELAY_STREAMS="100,1000,5000", BENCH_RELAY_SECONDS=1 (per step),
//! BENCH_RELAY_PORTS="4000-29999" (relay port range; the SBC and rtpengine never run
//! at the same time), BENCH_RELAY_BUDGET=200 (seconds; later rows are skipped, not run
//! half-way), BENCH_RELAY_ROWS="direct,forwarder,sbc,rtpengine" (row name prefixes),
//! BENCH_RELAY_LOG_DIR (keep rtpengine's logs there). Run: `cargo bench --bench media_relay`.

#[path = "media_relay/bencode.rs"]
mod bencode;
#[path = "media_relay/forwarder.rs"]
mod forwarder;
#[path = "media_relay/loadgen.rs"]
mod loadgen;
#[path = "media_relay/measure.rs"]
mod measure;
#[path = "media_relay/procfs.rs"]
mod procfs;
#[path = "media_relay/relay.rs"]
mod relay;
#[path = "media_relay/report.rs"]
mod report;
#[path = "media_relay/rtpengine.rs"]
mod rtpengine;
#[path = "media_relay/sbc_engine.rs"]
mod sbc_engine;

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use loadgen::{bind_loopback, Generator, Sink, LOADGEN_BUFFER};
use measure::{RowResult, Runner};
use relay::Relay;

/// The relays under test, in table order. SRTP rows become further variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Direct,
    Forwarder,
    Sbc,
    RtpEngine,
}

impl Row {
    fn name(self) -> &'static str {
        match self {
            Row::Direct => "direct (no relay)",
            Row::Forwarder => "forwarder mmsg",
            Row::Sbc => "sbc MediaEngine",
            Row::RtpEngine => "rtpengine user",
        }
    }
}

struct Config {
    streams: Vec<usize>,
    seconds: f64,
    ports: (u16, u16),
    budget: Duration,
    /// Row name prefixes to run (BENCH_RELAY_ROWS="direct,forwarder,sbc,rtpengine").
    rows: Vec<String>,
}

fn config() -> Result<Config> {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let streams = var("BENCH_RELAY_STREAMS", "100,1000,5000")
        .split(',')
        .map(|s| s.trim().parse::<usize>().context("BENCH_RELAY_STREAMS"))
        .collect::<Result<Vec<_>>>()?;
    if streams.contains(&0) {
        bail!("BENCH_RELAY_STREAMS: a stream count must be > 0");
    }
    let seconds: f64 = var("BENCH_RELAY_SECONDS", "1")
        .parse()
        .context("BENCH_RELAY_SECONDS")?;
    if !(0.1..=60.0).contains(&seconds) {
        bail!("BENCH_RELAY_SECONDS must be within 0.1..=60");
    }
    let ports = var("BENCH_RELAY_PORTS", "4000-29999");
    let (lo, hi) = ports
        .split_once('-')
        .context("BENCH_RELAY_PORTS is MIN-MAX")?;
    let budget: u64 = var("BENCH_RELAY_BUDGET", "200")
        .parse()
        .context("BENCH_RELAY_BUDGET")?;
    Ok(Config {
        streams,
        seconds,
        ports: (lo.trim().parse()?, hi.trim().parse()?),
        budget: Duration::from_secs(budget),
        rows: var("BENCH_RELAY_ROWS", "direct,forwarder,sbc,rtpengine")
            .split(',')
            .map(|s| s.trim().to_string())
            .collect(),
    })
}

fn main() {
    if let Err(e) = run() {
        eprintln!("media_relay: {e:#}");
        std::process::exit(1);
    }
}

/// Raises the open-files limit to its hard maximum: 5,000 streams are 20,000 sockets,
/// and rtpengine (our child) inherits the limit too.
fn raise_nofile_limit() {
    const WANTED_NOFILE: libc::rlim_t = 65_536;
    // SAFETY: getrlimit/setrlimit only read/write the struct passed.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            // Root may raise the hard limit too; otherwise settle for the hard limit.
            let wanted = libc::rlimit {
                rlim_cur: WANTED_NOFILE.max(lim.rlim_max),
                rlim_max: WANTED_NOFILE.max(lim.rlim_max),
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) != 0 {
                lim.rlim_cur = lim.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            }
        }
    }
}

fn run() -> Result<()> {
    let cfg = config()?;
    raise_nofile_limit();
    let have_rtpengine = rtpengine::available();
    let sink = Sink::start()?;
    let mut runner = Runner {
        sink: &sink,
        seconds: cfg.seconds,
        next_step: 0,
    };
    let log_dir = tempfile::tempdir()?;
    // BENCH_RELAY_LOG_DIR keeps rtpengine's logs for inspection.
    let log_path = std::env::var("BENCH_RELAY_LOG_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| log_dir.path().to_path_buf());
    let started = Instant::now();
    let mut results: Vec<RowResult> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for &streams in &cfg.streams {
        for row in [Row::Direct, Row::Forwarder, Row::Sbc, Row::RtpEngine] {
            if !cfg.rows.iter().any(|r| row.name().starts_with(r.as_str())) {
                continue;
            }
            if row == Row::RtpEngine && !have_rtpengine {
                continue;
            }
            if started.elapsed() > cfg.budget {
                notes.push(format!(
                    "skipped {} x {streams}: time budget spent",
                    row.name()
                ));
                continue;
            }
            eprintln!("media_relay: {} with {streams} streams ...", row.name());
            let log = log_path.join(format!("rtpengine-{streams}.log"));
            match run_row(&mut runner, &cfg, row, streams, &log) {
                Ok(r) => results.push(r),
                Err(e) => notes.push(format!("{} x {streams} failed: {e:#}", row.name())),
            }
        }
    }
    if !have_rtpengine {
        notes.push(
            "rtpengine not installed (Debian: rtpengine-daemon): its rows are skipped".into(),
        );
    }
    report::print(&results, &notes, cfg.seconds);
    Ok(())
}

/// Sets one relay up, measures it, tears it down (on every path: the relays' `Drop`).
fn run_row(
    runner: &mut Runner<'_>,
    cfg: &Config,
    row: Row,
    streams: usize,
    log: &std::path::Path,
) -> Result<RowResult> {
    let gen_sock = bind_loopback(LOADGEN_BUFFER)?;
    let source = gen_sock.local_addr()?;
    let sink = runner.sink.addr();
    let relay: Box<dyn Relay> = match row {
        Row::Direct => Box::new(relay::Direct::new(streams, sink)),
        Row::Forwarder => Box::new(forwarder::Forwarder::start(streams, sink)?),
        Row::Sbc => Box::new(sbc_engine::SbcEngine::start(
            streams, source, sink, cfg.ports,
        )?),
        Row::RtpEngine => Box::new(rtpengine::RtpEngine::start(
            streams, source, sink, cfg.ports, log,
        )?),
    };
    let mut gen = Generator::new(gen_sock, relay.ingress())?;
    runner.row(row.name(), streams, &mut gen, relay.as_ref())
}
