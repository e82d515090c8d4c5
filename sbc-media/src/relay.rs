//! The packet path: drain a readable socket in batches, check, latch, send to every sink.
//!
//! One `recvmmsg` reads up to `BATCH` datagrams of one socket into the worker's
//! preallocated slots; each is classified, latched and planned per sink exactly as a
//! single packet would be; then every egress socket of the batch gets ONE `sendmmsg`
//! straight from the receive slots (no copy). No allocation, lock or log per packet or
//! per batch: the buffers are built once per worker (`RelayIo::new`), the slot table
//! is indexed by the mio token, sink lists are compiled, counters are single-writer and
//! bumped once per batch. A `debug!` fires only when a latch is set (once per stream
//! and SDP).
//!
//! Monitoring hooks in three places: a tapped stream's plain RTP is lent to its
//! mixer input right after decryption (before any sink rewrites the buffer); RTP is
//! not relayed to a peer the mixer feeds (`Sink::rtcp_only`); and every RTP packet
//! sent records its identity in the target (`last_sent`), where a mixer splice
//! continues from.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use std::sync::mpsc::SyncSender;
use std::time::Instant;

use mio::Token;
use sbc_core::media::{MediaEvent, MediaEventKind};

use crate::egress::SentMark;
use crate::latch::Observation;
use crate::mmsg::{RecvBatch, SendBatch, Sent, BATCH};
use crate::monitor::MonitorGroups;
use crate::packet::{classify, Leg, PacketKind};
use crate::rtp::DtmfEvent;
use crate::sink::{SlotIndex, MAX_SINKS};
use crate::slot::StreamSlot;
use crate::stats::{Counters, DropReason};
use crate::worker::{decode_token, Worker};

/// Datagrams read from one socket before moving on, so one flooded stream cannot
/// starve the others on the worker (the socket is revisited in the next loop turn).
/// One full batch: a busy socket costs one `recvmmsg` per turn.
const READ_BUDGET: usize = BATCH;
/// Every packet of a batch to every sink: the plan can never overflow.
const SEND_CAPACITY: usize = BATCH * MAX_SINKS;
/// One mixer packet (header and the largest encoded frame) with room for any SRTP
/// trailer (tag and MKI).
const MIXED_CAPACITY: usize = crate::rtp::RTP_HEADER_LEN + crate::codec::MAX_PAYLOAD_BYTES + 64;

/// One planned send: receive slot `slot` leaves through socket `fd` towards `dest`.
#[derive(Debug, Clone, Copy)]
struct Outgoing {
    /// Grouping key only; the socket is borrowed from `target` at send time.
    fd: RawFd,
    /// Position in the plan: sorting by `(fd, seq)` groups per socket, keeps order.
    seq: u16,
    slot: u16,
    /// The stream that owns `fd` (its counters get the tx).
    target: SlotIndex,
    dest: SocketAddr,
}

/// A worker's batch buffers: receive slots, send headers and the send plan, all
/// allocated once when the worker thread starts (they hold raw pointers, so they are
/// built on the thread that uses them).
pub(crate) struct RelayIo {
    rx: RecvBatch,
    tx: SendBatch,
    plan: Vec<Outgoing>,
    /// Where a mixer packet is rewritten and sealed before it is sent.
    pub(crate) mixed: Box<[u8]>,
}

impl RelayIo {
    pub(crate) fn new() -> Self {
        RelayIo {
            rx: RecvBatch::new(),
            tx: SendBatch::new(SEND_CAPACITY),
            plan: Vec::with_capacity(SEND_CAPACITY),
            mixed: vec![0; MIXED_CAPACITY].into_boxed_slice(),
        }
    }
}

