//! An independent count of media packets: tshark capturing on the loopback
//! interface, filtered to a few UDP ports, written as classic pcap and read
//! back with [`super::pcap`]. Optional: without tshark (or without the
//! right to capture) the caller gets `None` and a printed note, and relies
//! on the daemon's metrics alone.

use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::pcap::{self, UdpPacket};

/// A running capture.
pub struct Capture {
    child: Child,
    _dir: tempfile::TempDir,
    file: PathBuf,
    log: PathBuf,
}

impl Capture {
    /// Captures UDP packets from or to any of `ports`.
    pub fn start(ports: &[u16]) -> Option<Capture> {
        let filter = ports
            .iter()
            .map(|p| format!("udp port {p}"))
            .collect::<Vec<_>>()
            .join(" or ");
        Self::start_filter(&filter)
    }

    /// Captures UDP packets from or to any port in `min..=max`.
    pub fn start_range(min: u16, max: u16) -> Option<Capture> {
        Self::start_filter(&format!("udp portrange {min}-{max}"))
    }

    /// Starts capturing on `lo` with a BPF `filter`; `None` (after
    /// printing why) if tshark is absent or cannot capture.
    pub fn start_filter(filter: &str) -> Option<Capture> {
        if !super::on_path("tshark") {
            eprintln!("note: tshark is not installed; skipping the packet capture check");
            return None;
        }
        let dir = super::temp_dir("capture");
        let file = dir.path().join("capture.pcap");
        let log = dir.path().join("tshark.log");
        let log_file = std::fs::File::create(&log).ok()?;
        let child = Command::new("tshark")
            .args(["-i", "lo", "-F", "pcap", "-q", "-f", filter, "-w"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().ok()?)
            .stderr(log_file)
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) => {
                eprintln!("note: cannot run tshark ({e}); skipping the packet capture check");
                return None;
            }
        };
        let mut capture = Capture {
            child,
            _dir: dir,
            file,
            log,
        };
        // tshark announces "Capturing on 'Loopback: lo'" once dumpcap runs.
        let started = super::wait_for(Duration::from_secs(15), || {
            if let Ok(Some(_)) = capture.child.try_wait() {
                return Some(false);
            }
            super::read_text(&capture.log)
                .contains("Capturing on")
                .then_some(true)
        });
        if started != Some(true) {
            let log = super::read_text(&capture.log);
            eprintln!("note: tshark could not start capturing; skipping the capture check:\n{log}");
            return None;
        }
        // The announcement comes just before the socket is live.
        std::thread::sleep(Duration::from_millis(300));
        Some(capture)
    }

    /// Stops tshark (SIGINT flushes the file) and returns the datagrams.
    pub fn stop(mut self) -> Vec<UdpPacket> {
        // Let the last packets of the run reach the capture buffer.
        std::thread::sleep(Duration::from_millis(300));
        super::stop_child(&mut self.child, libc::SIGINT, Duration::from_secs(5));
        let data = std::fs::read(&self.file).unwrap_or_default();
        pcap::udp_packets(&data).unwrap_or_else(|e| {
            panic!(
                "cannot read the capture {}: {e}\n{}",
                self.file.display(),
                super::read_text(&self.log)
            )
        })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        super::stop_child(&mut self.child, libc::SIGKILL, Duration::ZERO);
    }
}

/// Packets whose destination port is `port`.
pub fn count_to(packets: &[UdpPacket], port: u16) -> usize {
    packets.iter().filter(|p| p.dst.port() == port).count()
}

/// Packets whose source port is `port`.
pub fn count_from(packets: &[UdpPacket], port: u16) -> usize {
    packets.iter().filter(|p| p.src.port() == port).count()
}

/// Packets from `src` to `dst`.
pub fn count_between(packets: &[UdpPacket], src: SocketAddrV4, dst: SocketAddrV4) -> usize {
    packets
        .iter()
        .filter(|p| p.src == src && p.dst == dst)
        .count()
}
