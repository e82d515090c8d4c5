//! Kamailio as a stateless proxy child process for the calls-per-second
//! benchmark (benches/kamailio/stateless.cfg): started in the foreground
//! with its worker processes, stopped with SIGTERM, and every process of
//! its tree killed on `Drop`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{ports, proc};

/// A running Kamailio.
pub struct Kamailio {
    child: Child,
    dir: tempfile::TempDir,
    addr: SocketAddr,
}

/// The bench's Kamailio configuration.
pub fn config_path() -> PathBuf {
    super::repo_root().join("benches/kamailio/stateless.cfg")
}

impl Kamailio {
    /// Starts Kamailio forwarding every request to `uas`; waits until its
    /// UDP port is bound. `Err` describes why it did not start.
    pub fn start(uas: SocketAddr) -> Result<Kamailio, String> {
        let dir = super::temp_dir("kamailio");
        let port = ports::free_sip_port();
        let log_path = dir.path().join("kamailio.log");
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let child = Command::new("kamailio")
            .arg("-f")
            .arg(config_path())
            .args(["-DD", "-E", "-l", &format!("udp:127.0.0.1:{port}")])
            .arg("-Y")
            .arg(dir.path())
            .args(["-A", &format!("UAS_URI=\"sip:{uas}\"")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn kamailio: {e}"))?;
        let mut kamailio = Kamailio {
            child,
            dir,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let addr = kamailio.addr;
        let up = super::wait_for(Duration::from_secs(10), || {
            if let Ok(Some(status)) = kamailio.child.try_wait() {
                return Some(Err(format!("exited with {status}")));
            }
            ports::udp_bound(addr).then_some(Ok(()))
        });
        match up {
            Some(Ok(())) => Ok(kamailio),
            other => Err(format!(
                "kamailio did not start ({other:?}):\n{}",
                super::tail(&super::read_text(&log_path), 3000)
            )),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time of the main process and all its workers.
    pub fn cpu_time(&self) -> Duration {
        proc::tree_cpu_time(self.pid())
    }

    pub fn log(&self) -> String {
        super::read_text(&self.dir.path().join("kamailio.log"))
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        // The main process stops its workers on SIGTERM; any straggler of
        // the tree we started is killed by pid afterwards.
        let tree = proc::process_tree(self.pid());
        super::stop_child(&mut self.child, libc::SIGTERM, Duration::from_secs(3));
        for pid in tree.into_iter().skip(1) {
            // Guard against pid reuse: only a process still named kamailio.
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "kamailio" {
                super::signal(pid, libc::SIGKILL);
            }
        }
    }
}