impl Worker {
    /// Reads `token`'s socket until it would block or the budget runs out.
    /// Returns true if the budget ran out (more datagrams may be queued).
    pub(crate) fn drain(&mut self, token: Token, io: &mut RelayIo) -> bool {
        let Some((idx, leg)) = decode_token(token) else {
            return false;
        };
        let mut budget = READ_BUDGET;
        while budget > 0 {
            let Some(slot) = self.slots.get(idx.get()).and_then(Option::as_ref) else {
                return false;
            };
            let fd = match leg {
                Leg::Rtp => slot.rtp.as_fd(),
                Leg::Rtcp => slot.rtcp.as_fd(),
            };
            let asked = budget.min(BATCH);
            let n = match io.rx.recv(fd, asked) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                // Every failed attempt spends budget: an error that repeats cannot spin.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    budget -= 1;
                    continue;
                }
                Err(_) => {
                    count_drop(slot, &self.counters, DropReason::RecvFailed);
                    budget -= 1;
                    continue;
                }
            };
            budget = budget.saturating_sub(n);
            let ctx = BatchCtx {
                worker: &self.counters,
                strict: self.policy.strict_source,
                // One clock read per batch: arrival time for jitter (vDSO, no syscall).
                now: Instant::now(),
                events: &self.media_events,
            };
            relay_batch(
                &mut self.slots,
                &mut self.groups,
                &ctx,
                (idx.get(), leg),
                io,
            );
            // A short batch drained the socket: stop without the extra recvmmsg that
            // would only return EAGAIN (a syscall per wake-up, a quarter of all
            // syscalls at low rates). Safe with edge-triggered epoll: recvmmsg returns
            // fewer than asked only when both UDP queues were empty at that moment, so
            // the next datagram lands in an empty queue, and Linux wakes the socket on
            // that (since 6.x only on that, see "udp: avoid calling sock_def_readable()
            // if possible"; before, on every datagram). The one exception, a pending
            // socket error ending a batch early, needs a connected socket or
            // IP_RECVERR; ours are neither. `tests/batch.rs` covers a stalled stream.
            if n < asked {
                return false;
            }
        }
        true
    }
}

/// What every packet of one batch shares: the worker's counters and rules, the
/// batch's arrival time and the event queue.
struct BatchCtx<'w> {
    worker: &'w Counters,
    strict: bool,
    now: Instant,
    events: &'w SyncSender<MediaEvent>,
}

/// Handles the datagrams of one `recvmmsg` on stream `idx`: plan, then send.
fn relay_batch(
    slots: &mut [Option<StreamSlot>],
    groups: &mut MonitorGroups,
    ctx: &BatchCtx<'_>,
    (idx, leg): (usize, Leg),
    io: &mut RelayIo,
) {
    let worker = ctx.worker;
    let RelayIo { rx, tx, plan, .. } = io;
    plan.clear();
    let (mut packets, mut bytes) = (0, 0);
    for i in 0..BATCH {
        let Some(d) = rx.get(i) else {
            break;
        };
        packets += 1;
        bytes += d.wire_len;
        if let Err(reason) = plan_packet((slots, groups), ctx, (idx, leg, i), rx, plan) {
            if let Some(slot) = slots.get(idx).and_then(Option::as_ref) {
                count_drop(slot, worker, reason);
            }
        }
    }
    if let Some(slot) = slots.get_mut(idx).and_then(Option::as_mut) {
        slot.counters.on_rx_batch(packets, bytes);
        slot.quality.publish(&slot.counters, worker);
    }
    worker.on_rx_batch(packets, bytes);
    send_plan(slots, worker, idx, rx, tx, plan);
}

