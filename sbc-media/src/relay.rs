//! The packet path: drain a readable socket, check, latch, send to every sink.
//!
//! No allocation, lock or log per packet: one preallocated receive buffer per worker,
//! flat slot table indexed by the mio token, compiled sink lists, single-writer
//! counters. A `debug!` fires only when a latch is set (once per stream and SDP).

use std::io;
use std::net::SocketAddr;

use mio::Token;

use crate::latch::Observation;
use crate::packet::{classify, Leg};
use crate::slot::StreamSlot;
use crate::stats::{Counters, DropReason};
use crate::worker::{decode_token, Worker};

/// Datagrams read from one socket before moving on, so one flooded stream cannot
/// starve the others on the worker (the socket is revisited in the same loop turn).
const READ_BUDGET: usize = 64;

impl Worker {
    /// Reads `token`'s socket until it would block or the budget runs out.
    /// Returns true if the budget ran out (more datagrams may be queued).
    pub(crate) fn drain(&mut self, token: Token) -> bool {
        let Some((idx, leg)) = decode_token(token) else {
            return false;
        };
        for _ in 0..READ_BUDGET {
            let Some(slot) = self.slots.get(idx.get()).and_then(Option::as_ref) else {
                return false;
            };
            let sock = match leg {
                Leg::Rtp => &slot.rtp,
                Leg::Rtcp => &slot.rtcp,
            };
            match sock.recv_from(&mut self.buf) {
                Ok((len, src)) => {
                    let pkt = self.buf.get(..len).unwrap_or(&[]);
                    relay_packet(&mut self.slots, &self.counters, idx.get(), leg, pkt, src);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    slot.counters.on_drop(DropReason::RecvFailed);
                    self.counters.on_drop(DropReason::RecvFailed);
                }
            }
        }
        true
    }
}

/// Handles one received datagram of stream `idx`.
fn relay_packet(
    slots: &mut [Option<StreamSlot>],
    worker: &Counters,
    idx: usize,
    leg: Leg,
    pkt: &[u8],
    src: SocketAddr,
) {
    let Some(slot) = slots.get_mut(idx).and_then(Option::as_mut) else {
        return;
    };
    slot.counters.on_rx(pkt.len());
    worker.on_rx(pkt.len());
    let kind = match classify(pkt, leg) {
        Ok(kind) => kind,
        Err(reason) => return count_drop(slot, worker, reason),
    };
    // Only a valid packet may latch: garbage must not redirect the return path.
    match slot.latch_mut(leg).observe(src) {
        Observation::Same => {}
        Observation::Latched => {
            tracing::debug!(
                stream = %slot.id, call = %slot.call, side = slot.side.as_str(), ?leg, %src,
                "media latched"
            );
        }
        Observation::Foreign => {
            slot.counters.on_foreign();
            worker.on_foreign();
        }
    }
    let sinks = slot.sinks;
    let slots: &[Option<StreamSlot>] = slots;
    let Some(slot) = slots.get(idx).and_then(Option::as_ref) else {
        return;
    };
    if sinks.is_empty() {
        return count_drop(slot, worker, DropReason::NotConnected);
    }
    for sink in sinks.as_slice() {
        let Some(target) = slots.get(sink.target.get()).and_then(Option::as_ref) else {
            count_drop(slot, worker, DropReason::NoDestination);
            continue;
        };
        let (sock, dest) = target.egress(kind);
        let Some(dest) = dest else {
            count_drop(slot, worker, DropReason::NoDestination);
            continue;
        };
        match sock.send_to(pkt, dest) {
            Ok(sent) => {
                target.counters.on_tx(sent);
                worker.on_tx(sent);
            }
            Err(_) => count_drop(slot, worker, DropReason::SendFailed),
        }
    }
}

#[inline]
fn count_drop(slot: &StreamSlot, worker: &Counters, reason: DropReason) {
    slot.counters.on_drop(reason);
    worker.on_drop(reason);
}
