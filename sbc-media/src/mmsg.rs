//! Batched UDP I/O: safe wrappers around Linux `recvmmsg(2)` / `sendmmsg(2)`.
//!
//! One `recvmmsg` reads up to `BATCH` datagrams into preallocated fixed-size slots and
//! one `sendmmsg` sends many datagrams (each with its own destination) straight out of
//! those slots, so the relay pays two syscalls per batch instead of two per packet.
//! A packet is rewritten in place (SRTP) and copied only when it has a second sink
//! that needs its own transform (`copy_to_spare`). All buffers, `iovec`s, `mmsghdr`s and socket addresses are
//! allocated once (`RecvBatch::new`, `SendBatch::new`) and reused for every batch.
//!
//! The raw pointers inside the headers are rewritten from the owning buffers right
//! before every syscall, so they are always derived from a live borrow and nothing
//! depends on the structs staying put. The types hold raw pointers and are therefore
//! not `Send`: a worker builds them on its own thread.

use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;

/// Datagrams per `recvmmsg`.
pub(crate) const BATCH: usize = 64;
/// Bytes per slot. RTP/RTCP (plain or SRTP) never exceeds an Ethernet MTU (1,500);
/// anything larger is abnormal and reported as truncated, then dropped. 2 KiB keeps
/// the whole batch small instead of the megabytes 64 KiB slots would cost.
pub(crate) const SLOT_BYTES: usize = 2048;
/// Room kept free at the end of every slot so a packet can grow in place: SRTP
/// protect appends up to 24 octets (SRTCP index, a 16-octet tag, a 4-octet MKI).
const TRAILER_ROOM: usize = 64;
/// The most a receive slot takes from the wire; a longer datagram is truncated.
pub(crate) const RECV_BYTES: usize = SLOT_BYTES - TRAILER_ROOM;
/// Extra slots for packets that go to more than one sink: every sink but the last
/// gets a copy of the (decrypted) packet to transform; the last one works in place.
const COPY_SLOTS: usize = BATCH * (crate::sink::MAX_SINKS - 1);
const TOTAL_SLOTS: usize = BATCH + COPY_SLOTS;

/// Size of a `sockaddr_storage`, as the kernel wants it.
const STORAGE_LEN: libc::socklen_t = size_of::<libc::sockaddr_storage>() as libc::socklen_t;

/// C structs for which the all-zero bit pattern is a valid value ("nothing to send or
/// receive yet": null pointers, zero lengths).
///
/// # Safety
/// Implement only for plain C structs made of integers and raw pointers.
unsafe trait Zeroable {}
// SAFETY: all three are libc C structs of integers and raw pointers only.
unsafe impl Zeroable for libc::iovec {}
unsafe impl Zeroable for libc::mmsghdr {}
unsafe impl Zeroable for libc::sockaddr_storage {}

fn zeroed_array<T: Zeroable>(n: usize) -> Box<[T]> {
    (0..n)
        .map(|_| {
            // SAFETY: `T: Zeroable` guarantees the all-zero bit pattern is a valid `T`.
            unsafe { std::mem::zeroed::<T>() }
        })
        .collect()
}

/// One received datagram, borrowed from its batch slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Datagram<'a> {
    /// The bytes that fit in the slot (all of them unless `truncated`).
    pub data: &'a [u8],
    /// The datagram's real size on the wire (larger than `data` if truncated).
    pub wire_len: usize,
    /// The sender; `None` if the kernel gave an address family we do not speak.
    pub src: Option<SocketAddr>,
    /// The datagram was larger than `RECV_BYTES` and was cut (`MSG_TRUNC`).
    pub truncated: bool,
}

/// Receive side: `BATCH` slots of `SLOT_BYTES` plus their headers and source addresses,
/// and the copy slots. Each slot has a current length: a packet may be rewritten in
/// place (decrypted, re-encrypted) and shrink or grow into its trailer room.
pub(crate) struct RecvBatch {
    bufs: Box<[u8]>,
    lens: Box<[usize]>,
    addrs: Box<[libc::sockaddr_storage]>,
    iovs: Box<[libc::iovec]>,
    hdrs: Box<[libc::mmsghdr]>,
    /// Datagrams held from the last `recv`.
    count: usize,
}