/// Checks, decrypts, latches and plans one received datagram (slot `i` of the
/// batch) for every sink. `Err` is the reason the whole packet was dropped; a drop
/// for one sink only is counted here and the other sinks still get the packet.
fn plan_packet(
    (slots, groups): (&mut [Option<StreamSlot>], &mut MonitorGroups),
    ctx: &BatchCtx<'_>,
    (idx, leg, i): (usize, Leg, usize),
    rx: &mut RecvBatch,
    plan: &mut Vec<Outgoing>,
) -> Result<(), DropReason> {
    let worker = ctx.worker;
    let Some(slot) = slots.get_mut(idx).and_then(Option::as_mut) else {
        return Ok(());
    };
    let d = rx.get(i).ok_or(DropReason::RecvFailed)?;
    // A cut packet is corrupt: relaying it, or latching on it, would be wrong.
    if d.truncated {
        return Err(DropReason::Oversize);
    }
    let kind = classify(d.data, leg)?;
    // UDP over IPv4/IPv6 always has a source; anything else is a receive fault.
    let src = d.src.ok_or(DropReason::RecvFailed)?;
    // Strict source: refuse before spending any crypto on someone else's packets.
    if ctx.strict && slot.latch_mut(leg).is_foreign(src) {
        return Err(DropReason::ForeignSource);
    }
    // Decrypt once, in place; SRTP authentication is what makes a packet valid.
    let (buf, len) = rx.slot_mut(i).ok_or(DropReason::RecvFailed)?;
    *len = slot.security.open(kind, buf, *len)?;
    // Only a valid packet may latch: garbage must not redirect the return path.
    match slot.latch_mut(leg).observe(src) {
        Observation::Same => {}
        Observation::Latched => {
            tracing::debug!(
                stream = %slot.id, call = %slot.call, role = slot.role.as_str(), ?leg, %src,
                "media latched"
            );
        }
        Observation::Foreign => {
            slot.counters.on_foreign();
            worker.on_foreign();
        }
    }
    let sinks = if kind == PacketKind::Rtp {
        let plain = buf.get(..*len).unwrap_or_default();
        if let Some(ev) = slot.quality.on_rtp(plain, ctx.now) {
            emit_dtmf(slot, ctx.events, &ev);
        }
        // The mixer copies what it needs now, before a sink rewrites the buffer.
        if let Some(tap) = slot.tap {
            groups.push(tap, plain, ctx.now);
        }
        slot.rtp_sinks
    } else {
        slot.sinks
    };
    if sinks.is_empty() {
        // A monitor group's party with nothing to relay to (a supervisor, a leg
        // the mixer answers for): the packet was for the mixer, not dropped.
        return if slot.tap.is_some() {
            Ok(())
        } else {
            Err(DropReason::NotConnected)
        };
    }
    let last = sinks.as_slice().len() - 1;
    for (k, sink) in sinks.as_slice().iter().enumerate() {
        // Every sink but the last transforms its own copy of the plain packet; the
        // last one (usually the only one) works in the receive slot itself.
        let out = if k == last {
            Some(i)
        } else {
            rx.copy_to_spare(i, i * (MAX_SINKS - 1) + k)
        };
        let planned = match out {
            Some(out) => plan_sink(
                slots,
                (SlotIndex(idx as u32), sink.target),
                kind,
                rx,
                out,
                plan,
                ctx.now,
            ),
            None => Err(DropReason::SendFailed),
        };
        if let Err(reason) = planned {
            if let Some(slot) = slots.get(idx).and_then(Option::as_ref) {
                count_drop(slot, worker, reason);
            }
        }
    }
    Ok(())
}

/// Queues a detected key press; a full queue loses it (the relay never waits).
#[cold]
fn emit_dtmf(slot: &StreamSlot, events: &SyncSender<MediaEvent>, ev: &DtmfEvent) {
    let event = MediaEvent {
        call: slot.call,
        side: slot.role.side(),
        stream: slot.id,
        kind: MediaEventKind::Dtmf {
            digit: ev.digit.as_char(),
            timestamp: ev.timestamp,
        },
    };
    if events.try_send(event).is_err() {
        tracing::warn!(stream = %slot.id, "media event queue full: DTMF digit lost");
    }
}

