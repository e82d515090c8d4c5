//! The call model seen from outside the engine: why calls end, and the call detail
//! record. Times are `Instant`s (library crates never read the wall clock); the daemon
//! maps them to wall-clock time when it writes the CDR.

use std::time::Instant;

use crate::ids::{CallRef, LegSide, TrunkName};

/// Why a call ended. Used as the `cause` label of `sbc_calls_ended_total` and in CDRs,
/// so the set is closed and the names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndCause {
    /// Answered, then one side sent BYE.
    NormalClearing,
    /// The caller cancelled before the answer.
    Cancelled,
    /// The called side answered with a final error (3xx-6xx), relayed to the caller.
    Rejected,
    /// No final answer in time (Timer B or Timer C).
    Timeout,
    /// The SBC refused the call itself (no route, no media ports, policy...).
    Refused,
    /// The caller never acknowledged our 2xx (Timer H / Timer L).
    AckTimeout,
}

impl EndCause {
    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::NormalClearing => "normal_clearing",
            EndCause::Cancelled => "cancelled",
            EndCause::Rejected => "rejected",
            EndCause::Timeout => "timeout",
            EndCause::Refused => "refused",
            EndCause::AckTimeout => "ack_timeout",
        }
    }

    pub const ALL: [EndCause; 6] = [
        EndCause::NormalClearing,
        EndCause::Cancelled,
        EndCause::Rejected,
        EndCause::Timeout,
        EndCause::Refused,
        EndCause::AckTimeout,
    ];
}

/// One call detail record, emitted once when a call ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cdr {
    pub call: CallRef,
    /// SIP Call-ID of the A leg (as the caller sent it) and of the B leg (ours).
    pub a_call_id: String,
    pub b_call_id: Option<String>,
    pub from_user: String,
    pub to_user: String,
    pub ingress_trunk: Option<TrunkName>,
    pub target_trunk: Option<TrunkName>,
    pub started: Instant,
    pub answered: Option<Instant>,
    pub ended: Instant,
    /// The final status the caller received on its INVITE (200 when answered).
    pub final_status: u16,
    pub cause: EndCause,
    /// Which side hung up (BYE or CANCEL); `None` when the SBC ended the call.
    pub ended_by: Option<LegSide>,
}
