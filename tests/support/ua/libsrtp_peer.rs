//! Media of a test call, by libsrtp: `tests/media/srtp_peer.py` (pylibsrtp)
//! as a child process that owns both ends' RTP/RTCP sockets. It reports its
//! ports first (they go into the SDPs), then takes a [`MediaPlan`] once both
//! legs are negotiated, exchanges packets through the SBC and prints a
//! [`MediaSummary`]. The child is killed and reaped on drop.
//!
//! This is media only; the SIP side is the rest of `ua`.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::sdp::CryptoLine;
use super::UaError;

/// Debian's python3-pylibsrtp is installed for the system interpreter only
/// (a pyenv `python3` first on PATH would not see it).
const DEFAULT_PYTHON: &str = "/usr/bin/python3";
/// How long the script may take to bind and report its ports.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The interpreter: `SBC_E2E_PYTHON` if set, else /usr/bin/python3.
pub fn python() -> PathBuf {
    std::env::var_os("SBC_E2E_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PYTHON))
}

fn script() -> PathBuf {
    super::super::repo_root().join("tests/media/srtp_peer.py")
}

/// Fails the test (never skips it) when pylibsrtp cannot be imported: CI
/// installs it, so its absence is a broken environment.
pub fn require_pylibsrtp() {
    let python = python();
    let out = Command::new(&python)
        .args(["-c", "import pylibsrtp"])
        .stdin(Stdio::null())
        .output();
    let ok = out.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import pylibsrtp ({}). Install it with \
         `apt-get install python3 python3-pylibsrtp` (.ci/run does this), or point \
         SBC_E2E_PYTHON at an interpreter that has it.",
        python.display(),
        match &out {
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
            Err(e) => e.to_string(),
        }
    );
}

/// An RTP port and its RTCP port.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct MediaPorts {
    pub rtp: u16,
    pub rtcp: u16,
}

#[derive(Debug, Deserialize)]
struct Ports {
    caller: MediaPorts,
    callee: MediaPorts,
}

/// An SRTP key as the script takes it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyPlan {
    pub suite: String,
    /// Base64 master key||salt.
    pub key: String,
}

impl KeyPlan {
    /// The key of an SDP crypto line; MKI is refused (pylibsrtp cannot set one).
    pub fn from_line(line: &CryptoLine) -> Result<KeyPlan, UaError> {
        if let Some(extra) = &line.lifetime_mki {
            if extra.contains(':') {
                return Err(UaError::MediaPeer(format!(
                    "a=crypto with an MKI ({extra}) is not supported by the libsrtp peer"
                )));
            }
        }
        Ok(KeyPlan {
            suite: line.suite.clone(),
            key: line.key_salt.clone(),
        })
    }
}

/// One end: where the SBC listens for it, and its keys (`None`: plain).
#[derive(Debug, Clone, Serialize)]
pub struct SidePlan {
    pub remote_rtp: SocketAddr,
    pub remote_rtcp: SocketAddr,
    /// Protects what this end sends: its own key, from its own SDP.
    pub tx: Option<KeyPlan>,
    /// Unprotects what it receives: the SBC's key for this leg.
    pub rx: Option<KeyPlan>,
}

/// What the script does once the call is up.
#[derive(Debug, Clone, Serialize)]
pub struct MediaPlan {
    /// RTP packets each way.
    pub packets: u32,
    /// RTCP packets each way.
    pub rtcp: u32,
    /// Pace of the RTP packets.
    pub interval_ms: u32,
    pub caller: SidePlan,
    pub callee: SidePlan,
}

/// The counters of one direction, as the receiving end saw them.
#[derive(Debug, Clone, Deserialize)]
pub struct DirectionStats {
    pub sent: u32,
    /// Distinct packets whose payload was intact.
    pub received: u32,
    pub duplicates: u32,
    pub auth_failures: u32,
    pub replay_failures: u32,
    pub other_errors: u32,
    /// Arrived but mangled, from the wrong direction, or not decrypted.
    pub mismatches: u32,
    pub rtcp_sent: u32,
    pub rtcp_received: u32,
    pub rtcp_auth_failures: u32,
    pub rtcp_other_errors: u32,
    pub rtcp_mismatches: u32,
    /// libsrtp's message for the first failure, if any.
    pub first_error: Option<String>,
}

/// Both directions of one call.
#[derive(Debug, Clone, Deserialize)]
pub struct MediaSummary {
    pub caller_to_callee: DirectionStats,
    pub callee_to_caller: DirectionStats,
}

/// A running srtp_peer.py.
#[derive(Debug)]
pub struct SrtpPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    reader: Option<JoinHandle<()>>,
    pub caller: MediaPorts,
    pub callee: MediaPorts,
}

impl SrtpPeer {
    /// Starts the script with the caller's media on `caller_ip` and the
    /// callee's on `callee_ip`, and waits for its ports.
    pub fn spawn(caller_ip: IpAddr, callee_ip: IpAddr) -> Result<SrtpPeer, UaError> {
        let python = python();
        let mut child = Command::new(&python)
            .arg(script())
            .args(["--caller-ip", &caller_ip.to_string()])
            .args(["--callee-ip", &callee_ip.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| UaError::io(format!("spawn {}", python.display()), e))?;
        let stdin = child.stdin.take();
        let (lines, reader) = forward_lines(&mut child);
        let mut peer = SrtpPeer {
            child,
            stdin,
            lines,
            reader,
            caller: MediaPorts { rtp: 0, rtcp: 0 },
            callee: MediaPorts { rtp: 0, rtcp: 0 },
        };
        let ports: Ports = peer.read_json("its media ports", START_TIMEOUT)?;
        peer.caller = ports.caller;
        peer.callee = ports.callee;
        Ok(peer)
    }

    /// Runs `plan` and returns the summary; `timeout` bounds the whole run.
    pub fn run(mut self, plan: &MediaPlan, timeout: Duration) -> Result<MediaSummary, UaError> {
        let line = serde_json::to_string(plan)
            .map_err(|e| UaError::MediaPeer(format!("encode the plan: {e}")))?;
        let mut stdin = self
            .stdin
            .take()
            .ok_or_else(|| UaError::MediaPeer("the plan was already sent".into()))?;
        writeln!(stdin, "{line}").map_err(|e| UaError::io("send the plan", e))?;
        drop(stdin);
        let summary = self.read_json("its summary", timeout)?;
        let _ = super::super::wait_child(&mut self.child, Duration::from_secs(5));
        Ok(summary)
    }

    fn read_json<T: for<'de> Deserialize<'de>>(
        &mut self,
        what: &str,
        timeout: Duration,
    ) -> Result<T, UaError> {
        let line = self.lines.recv_timeout(timeout).map_err(|_| {
            let status = self.child.try_wait().ok().flatten();
            UaError::MediaPeer(format!(
                "no {what} within {timeout:?} (exit status {status:?}; its stderr is above)"
            ))
        })?;
        serde_json::from_str(&line)
            .map_err(|e| UaError::MediaPeer(format!("bad {what} ({e}): {line}")))
    }
}

impl Drop for SrtpPeer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        super::super::stop_child(&mut self.child, libc::SIGKILL, Duration::from_secs(2));
        // The child is gone, so its stdout is closed and the reader ends.
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// Moves stdout lines to a channel from a thread that ends with the child.
fn forward_lines(child: &mut Child) -> (mpsc::Receiver<String>, Option<JoinHandle<()>>) {
    let (tx, rx) = mpsc::channel();
    let reader = child.stdout.take().map(|stdout| {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
    });
    (rx, reader)
}
