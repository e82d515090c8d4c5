//! The ceiling: a minimal one-thread relay with no parsing, latching or tables.
//!
//! N socket pairs: an ingress socket per stream (where the generator sends) and an
//! egress socket connected to the sink (as a relay sends from the other leg's port).
//! One thread, level-triggered epoll over the ingress sockets, `recvmmsg` up to 64
//! datagrams then one `sendmmsg` of them. Anything the SBC does beyond this is its cost.

use std::mem::zeroed;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{bail, Context, Result};

use crate::loadgen::{bind_loopback, BATCH, RELAY_BUFFER};
use crate::procfs;
use crate::relay::Relay;

pub struct Forwarder {
    ingress: Vec<SocketAddr>,
    stop: Arc<AtomicBool>,
    tid: Arc<AtomicI32>,
    thread: Option<JoinHandle<()>>,
    rss_per_stream: Option<f64>,
}

impl Forwarder {
    pub fn start(streams: usize, sink: SocketAddr) -> Result<Forwarder> {
        let rss_before = procfs::rss_bytes("self").ok();
        let mut pairs = Vec::with_capacity(streams);
        let mut ingress = Vec::with_capacity(streams);
        for _ in 0..streams {
            let rx = bind_loopback(RELAY_BUFFER)?;
            rx.set_nonblocking(true)?;
            let tx = bind_loopback(RELAY_BUFFER)?;
            tx.connect(sink)?;
            ingress.push(rx.local_addr()?);
            pairs.push((rx, tx));
        }
        let epfd = Epoll::new()?;
        for (i, (rx, _)) in pairs.iter().enumerate() {
            epfd.add(rx.as_raw_fd(), i as u64)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let tid = Arc::new(AtomicI32::new(0));
        let (s, t) = (Arc::clone(&stop), Arc::clone(&tid));
        let thread = std::thread::Builder::new()
            .name("bench-forwarder".into())
            .spawn(move || {
                t.store(procfs::gettid(), Ordering::SeqCst);
                forward_loop(&epfd, &pairs, &s);
            })?;
        while tid.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let rss_per_stream = rss_before
            .zip(procfs::rss_bytes("self").ok())
            .map(|(b, a)| a.saturating_sub(b) as f64 / streams as f64);
        Ok(Forwarder {
            ingress,
            stop,
            tid,
            thread: Some(thread),
            rss_per_stream,
        })
    }
}

impl Relay for Forwarder {
    fn ingress(&self) -> &[SocketAddr] {
        &self.ingress
    }
    fn cpu_ns(&self) -> Result<u64> {
        procfs::thread_cpu_ns(self.tid.load(Ordering::SeqCst))
    }
    fn rss_per_stream(&self) -> Option<f64> {
        self.rss_per_stream
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn forward_loop(ep: &Epoll, pairs: &[(UdpSocket, UdpSocket)], stop: &AtomicBool) {
    const BUF: usize = 2048;
    let mut bufs = vec![0u8; BUF * BATCH];
    // SAFETY: zeroed iovec/mmsghdr/epoll_event are valid; pointers are set below.
    let mut rx_iov: Vec<libc::iovec> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
    let mut tx_iov: Vec<libc::iovec> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
    let mut rx_msgs: Vec<libc::mmsghdr> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
    let mut tx_msgs: Vec<libc::mmsghdr> = (0..BATCH).map(|_| unsafe { zeroed() }).collect();
    for i in 0..BATCH {
        rx_iov[i].iov_base = bufs[i * BUF..].as_mut_ptr().cast();
        rx_iov[i].iov_len = BUF;
        tx_iov[i].iov_base = rx_iov[i].iov_base;
        rx_msgs[i].msg_hdr.msg_iov = &mut rx_iov[i];
        rx_msgs[i].msg_hdr.msg_iovlen = 1;
        tx_msgs[i].msg_hdr.msg_iov = &mut tx_iov[i];
        tx_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    let mut events: Vec<libc::epoll_event> = (0..256).map(|_| unsafe { zeroed() }).collect();
    while !stop.load(Ordering::Relaxed) {
        // SAFETY: `events` is a live buffer of the length passed.
        let n = unsafe { libc::epoll_wait(ep.0, events.as_mut_ptr(), events.len() as i32, 20) };
        for ev in events.iter().take(n.max(0) as usize) {
            let Some((rx, tx)) = pairs.get(ev.u64 as usize) else {
                continue;
            };
            loop {
                // SAFETY: the headers describe BATCH live buffers.
                let got = unsafe {
                    libc::recvmmsg(
                        rx.as_raw_fd(),
                        rx_msgs.as_mut_ptr(),
                        BATCH as u32,
                        libc::MSG_DONTWAIT,
                        std::ptr::null_mut(),
                    )
                };
                if got <= 0 {
                    break;
                }
                let got = got as usize;
                for i in 0..got {
                    tx_iov[i].iov_len = rx_msgs[i].msg_len as usize;
                }
                // SAFETY: the first `got` headers point at the received datagrams.
                unsafe { libc::sendmmsg(tx.as_raw_fd(), tx_msgs.as_mut_ptr(), got as u32, 0) };
                if got < BATCH {
                    break;
                }
            }
        }
    }
}

/// An epoll instance closed on drop.
struct Epoll(i32);

impl Epoll {
    fn new() -> Result<Epoll> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            bail!("epoll_create1: {}", std::io::Error::last_os_error());
        }
        Ok(Epoll(fd))
    }

    fn add(&self, fd: i32, data: u64) -> Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: data,
        };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        let rc = unsafe { libc::epoll_ctl(self.0, libc::EPOLL_CTL_ADD, fd, &mut ev) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error()).context("epoll_ctl");
        }
        Ok(())
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        // SAFETY: we own the fd.
        unsafe { libc::close(self.0) };
    }
}
