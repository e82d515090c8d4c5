//! INVITE client transaction: RFC 3261 §17.1.1 with the RFC 6026 Accepted state.
//!
//! ```text
//! Calling --1xx--> Proceeding --300-699--> Completed (ACK sent, Timer D) --> gone
//!    |  A: resend, A*=2       |  2xx
//!    |  B: Timeout            v
//!    +-------2xx---------> Accepted (Timer M: absorb 2xx retransmissions, re-ACK) --> gone
//! ```
//!
//! The transaction also carries the §9.1 CANCEL bookkeeping: a CANCEL requested in
//! Calling waits for the first provisional, and once a CANCEL is out a guard of 64*T1
//! ends the transaction if the UAS never sends a final response.

use std::time::{Duration, Instant};

use bytes::Bytes;
use smallvec::SmallVec;

use super::build;
use super::io::Io;
use super::key::ClientKey;
use super::timers::{TimerKind, TimerTable, TxRef};
use super::{ClientTxId, TxEvent};
use crate::net::Peer;
use crate::sip::SipMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
}

/// Whether the transaction lives on after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Terminate,
}

/// §9.1: where the CANCEL for this INVITE stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelState {
    None,
    /// Requested before any provisional: the CANCEL tx id is reserved, not started.
    Waiting(ClientTxId),
    /// The CANCEL tx with this id is running (or done).
    Sent(ClientTxId),
}

/// A 2xx To tag seen on this INVITE, with the TU's ACK for it once sent.
#[derive(Debug)]
struct Fork {
    to_tag: Box<str>,
    ack: Option<(Bytes, Peer)>,
}

#[derive(Debug)]
pub(crate) struct ClientInvite {
    pub id: ClientTxId,
    pub key: ClientKey,
    pub state: State,
    pub request: SipMessage,
    pub peer: Peer,
    pub timers: TimerTable,
    pub cancel: CancelState,
    a_interval: Duration,
    /// The ACK to our non-2xx final, kept to answer its retransmissions.
    ack: Option<Bytes>,
    forks: SmallVec<[Fork; 1]>,
}

impl ClientInvite {
    pub(crate) fn start(
        id: ClientTxId,
        key: ClientKey,
        request: SipMessage,
        peer: Peer,
        io: &mut Io,
        now: Instant,
    ) -> Self {
        let mut tx = ClientInvite {
            id,
            key,
            state: State::Calling,
            request,
            peer,
            timers: TimerTable::default(),
            cancel: CancelState::None,
            a_interval: io.cfg.t1,
            ack: None,
            forks: SmallVec::new(),
        };
        io.send(peer, tx.request.as_bytes().clone());
        let me = TxRef::Client(id);
        if !peer.transport.is_reliable() {
            io.arm(&mut tx.timers, me, TimerKind::A, now, tx.a_interval);
        }
        io.arm(&mut tx.timers, me, TimerKind::B, now, io.cfg.t1x64());
        tx
    }

