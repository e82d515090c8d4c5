//! Non-INVITE server transaction: RFC 3261 §17.2.2.
//!
//! ```text
//! Trying --1xx--> Proceeding --final--> Completed (Timer J) --> gone
//!  rexmit: absorb   rexmit: resend 1xx    rexmit: resend final
//! ```
//! The layer's own CANCEL handling runs one of these too, so CANCEL retransmissions
//! get the same 200/481 again.

use std::time::Instant;

use bytes::Bytes;

use super::client_invite::Flow;
use super::io::Io;
use super::key::ServerKey;
use super::timers::{TimerKind, TimerTable, TxRef};
use super::{ServerTxId, TxError};
use crate::net::Peer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Trying,
    Proceeding,
    Completed,
}

#[derive(Debug)]
pub(crate) struct ServerNonInvite {
    pub id: ServerTxId,
    pub key: ServerKey,
    pub key_hash: u64,
    pub state: State,
    pub peer: Peer,
    pub timers: TimerTable,
    /// To tag of the request (RFC 2543 matching compares it on retransmissions).
    pub request_to_tag: Option<Box<str>>,
    /// Created by the layer itself (a CANCEL it answered): the TU never saw it, so its
    /// end is not reported.
    pub internal: bool,
    last_response: Option<Bytes>,
}

impl ServerNonInvite {
    pub(crate) fn new(
        id: ServerTxId,
        key: ServerKey,
        key_hash: u64,
        peer: Peer,
        request_to_tag: Option<Box<str>>,
    ) -> Self {
        ServerNonInvite {
            id,
            key,
            key_hash,
            state: State::Trying,
            peer,
            timers: TimerTable::default(),
            request_to_tag,
            internal: false,
            last_response: None,
        }
    }

    /// A retransmitted request: nothing to say in Trying, else repeat the last response.
    pub(crate) fn on_retransmit(&mut self, io: &mut Io) {
        io.stats.request_retransmissions += 1;
        if let Some(last) = self.last_response.clone() {
            io.resend(self.peer, last);
        }
    }

    pub(crate) fn send_response(
        &mut self,
        io: &mut Io,
        now: Instant,
        bytes: Bytes,
        status: u16,
    ) -> Result<Flow, TxError> {
        if self.state == State::Completed {
            return Err(TxError::AlreadyFinal);
        }
        io.send(self.peer, bytes.clone());
        self.last_response = Some(bytes);
        if status < 200 {
            self.state = State::Proceeding;
            return Ok(Flow::Continue);
        }
        self.state = State::Completed;
        let wait = io.cfg.timer_j(self.peer.transport.is_reliable());
        if wait.is_zero() {
            return Ok(Flow::Terminate);
        }
        io.arm(
            &mut self.timers,
            TxRef::Server(self.id),
            TimerKind::J,
            now,
            wait,
        );
        Ok(Flow::Continue)
    }

    pub(crate) fn on_timer(&mut self, kind: TimerKind) -> Flow {
        match (self.state, kind) {
            (State::Completed, TimerKind::J) => Flow::Terminate,
            _ => Flow::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Method;
    use crate::transaction::key::ServerKeyRef;
    use crate::transaction::test_msgs::{request, tcp, udp};
    use crate::transaction::timers::TimerConfig;

    fn new(peer: Peer) -> ServerNonInvite {
        let req = request("BYE", "z9hG4bKb1");
        let via = req.top_via().expect("via");
        let key = ServerKeyRef::of_request(&req, &via, Method::Bye)
            .expect("key")
            .to_owned_key();
        ServerNonInvite::new(ServerTxId(1), key, 0, peer, None)
    }

    #[test]
    fn trying_absorbs_then_final_is_repeated() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = new(udp());
        tx.on_retransmit(&mut io);
        assert!(io.transmits.is_empty());
        let flow = tx.send_response(&mut io, now, Bytes::from_static(b"200"), 200);
        assert_eq!(flow, Ok(Flow::Continue));
        assert!(tx.timers.is_armed(TimerKind::J));
        tx.on_retransmit(&mut io);
        assert_eq!(io.transmits.len(), 2);
        let again = tx.send_response(&mut io, now, Bytes::from_static(b"500"), 500);
        assert_eq!(again, Err(TxError::AlreadyFinal));
        assert_eq!(tx.on_timer(TimerKind::J), Flow::Terminate);
    }

    #[test]
    fn reliable_final_ends_at_once() {
        let now = Instant::now();
        let mut io = Io::new(TimerConfig::default());
        let mut tx = new(tcp());
        let flow = tx.send_response(&mut io, now, Bytes::from_static(b"180"), 180);
        assert_eq!(flow, Ok(Flow::Continue));
        assert_eq!(tx.state, State::Proceeding);
        let flow = tx.send_response(&mut io, now, Bytes::from_static(b"200"), 200);
        assert_eq!(flow, Ok(Flow::Terminate));
    }
}