impl RecvBatch {
    pub(crate) fn new() -> Self {
        RecvBatch {
            bufs: vec![0u8; TOTAL_SLOTS * SLOT_BYTES].into_boxed_slice(),
            lens: vec![0; TOTAL_SLOTS].into_boxed_slice(),
            addrs: zeroed_array(BATCH),
            iovs: zeroed_array(BATCH),
            hdrs: zeroed_array(BATCH),
            count: 0,
        }
    }

    /// Reads up to `max` (at most `BATCH`) datagrams without blocking. `Ok(n)` with
    /// n >= 1, or the socket error (`WouldBlock` when nothing is queued).
    pub(crate) fn recv(&mut self, fd: BorrowedFd<'_>, max: usize) -> io::Result<usize> {
        self.count = 0;
        let want = max.clamp(1, BATCH);
        let buf_base = self.bufs.as_mut_ptr();
        for (i, iov) in self.iovs.iter_mut().take(want).enumerate() {
            // In bounds: i < BATCH and bufs holds BATCH slots.
            iov.iov_base = buf_base.wrapping_add(i * SLOT_BYTES).cast();
            iov.iov_len = RECV_BYTES;
        }
        let addr_base = self.addrs.as_mut_ptr();
        let iov_base = self.iovs.as_mut_ptr();
        for (i, h) in self.hdrs.iter_mut().take(want).enumerate() {
            h.msg_hdr.msg_name = addr_base.wrapping_add(i).cast();
            h.msg_hdr.msg_namelen = STORAGE_LEN;
            h.msg_hdr.msg_iov = iov_base.wrapping_add(i);
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_control = ptr::null_mut();
            h.msg_hdr.msg_controllen = 0;
            h.msg_hdr.msg_flags = 0;
            h.msg_len = 0;
        }
        // SAFETY: `hdrs` has at least `want` initialized entries, each pointing at its
        // own `sockaddr_storage` (length STORAGE_LEN) and one `iovec` that covers its
        // own SLOT_BYTES slot of `bufs`; all four boxes are borrowed mutably by `self`
        // for the whole call and the kernel writes only within those bounds. `fd` is
        // borrowed, so it stays open (and the same socket) for the call.
        let n = unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                self.hdrs.as_mut_ptr(),
                want as libc::c_uint,
                // MSG_TRUNC: msg_len reports the real size of an oversized datagram.
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                ptr::null_mut(),
            )
        };
        match usize::try_from(n) {
            Ok(0) => Err(io::ErrorKind::WouldBlock.into()),
            Ok(n) => {
                self.count = n.min(want);
                for (len, h) in self.lens.iter_mut().zip(self.hdrs.iter()).take(self.count) {
                    *len = (h.msg_len as usize).min(RECV_BYTES);
                }
                Ok(self.count)
            }
            Err(_) => Err(io::Error::last_os_error()),
        }
    }

    /// Datagram `i` of the last `recv`.
    pub(crate) fn get(&self, i: usize) -> Option<Datagram<'_>> {
        if i >= self.count {
            return None;
        }
        let h = self.hdrs.get(i)?;
        let wire_len = h.msg_len as usize;
        let len = *self.lens.get(i)?;
        let start = i * SLOT_BYTES;
        let data = self.bufs.get(start..start + len)?;
        let src = self
            .addrs
            .get(i)
            .and_then(|ss| from_sockaddr(ss, h.msg_hdr.msg_namelen));
        Some(Datagram {
            data,
            wire_len,
            src,
            truncated: h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
        })
    }

    /// Slot `i` (a datagram of the last `recv`, or a copy slot) for rewriting in
    /// place: all `SLOT_BYTES` of it and its current length, to be updated by the caller.
    pub(crate) fn slot_mut(&mut self, i: usize) -> Option<(&mut [u8], &mut usize)> {
        if i >= self.count && i < BATCH {
            return None;
        }
        let start = i * SLOT_BYTES;
        let buf = self.bufs.get_mut(start..start + SLOT_BYTES)?;
        let len = self.lens.get_mut(i)?;
        Some((buf, len))
    }

    /// Copies datagram `from` (as it is now) into copy slot `copy` (0..COPY_SLOTS) and
    /// returns the copy's slot index.
    pub(crate) fn copy_to_spare(&mut self, from: usize, copy: usize) -> Option<usize> {
        if from >= self.count || copy >= COPY_SLOTS {
            return None;
        }
        let to = BATCH + copy;
        let len = *self.lens.get(from)?;
        let src = from * SLOT_BYTES;
        self.bufs.copy_within(src..src + len, to * SLOT_BYTES);
        *self.lens.get_mut(to)? = len;
        Some(to)
    }

    /// Start of slot `i`'s bytes and their length, for `SendBatch` (no copy).
    fn slot(&self, i: usize) -> Option<(*const u8, usize)> {
        if i >= self.count && i < BATCH {
            return None;
        }
        let len = *self.lens.get(i)?;
        let start = i * SLOT_BYTES;
        let bytes = self.bufs.get(start..start + len)?;
        Some((bytes.as_ptr(), len))
    }
}