    pub(crate) fn on_response(
        &mut self,
        io: &mut Io,
        now: Instant,
        msg: SipMessage,
        status: u16,
    ) -> Flow {
        match (self.state, status) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.timers.stop(TimerKind::A);
                self.timers.stop(TimerKind::B);
                io.emit(TxEvent::Response { tx: self.id, msg });
                Flow::Continue
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                self.enter_accepted(io, now);
                self.on_2xx(io, msg);
                Flow::Continue
            }
            (State::Calling | State::Proceeding, _) => self.enter_completed(io, now, msg),
            (State::Accepted, 200..=299) => {
                self.on_2xx(io, msg);
                Flow::Continue
            }
            (State::Completed, 300..=699) => {
                // A retransmitted final: our ACK was lost, send it again (§17.1.1.2).
                io.stats.response_retransmissions += 1;
                if let Some(ack) = self.ack.clone() {
                    io.resend(self.peer, ack);
                }
                Flow::Continue
            }
            _ => {
                io.stats.response_retransmissions += 1;
                Flow::Continue
            }
        }
    }

    fn enter_accepted(&mut self, io: &mut Io, now: Instant) {
        self.state = State::Accepted;
        self.timers.stop_all();
        // A CANCEL still waiting for a provisional is moot once the call is answered.
        if matches!(self.cancel, CancelState::Waiting(_)) {
            self.cancel = CancelState::None;
        }
        let me = TxRef::Client(self.id);
        io.arm(&mut self.timers, me, TimerKind::M, now, io.cfg.t1x64());
    }

    /// First 2xx per To tag goes to the TU; a repeat is re-ACKed with the TU's ACK.
    fn on_2xx(&mut self, io: &mut Io, msg: SipMessage) {
        let tag = msg.to_hdr().ok().and_then(|t| t.tag()).unwrap_or("");
        if let Some(fork) = self.forks.iter().find(|f| *f.to_tag == *tag) {
            io.stats.response_retransmissions += 1;
            if let Some((ack, peer)) = fork.ack.clone() {
                io.resend(peer, ack);
            }
            return;
        }
        self.forks.push(Fork {
            to_tag: tag.into(),
            ack: None,
        });
        io.emit(TxEvent::Response { tx: self.id, msg });
    }

    fn enter_completed(&mut self, io: &mut Io, now: Instant, msg: SipMessage) -> Flow {
        self.state = State::Completed;
        self.timers.stop_all();
        if matches!(self.cancel, CancelState::Waiting(_)) {
            self.cancel = CancelState::None;
        }
        match build::ack_for_non2xx(&mut io.buf, &self.request, &msg) {
            Ok(ack) => {
                io.send(self.peer, ack.clone());
                self.ack = Some(ack);
            }
            // Only reachable if our own INVITE or the response lost a header the
            // parser guarantees; the UAS then retransmits until its Timer H.
            Err(_) => io.stats.dropped_unparsable += 1,
        }
        io.emit(TxEvent::Response { tx: self.id, msg });
        let wait = io.cfg.timer_d(self.peer.transport.is_reliable());
        if wait.is_zero() {
            return Flow::Terminate;
        }
        io.arm(
            &mut self.timers,
            TxRef::Client(self.id),
            TimerKind::D,
            now,
            wait,
        );
        Flow::Continue
    }

    pub(crate) fn on_timer(&mut self, io: &mut Io, now: Instant, kind: TimerKind) -> Flow {
        match (self.state, kind) {
            (State::Calling, TimerKind::A) => {
                io.resend(self.peer, self.request.as_bytes().clone());
                // INVITE backoff doubles without the T2 cap (§17.1.1.2).
                self.a_interval = self.a_interval.saturating_mul(2);
                let me = TxRef::Client(self.id);
                io.arm(&mut self.timers, me, TimerKind::A, now, self.a_interval);
                Flow::Continue
            }
            (State::Calling, TimerKind::B) | (State::Proceeding, TimerKind::CancelGuard) => {
                io.stats.timeouts += 1;
                io.emit(TxEvent::Timeout { tx: self.id });
                Flow::Terminate
            }
            (State::Completed, TimerKind::D) | (State::Accepted, TimerKind::M) => Flow::Terminate,
            _ => Flow::Continue,
        }
    }

    /// The TU asked to cancel. Returns the id to start a CANCEL tx with now, if any.
    pub(crate) fn request_cancel(
        &mut self,
        io: &mut Io,
        now: Instant,
        reserve: ClientTxId,
    ) -> Option<CancelNow> {
        match (self.state, self.cancel) {
            (State::Calling, CancelState::None) => {
                self.cancel = CancelState::Waiting(reserve);
                Some(CancelNow::Existing(reserve))
            }
            (State::Proceeding, CancelState::None) => {
                self.cancel = CancelState::Sent(reserve);
                self.arm_cancel_guard(io, now);
                Some(CancelNow::Start(reserve))
            }
            // Asked twice: one CANCEL is enough; hand back the same id.
            (_, CancelState::Waiting(id) | CancelState::Sent(id)) => Some(CancelNow::Existing(id)),
            _ => None,
        }
    }

    /// After a provisional: a waiting CANCEL may go now (§9.1).
    pub(crate) fn take_ready_cancel(&mut self, io: &mut Io, now: Instant) -> Option<ClientTxId> {
        match (self.state, self.cancel) {
            (State::Proceeding, CancelState::Waiting(id)) => {
                self.cancel = CancelState::Sent(id);
                self.arm_cancel_guard(io, now);
                Some(id)
            }
            _ => None,
        }
    }

    /// §9.1: "If no final response has been received after 64*T1 seconds, the client
    /// SHOULD consider the original transaction cancelled and destroy it."
    fn arm_cancel_guard(&mut self, io: &mut Io, now: Instant) {
        let me = TxRef::Client(self.id);
        io.arm(
            &mut self.timers,
            me,
            TimerKind::CancelGuard,
            now,
            io.cfg.t1x64(),
        );
    }

    /// Still waiting for a final response (a transport error ends it).
    pub(crate) fn awaiting_final(&self) -> bool {
        matches!(self.state, State::Calling | State::Proceeding)
    }

    /// The TU sent the ACK for the 2xx with `to_tag`: keep it to answer retransmissions.
    pub(crate) fn remember_ack(&mut self, to_tag: &str, ack: Bytes, peer: Peer) {
        if self.state != State::Accepted {
            return;
        }
        match self.forks.iter_mut().find(|f| *f.to_tag == *to_tag) {
            Some(fork) => fork.ack = Some((ack, peer)),
            None => self.forks.push(Fork {
                to_tag: to_tag.into(),
                ack: Some((ack, peer)),
            }),
        }
    }
}

