//! Port allocation for tests that run in parallel (threads of one test
//! binary, and other cargo invocations on the same machine): free SIP and
//! media ports for SIPp, and disjoint media port ranges for each daemon.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};

/// First port of the SBC media ranges. The ranges stay below Linux's
/// ephemeral range (32768-60999), where SIPp's ports are picked, so the two
/// never compete.
const MEDIA_BASE: u16 = 20_000;
/// Size of one daemon's media range.
const MEDIA_BLOCK: u16 = 400;
/// Number of blocks between MEDIA_BASE and 32_399.
const MEDIA_BLOCKS: usize = 31;

static NEXT_BLOCK: AtomicUsize = AtomicUsize::new(0);

/// An inclusive port range for one daemon's media plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub min: u16,
    pub max: u16,
}

/// A media range no other daemon of this process uses. Starting at a block
/// derived from the pid makes a collision with a concurrent test binary
/// unlikely; the media plane skips ports it cannot bind in any case.
pub fn media_range() -> PortRange {
    let start = std::process::id() as usize % MEDIA_BLOCKS;
    let block = (start + NEXT_BLOCK.fetch_add(1, Ordering::Relaxed)) % MEDIA_BLOCKS;
    // block < 31, so the arithmetic stays far below u16::MAX.
    let min = MEDIA_BASE + MEDIA_BLOCK * block as u16;
    PortRange {
        min,
        max: min + MEDIA_BLOCK - 1,
    }
}

fn udp_free(port: u16) -> bool {
    UdpSocket::bind(("127.0.0.1", port)).is_ok()
}

fn tcp_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A loopback port that is free for both UDP and TCP right now (SIPp binds
/// it a moment later; a lost race shows up as SIPp's bind error and the
/// caller retries with another port).
pub fn free_sip_port() -> u16 {
    for _ in 0..100 {
        let Ok(sock) = UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(addr) = sock.local_addr() else {
            continue;
        };
        drop(sock);
        if tcp_free(addr.port()) {
            return addr.port();
        }
    }
    panic!("no free loopback port found for SIPp");
}

/// A base port P with P..P+3 free over UDP: SIPp's `-mp` uses P for RTP
/// and P+2 for the second (video) echo socket.
pub fn free_media_port() -> u16 {
    for _ in 0..200 {
        let Ok(sock) = UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(addr) = sock.local_addr() else {
            continue;
        };
        drop(sock);
        let base = addr.port() & !3;
        if (1024..=u16::MAX - 4).contains(&base) && (base..base + 4).all(udp_free) {
            return base;
        }
    }
    panic!("no free loopback media port block found for SIPp");
}

/// Whether something already listens on `addr` over UDP (probe: our own
/// bind fails with "address in use").
pub fn udp_bound(addr: SocketAddr) -> bool {
    matches!(UdpSocket::bind(addr), Err(e) if e.kind() == std::io::ErrorKind::AddrInUse)
}

/// Whether something already listens on `addr` over TCP.
pub fn tcp_bound(addr: SocketAddr) -> bool {
    matches!(TcpListener::bind(addr), Err(e) if e.kind() == std::io::ErrorKind::AddrInUse)
}
