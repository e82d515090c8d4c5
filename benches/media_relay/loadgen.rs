//! Offered load: a paced `sendmmsg` generator, the packet layout it shares with the
//! sink (`sink.rs`), and the loopback socket helpers.
//!
//! Each datagram is a 172-byte G.711 RTP packet (12-byte header + 160 bytes of 20 ms
//! audio) whose payload carries the send time (CLOCK_MONOTONIC ns) and a step id. The
//! sink counts only packets of the current step, so stragglers of an overloaded step
//! never inflate the next one, and records `now - sent` into an hdrhistogram when asked.
//! For rows whose generator leg is SRTP, each packet is protected in its send slot with
//! its stream's context just before the `sendmmsg` (after the send time is written).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::srtp::{StreamContexts, MAX_TRAILER};

/// G.711 at 20 ms: 12-byte RTP header plus 160 samples.
pub const PACKET_BYTES: usize = 172;
/// Datagrams per `sendmmsg`/`recvmmsg` call.
pub const BATCH: usize = 64;
const TS_OFFSET: usize = 12;
const STEP_OFFSET: usize = 20;
/// Stream i sends with SSRC `SSRC_BASE | i` (the sink finds its SRTP context by it).
pub const SSRC_BASE: u32 = 0x5bc0_0000;
/// A generator send slot: the packet plus room for an SRTP trailer.
const SLOT: usize = PACKET_BYTES + MAX_TRAILER;
/// The generator lets at most this many packets of backlog build up (it was descheduled):
/// beyond it the backlog is dropped rather than sent as one burst, and the achieved rate
/// shows the shortfall.
const MAX_BACKLOG: u64 = 4 * BATCH as u64;

