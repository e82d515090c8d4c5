//! Mode switches inside a session: the supervisor presses 1-4 (listen, whisper, barge,
//! take-over). Each switch is authorized against the policy's *current* record of the
//! supervisor (a reload that narrowed the role applies at the next switch) and
//! audited; a refused switch leaves the session in its mode and plays an error tone.
//! Digits that name no mode, the mode already in use, unknown sessions and sessions
//! whose call is gone are ignored without a record: they change nothing.

use sbc_core::monitoring::{MonitorMode, MonitorSessionId};

use super::calls::CallRegistry;
use super::effect::{Effect, Outcome};
use super::sessions::Sessions;
use crate::audit::{AuditKind, UnixMillis};
use crate::authz::{authorize, Decision, DenyReason, MonitoredCall, AGENT_RELEASED};
use crate::policy::Policy;

pub(super) fn switch(
    policy: &Policy,
    calls: &CallRegistry,
    sessions: &mut Sessions,
    at: UnixMillis,
    id: MonitorSessionId,
    digit: char,
) -> Outcome {
    let Some(mode) = MonitorMode::from_dtmf(digit) else {
        return Outcome::none();
    };
    let Some(session) = sessions.get_mut(id) else {
        return Outcome::none();
    };
    let Some(call) = calls.get(session.call) else {
        return Outcome::none();
    };
    if session.mode == mode {
        return Outcome::none();
    }
    if call.agent_released {
        // Nobody to whisper to or barge in on, and the supervisor who took over is
        // the customer's party now: only another supervisor's move to listen is left.
        if session.mode == MonitorMode::Takeover || mode != MonitorMode::Listen {
            let facts = session.facts(mode);
            return Outcome {
                audit: vec![facts.record(at, AuditKind::Denied, AGENT_RELEASED)],
                effect: Some(Effect::RefuseMode { session: id, mode }),
            };
        }
    }
    let monitored = MonitoredCall {
        call: session.call,
        tenant: session.tenant.clone(),
        agent: session.agent.clone(),
    };
    let decision = match policy.supervisor(session.supervisor.as_str()) {
        Some(current) => authorize(policy, current, &monitored, mode),
        None => Decision::Deny(DenyReason::UnknownSupervisor),
    };
    let facts = session.facts(mode);
    match decision {
        Decision::Allow => {
            let previous = session.mode;
            session.mode = mode;
            let kind = match mode {
                MonitorMode::Takeover => AuditKind::Takeover,
                _ => AuditKind::ModeChange,
            };
            Outcome {
                audit: vec![facts.record(at, kind, "ok")],
                effect: Some(Effect::SetMode {
                    session: id,
                    call: session.call,
                    mode,
                    previous,
                }),
            }
        }
        Decision::Deny(reason) => Outcome {
            audit: vec![facts.record(at, AuditKind::Denied, reason.as_str())],
            effect: Some(Effect::RefuseMode { session: id, mode }),
        },
    }
}
