//! Non-INVITE client transaction: RFC 3261 §17.1.2.
//!
//! ```text
//! Trying --1xx--> Proceeding --final--> Completed (Timer K) --> gone
//!   E: resend, E = min(2E, T2)     E: resend, E = T2
//!   F (either state): Timeout
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::client_invite::Flow;
use super::io::Io;
use super::key::ClientKey;
use super::timers::{TimerKind, TimerTable, TxRef};
use super::{ClientTxId, TxEvent};
use crate::net::Peer;
use crate::sip::SipMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Trying,
    Proceeding,
    Completed,
}

#[derive(Debug)]
pub(crate) struct ClientNonInvite {
    pub id: ClientTxId,
    pub key: ClientKey,
    pub state: State,
    /// The serialized request, for retransmission.
    pub payload: Bytes,
    pub peer: Peer,
    pub timers: TimerTable,
    e_interval: Duration,
}

impl ClientNonInvite {
    pub(crate) fn start(
        id: ClientTxId,
        key: ClientKey,
        payload: Bytes,
        peer: Peer,
        io: &mut Io,
        now: Instant,
    ) -> Self {
        let mut tx = ClientNonInvite {
            id,
            key,
            state: State::Trying,
            payload,
            peer,
            timers: TimerTable::default(),
            e_interval: io.cfg.t1,
        };
        io.send(peer, tx.payload.clone());
        let me = TxRef::Client(id);
        if !peer.transport.is_reliable() {
            io.arm(&mut tx.timers, me, TimerKind::E, now, tx.e_interval);
        }
        io.arm(&mut tx.timers, me, TimerKind::F, now, io.cfg.t1x64());
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
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                io.emit(TxEvent::Response { tx: self.id, msg });
                Flow::Continue
            }
            (State::Trying | State::Proceeding, _) => {
                self.state = State::Completed;
                self.timers.stop_all();
                io.emit(TxEvent::Response { tx: self.id, msg });
                let wait = io.cfg.t4_unless_reliable(self.peer.transport.is_reliable());
                if wait.is_zero() {
                    return Flow::Terminate;
                }
                io.arm(
                    &mut self.timers,
                    TxRef::Client(self.id),
                    TimerKind::K,
                    now,
                    wait,
                );
                Flow::Continue
            }
            (State::Completed, _) => {
                io.stats.response_retransmissions += 1;
                Flow::Continue
            }
        }
    }

    /// Still waiting for a final response (a transport error ends it).
    pub(crate) fn awaiting_final(&self) -> bool {
        matches!(self.state, State::Trying | State::Proceeding)
    }

    pub(crate) fn on_timer(&mut self, io: &mut Io, now: Instant, kind: TimerKind) -> Flow {
        match (self.state, kind) {
            (State::Trying | State::Proceeding, TimerKind::E) => {
                io.resend(self.peer, self.payload.clone());
                // Once a provisional arrived the server is alive: poll at T2 (§17.1.2.2).
                self.e_interval = if self.state == State::Proceeding {
                    io.cfg.t2
                } else {
                    io.cfg.double_capped(self.e_interval)
                };
                let me = TxRef::Client(self.id);
                io.arm(&mut self.timers, me, TimerKind::E, now, self.e_interval);
                Flow::Continue
            }
            (State::Trying | State::Proceeding, TimerKind::F) => {
                io.stats.timeouts += 1;
                io.emit(TxEvent::Timeout { tx: self.id });
                Flow::Terminate
            }
            (State::Completed, TimerKind::K) => Flow::Terminate,
            _ => Flow::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Method;
    use crate::transaction::key::ClientKey;
    use crate::transaction::test_msgs::{request, response, tcp, udp};
    use crate::transaction::timers::TimerConfig;
    use std::collections::hash_map::RandomState;

    fn start(peer: Peer, io: &mut Io, now: Instant) -> ClientNonInvite {
        let key = ClientKey::new(&RandomState::new(), "z9hG4bKn1", Method::Options);
        let payload = request("OPTIONS", "z9hG4bKn1").as_bytes().clone();
        ClientNonInvite::start(ClientTxId(1), key, payload, peer, io, now)
    }

    #[test]
    fn e_doubles_to_t2_in_trying() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = start(udp(), &mut io, now);
        let mut seen = Vec::new();
        for _ in 0..5 {
            tx.on_timer(&mut io, now, TimerKind::E);
            seen.push(tx.e_interval.as_millis());
        }
        assert_eq!(seen, [1000, 2000, 4000, 4000, 4000]);
    }

    #[test]
    fn final_over_udp_waits_k_over_tcp_ends() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let ok = response("OPTIONS", "z9hG4bKn1", 200, "t");
        let mut tx = start(udp(), &mut io, now);
        assert_eq!(
            tx.on_response(&mut io, now, ok.clone(), 200),
            Flow::Continue
        );
        assert!(tx.timers.is_armed(TimerKind::K) && !tx.timers.is_armed(TimerKind::F));
        let mut tx = start(tcp(), &mut io, now);
        assert_eq!(tx.on_response(&mut io, now, ok, 200), Flow::Terminate);
    }

    #[test]
    fn timer_f_reports_timeout() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = start(udp(), &mut io, now);
        assert_eq!(tx.on_timer(&mut io, now, TimerKind::F), Flow::Terminate);
        assert!(matches!(
            io.events.pop_front(),
            Some(TxEvent::Timeout { .. })
        ));
    }
}
