//! Shared harness for the end-to-end tests and the load benchmarks: it owns
//! the child processes of a test (the `sbc` daemon, SIPp, tshark,
//! Kamailio), the ports they use and the parsing of what they report.
//!
//! Every child is killed on `Drop` and every wait is bounded, so a broken
//! daemon fails a test with a message instead of hanging CI.
//!
//! Included with `mod support;` from each `tests/e2e_*.rs` file and with
//! `#[path = "../tests/support/mod.rs"] mod support;` from the benches; not
//! every includer uses every helper, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod baresip;
pub mod capture;
pub mod config;
pub mod contact_center;
pub mod kamailio;
pub mod metrics;
pub mod pcap;
pub mod ports;
pub mod proc;
pub mod sbc;
pub mod scenarios;
pub mod sipp;
pub mod sipp_result;
pub mod tone;
pub mod ua;

// Not every includer uses every re-export.
#[allow(unused_imports)]
pub use capture::Capture;
#[allow(unused_imports)]
pub use config::SbcConfig;
#[allow(unused_imports)]
pub use sbc::SbcProcess;
#[allow(unused_imports)]
pub use sipp::{Scenario, SipTransport, Sipp, SippChild, SippResult};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The g711a.pcap shipped by Debian's sip-tester package.
pub const G711A_PCAP: &str = "/usr/share/sip-tester/g711a.pcap";

/// Root of the repository (the root package's manifest directory).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A scenario file under `tests/sipp/`.
pub fn scenario_path(name: &str) -> PathBuf {
    repo_root().join("tests").join("sipp").join(name)
}

/// Whether an executable is on PATH (without running it).
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// SIPp tests must fail, not pass silently, when SIPp is missing: CI
/// installs it, so its absence is a broken environment.
pub fn require_sipp() {
    assert!(
        on_path("sipp"),
        "sipp is not installed (not on PATH). Install it with \
         `apt-get install sip-tester` (.ci/run does this)."
    );
}

/// Polls `probe` every 50 ms until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A fresh temporary directory; kept on disk when `SBC_E2E_KEEP=1` so a
/// failed run's logs, traces and captures can be inspected.
pub fn temp_dir(prefix: &str) -> tempfile::TempDir {
    let keep = std::env::var_os("SBC_E2E_KEEP").is_some_and(|v| v == "1");
    let dir = tempfile::Builder::new()
        .prefix(&format!("sbc-e2e-{prefix}-"))
        .disable_cleanup(keep)
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
    if keep {
        eprintln!("SBC_E2E_KEEP=1: keeping {}", dir.path().display());
    }
    dir
}

/// The last `max` bytes of a text, on a char boundary, for failure messages.
pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Reads a file that may not exist yet as (lossy) text.
pub fn read_text(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Sends a signal to a child we started, by its id.
pub fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is
        // one of our own children that we have not reaped yet.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// Waits for a child to exit within `timeout`; `None` if it is still running.
pub fn wait_child(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Option<std::process::ExitStatus> {
    wait_for(timeout, || child.try_wait().ok().flatten())
}

/// Stops a child: `sig` first, then SIGKILL after `grace`, then reaps it.
pub fn stop_child(
    child: &mut std::process::Child,
    sig: libc::c_int,
    grace: Duration,
) -> Option<std::process::ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    signal(child.id(), sig);
    if let Some(status) = wait_child(child, grace) {
        return Some(status);
    }
    let _ = child.kill();
    wait_child(child, Duration::from_secs(5))
}
