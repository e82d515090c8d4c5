//! What the call engine tells the rest of the SBC (metrics, CDR writer, later the
//! monitoring plane and the API's event stream).

use sbc_core::call::Cdr;
use sbc_core::ids::{CallRef, StreamId, TrunkName};
use sbc_core::monitoring::{JoinRequest, MonitorSessionId, PartyHints, SessionEnd};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    Started {
        call: CallRef,
        ingress: Option<TrunkName>,
        target: TrunkName,
    },
    /// The callee answered. `a` and `b` are what each party said about the agent
    /// (empty unless monitoring is configured).
    Answered {
        call: CallRef,
        ingress: Option<TrunkName>,
        target: TrunkName,
        a: PartyHints,
        b: PartyHints,
    },
    Ended(Cdr),
    /// A supervisor dialled a feature code and was authenticated (or failed to be):
    /// answer with `B2bua::monitor_admit` or `monitor_refuse`.
    MonitorJoin(JoinRequest),
    /// A supervisor leg was answered: its media stream carries the supervisor's digits.
    MonitorStarted {
        session: MonitorSessionId,
        call: CallRef,
        stream: StreamId,
    },
    /// A supervisor digit sent by SIP INFO (`application/dtmf-relay`).
    MonitorDigit {
        session: MonitorSessionId,
        digit: char,
    },
    /// A supervisor took over `call` and the SBC hung up the agent's leg: the call
    /// goes on between customer and supervisor.
    AgentReleased {
        call: CallRef,
        session: MonitorSessionId,
    },
    /// A supervisor leg ended (or an admission could not be carried out).
    MonitorEnded {
        session: MonitorSessionId,
        end: SessionEnd,
    },
}
