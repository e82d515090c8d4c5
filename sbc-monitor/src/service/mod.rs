//! The monitoring plane's session service, sans-IO: it knows the answered calls and
//! their agents, decides supervisors' joins and mode switches, and keeps the running
//! monitor sessions. Time comes in as [`UnixMillis`]; nothing here reads a clock or
//! does IO.
//!
//! Every decision comes back as an [`Outcome`]: audit records to append durably, in
//! order, and then one [`Effect`] to apply. The caller (the binary) appends first and
//! applies only after the append succeeded; if it fails it calls
//! [`MonitorService::audit_failed`] and applies the fallback instead, so nothing takes
//! effect without its audit trail.
//!
//! - `calls`: the call registry (tenant and agent of each call, agents' calls, agents
//!   seen recently per tenant) and who is believed about the agent;
//! - `join`: the join decision; `digits`: mode switches; `sessions`: running sessions;
//! - `facts`: audit fields gathered per action; `effect`: what to do; `recent`: the
//!   bounded set of recently seen agents.
//!
//! "Unknown agent" (404) vs "agent idle" (480): an agent is known to a tenant once it
//! was seen on one of that tenant's calls (remembered for the last
//! [`SEEN_AGENTS_CAP`] agents), or when the `[[agent]]` directory lists it with that
//! `tenant`. A directory entry without a tenant counts only once seen: answering 480
//! for it would tell any tenant's supervisor that the agent exists.

mod calls;
mod digits;
mod effect;
mod facts;
mod join;
mod recent;
mod sessions;

use std::sync::Arc;

use sbc_core::ids::{CallRef, LegSide, StreamId, TrunkName};
use sbc_core::monitoring::{JoinRequest, MonitorMode, MonitorSessionId, PartyHints, SessionEnd};

use crate::audit::{AuditKind, UnixMillis};
use crate::authz::sip_status;
use crate::policy::Policy;
use calls::CallRegistry;
use sessions::{Session, Sessions};

pub use calls::SEEN_AGENTS_CAP;
pub use effect::{Admission, Effect, Outcome, AUDIT_UNAVAILABLE};
pub use facts::MAX_CLAIMED_LEN;

/// The monitoring plane's state machine. One per process, driven from one task.
#[derive(Debug)]
pub struct MonitorService {
    policy: Arc<Policy>,
    calls: CallRegistry,
    sessions: Sessions,
}

impl MonitorService {
    pub fn new(policy: Arc<Policy>) -> Self {
        MonitorService {
            policy,
            calls: CallRegistry::default(),
            sessions: Sessions::default(),
        }
    }

    /// A reloaded policy (SIGHUP). Running calls keep the tenant and agent they were
    /// identified with; running sessions are judged by it at their next switch.
    pub fn set_policy(&mut self, policy: Arc<Policy>) {
        self.policy = policy;
    }

    /// A call was answered. `a` is what the caller's INVITE said (from the ingress
    /// trunk), `b` what the callee's 2xx and the B-leg Request-URI said (`target`).
    pub fn call_answered(
        &mut self,
        call: CallRef,
        ingress: Option<&TrunkName>,
        target: &TrunkName,
        a: &PartyHints,
        b: &PartyHints,
    ) {
        let tenant = calls::tenant_of_call(&self.policy, ingress, target);
        self.calls.answered(&self.policy, call, tenant, a, b);
    }

    /// Signaling hung up the agent's leg of `call` because a supervisor took over:
    /// from now on the agent is free and the call has nobody to monitor but the
    /// customer (joins are refused 480, switches are refused `agent_released`). The
    /// take-over itself was audited when it was decided.
    pub fn agent_released(&mut self, call: CallRef) {
        self.calls.release_agent(call);
    }

    /// The party on `side` of `call` transferred it; `party` is the new party there
    /// (the agent headers of its answer, from trunk `party.trunk`, and the Refer-To
    /// URI). Sessions on the call were ended by signaling (`SessionEnd::Transferred`);
    /// from now on a join finds the call under the new party's agent, if it is one.
    pub fn call_transferred(&mut self, call: CallRef, side: LegSide, party: &PartyHints) {
        self.calls.transferred(&self.policy, call, side, party);
    }

