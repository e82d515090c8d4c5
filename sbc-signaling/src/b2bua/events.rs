//! What the call engine tells the rest of the SBC (metrics, CDR writer, later the
//! monitoring plane and the API's event stream).

use sbc_core::call::Cdr;
use sbc_core::ids::{CallRef, LegSide, StreamId, TrunkName};
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
    /// The party on `side` transferred the call (REFER): the party reached through
    /// `target` now holds that side. `party` is what it said about itself (agent
    /// headers of its answer, the Refer-To URI), for the monitoring plane.
    Transferred {
        call: CallRef,
        side: LegSide,
        target: TrunkName,
        party: PartyHints,
    },
    /// A supervisor leg ended (or an admission could not be carried out).
    MonitorEnded {
        session: MonitorSessionId,
        end: SessionEnd,
    },
}
