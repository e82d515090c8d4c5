//! The sink: one `recvmmsg` thread receiving every relayed packet, counting those of
//! the current step and recording `now - sent` into an hdrhistogram when asked.
//!
//! For SRTP rows the controller installs per-stream unprotect contexts (the relay's
//! outbound keys towards the sink) before the row: every packet is then verified and
//! decrypted in its receive buffer before the step tag and send time are read from the
//! payload, and failures are counted, split into authentication failures and the rest
//! (replay, malformed). The contexts sit behind a mutex taken once per batch of up to
//! 64 packets (uncontended: the controller touches it only between rows).

use std::mem::zeroed;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;
use hdrhistogram::Histogram;
use sbc_media::srtp::SrtpError;

use crate::loadgen::{bind_loopback, monotonic_ns, payload_fields, BATCH, LOADGEN_BUFFER};
use crate::srtp::StreamContexts;

/// What the sink thread and the controller share.
struct SinkShared {
    stop: AtomicBool,
    step: AtomicU32,
    received: AtomicU64,
    record: AtomicBool,
    hist: Mutex<Histogram<u64>>,
    srtp: Mutex<Option<StreamContexts>>,
    auth_failures: AtomicU64,
    other_srtp_errors: AtomicU64,
}

/// Unprotect failures at the sink since the contexts were installed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkSrtpErrors {
    pub auth: u64,
    /// Replayed, too old, malformed: anything but a failed tag.
    pub other: u64,
}

/// Receives every relayed packet on one socket; stopped and joined on drop.
pub struct Sink {
    addr: SocketAddr,
    shared: Arc<SinkShared>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    pub fn start() -> Result<Sink> {
        let sock = bind_loopback(LOADGEN_BUFFER)?;
        // Wakes the blocking recvmmsg regularly so `stop` is seen.
        sock.set_read_timeout(Some(Duration::from_millis(50)))?;
        let addr = sock.local_addr()?;
        let shared = Arc::new(SinkShared {
            stop: AtomicBool::new(false),
            step: AtomicU32::new(0),
            received: AtomicU64::new(0),
            record: AtomicBool::new(false),
            // 1 ns .. 10 s, 3 significant digits.
            hist: Mutex::new(Histogram::new_with_bounds(1, 10_000_000_000, 3)?),
            srtp: Mutex::new(None),
            auth_failures: AtomicU64::new(0),
            other_srtp_errors: AtomicU64::new(0),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("bench-sink".into())
            .spawn(move || sink_loop(&sock, &s))?;
        Ok(Sink {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Installs (or with `None` removes) the per-stream unprotect contexts and resets
    /// the failure counters.
    pub fn set_srtp(&self, ctxs: Option<StreamContexts>) {
        if let Ok(mut g) = self.shared.srtp.lock() {
            *g = ctxs;
        }
        self.shared.auth_failures.store(0, Ordering::SeqCst);
        self.shared.other_srtp_errors.store(0, Ordering::SeqCst);
    }

    /// Failures since `set_srtp`, `None` when no contexts are installed (plain RTP).
    pub fn srtp_errors(&self) -> Option<SinkSrtpErrors> {
        let installed = self.shared.srtp.lock().ok()?.is_some();
        installed.then(|| SinkSrtpErrors {
            auth: self.shared.auth_failures.load(Ordering::SeqCst),
            other: self.shared.other_srtp_errors.load(Ordering::SeqCst),
        })
    }

    /// Starts counting packets tagged `step` (and only those) from zero.
    pub fn begin_step(&self, step: u32, record_latency: bool) {
        if let Ok(mut h) = self.shared.hist.lock() {
            h.reset();
        }
        self.shared.record.store(record_latency, Ordering::SeqCst);
        self.shared.step.store(step, Ordering::SeqCst);
        self.shared.received.store(0, Ordering::SeqCst);
    }

    pub fn received(&self) -> u64 {
        self.shared.received.load(Ordering::SeqCst)
    }

    pub fn latency(&self) -> Option<Histogram<u64>> {
        self.shared.hist.lock().ok().map(|h| h.clone())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn sink_loop(sock: &UdpSocket, shared: &SinkShared) {
    const BUF: usize = 2048;
    let mut bufs = vec![0u8; BUF * BATCH];
    // SAFETY: zeroed iovec/mmsghdr are valid; pointers are set below before use.
    let mut iovs: Vec<libc::iovec> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
    let mut msgs: Vec<libc::mmsghdr> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
    for (i, (iov, msg)) in iovs.iter_mut().zip(msgs.iter_mut()).enumerate() {
        iov.iov_base = bufs[i * BUF..].as_mut_ptr().cast();
        iov.iov_len = BUF;
        msg.msg_hdr.msg_iov = iov;
        msg.msg_hdr.msg_iovlen = 1;
    }
    while !shared.stop.load(Ordering::Relaxed) {
        // SAFETY: msgs/iovs/bufs outlive the call and describe BATCH valid buffers.
        let n = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                msgs.as_mut_ptr(),
                BATCH as u32,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n <= 0 {
            continue; // timeout (EAGAIN) or EINTR: check `stop` again
        }
        let now = monotonic_ns();
        let step = shared.step.load(Ordering::Relaxed);
        let record = shared.record.load(Ordering::Relaxed);
        let mut hist = if record {
            shared.hist.lock().ok()
        } else {
            None
        };
        let mut srtp = shared.srtp.lock().ok();
        let mut counted = 0;
        let (mut auth, mut other) = (0, 0);
        for (i, msg) in msgs.iter().take(n as usize).enumerate() {
            let len = (msg.msg_len as usize).min(BUF);
            let Some(pkt) = bufs.get_mut(i * BUF..i * BUF + len) else {
                continue;
            };
            // Unprotect every packet, not only this step's: the contexts' ROC and
            // replay state must see the stream in order.
            let plain = match srtp.as_mut().and_then(|g| g.as_mut()) {
                None => len,
                Some(ctxs) => match ctxs.unprotect(pkt) {
                    Ok(plain) => plain,
                    Err(SrtpError::AuthFailed) => {
                        auth += 1;
                        continue;
                    }
                    Err(_) => {
                        other += 1;
                        continue;
                    }
                },
            };
            let Some((sent, tag)) = pkt.get(..plain).and_then(payload_fields) else {
                continue;
            };
            if tag != step {
                continue;
            }
            counted += 1;
            if let Some(h) = hist.as_mut() {
                let _ = h.record(now.saturating_sub(sent).max(1));
            }
        }
        shared.received.fetch_add(counted, Ordering::Relaxed);
        // Still under the contexts' lock: a `set_srtp` in between cannot see counts
        // of the contexts it replaced.
        if auth + other > 0 {
            shared.auth_failures.fetch_add(auth, Ordering::Relaxed);
            shared.other_srtp_errors.fetch_add(other, Ordering::Relaxed);
        }
        drop(srtp);
    }
}