/// What `request_cancel` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelNow {
    /// Start the CANCEL tx with this id right away.
    Start(ClientTxId),
    /// Nothing to start now (the CANCEL waits for a provisional, or is already out);
    /// this is its id.
    Existing(ClientTxId),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Method;
    use crate::transaction::key::ClientKey;
    use crate::transaction::test_msgs::{request, response, tcp, udp};
    use crate::transaction::timers::TimerConfig;
    use std::collections::hash_map::RandomState;

    fn start(peer: Peer, io: &mut Io, now: Instant) -> ClientInvite {
        let key = ClientKey::new(&RandomState::new(), "z9hG4bKu1", Method::Invite);
        ClientInvite::start(
            ClientTxId(1),
            key,
            request("INVITE", "z9hG4bKu1"),
            peer,
            io,
            now,
        )
    }

    #[test]
    fn udp_arms_a_and_b_tcp_only_b() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let tx = start(udp(), &mut io, now);
        assert!(tx.timers.is_armed(TimerKind::A) && tx.timers.is_armed(TimerKind::B));
        assert_eq!(io.transmits.len(), 1);
        let tx = start(tcp(), &mut io, now);
        assert!(!tx.timers.is_armed(TimerKind::A) && tx.timers.is_armed(TimerKind::B));
    }

    #[test]
    fn two_xx_goes_to_accepted_and_repeats_are_absorbed() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = start(udp(), &mut io, now);
        let ok = response("INVITE", "z9hG4bKu1", 200, "t1");
        assert_eq!(
            tx.on_response(&mut io, now, ok.clone(), 200),
            Flow::Continue
        );
        assert_eq!(tx.state, State::Accepted);
        assert!(tx.timers.is_armed(TimerKind::M) && !tx.timers.is_armed(TimerKind::A));
        tx.on_response(&mut io, now, ok, 200);
        assert_eq!(io.events.len(), 1, "the repeat is not delivered");
        // Timer M ends it.
        assert_eq!(tx.on_timer(&mut io, now, TimerKind::M), Flow::Terminate);
    }

    #[test]
    fn cancel_waits_in_calling_and_is_released_by_a_provisional() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = start(udp(), &mut io, now);
        let got = tx.request_cancel(&mut io, now, ClientTxId(2));
        assert_eq!(got, Some(CancelNow::Existing(ClientTxId(2))));
        assert_eq!(tx.take_ready_cancel(&mut io, now), None, "still Calling");
        let ringing = response("INVITE", "z9hG4bKu1", 180, "t1");
        tx.on_response(&mut io, now, ringing, 180);
        assert_eq!(tx.take_ready_cancel(&mut io, now), Some(ClientTxId(2)));
        assert!(tx.timers.is_armed(TimerKind::CancelGuard));
        assert_eq!(tx.take_ready_cancel(&mut io, now), None, "only once");
    }

    #[test]
    fn non_2xx_over_tcp_acks_and_ends_at_once() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = start(tcp(), &mut io, now);
        let busy = response("INVITE", "z9hG4bKu1", 486, "t1");
        assert_eq!(tx.on_response(&mut io, now, busy, 486), Flow::Terminate);
        assert_eq!(io.transmits.len(), 2, "INVITE + ACK");
    }
}
