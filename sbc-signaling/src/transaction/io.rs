//! The output side shared by every state machine: queued datagrams, queued events,
//! the timer heap, a reusable write buffer and the counters. Machines get `&mut Io`
//! plus `now` and write into it; the layer drains it through its `poll_*` methods.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::timers::{TimerConfig, TimerKind, TimerQueue, TimerTable, TxRef};
use super::{TxEvent, TxStats};
use crate::net::{Peer, Transmit};
use crate::sip::{Rport, Via};

/// Default SIP port when a Via has no port (§18.2.2, §19.1.2).
const DEFAULT_SIP_PORT: u16 = 5060;

#[derive(Debug)]
pub(crate) struct Io {
    pub cfg: TimerConfig,
    pub timers: TimerQueue,
    pub transmits: VecDeque<Transmit>,
    pub events: VecDeque<TxEvent>,
    /// Scratch for messages the layer writes itself (ACK, CANCEL, 100, 481).
    pub buf: BytesMut,
    pub stats: TxStats,
}

impl Io {
    pub(crate) fn new(cfg: TimerConfig) -> Self {
        Io {
            cfg,
            timers: TimerQueue::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            buf: BytesMut::with_capacity(1024),
            stats: TxStats::default(),
        }
    }

    pub(crate) fn send(&mut self, peer: Peer, payload: Bytes) {
        self.transmits.push_back(Transmit { peer, payload });
    }

    /// A retransmission on the layer's own initiative (counted separately).
    pub(crate) fn resend(&mut self, peer: Peer, payload: Bytes) {
        self.stats.retransmits_sent += 1;
        self.send(peer, payload);
    }

    pub(crate) fn emit(&mut self, ev: TxEvent) {
        self.events.push_back(ev);
    }

    pub(crate) fn arm(
        &mut self,
        table: &mut TimerTable,
        tx: TxRef,
        kind: TimerKind,
        now: Instant,
        after: Duration,
    ) {
        self.timers.arm(table, tx, kind, now + after);
    }
}

/// Where responses to a request go (§18.2.2 with RFC 3581): stream transports answer
/// on the connection the request came in on; UDP answers to the source IP, and to the
/// source port only if the client asked with `rport`, else to the Via sent-by port.
/// `maddr` is deliberately ignored: an SBC must not be steered into sending to an
/// address the packet did not come from (reflection attacks).
pub(crate) fn response_peer(from: Peer, via: &Via<'_>) -> Peer {
    if from.transport.is_reliable() {
        return from;
    }
    match via.rport() {
        Rport::Requested | Rport::Value(_) => from,
        Rport::Absent => {
            let port = via.port.filter(|p| *p != 0).unwrap_or(DEFAULT_SIP_PORT);
            Peer {
                addr: SocketAddr::new(from.addr.ip(), port),
                ..from
            }
        }
    }
}
