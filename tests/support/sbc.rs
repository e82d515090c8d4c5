//! The `sbc` daemon as a child process: writes its config to a temporary
//! directory, starts it, waits for the `listening ...` lines and `ready` on
//! stdout, and answers where it listens and what its metrics say. `Drop`
//! stops it (SIGTERM, SIGKILL after 3 s) and reaps it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::metrics;

/// How long the daemon may take to print `ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// SIGTERM to SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The daemon binary: `SBC_BIN` if set (e.g. a release build for a debug
/// test run), else the one cargo built for this test or bench.
pub fn sbc_binary() -> PathBuf {
    std::env::var_os("SBC_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sbc")))
}

/// Addresses the daemon reported on stdout.
#[derive(Debug, Clone, Default)]
pub struct Listening {
    pub sip_udp: Option<SocketAddr>,
    pub sip_tcp: Option<SocketAddr>,
    pub metrics: Option<SocketAddr>,
}

impl Listening {
    /// Records one `listening <proto> <transport?> <addr>` line.
    fn record(&mut self, line: &str) -> Result<(), String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let parse = |s: &str| {
            s.parse::<SocketAddr>()
                .map_err(|e| format!("bad address in {line:?}: {e}"))
        };
        match words.as_slice() {
            ["listening", "sip", "udp", addr] => self.sip_udp = Some(parse(addr)?),
            ["listening", "sip", "tcp", addr] => self.sip_tcp = Some(parse(addr)?),
            ["listening", "metrics", addr] => self.metrics = Some(parse(addr)?),
            // Other listeners (TLS, API...) are not used by these tests.
            ["listening", ..] => {}
            _ => return Err(format!("unexpected stdout line before ready: {line:?}")),
        }
        Ok(())
    }
}

/// A running daemon.
pub struct SbcProcess {
    child: Child,
    dir: tempfile::TempDir,
    listening: Listening,
}

impl SbcProcess {
    /// Starts the daemon on `config_toml`.
    pub fn start(config_toml: &str) -> SbcProcess {
        Self::start_with(|_| config_toml.to_owned())
    }

    /// Starts the daemon on the config `make_config` renders for the
    /// daemon's temporary directory (where CDRs and logs go).
    pub fn start_with(make_config: impl FnOnce(&Path) -> String) -> SbcProcess {
        let dir = super::temp_dir("sbc");
        let config_path = dir.path().join("sbc.toml");
        let config = make_config(dir.path());
        std::fs::write(&config_path, &config)
            .unwrap_or_else(|e| panic!("write {}: {e}", config_path.display()));
        let stderr_path = dir.path().join("sbc.stderr");
        let stderr = std::fs::File::create(&stderr_path)
            .unwrap_or_else(|e| panic!("create {}: {e}", stderr_path.display()));
        let binary = sbc_binary();
        let mut child = Command::new(&binary)
            .arg("--config")
            .arg(&config_path)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
        let lines = forward_stdout(&mut child);
        let mut sbc = SbcProcess {
            child,
            dir,
            listening: Listening::default(),
        };
        if let Err(why) = sbc.wait_ready(&lines) {
            let status = super::stop_child(&mut sbc.child, libc::SIGKILL, STOP_GRACE);
            panic!(
                "sbc did not become ready: {why}\nexit status: {status:?}\nconfig:\n{config}\n\
                 --- stderr (tail) ---\n{}",
                super::tail(&super::read_text(&stderr_path), 8000)
            );
        }
        sbc
    }

    fn wait_ready(&mut self, lines: &mpsc::Receiver<String>) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.trim() == "ready" => return Ok(()),
                Ok(line) => self.listening.record(line.trim())?,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("no `ready` within {READY_TIMEOUT:?}"))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("stdout closed before `ready` (daemon exited?)".into())
                }
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The daemon's temporary directory (config, stderr log, CDR file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where [`super::SbcConfig`] puts the CDR file.
    pub fn cdr_path(&self) -> PathBuf {
        self.dir().join("cdr.jsonl")
    }

    /// The daemon's stderr so far (its logs).
    pub fn stderr(&self) -> String {
        super::read_text(&self.dir().join("sbc.stderr"))
    }

    pub fn listening(&self) -> &Listening {
        &self.listening
    }

    pub fn sip_udp(&self) -> SocketAddr {
        self.listening
            .sip_udp
            .unwrap_or_else(|| panic!("sbc reported no `listening sip udp` line"))
    }

    pub fn sip_tcp(&self) -> SocketAddr {
        self.listening
            .sip_tcp
            .unwrap_or_else(|| panic!("sbc reported no `listening sip tcp` line"))
    }

    pub fn metrics(&self) -> SocketAddr {
        self.listening
            .metrics
            .unwrap_or_else(|| panic!("sbc reported no `listening metrics` line"))
    }

    /// The Prometheus text from GET /metrics.
    pub fn fetch_metrics(&self) -> String {
        metrics::fetch(self.metrics()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The value of one series (`name` or `name{label="v"}`); 0 when the
    /// series is not exposed (a labelled counter appears on first use).
    pub fn metric(&self, name_with_labels: &str) -> f64 {
        metrics::lookup(&self.fetch_metrics(), name_with_labels).unwrap_or(0.0)
    }

    /// The sum over every label set of metric `name`.
    pub fn metric_sum(&self, name: &str) -> f64 {
        metrics::sum(&self.fetch_metrics(), name)
    }

    /// Polls the metrics until `done(text)` holds or `timeout` passes;
    /// returns the last text either way (the caller asserts on it).
    pub fn wait_metrics(&self, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        let hit = super::wait_for(timeout, || {
            last = self.fetch_metrics();
            done(&last).then_some(())
        });
        if hit.is_none() {
            last = self.fetch_metrics();
        }
        last
    }

    /// Number of lines in the CDR file (0 if it does not exist yet).
    pub fn cdr_lines(&self) -> usize {
        super::read_text(&self.cdr_path())
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    }

    /// SIGKILL now (no clean shutdown: what was durable stays, nothing else),
    /// and reap; the temporary directory stays until `self` is dropped.
    pub fn kill9(&mut self) -> Option<ExitStatus> {
        super::stop_child(&mut self.child, libc::SIGKILL, STOP_GRACE)
    }

    /// SIGTERM and wait (3 s, then SIGKILL); the exit status, if reaped.
    pub fn stop(mut self) -> Option<ExitStatus> {
        super::stop_child(&mut self.child, libc::SIGTERM, STOP_GRACE)
    }
}

impl Drop for SbcProcess {
    fn drop(&mut self) {
        super::stop_child(&mut self.child, libc::SIGTERM, STOP_GRACE);
    }
}

/// Moves stdout lines to a channel from a thread, which keeps draining
/// after `ready` so the daemon never blocks on a full pipe.
fn forward_stdout(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The receiver is gone after ready; keep draining anyway.
                let _ = tx.send(line);
            }
        });
    }
    rx
}
