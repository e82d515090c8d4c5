//! The fields of one action's audit records, filled in as they become known (who,
//! which tenant, queue, agent, call, mode), and turned into [`AuditRecord`]s.
//!
//! Names a peer merely *claimed* (a digest username, an asserted identity) are
//! recorded as claimed but bounded in length: they come from the network, and an
//! over-long field would make the durable append fail and the audit log bloat.

use sbc_core::ids::{CallRef, TenantId};
use sbc_core::monitoring::{
    AgentId, AgentIdentity, JoinAuth, JoinRequest, MonitorMode, QueueName, SupervisorId, Target,
};

use crate::audit::{AuditKind, AuditRecord, UnixMillis};

/// Longest claimed name kept in a record (longer ones are cut at a char boundary).
pub const MAX_CLAIMED_LEN: usize = 256;

/// What is known about an action so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Facts {
    pub supervisor: SupervisorId,
    pub tenant: Option<TenantId>,
    pub queue: Option<QueueName>,
    pub agent: Option<AgentId>,
    pub call: Option<CallRef>,
    pub mode: Option<MonitorMode>,
}

impl Facts {
    /// What a join request says before anything is checked: the claimed identity
    /// and the parsed target.
    pub fn of_request(req: &JoinRequest) -> Facts {
        let (mode, agent, call) = match &req.target {
            Ok(t) => match &t.target {
                Target::Agent(a) => (Some(t.mode), Some(a.clone()), None),
                Target::Call(c) => (Some(t.mode), None, Some(*c)),
            },
            Err(_) => (None, None, None),
        };
        Facts {
            supervisor: claimed(&req.auth),
            tenant: None,
            queue: None,
            agent,
            call,
            mode,
        }
    }

    /// Adds what the call registry knows about the call's agent.
    pub fn with_agent(&mut self, identity: &AgentIdentity) {
        self.agent = Some(identity.agent.clone());
        self.queue.clone_from(&identity.queue);
    }

    pub fn record(&self, at: UnixMillis, kind: AuditKind, reason: &str) -> AuditRecord {
        AuditRecord {
            time: at,
            kind,
            supervisor: self.supervisor.clone(),
            tenant: self.tenant.clone(),
            queue: self.queue.clone(),
            agent: self.agent.clone(),
            call: self.call,
            mode: self.mode,
            reason: reason.to_owned(),
        }
    }
}

/// The account name as claimed: the verified digest username, the claimed one, or
/// the asserted identity. Empty when nothing was claimed (config never accepts an
/// empty supervisor ID, so it cannot be mistaken for an account).
fn claimed(auth: &JoinAuth) -> SupervisorId {
    match auth {
        JoinAuth::Digest(id) => id.clone(),
        JoinAuth::DigestFailed { username, .. } | JoinAuth::Blocked { username } => {
            SupervisorId::new(bounded(username.as_deref().unwrap_or("")))
        }
        JoinAuth::Asserted { identity, .. } => SupervisorId::new(bounded(identity)),
    }
}

/// `s` cut to at most [`MAX_CLAIMED_LEN`] bytes, on a char boundary.
pub(super) fn bounded(s: &str) -> &str {
    if s.len() <= MAX_CLAIMED_LEN {
        return s;
    }
    let mut end = MAX_CLAIMED_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}
