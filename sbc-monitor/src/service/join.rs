//! A supervisor's join, decided: who is asking (from what signaling established),
//! what they asked for (the parsed feature code), which call that is in the registry,
//! and whether their role and scope allow it. The first failing step is the refusal;
//! the facts gathered up to that point go into the audit records.

use sbc_core::ids::{CallRef, TenantId};
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{
    AgentNotice, JoinAuth, JoinRequest, MonitorMode, Supervisor, SupervisorId, Target,
};

use super::calls::{AgentOnCall, CallRegistry, Found};
use super::facts::Facts;
use crate::authz::{authorize, Decision, JoinRefusal, MonitoredCall};
use crate::policy::Policy;

/// A join that may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Approved {
    pub supervisor: SupervisorId,
    pub call: CallRef,
    pub tenant: TenantId,
    pub agent: AgentOnCall,
    pub mode: MonitorMode,
    pub agent_beep: bool,
    pub after_takeover: AgentAfterTakeover,
}

/// The verdict on `req`, with every audit field known when it was reached.
pub(super) fn decide(
    policy: &Policy,
    calls: &CallRegistry,
    req: &JoinRequest,
) -> (Facts, Result<Approved, JoinRefusal>) {
    let mut facts = Facts::of_request(req);
    let verdict = decide_with(policy, calls, req, &mut facts);
    (facts, verdict)
}

fn decide_with(
    policy: &Policy,
    calls: &CallRegistry,
    req: &JoinRequest,
    facts: &mut Facts,
) -> Result<Approved, JoinRefusal> {
    let supervisor = authenticate(policy, &req.auth)?;
    facts.supervisor = supervisor.id.clone();
    facts.tenant = Some(supervisor.tenant.clone());
    let target = req
        .target
        .as_ref()
        .map_err(|e| JoinRefusal::BadFeatureCode(*e))?;
    let found = match &target.target {
        Target::Agent(agent) => calls.find_agent(policy, &supervisor.tenant, agent),
        Target::Call(call) => calls.find_call(&supervisor.tenant, *call),
    };
    let (call, tenant, agent) = match found {
        Found::Call {
            call,
            tenant,
            agent,
        } => (call, tenant, agent),
        Found::Refused { refusal, call } => {
            facts.call = call.or(facts.call);
            return Err(refusal);
        }
    };
    facts.call = Some(call);
    facts.with_agent(&agent.identity);
    if req.replaces.is_some_and(|side| side != agent.side) {
        return Err(JoinRefusal::NotAgentDialog);
    }
    let monitored = MonitoredCall {
        call,
        tenant: tenant.clone(),
        agent: agent.identity.clone(),
    };
    if let Decision::Deny(reason) = authorize(policy, supervisor, &monitored, target.mode) {
        return Err(JoinRefusal::Denied(reason));
    }
    let tenant_config = policy.tenant(tenant);
    let agent_beep = tenant_config.is_some_and(|t| t.agent_notice == AgentNotice::Beep);
    let after_takeover = tenant_config.map(|t| t.after_takeover).unwrap_or_default();
    Ok(Approved {
        supervisor: supervisor.id.clone(),
        call,
        tenant: tenant.clone(),
        agent: agent.clone(),
        mode: target.mode,
        agent_beep,
        after_takeover,
    })
}

/// The supervisor account behind what signaling established.
fn authenticate<'p>(policy: &'p Policy, auth: &JoinAuth) -> Result<&'p Supervisor, JoinRefusal> {
    match auth {
        JoinAuth::Digest(id) => policy
            .supervisor(id.as_str())
            .ok_or(JoinRefusal::UnknownSupervisor),
        JoinAuth::Asserted { identity, ingress } => policy
            .supervisor_by_asserted_identity(identity, ingress)
            .ok_or(JoinRefusal::UnknownSupervisor),
        JoinAuth::DigestFailed { .. } => Err(JoinRefusal::BadCredentials),
        JoinAuth::Blocked { .. } => Err(JoinRefusal::Blocked),
    }
}

/// The reason text of the `attempt` record: where the request came from, and for a
/// failed digest, why it failed.
pub(super) fn attempt_reason(req: &JoinRequest) -> String {
    match &req.auth {
        JoinAuth::DigestFailed { reason, .. } => format!("source {}; digest: {reason}", req.source),
        _ => format!("source {}", req.source),
    }
}
