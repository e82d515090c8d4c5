//! Media relay load benchmark: packets/s per relay core, CPU per packet, loss and added
//! latency, for a raw `recvmmsg`/`sendmmsg` forwarder (the ceiling), the SBC's
//! `MediaEngine` (one worker, deferred wake-ups like the daemon) with plain RTP,
//! RTP->SRTP and SRTP->SRTP (AES-CM-80 and AES-128-GCM, independent per-stream keys per
//! leg), and rtpengine in userspace mode (the peer, if installed; plain and RTP->SRTP by
//! SDES: for SRTP on both legs it passes SRTP through instead of re-encrypting), all in
//! one run and printed as one table.
//!
//! Knobs: BENCH_RELAY_STREAMS="100,1000,5000", BENCH_RELAY_SECONDS=1 (per step),
//! BENCH_RELAY_PORTS="4000-29999" (relay port range; the SBC and rtpengine never run
//! at the same time), BENCH_RELAY_BUDGET=600 (seconds; later rows are skipped, not run
//! half-way), BENCH_RELAY_ROWS="direct,forwarder,sbc,rtpengine" (row name prefixes;
//! "loopback" adds the generator->sink SRTP floor with no relay),
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
#[path = "media_relay/sdes.rs"]
mod sdes;
#[path = "media_relay/sink.rs"]
mod sink;
#[path = "media_relay/srtp.rs"]
mod srtp;

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use loadgen::{bind_loopback, Generator, LOADGEN_BUFFER};
use measure::{RowResult, Runner};
use relay::Relay;
use sink::Sink;
use srtp::{SrtpPlan, StreamContexts};

/// The relays under test, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Direct,
    /// Generator -> sink with SRTP-GCM and no relay: the most the pair can move.
    LoopbackSrtp,
    Forwarder,
    Sbc,
    SbcRtpSrtp,
    SbcSrtpCm,
    SbcSrtpGcm,
    RtpEngine,
    /// Only RTP->SRTP: given SDES on both legs, rtpengine copies the caller's keys to
    /// the callee and forwards SRTP untouched ("SRTP passthrough"), which is not the
    /// decrypt + re-encrypt with independent keys the SBC rows measure.
    RtpEngineRtpSrtp,
}

impl Row {
    const ALL: [Row; 9] = [
        Row::Direct,
        Row::LoopbackSrtp,
        Row::Forwarder,
        Row::Sbc,
        Row::SbcRtpSrtp,
        Row::SbcSrtpCm,
        Row::SbcSrtpGcm,
        Row::RtpEngine,
        Row::RtpEngineRtpSrtp,
    ];

