//! SIPp as a child process. Builds the command line (everything pinned to
//! 127.0.0.1, free ports, statistics and error traces into a temporary
//! directory), runs SIPp in the foreground with a wall-clock bound, and
//! reads back what happened: exit code, successful and failed calls, error
//! log and message trace for assertion messages.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{ports, read_text, tail};

pub use super::sipp_result::{parse_screen, parse_stat_csv, SippResult};

/// A built-in scenario (`-sn`) or a file under `tests/sipp/` (`-sf`).
#[derive(Debug, Clone)]
pub enum Scenario {
    Builtin(&'static str),
    File(&'static str),
}

/// Transport mode: `-t u1` (one UDP socket) or `-t t1` (one TCP connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipTransport {
    Udp,
    Tcp,
}

/// A SIPp run being configured.
#[derive(Debug, Clone)]
pub struct Sipp {
    label: String,
    scenario: Scenario,
    target: Option<SocketAddr>,
    transport: SipTransport,
    calls: Option<u64>,
    rate: Option<u64>,
    limit: Option<u64>,
    call_duration_ms: Option<u64>,
    rtp_echo: bool,
    trace_msg: bool,
    timeout: Duration,
    recv_timeout: Duration,
    files: Vec<(String, Vec<u8>)>,
    extra: Vec<String>,
}

impl Sipp {
    fn new(label: &str, scenario: Scenario, target: Option<SocketAddr>) -> Sipp {
        Sipp {
            label: label.to_owned(),
            scenario,
            target,
            transport: SipTransport::Udp,
            calls: None,
            rate: None,
            limit: None,
            call_duration_ms: None,
            rtp_echo: false,
            trace_msg: false,
            timeout: Duration::from_secs(60),
            recv_timeout: Duration::from_secs(15),
            files: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// A caller placing calls to `target`.
    pub fn uac(scenario: Scenario, target: SocketAddr) -> Sipp {
        Self::new("uac", scenario, Some(target))
    }

    /// A callee answering calls on a free port of its own.
    pub fn uas(scenario: Scenario) -> Sipp {
        Self::new("uas", scenario, None)
    }

    /// Name used in file names and messages (default "uac"/"uas").
    pub fn label(mut self, label: &str) -> Self {
        self.label = label.to_owned();
        self
    }
    /// `-m`: stop after this many calls (a UAS then exits by itself).
    pub fn calls(mut self, n: u64) -> Self {
        self.calls = Some(n);
        self
    }
    /// `-r`: new calls per second.
    pub fn rate(mut self, cps: u64) -> Self {
        self.rate = Some(cps);
        self
    }
    /// `-l`: most simultaneous calls.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }
    /// `-d`: the built-in scenarios' pause between ACK and BYE.
    pub fn call_duration_ms(mut self, ms: u64) -> Self {
        self.call_duration_ms = Some(ms);
        self
    }
    pub fn transport(mut self, transport: SipTransport) -> Self {
        self.transport = transport;
        self
    }
    /// `-rtp_echo`: send every RTP packet back to its source.
    pub fn rtp_echo(mut self) -> Self {
        self.rtp_echo = true;
        self
    }
    /// `-trace_msg`: keep every SIP message (for small runs).
    pub fn trace_msg(mut self) -> Self {
        self.trace_msg = true;
        self
    }
    /// Wall-clock bound of the run: SIPp's `-timeout`, enforced again by us.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// `-recv_timeout`: a call waiting longer than this for a message fails.
    pub fn recv_timeout(mut self, timeout: Duration) -> Self {
        self.recv_timeout = timeout;
        self
    }
    /// A file written next to the scenario (pcaps for `play_pcap_audio`).
    pub fn file(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.files.push((name.to_owned(), bytes));
        self
    }
    /// Any other SIPp argument.
    pub fn arg(mut self, arg: &str) -> Self {
        self.extra.push(arg.to_owned());
        self
    }

    /// Starts SIPp and, for a UAS, waits until its SIP port is bound.
    /// Retries with new ports if another process took them meanwhile.
    pub fn spawn(self) -> SippChild {
        super::require_sipp();
        let mut last_error = String::new();
        for _ in 0..3 {
            match self.try_spawn() {
                Ok(child) => return child,
                Err(e) => last_error = e,
            }
        }
        panic!("sipp {} failed to start: {last_error}", self.label);
    }

    /// Starts SIPp and waits for it to finish (bounded by the timeout).
    /// Retries (up to 3 runs) only when SIPp could not bind its port (exit
    /// 254 before any call): another process took it after we picked it.
    pub fn run(self) -> SippResult {
        let mut attempt = 1;
        loop {
            let result = self.clone().spawn().wait();
            let lost_port = result.exit_code == Some(254) && result.successful + result.failed == 0;
            if !lost_port || attempt == 3 {
                return result;
            }
            attempt += 1;
        }
    }

    fn try_spawn(&self) -> Result<SippChild, String> {
        let dir = super::temp_dir(&format!("sipp-{}", self.label));
        let port = ports::free_sip_port();
        let media_port = ports::free_media_port();
        let scenario_arg = self.prepare_scenario(dir.path())?;
        for (name, bytes) in &self.files {
            std::fs::write(dir.path().join(name), bytes)
                .map_err(|e| format!("write {name}: {e}"))?;
        }
        let args = self.args(&scenario_arg, port, media_port, dir.path());
        let out =
            std::fs::File::create(dir.path().join("stdout.txt")).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new("sipp")
            .args(&args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn sipp: {e}"))?;
        let mut sipp = SippChild {
            child,
            dir,
            label: self.label.clone(),
            command: format!("sipp {}", args.join(" ")),
            sip_addr: SocketAddr::from(([127, 0, 0, 1], port)),
            media_port,
            deadline: Instant::now() + self.timeout + Duration::from_secs(5),
        };
        if self.target.is_none() {
            sipp.wait_bound(self.transport)?;
        }
        Ok(sipp)
    }

    /// `-sn NAME`, or `-sf` on a copy of the scenario in the run directory:
    /// SIPp looks for pcaps next to the scenario file.
    fn prepare_scenario(&self, dir: &Path) -> Result<Vec<String>, String> {
        match &self.scenario {
            Scenario::Builtin(name) => Ok(vec!["-sn".into(), (*name).into()]),
            Scenario::File(name) => {
                let src = super::scenario_path(name);
                let dst = dir.join(name);
                std::fs::copy(&src, &dst).map_err(|e| format!("copy {}: {e}", src.display()))?;
                Ok(vec!["-sf".into(), dst.to_string_lossy().into_owned()])
            }
        }
    }

    fn args(&self, scenario: &[String], port: u16, media_port: u16, dir: &Path) -> Vec<String> {
        let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let mut args: Vec<String> = scenario.to_vec();
        if let Some(target) = self.target {
            args.push(target.to_string());
        }
        let transport = match self.transport {
            SipTransport::Udp => "u1",
            SipTransport::Tcp => "t1",
        };
        #[rustfmt::skip]
        args.extend([
            "-i", "127.0.0.1", "-mi", "127.0.0.1",
            "-p", &port.to_string(), "-mp", &media_port.to_string(),
            "-t", transport,
            "-timeout", &format!("{}s", self.timeout.as_secs().max(1)),
            "-timeout_error",
            "-recv_timeout", &format!("{}", self.recv_timeout.as_millis()),
            "-nostdin",
            "-trace_stat", "-stf", &path("stat.csv"),
            "-trace_err", "-error_file", &path("errors.log"),
        ].map(String::from));
        let numeric = [
            ("-m", self.calls),
            ("-r", self.rate),
            ("-l", self.limit),
            ("-d", self.call_duration_ms),
        ];
        for (flag, value) in numeric {
            if let Some(value) = value {
                args.extend([flag.to_owned(), value.to_string()]);
            }
        }
        if self.rtp_echo {
            args.push("-rtp_echo".into());
        }
        if self.trace_msg {
            args.extend([
                "-trace_msg".into(),
                "-message_file".into(),
                path("messages.log"),
            ]);
        }
        args.extend(self.extra.iter().cloned());
        args
    }
}

/// A running SIPp.
pub struct SippChild {
    child: Child,
    dir: tempfile::TempDir,
    label: String,
    command: String,
    sip_addr: SocketAddr,
    media_port: u16,
    deadline: Instant,
}

impl SippChild {
    /// Where this SIPp receives SIP (127.0.0.1:its -p).
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }
    /// Its `-mp` port (RTP echo socket, and the source of played pcaps).
    pub fn media_port(&self) -> u16 {
        self.media_port
    }
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Waits (up to 5 s) until the SIP port is bound; an early exit (lost
    /// port race, bad scenario) is an error with SIPp's output.
    fn wait_bound(&mut self, transport: SipTransport) -> Result<(), String> {
        let addr = self.sip_addr;
        let bound = super::wait_for(Duration::from_secs(5), || {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(Err(format!("exited with {status}")));
            }
            let bound = match transport {
                SipTransport::Udp => ports::udp_bound(addr),
                SipTransport::Tcp => ports::tcp_bound(addr),
            };
            bound.then_some(Ok(()))
        });
        let why = match bound {
            Some(Ok(())) => return Ok(()),
            Some(Err(why)) => why,
            None => "port not bound within 5 s".to_owned(),
        };
        let _ = self.child.kill();
        let _ = self.child.wait();
        Err(format!(
            "{why}\n{}\n{}",
            self.command,
            tail(&read_text(&self.dir().join("stdout.txt")), 2000)
        ))
    }

    /// Waits for SIPp to exit by itself, up to its deadline (then it is
    /// killed and the result says so).
    pub fn wait(mut self) -> SippResult {
        let left = self.deadline.saturating_duration_since(Instant::now());
        let status = super::wait_child(&mut self.child, left);
        let killed = status.is_none();
        let status =
            status.or_else(|| super::stop_child(&mut self.child, libc::SIGKILL, Duration::ZERO));
        self.result(status, killed)
    }

    /// For a UAS once the UAC is done: lets it finish by itself for
    /// `grace` (its last calls' timewait), then asks it to quit (SIGUSR1,
    /// SIPp's soft exit, which still writes the statistics), then kills it.
    pub fn finish(mut self, grace: Duration) -> SippResult {
        let grace = grace.min(self.deadline.saturating_duration_since(Instant::now()));
        if let Some(status) = super::wait_child(&mut self.child, grace) {
            return self.result(Some(status), false);
        }
        let status = super::stop_child(&mut self.child, libc::SIGUSR1, Duration::from_secs(5));
        self.result(status, false)
    }

    fn result(&self, status: Option<std::process::ExitStatus>, killed: bool) -> SippResult {
        let dir = self.dir();
        let stdout = read_text(&dir.join("stdout.txt"));
        let (successful, failed) = parse_stat_csv(&read_text(&dir.join("stat.csv")))
            .or_else(|| parse_screen(&stdout))
            .unwrap_or((0, 0));
        SippResult {
            label: self.label.clone(),
            command: self.command.clone(),
            exit_code: status.and_then(|s| s.code()),
            killed_at_deadline: killed,
            successful,
            failed,
            errors: read_text(&dir.join("errors.log")),
            messages: read_text(&dir.join("messages.log")),
            stdout,
            dir: dir.to_path_buf(),
            sip_addr: self.sip_addr,
            media_port: self.media_port,
        }
    }
}

impl Drop for SippChild {
    fn drop(&mut self) {
        super::stop_child(&mut self.child, libc::SIGKILL, Duration::ZERO);
    }
}
