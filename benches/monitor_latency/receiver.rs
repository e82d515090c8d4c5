//! The phones' receive side: one thread waits on every phone socket with `poll(2)`,
//! reads what is queued, and for the sockets being measured stamps each PCMU packet
//! with its arrival `Instant` and the 1700 Hz amplitude of its decoded frame. The
//! others are only drained and counted (a phone that never reads would have the
//! kernel drop for it, which is not what a phone does).

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use sbc_media::codec::g711::ulaw_decode;
use sbc_media::codec::goertzel::tone_amplitude;

use crate::rig::{BURST_HZ, FRAME_SAMPLES};

/// One received frame of a measured socket.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub at: Instant,
    /// Amplitude of the burst tone in the frame (peak, same scale as `AMPLITUDE`).
    pub level: f32,
}

/// What one measured socket received (nothing for the others).
#[derive(Debug, Default)]
pub struct Heard {
    pub frames: Vec<Frame>,
}

/// Runs until `stop` is set; `measure[i]` says whether `socks[i]`'s frames are kept;
/// `count` follows the packets received (read while it runs).
pub fn run(
    socks: &[&UdpSocket],
    measure: &[bool],
    stop: &AtomicBool,
    count: &AtomicU64,
) -> Vec<Heard> {
    let mut heard: Vec<Heard> = socks.iter().map(|_| Heard::default()).collect();
    let mut fds: Vec<libc::pollfd> = socks
        .iter()
        .map(|s| libc::pollfd {
            fd: s.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let mut buf = [0u8; 2048];
    let mut pcm = [0i16; FRAME_SAMPLES];
    while !stop.load(Ordering::Relaxed) {
        // SAFETY: `fds` is a live, correctly sized array of pollfd.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
        if ready <= 0 {
            continue;
        }
        for (i, fd) in fds.iter_mut().enumerate() {
            if fd.revents == 0 {
                continue;
            }
            fd.revents = 0;
            loop {
                let n = match socks[i].recv_from(&mut buf) {
                    Ok((n, _)) => n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => break,
                };
                let at = Instant::now();
                count.fetch_add(1, Ordering::Relaxed);
                // PCMU with a plain 12-byte header: all the SBC sends these phones.
                if !measure[i] || n < 12 + FRAME_SAMPLES || buf[1] & 0x7f != 0 {
                    continue;
                }
                for (s, &b) in pcm.iter_mut().zip(&buf[12..12 + FRAME_SAMPLES]) {
                    *s = ulaw_decode(b);
                }
                let level = tone_amplitude(&pcm, BURST_HZ, 8000) as f32;
                heard[i].frames.push(Frame { at, level });
            }
        }
    }
    heard
}
