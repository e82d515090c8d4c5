//! The RFC 3261 §17 transaction layer (with the RFC 6026 Accepted states), sans-IO.
//!
//! [`TransactionLayer`] owns every client and server transaction of one signaling
//! instance: it matches incoming messages to transactions, absorbs retransmissions,
//! retransmits on its own timers and tells the transaction user (the dialog layer /
//! B2BUA) only what is new. Drive it with `handle_message` / `handle_timeout` and the
//! `send_*` calls, then drain `poll_transmit` and `poll_event`, and sleep until
//! `poll_timeout`. It never reads a clock or touches a socket.
//!
//! Module map: `layer` (the public entry points), `incoming` (request/response
//! dispatch), `expiry` (timer dispatch), one file per state machine, `key`
//! (matching), `timers` (T1/T2/T4, the heap), `build` (ACK, CANCEL, 100, 481), `io`
//! (the output queues every machine writes into).

mod build;
mod client_invite;
mod client_non_invite;
mod expiry;
mod incoming;
mod io;
mod key;
mod layer;
mod server_invite;
mod server_non_invite;
#[cfg(test)]
mod test_msgs;
mod timers;

use std::fmt;

use thiserror::Error;

use crate::net::Peer;
use crate::sip::{ParseError, SipMessage};

pub use layer::TransactionLayer;
pub use timers::TimerConfig;

/// A client transaction (a request we sent). Never reused within one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(pub(crate) u64);

/// A server transaction (a request we received). Never reused within one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(pub(crate) u64);

impl fmt::Display for ClientTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ctx-{}", self.0)
    }
}

impl fmt::Display for ServerTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stx-{}", self.0)
    }
}

/// What the transaction user must act on.
#[derive(Debug, Clone)]
pub enum TxEvent {
    /// A new request (never ACK or CANCEL); answer it with `send_response(tx, ..)`.
    /// For INVITE the layer has already sent 100 Trying.
    Request {
        tx: ServerTxId,
        msg: SipMessage,
        from: Peer,
    },
    /// An ACK outside any transaction: the ACK to a 2xx (§13.2.2.4, §17.2.3).
    Ack { msg: SipMessage, from: Peer },
    /// A new CANCEL. The layer has already answered it: 200 if it matched an INVITE
    /// server transaction (`invite_tx`), 481 otherwise (§9.2). If the INVITE has not
    /// had a final response yet, the TU should answer it 487.
    Cancel {
        invite_tx: Option<ServerTxId>,
        msg: SipMessage,
        from: Peer,
    },
    /// A response on a client transaction: each 1xx and the final; for INVITE also
    /// every 2xx with a new To tag (forks). Retransmissions are not re-delivered.
    Response { tx: ClientTxId, msg: SipMessage },
    /// A response that matches no client transaction. A 2xx here may be a
    /// retransmission whose ACK the TU must re-send (§13.2.2.4).
    StrayResponse { msg: SipMessage },
    /// Timer B / F fired (or the §9.1 CANCEL guard): treat as a 408 final response.
    Timeout { tx: ClientTxId },
    /// `handle_transport_error` reported the destination unreachable: treat as 503.
    TransportError { tx: ClientTxId },
    /// Timer H / Timer L: the ACK for our final response never arrived.
    AckTimeout { tx: ServerTxId },
    /// A server transaction ended; it accepts no more responses.
    Terminated { tx: ServerTxId },
}

/// Misuse of the layer by the TU (peer misbehaviour never surfaces as an error: it
/// is dropped and counted in [`TxStats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TxError {
    /// `send_request` got a response, or `send_response` a request.
    #[error("wrong message kind for this call")]
    WrongMessageKind,
    /// The request's top Via has no RFC 3261 branch (`new_branch()` makes one).
    #[error("request has no z9hG4bK branch in its top Via")]
    MissingBranch,
    /// The server transaction is gone (terminated or never existed).
    #[error("no such transaction")]
    UnknownTransaction,
    /// The transaction already sent its final response.
    #[error("transaction already has a final response")]
    AlreadyFinal,
    /// A header the layer needs could not be parsed.
    #[error("unparsable message: {0}")]
    Parse(#[from] ParseError),
}

/// Counters for metrics: every drop has a reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxStats {
    /// Request retransmissions absorbed by a server transaction.
    pub request_retransmissions: u64,
    /// Response retransmissions absorbed by a client transaction.
    pub response_retransmissions: u64,
    /// Messages the layer sent again on its own timers.
    pub retransmits_sent: u64,
    /// Messages dropped because a header the layer needs would not parse.
    pub dropped_unparsable: u64,
    /// ACKs that matched no transaction in a state that takes them (e.g. before any final).
    pub dropped_acks: u64,
    /// Responses that matched no client transaction.
    pub stray_responses: u64,
    /// Client transactions ended by Timer B / F / CANCEL guard.
    pub timeouts: u64,
}