    fn name(self) -> &'static str {
        match self {
            Row::Direct => "direct (no relay)",
            Row::LoopbackSrtp => "loopback SRTP GCM",
            Row::Forwarder => "forwarder mmsg",
            Row::Sbc => report::SBC,
            Row::SbcRtpSrtp => report::SBC_RTP_SRTP,
            Row::SbcSrtpCm => report::SBC_SRTP_CM,
            Row::SbcSrtpGcm => report::SBC_SRTP_GCM,
            Row::RtpEngine => report::RTPENGINE,
            Row::RtpEngineRtpSrtp => report::RTPENGINE_RTP_SRTP,
        }
    }

    /// The SRTP legs of the row; `None` for plain RTP.
    fn srtp(self) -> Option<SrtpPlan> {
        match self {
            Row::SbcRtpSrtp | Row::RtpEngineRtpSrtp => Some(SrtpPlan::RTP_TO_SRTP),
            Row::SbcSrtpCm => Some(SrtpPlan::CM),
            Row::SbcSrtpGcm | Row::LoopbackSrtp => Some(SrtpPlan::GCM),
            Row::Direct | Row::Forwarder | Row::Sbc | Row::RtpEngine => None,
        }
    }

    /// Sockets the relay opens per stream (for the open-files check).
    fn fds_per_stream(self) -> usize {
        match self {
            Row::Direct | Row::LoopbackSrtp => 0,
            Row::Forwarder => 2,
            // RTP + RTCP on each of the two legs.
            _ => 4,
        }
    }

    fn is_rtpengine(self) -> bool {
        matches!(self, Row::RtpEngine | Row::RtpEngineRtpSrtp)
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
    let budget: u64 = var("BENCH_RELAY_BUDGET", "600")
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
/// and rtpengine (our child) inherits the limit too. Returns the soft limit now in force.
fn raise_nofile_limit() -> u64 {
    const WANTED_NOFILE: libc::rlim_t = 65_536;
    // SAFETY: getrlimit/setrlimit only read/write the struct passed.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        // Raising the hard limit needs CAP_SYS_RESOURCE; otherwise settle for it.
        let wanted = libc::rlimit {
            rlim_cur: WANTED_NOFILE.max(lim.rlim_max),
            rlim_max: WANTED_NOFILE.max(lim.rlim_max),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
            return wanted.rlim_cur;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        lim.rlim_cur
    }
}

/// Descriptors the process needs besides the relay's sockets (sink, generator,
/// epoll, mio, eventfds, stdio, rtpengine's own files).
const FD_RESERVE: usize = 64;

fn run() -> Result<()> {
    let cfg = config()?;
    let nofile = raise_nofile_limit();
    // The generator -> sink SRTP path on its own, before any relay is involved.
    for plan in [SrtpPlan::RTP_TO_SRTP, SrtpPlan::CM, SrtpPlan::GCM] {
        srtp::self_check(plan).with_context(|| format!("SRTP self-check {plan:?}"))?;
    }
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
        for row in Row::ALL {
            if !cfg.rows.iter().any(|r| row.name().starts_with(r.as_str())) {
                continue;
            }
            if row.is_rtpengine() && !have_rtpengine {
                continue;
            }
            let fds = row.fds_per_stream() * streams + FD_RESERVE;
            if fds as u64 > nofile {
                notes.push(format!(
                    "skipped {} x {streams}: needs ~{fds} open files, RLIMIT_NOFILE is {nofile} \
                     (the hard limit; raising it needs CAP_SYS_RESOURCE)",
                    row.name()
                ));
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
            let log = log_path.join(format!("rtpengine-{streams}-{row:?}.log"));
            match run_row(&mut runner, &cfg, row, streams, &log) {
                Ok(r) => {
                    if let Some(e) = r.srtp_errors.filter(|e| e.auth + e.other > 0) {
                        notes.push(format!(
                            "FAILED {} x {streams}: the sink could not unprotect {} packets \
                             ({} authentication failures)",
                            row.name(),
                            e.auth + e.other,
                            e.auth
                        ));
                    }
                    results.push(r);
                }
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
    let plan = row.srtp();
    let relay: Box<dyn Relay> = match row {
        Row::Direct | Row::LoopbackSrtp => Box::new(relay::Direct::new(streams, sink)),
        Row::Forwarder => Box::new(forwarder::Forwarder::start(streams, sink)?),
        Row::Sbc | Row::SbcRtpSrtp | Row::SbcSrtpCm | Row::SbcSrtpGcm => Box::new(
            sbc_engine::SbcEngine::start(streams, source, sink, cfg.ports, plan)?,
        ),
        Row::RtpEngine | Row::RtpEngineRtpSrtp => Box::new(rtpengine::RtpEngine::start(
            streams, source, sink, cfg.ports, log, plan,
        )?),
    };
    // Built after the relay so they are not in its RSS per stream.
    let (gen_ctxs, sink_ctxs) = match plan {
        None => (None, None),
        // No relay: the generator protects with the keys the sink expects.
        Some(p) if row == Row::LoopbackSrtp => (p.sink(streams)?, p.sink(streams)?),
        // A relay that chose its own keys towards the sink (rtpengine's SDES).
        Some(p) => match relay.sink_keys() {
            Some(keys) => (
                p.generator(streams)?,
                Some(StreamContexts::from_keys(keys)?),
            ),
            None => (p.generator(streams)?, p.sink(streams)?),
        },
    };
    let mut gen = Generator::new(gen_sock, relay.ingress(), gen_ctxs)?;
    runner.sink.set_srtp(sink_ctxs);
    let result = runner.row(row.name(), streams, &mut gen, relay.as_ref());
    runner.sink.set_srtp(None);
    result
}