/// What a `SendBatch::send` achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    /// Messages handed to `send` (that referenced a valid slot).
    pub queued: usize,
    /// Messages the kernel accepted (always the first `sent` of them).
    pub sent: usize,
    /// Bytes in those messages.
    pub bytes: usize,
}

/// Send side: up to `capacity` outgoing messages, each pointing at a receive slot.
pub(crate) struct SendBatch {
    addrs: Box<[libc::sockaddr_storage]>,
    iovs: Box<[libc::iovec]>,
    hdrs: Box<[libc::mmsghdr]>,
}

impl SendBatch {
    pub(crate) fn new(capacity: usize) -> Self {
        SendBatch {
            addrs: zeroed_array(capacity),
            iovs: zeroed_array(capacity),
            hdrs: zeroed_array(capacity),
        }
    }

    /// Sends `(slot, destination)` messages out of `rx`'s slots through `fd`, in order,
    /// with one `sendmmsg`. A partial send is retried once for the rest; whatever is
    /// still unsent after that is left to the caller to count (never a spin). Messages
    /// beyond the capacity or naming an empty slot are not queued.
    pub(crate) fn send(
        &mut self,
        fd: BorrowedFd<'_>,
        rx: &RecvBatch,
        msgs: impl Iterator<Item = (usize, SocketAddr)>,
    ) -> Sent {
        let mut queued = 0;
        for (slot, dest) in msgs {
            let Some((ptr, len)) = rx.slot(slot) else {
                continue;
            };
            let (Some(ss), Some(iov), Some(h)) = (
                self.addrs.get_mut(queued),
                self.iovs.get_mut(queued),
                self.hdrs.get_mut(queued),
            ) else {
                break; // full: the caller counts what was not queued
            };
            // sendmsg only reads through iov_base; the field is `*mut` for recvmsg.
            iov.iov_base = ptr.cast_mut().cast();
            iov.iov_len = len;
            h.msg_hdr.msg_namelen = to_sockaddr(dest, ss);
            queued += 1;
        }
        // Second pass: the header pointers are taken after the last write to the
        // address and iovec arrays, so they stay valid until the syscall.
        let addr_base = self.addrs.as_mut_ptr();
        let iov_base = self.iovs.as_mut_ptr();
        for (i, h) in self.hdrs.iter_mut().take(queued).enumerate() {
            h.msg_hdr.msg_name = addr_base.wrapping_add(i).cast();
            h.msg_hdr.msg_iov = iov_base.wrapping_add(i);
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_control = ptr::null_mut();
            h.msg_hdr.msg_controllen = 0;
            h.msg_hdr.msg_flags = 0;
            h.msg_len = 0;
        }
        let mut sent = 0;
        for _attempt in 0..2 {
            if sent >= queued {
                break;
            }
            let Some(rest) = self.hdrs.get_mut(sent..queued) else {
                break;
            };
            // SAFETY: `rest` is a live, initialized slice of `queued - sent` headers;
            // each names its own `sockaddr_storage` (with the length `to_sockaddr`
            // wrote) and one `iovec` over bytes of `rx`'s slot, which `rx` (borrowed
            // shared for this call) keeps alive and unmodified. The kernel only reads
            // them and writes `msg_len` inside `rest`.
            let n = unsafe {
                libc::sendmmsg(
                    fd.as_raw_fd(),
                    rest.as_mut_ptr(),
                    rest.len() as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            // -1 (EAGAIN/ENOBUFS/EINTR, a refused destination) sends nothing: one
            // retry, then the caller counts the rest as dropped.
            if let Ok(n) = usize::try_from(n) {
                sent += n.min(rest.len());
            }
        }
        let bytes = self
            .hdrs
            .iter()
            .take(sent)
            .map(|h| h.msg_len as usize)
            .sum();
        Sent {
            queued,
            sent,
            bytes,
        }
    }
}

/// Writes `addr` into `out`; returns the length the kernel must be told.
fn to_sockaddr(addr: SocketAddr, out: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: `sockaddr_storage` is larger than and at least as aligned as
            // `sockaddr_in` (that is its purpose); `out` is a valid exclusive reference.
            unsafe { ptr::write(ptr::from_mut(out).cast::<libc::sockaddr_in>(), sin) };
            size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo().to_be(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above, for `sockaddr_in6`.
            unsafe { ptr::write(ptr::from_mut(out).cast::<libc::sockaddr_in6>(), sin6) };
            size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

/// Reads a kernel-written source address; `None` for other families or short lengths.
fn from_sockaddr(ss: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    match libc::c_int::from(ss.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a `sockaddr_in`, the kernel
            // wrote at least that many bytes, and `sockaddr_storage` is suitably
            // aligned for every socket address type.
            let sin = unsafe { &*ptr::from_ref(ss).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for `sockaddr_in6`.
            let sin6 = unsafe { &*ptr::from_ref(ss).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsFd;

    #[test]
    fn sockaddr_round_trip() {
        let mut ss = zeroed_array::<libc::sockaddr_storage>(1);
        for a in ["192.0.2.7:4000", "[2001:db8::1]:5004", "[fe80::1%3]:9"] {
            let addr: SocketAddr = a.parse().unwrap();
            let len = to_sockaddr(addr, &mut ss[0]);
            assert_eq!(from_sockaddr(&ss[0], len), Some(addr), "{a}");
        }
        assert_eq!(from_sockaddr(&ss[0], 4), None, "short length");
    }

    #[test]
    fn batch_round_trip_and_truncation() {
        let rx_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let out = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx_sock.local_addr().unwrap();
        let mut rx = RecvBatch::new();
        let fd = rx_sock.as_fd();
        assert_eq!(
            rx.recv(fd, BATCH).map_err(|e| e.kind()),
            Err(io::ErrorKind::WouldBlock)
        );
        for i in 0..3u8 {
            tx_sock.send_to(&[i; 100], to).unwrap();
        }
        tx_sock.send_to(&[9u8; 3000], to).unwrap();
        // Loopback delivery is synchronous: everything is queued already.
        assert_eq!(rx.recv(fd, BATCH).unwrap(), 4);
        let d = rx.get(1).unwrap();
        assert_eq!(
            (d.data, d.src, d.truncated),
            (&[1u8; 100][..], Some(tx_sock.local_addr().unwrap()), false)
        );
        let big = rx.get(3).unwrap();
        assert!(big.truncated);
        assert_eq!((big.data.len(), big.wire_len), (RECV_BYTES, 3000));
        assert!(rx.get(4).is_none());

        let dest = out.local_addr().unwrap();
        let mut tx = SendBatch::new(8);
        // Datagram 2 rewritten in place (shrunk), datagram 0 sent from a copy slot.
        {
            let (buf, len) = rx.slot_mut(2).unwrap();
            buf[..50].fill(0xEE);
            *len = 50;
        }
        let copy = rx.copy_to_spare(0, 5).unwrap();
        assert!(rx.slot_mut(7).is_none(), "no datagram 7 in this batch");
        let sent = tx.send(
            tx_sock.as_fd(),
            &rx,
            [(2, dest), (copy, dest), (7, dest)].into_iter(),
        );
        assert_eq!(
            sent,
            Sent {
                queued: 2,
                sent: 2,
                bytes: 150
            }
        );
        let mut buf = [0u8; 256];
        assert_eq!(out.recv(&mut buf).unwrap(), 50);
        assert_eq!(buf[0], 0xEE);
        assert_eq!(out.recv(&mut buf).unwrap(), 100);
        assert_eq!(buf[0], 0);
    }
}
