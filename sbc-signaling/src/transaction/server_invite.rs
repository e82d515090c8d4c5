//! INVITE server transaction: RFC 3261 §17.2.1 with the RFC 6026 Accepted state.
//!
//! ```text
//! Proceeding --3xx-6xx--> Completed --ACK--> Confirmed (Timer I) --> gone
//!  (100 sent at once;     G: resend final, G = min(2G, T2); H: AckTimeout
//!   INVITE rexmit:
//!   resend last 1xx)
//!     |--2xx--> Accepted: resend 2xx T1..T2 until the ACK (§13.3.1.4);
//!                Timer L: gone (AckTimeout if no ACK came)
//! ```
//!
//! The 2xx retransmission is the UAS core's job in RFC 3261; this layer does it for
//! the TU so every dialog gets it right. Like pjsip and sofia-sip it only does so on
//! unreliable transports (RFC 3261 §13.3.1.4 would retransmit on TCP too, for UDP
//! hops behind a stateless proxy; an SBC talks to its neighbour directly).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::build;
use super::client_invite::Flow;
use super::io::Io;
use super::key::ServerKey;
use super::timers::{TimerKind, TimerTable, TxRef};
use super::{ServerTxId, TxError, TxEvent};
use crate::net::Peer;
use crate::sip::SipMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
}

/// What to do with an ACK that matched this transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckOutcome {
    /// Part of the transaction (ACK to a non-2xx, or a retransmission): swallow it.
    Absorbed(Flow),
    /// The ACK to our 2xx: the TU gets it as `TxEvent::Ack`.
    ToTu,
}

#[derive(Debug)]
pub(crate) struct ServerInvite {
    pub id: ServerTxId,
    pub key: ServerKey,
    pub key_hash: u64,
    pub state: State,
    pub request: SipMessage,
    /// Where responses go, fixed at request time (§18.2.2 / RFC 3581).
    pub peer: Peer,
    pub timers: TimerTable,
    /// To tag of the request (RFC 2543 matching compares it on retransmissions).
    pub request_to_tag: Option<Box<str>>,
    /// To tag of our latest tagged response (the CANCEL 200 reuses it, §9.2; RFC
    /// 2543 ACK matching compares it).
    pub response_to_tag: Option<Box<str>>,
    /// Set while in Accepted: the hash under which the layer indexes us for ACK-to-2xx.
    pub ack2xx_hash: Option<u64>,
    last_response: Option<Bytes>,
    /// The last response is the layer's own 100: a 100 from the TU is then a duplicate.
    sent_auto_trying: bool,
    interval: Duration,
    ack_received: bool,
}

