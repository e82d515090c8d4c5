//! The authorization decision for one (supervisor, call, mode).

use std::fmt;

use sbc_core::ids::{CallRef, TenantId};
use sbc_core::monitoring::{AgentIdentity, MonitorMode, Scope, Supervisor};

use crate::policy::Policy;

/// The call a supervisor wants to join or act on, as the call registry knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoredCall {
    pub call: CallRef,
    pub tenant: TenantId,
    pub agent: AgentIdentity,
}

/// The answer: allowed, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Why a supervisor may not do what they asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    /// The supervisor is not (or no longer, after a reload) in the policy.
    UnknownSupervisor,
    /// The call belongs to another tenant.
    OtherTenant,
    /// The supervisor's role is not in the policy.
    UnknownRole,
    /// The role does not permit the mode.
    ModeNotInRole,
    /// The call's queue is not in the supervisor's queues.
    QueueOutOfScope,
    /// The scope is queues but the call's queue is unknown.
    QueueUnknown,
    /// The agent's team is not in the supervisor's teams.
    TeamOutOfScope,
    /// The scope is teams but the agent's team is unknown.
    TeamUnknown,
}

impl DenyReason {
    pub const ALL: [DenyReason; 8] = [
        DenyReason::UnknownSupervisor,
        DenyReason::OtherTenant,
        DenyReason::UnknownRole,
        DenyReason::ModeNotInRole,
        DenyReason::QueueOutOfScope,
        DenyReason::QueueUnknown,
        DenyReason::TeamOutOfScope,
        DenyReason::TeamUnknown,
    ];

    /// Stable tag for the audit record's reason (never change a published tag).
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::UnknownSupervisor => "unknown_supervisor",
            DenyReason::OtherTenant => "other_tenant",
            DenyReason::UnknownRole => "unknown_role",
            DenyReason::ModeNotInRole => "mode_not_in_role",
            DenyReason::QueueOutOfScope => "queue_out_of_scope",
            DenyReason::QueueUnknown => "queue_unknown",
            DenyReason::TeamOutOfScope => "team_out_of_scope",
            DenyReason::TeamUnknown => "team_unknown",
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// May `supervisor` use `mode` on `target`?
///
/// The supervisor is judged by the policy's *current* record of that account: a
/// session started before a reload that removed the account or narrowed its role is
/// refused its next mode switch. Rules, in order (the first failing one is reported):
/// tenant, role, mode, scope. Tenant comes first so another tenant's call never
/// reveals anything about its queue or team.
pub fn authorize(
    policy: &Policy,
    supervisor: &Supervisor,
    target: &MonitoredCall,
    mode: MonitorMode,
) -> Decision {
    match check(policy, supervisor, target, mode) {
        Ok(()) => Decision::Allow,
        Err(reason) => Decision::Deny(reason),
    }
}

fn check(
    policy: &Policy,
    supervisor: &Supervisor,
    target: &MonitoredCall,
    mode: MonitorMode,
) -> Result<(), DenyReason> {
    let current = policy
        .supervisor(supervisor.id.as_str())
        .ok_or(DenyReason::UnknownSupervisor)?;
    if current.tenant != target.tenant {
        return Err(DenyReason::OtherTenant);
    }
    let role = policy.role(&current.role).ok_or(DenyReason::UnknownRole)?;
    if !role.permits(mode) {
        return Err(DenyReason::ModeNotInRole);
    }
    let agent = &target.agent;
    match &current.scope {
        Scope::WholeTenant => Ok(()),
        Scope::Queues(queues) => match &agent.queue {
            Some(q) if queues.contains(q) => Ok(()),
            Some(_) => Err(DenyReason::QueueOutOfScope),
            None => Err(DenyReason::QueueUnknown),
        },
        Scope::Teams(teams) => match &agent.team {
            Some(t) if teams.contains(t) => Ok(()),
            Some(_) => Err(DenyReason::TeamOutOfScope),
            None => Err(DenyReason::TeamUnknown),
        },
    }
}