/// CLOCK_MONOTONIC in ns: the clock both ends of the latency measurement share.
pub fn monotonic_ns() -> u64 {
    // SAFETY: a zeroed timespec is valid and clock_gettime only writes into it.
    let mut ts: libc::timespec = unsafe { zeroed() };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Kernel buffers of the load generator and sink: big, so they are never the bottleneck.
pub const LOADGEN_BUFFER: i32 = 32 << 20;
/// Kernel buffers of the forwarder's sockets: the same 1 MiB the SBC asks for.
pub const RELAY_BUFFER: i32 = 1 << 20;

/// A loopback UDP socket with `buffer`-byte kernel buffers (forced when we are root).
pub fn bind_loopback(buffer: i32) -> Result<UdpSocket> {
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).context("binding loopback socket")?;
    for (force, plain) in [
        (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
        (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
    ] {
        if setsockopt_int(&sock, force, buffer).is_err() {
            let _ = setsockopt_int(&sock, plain, buffer);
        }
    }
    Ok(sock)
}

fn setsockopt_int(sock: &UdpSocket, opt: libc::c_int, value: i32) -> io::Result<()> {
    // SAFETY: the option value is a live i32 of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            (&value as *const i32).cast(),
            size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn sockaddr_v4(addr: SocketAddr) -> Result<libc::sockaddr_in> {
    let SocketAddr::V4(v4) = addr else {
        bail!("IPv4 only: {addr}");
    };
    // SAFETY: all-zero is a valid sockaddr_in.
    let mut sa: libc::sockaddr_in = unsafe { zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = v4.port().to_be();
    sa.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
    Ok(sa)
}

/// Paced sender of RTP packets round-robin over the streams' ingress addresses.
pub struct Generator {
    sock: UdpSocket,
    targets: Vec<libc::sockaddr_in>,
    seq: Vec<u16>,
    next: usize,
    /// Per-stream protect contexts when the generator's leg is SRTP.
    srtp: Option<StreamContexts>,
}

/// What one paced run sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    pub packets: u64,
    pub seconds: f64,
    pub send_errors: u64,
    /// Packets the generator failed to protect (a bench bug: the row is failed).
    pub protect_errors: u64,
}

impl Generator {
    pub fn new(
        sock: UdpSocket,
        targets: &[SocketAddr],
        srtp: Option<StreamContexts>,
    ) -> Result<Generator> {
        let targets = targets
            .iter()
            .map(|&a| sockaddr_v4(a))
            .collect::<Result<Vec<_>>>()?;
        if targets.is_empty() {
            bail!("no streams to send to");
        }
        Ok(Generator {
            sock,
            seq: vec![0; targets.len()],
            targets,
            next: 0,
            srtp,
        })
    }

    /// Sends at `rate` packets/s for `duration`, every packet tagged `step`.
    pub fn run(&mut self, rate: f64, duration: Duration, step: u32) -> Sent {
        // SAFETY: prctl(PR_SET_TIMERSLACK) only changes this thread's timer slack: 1 ns
        // slack makes short sleeps precise enough to pace in small batches.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1, 0, 0, 0) };
        let mut bufs = vec![0u8; SLOT * BATCH];
        // SAFETY: zeroed iovec/mmsghdr/sockaddr_in are valid; pointers set below.
        let mut iovs: Vec<libc::iovec> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
        let mut names: Vec<libc::sockaddr_in> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
        let mut msgs: Vec<libc::mmsghdr> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
        let mut out = Sent::default();
        // Packets the schedule has accounted for: sent, or skipped after a stall.
        let mut scheduled = 0u64;
        let start = Instant::now();
        loop {
            let elapsed = start.elapsed();
            if elapsed >= duration {
                break;
            }
            let target = (rate * elapsed.as_secs_f64()) as u64;
            let due = target.saturating_sub(scheduled);
            if due > MAX_BACKLOG {
                scheduled += due - MAX_BACKLOG;
            }
            let due = due.min(MAX_BACKLOG);
            if due == 0 {
                let next = Duration::from_secs_f64((scheduled + 1) as f64 / rate);
                std::thread::sleep(next.saturating_sub(elapsed).min(Duration::from_millis(1)));
                continue;
            }
            let n = (due as usize).min(BATCH);
            let now = monotonic_ns();
            for i in 0..n {
                let stream = self.next;
                self.next = (self.next + 1) % self.targets.len();
                let seq = self.seq[stream];
                self.seq[stream] = seq.wrapping_add(1);
                let pkt = &mut bufs[i * SLOT..(i + 1) * SLOT];
                fill_packet(pkt, stream as u32, seq, now, step);
                let len = match self.srtp.as_mut() {
                    None => PACKET_BYTES,
                    Some(ctxs) => ctxs.protect(stream, pkt, PACKET_BYTES).unwrap_or_else(|_| {
                        out.protect_errors += 1;
                        PACKET_BYTES
                    }),
                };
                names[i] = self.targets[stream];
                iovs[i].iov_base = pkt.as_mut_ptr().cast();
                iovs[i].iov_len = len;
                msgs[i].msg_hdr.msg_iov = &mut iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                msgs[i].msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_in).cast();
                msgs[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_in>() as u32;
            }
            out.send_errors += send_all(&self.sock, &mut msgs[..n]);
            out.packets += n as u64;
            scheduled += n as u64;
        }
        out.seconds = start.elapsed().as_secs_f64();
        out
    }
}

/// RTP header (V=2, PT 0 PCMU, per-stream SSRC/seq/timestamp), then send time and step.
pub fn fill_packet(pkt: &mut [u8], stream: u32, seq: u16, now_ns: u64, step: u32) {
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt[2..4].copy_from_slice(&seq.to_be_bytes());
    pkt[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    pkt[8..12].copy_from_slice(&(SSRC_BASE | stream).to_be_bytes());
    pkt[TS_OFFSET..TS_OFFSET + 8].copy_from_slice(&now_ns.to_be_bytes());
    pkt[STEP_OFFSET..STEP_OFFSET + 4].copy_from_slice(&step.to_be_bytes());
}

/// The send time and step id of a (plain) packet, `None` if it is too short.
pub fn payload_fields(pkt: &[u8]) -> Option<(u64, u32)> {
    let ts = pkt.get(TS_OFFSET..TS_OFFSET + 8)?.try_into().ok()?;
    let step = pkt.get(STEP_OFFSET..STEP_OFFSET + 4)?.try_into().ok()?;
    Some((u64::from_be_bytes(ts), u32::from_be_bytes(step)))
}

/// Sends every message, skipping (and counting) one that the kernel refuses, e.g. an
/// ICMP port-unreachable reported on a later send. A skipped packet counts as lost.
fn send_all(sock: &UdpSocket, msgs: &mut [libc::mmsghdr]) -> u64 {
    let mut errors = 0;
    let mut off = 0;
    while off < msgs.len() {
        let rest = &mut msgs[off..];
        // SAFETY: every header points at live buffers/addresses owned by the caller.
        let n =
            unsafe { libc::sendmmsg(sock.as_raw_fd(), rest.as_mut_ptr(), rest.len() as u32, 0) };
        if n > 0 {
            off += n as usize;
        } else if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            errors += 1;
            off += 1;
        }
    }
    errors
}