    /// A call ended. Its sessions stay until signaling reports each one's end.
    pub fn call_ended(&mut self, call: CallRef) {
        self.calls.ended(call);
    }

    /// Decides a supervisor's join: an `attempt` record, then `start` or `denied`,
    /// then admission or refusal.
    pub fn join(&mut self, at: UnixMillis, req: &JoinRequest) -> Outcome {
        let (facts, verdict) = join::decide(&self.policy, &self.calls, req);
        let mut audit = vec![facts.record(at, AuditKind::Attempt, &join::attempt_reason(req))];
        let effect = match verdict {
            Err(refusal) => {
                audit.push(facts.record(at, AuditKind::Denied, refusal.audit_reason()));
                Effect::Refuse {
                    ticket: req.ticket,
                    status: sip_status(&refusal),
                }
            }
            Ok(ok) => {
                audit.push(facts.record(at, AuditKind::Start, "ok"));
                let session = self.sessions.open(Session {
                    supervisor: ok.supervisor,
                    call: ok.call,
                    tenant: ok.tenant,
                    agent: ok.agent.identity,
                    mode: ok.mode,
                    stream: None,
                });
                Effect::Admit(Admission {
                    ticket: req.ticket,
                    session,
                    call: ok.call,
                    agent_side: ok.agent.side,
                    mode: ok.mode,
                    after_takeover: ok.after_takeover,
                    agent_beep: ok.agent_beep,
                })
            }
        };
        Outcome {
            audit,
            effect: Some(effect),
        }
    }

    /// Signaling answered the supervisor; `stream` is its media stream (RFC 4733
    /// digits are looked up by it). Unknown sessions are ignored.
    pub fn session_started(&mut self, session: MonitorSessionId, stream: StreamId) {
        self.sessions.bind_stream(session, stream);
    }

    /// A supervisor leg ended: an `end` record, and the session is forgotten.
    /// Unknown (or already ended) sessions give nothing.
    pub fn session_ended(
        &mut self,
        at: UnixMillis,
        session: MonitorSessionId,
        end: SessionEnd,
    ) -> Outcome {
        let Some(s) = self.sessions.close(session) else {
            return Outcome::none();
        };
        Outcome {
            audit: vec![s.facts(s.mode).record(at, AuditKind::End, end.as_str())],
            effect: None,
        }
    }

    /// A DTMF digit from the supervisor (RFC 4733 on its stream, or SIP INFO).
    pub fn digit(&mut self, at: UnixMillis, session: MonitorSessionId, digit: char) -> Outcome {
        digits::switch(
            &self.policy,
            &self.calls,
            &mut self.sessions,
            at,
            session,
            digit,
        )
    }

    /// The audit append for `effect` failed: undo what the service recorded for it
    /// (an admitted session is forgotten, a switched mode is switched back) and
    /// return what to apply instead ([`Effect::on_audit_failure`]).
    pub fn audit_failed(&mut self, effect: &Effect) -> Option<Effect> {
        match effect {
            Effect::Admit(adm) => {
                self.sessions.close(adm.session);
            }
            Effect::SetMode {
                session,
                mode,
                previous,
                ..
            } => {
                // Only if nothing switched it since.
                if let Some(s) = self.sessions.get_mut(*session) {
                    if s.mode == *mode {
                        s.mode = *previous;
                    }
                }
            }
            Effect::Refuse { .. } | Effect::RefuseMode { .. } => {}
        }
        effect.on_audit_failure()
    }

    pub fn session_of_stream(&self, stream: StreamId) -> Option<MonitorSessionId> {
        self.sessions.of_stream(stream)
    }

    /// The current mode of a session.
    pub fn session_mode(&self, session: MonitorSessionId) -> Option<MonitorMode> {
        self.sessions.get(session).map(|s| s.mode)
    }

    pub fn active_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// Calls in the registry (answered, not yet ended).
    pub fn known_calls(&self) -> usize {
        self.calls.len()
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_sessions;
#[cfg(test)]
mod tests_takeover;
#[cfg(test)]
mod tests_transfer;