/// Prepares slot `out` (a plain packet of `kind`) for `target`'s peer: encrypts it in
/// place if that leg is SRTP, then adds it to the send plan.
fn plan_sink(
    slots: &mut [Option<StreamSlot>],
    (source, target_idx): (SlotIndex, SlotIndex),
    kind: PacketKind,
    rx: &mut RecvBatch,
    out: usize,
    plan: &mut Vec<Outgoing>,
    now: Instant,
) -> Result<(), DropReason> {
    let target = slots
        .get_mut(target_idx.get())
        .and_then(Option::as_mut)
        .ok_or(DropReason::NoDestination)?;
    let (sock, dest) = target.egress(kind);
    let dest = dest.ok_or(DropReason::NoDestination)?;
    let fd = sock.as_raw_fd();
    let (Ok(seq), Ok(out_slot)) = (u16::try_from(plan.len()), u16::try_from(out)) else {
        return Err(DropReason::SendFailed);
    };
    // Never grows: capacity is every packet of a batch times every sink.
    if plan.len() >= plan.capacity() {
        return Err(DropReason::SendFailed);
    }
    if let (Some(egress), PacketKind::Rtp) = (target.egress.as_mut(), kind) {
        let (buf, len) = rx.slot_mut(out).ok_or(DropReason::SendFailed)?;
        egress.apply(source, buf.get_mut(..*len).unwrap_or_default(), now);
    }
    if kind == PacketKind::Rtp {
        let (buf, len) = rx.slot_mut(out).ok_or(DropReason::SendFailed)?;
        target.last_sent = SentMark::of(buf.get(..*len).unwrap_or_default(), now);
    }
    if !target.security.is_plain() {
        let (buf, len) = rx.slot_mut(out).ok_or(DropReason::SendFailed)?;
        *len = target.security.seal(kind, buf, *len)?;
    }
    plan.push(Outgoing {
        fd,
        seq,
        slot: out_slot,
        target: target_idx,
        dest,
    });
    Ok(())
}

/// Sends the plan: one `sendmmsg` per egress socket, in arrival order per socket.
fn send_plan(
    slots: &[Option<StreamSlot>],
    worker: &Counters,
    idx: usize,
    rx: &RecvBatch,
    tx: &mut SendBatch,
    plan: &mut [Outgoing],
) {
    // Usually one socket (already sorted, O(n)); insertion/pdq sort never allocates.
    plan.sort_unstable_by_key(|o| (o.fd, o.seq));
    let ingress = slots.get(idx).and_then(Option::as_ref);
    let mut rest: &[Outgoing] = plan;
    while let Some(first) = rest.first() {
        let run_len = rest
            .iter()
            .position(|o| o.fd != first.fd)
            .unwrap_or(rest.len());
        let Some((run, tail)) = rest.split_at_checked(run_len) else {
            break;
        };
        let target = slots.get(first.target.get()).and_then(Option::as_ref);
        // The slot table does not change during a batch, so the socket is always found.
        let sent = match target.and_then(|t| egress_fd(t, first.fd)) {
            Some(fd) => tx.send(fd, rx, run.iter().map(|o| (usize::from(o.slot), o.dest))),
            None => Sent::default(),
        };
        if sent.sent > 0 {
            if let Some(target) = target {
                target.counters.on_tx_batch(sent.sent, sent.bytes);
            }
            worker.on_tx_batch(sent.sent, sent.bytes);
        }
        let failed = run.len().saturating_sub(sent.sent);
        if failed > 0 {
            if let Some(slot) = ingress {
                slot.counters.on_drops(DropReason::SendFailed, failed);
            }
            worker.on_drops(DropReason::SendFailed, failed);
        }
        rest = tail;
    }
}

/// `target`'s socket whose descriptor is `fd`.
fn egress_fd(target: &StreamSlot, fd: RawFd) -> Option<BorrowedFd<'_>> {
    [target.rtp.as_fd(), target.rtcp.as_fd()]
        .into_iter()
        .find(|s| s.as_raw_fd() == fd)
}

#[inline]
fn count_drop(slot: &StreamSlot, worker: &Counters, reason: DropReason) {
    slot.counters.on_drop(reason);
    worker.on_drop(reason);
}