impl ServerInvite {
    /// Create in Proceeding and send 100 Trying at once (§17.2.1: the TU may take longer
    /// than 200 ms, and the 100 quenches the client's Timer A).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start(
        id: ServerTxId,
        key: ServerKey,
        key_hash: u64,
        request: SipMessage,
        peer: Peer,
        request_to_tag: Option<Box<str>>,
        io: &mut Io,
    ) -> Self {
        let trying = build::trying(&mut io.buf, &request);
        io.send(peer, trying.clone());
        ServerInvite {
            id,
            key,
            key_hash,
            state: State::Proceeding,
            request,
            peer,
            timers: TimerTable::default(),
            request_to_tag,
            response_to_tag: None,
            ack2xx_hash: None,
            last_response: Some(trying),
            sent_auto_trying: true,
            interval: io.cfg.t1,
            ack_received: false,
        }
    }

    /// A retransmitted INVITE: answer with what we said last (§17.2.1).
    pub(crate) fn on_retransmit(&mut self, io: &mut Io) {
        io.stats.request_retransmissions += 1;
        match self.state {
            State::Proceeding | State::Completed | State::Accepted => {
                if let Some(last) = self.last_response.clone() {
                    io.resend(self.peer, last);
                }
            }
            State::Confirmed => {}
        }
    }

    pub(crate) fn send_response(
        &mut self,
        io: &mut Io,
        now: Instant,
        response: &SipMessage,
        status: u16,
    ) -> Result<Flow, TxError> {
        let bytes = response.as_bytes().clone();
        match (self.state, status) {
            (State::Proceeding, 100) if self.sent_auto_trying => {}
            (State::Proceeding, 101..=199) | (State::Proceeding, 100) => {
                self.note_to_tag(response);
                self.sent_auto_trying = false;
                io.send(self.peer, bytes.clone());
                self.last_response = Some(bytes);
            }
            (State::Proceeding, 200..=299) => {
                self.note_to_tag(response);
                self.state = State::Accepted;
                io.send(self.peer, bytes.clone());
                self.last_response = Some(bytes);
                let me = TxRef::Server(self.id);
                if !self.peer.transport.is_reliable() {
                    io.arm(
                        &mut self.timers,
                        me,
                        TimerKind::Retransmit2xx,
                        now,
                        self.interval,
                    );
                }
                io.arm(&mut self.timers, me, TimerKind::L, now, io.cfg.t1x64());
            }
            (State::Proceeding, _) => {
                self.note_to_tag(response);
                self.state = State::Completed;
                io.send(self.peer, bytes.clone());
                self.last_response = Some(bytes);
                let me = TxRef::Server(self.id);
                if !self.peer.transport.is_reliable() {
                    io.arm(&mut self.timers, me, TimerKind::G, now, self.interval);
                }
                io.arm(&mut self.timers, me, TimerKind::H, now, io.cfg.t1x64());
            }
            // RFC 6026 §8.5: a 2xx passed down in Accepted (a TU retransmission) is sent.
            (State::Accepted, 200..=299) => io.send(self.peer, bytes),
            _ => return Err(TxError::AlreadyFinal),
        }
        Ok(Flow::Continue)
    }

    fn note_to_tag(&mut self, response: &SipMessage) {
        if let Some(tag) = response.to_hdr().ok().and_then(|t| t.tag()) {
            if self.response_to_tag.as_deref() != Some(tag) {
                self.response_to_tag = Some(tag.into());
            }
        }
    }

    /// An ACK matched by transaction key (same branch as the INVITE).
    pub(crate) fn on_ack(&mut self, io: &mut Io, now: Instant) -> AckOutcome {
        match self.state {
            State::Completed => {
                self.state = State::Confirmed;
                self.timers.stop_all();
                let wait = io.cfg.t4_unless_reliable(self.peer.transport.is_reliable());
                if wait.is_zero() {
                    return AckOutcome::Absorbed(Flow::Terminate);
                }
                io.arm(
                    &mut self.timers,
                    TxRef::Server(self.id),
                    TimerKind::I,
                    now,
                    wait,
                );
                AckOutcome::Absorbed(Flow::Continue)
            }
            State::Confirmed => {
                io.stats.request_retransmissions += 1;
                AckOutcome::Absorbed(Flow::Continue)
            }
            // A 2xx ACK reusing the INVITE branch (RFC 2543 peers): still the TU's.
            State::Accepted => {
                self.on_2xx_ack();
                AckOutcome::ToTu
            }
            State::Proceeding => {
                io.stats.dropped_acks += 1;
                AckOutcome::Absorbed(Flow::Continue)
            }
        }
    }

    /// The ACK to our 2xx arrived (matched by dialog): stop retransmitting the 2xx.
    /// The transaction lingers until Timer L to absorb INVITE retransmissions.
    pub(crate) fn on_2xx_ack(&mut self) {
        self.ack_received = true;
        self.timers.stop(TimerKind::Retransmit2xx);
    }

    pub(crate) fn on_timer(&mut self, io: &mut Io, now: Instant, kind: TimerKind) -> Flow {
        let me = TxRef::Server(self.id);
        match (self.state, kind) {
            (State::Completed, TimerKind::G) | (State::Accepted, TimerKind::Retransmit2xx) => {
                if let Some(last) = self.last_response.clone() {
                    io.resend(self.peer, last);
                }
                self.interval = io.cfg.double_capped(self.interval);
                io.arm(&mut self.timers, me, kind, now, self.interval);
                Flow::Continue
            }
            (State::Completed, TimerKind::H) => {
                io.emit(TxEvent::AckTimeout { tx: self.id });
                Flow::Terminate
            }
            (State::Accepted, TimerKind::L) => {
                if !self.ack_received {
                    io.emit(TxEvent::AckTimeout { tx: self.id });
                }
                Flow::Terminate
            }
            (State::Confirmed, TimerKind::I) => Flow::Terminate,
            _ => Flow::Continue,
        }
    }

    pub(crate) fn is_accepted(&self) -> bool {
        self.state == State::Accepted
    }

    /// Does an ACK with these dialog identifiers acknowledge our 2xx?
    pub(crate) fn acks_our_2xx(&self, call_id: &str, cseq: u32, from_tag: &str) -> bool {
        self.state == State::Accepted
            && self.request.call_id().is_ok_and(|c| c == call_id)
            && self.request.cseq().is_ok_and(|c| c.seq == cseq)
            && self
                .request
                .from_hdr()
                .ok()
                .and_then(|f| f.tag())
                .unwrap_or("")
                == from_tag
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Method;
    use crate::transaction::key::ServerKeyRef;
    use crate::transaction::test_msgs::{request, response, tcp, udp};
    use crate::transaction::timers::TimerConfig;

    fn start(peer: Peer, io: &mut Io) -> ServerInvite {
        let req = request("INVITE", "z9hG4bKs1");
        let key = {
            let via = req.top_via().expect("via");
            ServerKeyRef::of_request(&req, &via, Method::Invite)
                .expect("key")
                .to_owned_key()
        };
        ServerInvite::start(ServerTxId(1), key, 0, req, peer, None, io)
    }

    #[test]
    fn sends_100_once_and_drops_the_tus_100() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = start(udp(), &mut io);
        assert_eq!(io.transmits.len(), 1);
        let trying = response("INVITE", "z9hG4bKs1", 100, "x");
        tx.send_response(&mut io, now, &trying, 100).expect("ok");
        assert_eq!(io.transmits.len(), 1);
    }

    #[test]
    fn two_xx_retransmits_until_ack_on_udp_only() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let ok = response("INVITE", "z9hG4bKs1", 200, "x");
        let mut tx = start(udp(), &mut io);
        tx.send_response(&mut io, now, &ok, 200).expect("ok");
        assert!(tx.is_accepted());
        assert!(tx.timers.is_armed(TimerKind::Retransmit2xx) && tx.timers.is_armed(TimerKind::L));
        assert!(tx.acks_our_2xx("unit-1", 1, "f1"));
        assert!(!tx.acks_our_2xx("unit-1", 2, "f1"));
        tx.on_2xx_ack();
        assert!(!tx.timers.is_armed(TimerKind::Retransmit2xx));
        assert_eq!(tx.on_timer(&mut io, now, TimerKind::L), Flow::Terminate);
        assert!(io.events.is_empty(), "ACK came: no AckTimeout");

        let mut tx = start(tcp(), &mut io);
        tx.send_response(&mut io, now, &ok, 200).expect("ok");
        assert!(!tx.timers.is_armed(TimerKind::Retransmit2xx));
    }

    #[test]
    fn ack_before_final_is_dropped_and_final_twice_is_refused() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = start(udp(), &mut io);
        assert_eq!(
            tx.on_ack(&mut io, now),
            AckOutcome::Absorbed(Flow::Continue)
        );
        assert_eq!(io.stats.dropped_acks, 1);
        let busy = response("INVITE", "z9hG4bKs1", 486, "x");
        tx.send_response(&mut io, now, &busy, 486).expect("ok");
        assert_eq!(
            tx.send_response(&mut io, now, &busy, 486),
            Err(TxError::AlreadyFinal)
        );
        assert_eq!(
            tx.on_ack(&mut io, now),
            AckOutcome::Absorbed(Flow::Continue)
        );
        assert_eq!(tx.state, State::Confirmed);
        assert!(tx.timers.is_armed(TimerKind::I));
    }
}
