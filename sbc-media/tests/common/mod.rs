//! Shared helpers for the loopback tests: a private port range per test, UDP "phones",
//! packet builders. Every wait is bounded.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use sbc_core::media::{Direction, RemoteMedia};
use sbc_media::{MediaEngine, MediaSettings};

pub const RECV_WAIT: Duration = Duration::from_secs(2);
pub const SILENCE_WAIT: Duration = Duration::from_millis(150);

/// A range of `pairs` RTP/RTCP pairs that nobody holds right now, below the Linux
/// ephemeral range so phones (bound to port 0) never collide with it.
pub fn free_range(pairs: u16) -> (u16, u16) {
    for _ in 0..200 {
        let r = RandomState::new().hash_one(std::thread::current().id());
        let base = 10_000 + (r % 10_000) as u16 * 2;
        let max = base + 2 * pairs - 1;
        let probe: Result<Vec<_>, _> = (base..=max)
            .map(|p| UdpSocket::bind((Ipv4Addr::LOCALHOST, p)))
            .collect();
        if probe.is_ok() {
            return (base, max);
        }
    }
    panic!("no free port range found");
}

pub fn settings(pairs: u16, workers: usize) -> MediaSettings {
    let (min, max) = free_range(pairs);
    let mut s = MediaSettings::new(Ipv4Addr::LOCALHOST.into(), min, max);
    s.workers = workers;
    s
}

pub fn engine(pairs: u16) -> MediaEngine {
    MediaEngine::start(settings(pairs, 2)).expect("engine starts")
}

/// A UDP socket on loopback with an ephemeral port and a bounded read timeout.
pub fn phone() -> UdpSocket {
    let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind phone");
    s.set_read_timeout(Some(RECV_WAIT)).expect("timeout");
    s
}

pub fn addr(s: &UdpSocket) -> SocketAddr {
    s.local_addr().expect("local addr")
}

pub fn remote(rtp: SocketAddr, rtcp: SocketAddr) -> RemoteMedia {
    RemoteMedia::new(Some(rtp), Some(rtcp), false, Direction::SendRecv)
}

pub fn remote_mux(rtp: SocketAddr) -> RemoteMedia {
    RemoteMedia::new(Some(rtp), Some(rtp), true, Direction::SendRecv)
}

/// A minimal RTP packet (PCMU) carrying `seq` so the receiver can check identity.
pub fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0u8; 172];
    p[0] = 0x80;
    p[1] = 0;
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    p
}

/// An empty RTCP receiver report (RFC 3550 section 6.4.2).
pub fn rtcp_rr(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p
}

/// Receives one datagram or fails the test after `RECV_WAIT`.
pub fn recv(s: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0u8; 2048];
    match s.recv_from(&mut buf) {
        Ok((n, from)) => (buf[..n].to_vec(), from),
        Err(e) => panic!("nothing received on {}: {e}", addr(s)),
    }
}

/// Asserts nothing arrives on `s` for a short while.
pub fn assert_silent(s: &UdpSocket) {
    s.set_read_timeout(Some(SILENCE_WAIT)).expect("timeout");
    let mut buf = [0u8; 2048];
    let got = s.recv_from(&mut buf);
    s.set_read_timeout(Some(RECV_WAIT)).expect("timeout");
    if let Ok((n, from)) = got {
        panic!("unexpected {n} bytes from {from} on {}", addr(s));
    }
}

/// Polls `probe` until it returns `expected` (or fails after `RECV_WAIT`). Counters are
/// bumped by the worker just after the kernel takes a datagram, and loopback delivery
/// may be deferred to a softirq, so a test observes them eventually, not instantly.
pub fn eventually<T: PartialEq + std::fmt::Debug>(probe: impl Fn() -> T, expected: T) {
    let deadline = std::time::Instant::now() + RECV_WAIT;
    loop {
        let got = probe();
        if got == expected {
            return;
        }
        if std::time::Instant::now() > deadline {
            assert_eq!(got, expected);
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Both legs of one call allocated, pointed at `remote_a` / `remote_b`, connected, and
/// applied (`sync`): the set-up most relay tests start from.
pub struct ConnectedCall {
    pub a: sbc_core::ids::StreamId,
    pub ep_a: sbc_core::media::LocalEndpoint,
    pub b: sbc_core::ids::StreamId,
    pub ep_b: sbc_core::media::LocalEndpoint,
}

pub fn connected_call(
    engine: &MediaEngine,
    call: sbc_core::ids::CallRef,
    remote_a: RemoteMedia,
    remote_b: RemoteMedia,
) -> ConnectedCall {
    use sbc_core::ids::LegSide;
    use sbc_core::media::MediaControl;
    let (a, ep_a) = engine.allocate(call, LegSide::A).expect("allocate A");
    let (b, ep_b) = engine.allocate(call, LegSide::B).expect("allocate B");
    engine.set_remote(a, remote_a).expect("remote A");
    engine.set_remote(b, remote_b).expect("remote B");
    engine.connect(a, b).expect("connect");
    engine.sync().expect("sync");
    ConnectedCall { a, ep_a, b, ep_b }
}
