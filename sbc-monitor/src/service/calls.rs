//! The call registry: every answered call with its tenant and agent, the calls each
//! agent is on, and the agents seen recently per tenant. This is what a join's target
//! (`*81a<agent>` or `*81c<call>`) is looked up in.
//!
//! Identification happens once, when the call is answered, against the policy of that
//! moment (a reload does not re-identify running calls). The agent is looked for on
//! the B party first (the callee's answer and the URI the SBC called), then on the A
//! party; a party's headers are believed only when it came from a trunk bound to the
//! call's own tenant, otherwise only its URI is used (the agent directory).

use std::collections::HashMap;

use sbc_core::ids::{CallRef, LegSide, TenantId, TrunkName};
use sbc_core::monitoring::{AgentId, AgentIdentity, PartyHints};

use super::recent::RecentSet;
use crate::authz::{DenyReason, JoinRefusal};
use crate::policy::Policy;

/// How many (tenant, agent) pairs are remembered as "seen" at most.
pub const SEEN_AGENTS_CAP: usize = 100_000;

/// The agent on a call and the leg they are on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AgentOnCall {
    pub identity: AgentIdentity,
    pub side: LegSide,
}

/// One answered call. Without a tenant or an agent it cannot be monitored, but it is
/// kept so a join naming it by reference is refused for the right reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CallInfo {
    pub tenant: Option<TenantId>,
    pub agent: Option<AgentOnCall>,
    /// A supervisor took over and the agent's leg was hung up: the call goes on
    /// between customer and supervisor, and the agent is no longer on it.
    pub agent_released: bool,
}

/// A join target resolved in the registry, from the point of view of one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found<'a> {
    /// A monitorable call of that tenant.
    Call {
        call: CallRef,
        tenant: &'a TenantId,
        agent: &'a AgentOnCall,
    },
    /// Not joinable; `call` is the call concerned when there is one (audited).
    Refused {
        refusal: JoinRefusal,
        call: Option<CallRef>,
    },
}

#[derive(Debug)]
pub(super) struct CallRegistry {
    calls: HashMap<CallRef, CallInfo>,
    /// The monitorable calls of each agent, oldest first (usually one).
    by_agent: HashMap<AgentId, Vec<(TenantId, CallRef)>>,
    seen: RecentSet<(TenantId, AgentId)>,
}

impl Default for CallRegistry {
    fn default() -> Self {
        CallRegistry {
            calls: HashMap::new(),
            by_agent: HashMap::new(),
            seen: RecentSet::new(SEEN_AGENTS_CAP),
        }
    }
}

impl CallRegistry {
    /// Registers an answered call (again: a repeated answer replaces the entry).
    pub fn answered(
        &mut self,
        policy: &Policy,
        call: CallRef,
        tenant: Option<TenantId>,
        a: &PartyHints,
        b: &PartyHints,
    ) {
        self.ended(call);
        let agent = tenant.as_ref().and_then(|t| identify(policy, t, a, b));
        if let (Some(t), Some(on)) = (&tenant, &agent) {
            let id = &on.identity.agent;
            self.seen.insert((t.clone(), id.clone()));
            self.by_agent
                .entry(id.clone())
                .or_default()
                .push((t.clone(), call));
        }
        self.calls.insert(
            call,
            CallInfo {
                tenant,
                agent,
                agent_released: false,
            },
        );
    }

    /// Forgets a call; unknown calls are ignored.
    pub fn ended(&mut self, call: CallRef) {
        let Some(info) = self.calls.remove(&call) else {
            return;
        };
        if !info.agent_released {
            self.unlink_agent(call, info.agent.as_ref());
        }
    }

    /// A take-over hung up the agent's leg: the agent is free (a join naming them
    /// finds them idle), and the call is no longer joinable. Unknown calls and calls
    /// without an agent are ignored.
    pub fn release_agent(&mut self, call: CallRef) {
        let Some(info) = self.calls.get_mut(&call) else {
            return;
        };
        if info.agent_released || info.agent.is_none() {
            return;
        }
        info.agent_released = true;
        let agent = info.agent.clone();
        self.unlink_agent(call, agent.as_ref());
    }

    /// The party on `side` transferred the call to the party `party` describes. If
    /// that was the agent, the call is re-identified from the new party alone (its
    /// headers believed only from the call's own tenant's trunks, as at answer): the
    /// call becomes the new agent's, or nobody's. A transfer by the other party
    /// leaves the agent as it is. Unknown calls are ignored.
    pub fn transferred(
        &mut self,
        policy: &Policy,
        call: CallRef,
        side: LegSide,
        party: &PartyHints,
    ) {
        let Some(info) = self.calls.get(&call) else {
            return;
        };
        let agent_left = info.agent.as_ref().is_some_and(|a| a.side == side);
        if !agent_left && info.agent.is_some() {
            return;
        }
        let (old, released, tenant) =
            (info.agent.clone(), info.agent_released, info.tenant.clone());
        if !released {
            self.unlink_agent(call, old.as_ref());
        }
        let agent = tenant.as_ref().and_then(|t| {
            let identity = identify_party(policy, t, party)?;
            Some(AgentOnCall { identity, side })
        });
        if let (Some(t), Some(on)) = (&tenant, &agent) {
            let id = &on.identity.agent;
            self.seen.insert((t.clone(), id.clone()));
            self.by_agent
                .entry(id.clone())
                .or_default()
                .push((t.clone(), call));
        }
        if let Some(info) = self.calls.get_mut(&call) {
            info.agent = agent;
            info.agent_released = false;
        }
    }

    fn unlink_agent(&mut self, call: CallRef, agent: Option<&AgentOnCall>) {
        let Some(on) = agent else { return };
        let id = &on.identity.agent;
        if let Some(list) = self.by_agent.get_mut(id) {
            list.retain(|(_, c)| *c != call);
            if list.is_empty() {
                self.by_agent.remove(id);
            }
        }
    }

    pub fn get(&self, call: CallRef) -> Option<&CallInfo> {
        self.calls.get(&call)
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// The newest call of `agent` in `tenant`. Another tenant's call is refused as
    /// `OtherTenant` (answered like an unknown agent, audited as what it is).
    pub fn find_agent(&self, policy: &Policy, tenant: &TenantId, agent: &AgentId) -> Found<'_> {
        let calls = self.by_agent.get(agent).map(Vec::as_slice).unwrap_or(&[]);
        if let Some((_, call)) = calls.iter().rev().find(|(t, _)| t == tenant) {
            return self.find_call(tenant, *call);
        }
        if let Some((_, call)) = calls.last() {
            return refused(JoinRefusal::Denied(DenyReason::OtherTenant), Some(*call));
        }
        let known = self.seen.contains(&(tenant.clone(), agent.clone()))
            || policy.directory_agent_of(tenant, agent);
        let refusal = if known {
            JoinRefusal::AgentIdle
        } else {
            JoinRefusal::UnknownAgent
        };
        refused(refusal, None)
    }

    /// A call by reference, as seen from `tenant`.
    pub fn find_call(&self, tenant: &TenantId, call: CallRef) -> Found<'_> {
        let Some(info) = self.calls.get(&call) else {
            return refused(JoinRefusal::UnknownCall, None);
        };
        match (&info.tenant, &info.agent) {
            (Some(t), Some(_)) if t == tenant && info.agent_released => {
                refused(JoinRefusal::AgentReleased, Some(call))
            }
            (Some(t), Some(agent)) if t == tenant => Found::Call {
                call,
                tenant: t,
                agent,
            },
            // The tenant's own call, but nobody identified as its agent: there is no
            // agent side to monitor, so it is as good as unknown.
            (Some(t), None) if t == tenant => refused(JoinRefusal::UnknownCall, None),
            // Another tenant's call, or a call of no tenant at all.
            _ => refused(JoinRefusal::Denied(DenyReason::OtherTenant), Some(call)),
        }
    }
}

fn refused(refusal: JoinRefusal, call: Option<CallRef>) -> Found<'static> {
    Found::Refused { refusal, call }
}

/// The tenant of a call from its trunks.
pub(super) fn tenant_of_call(
    policy: &Policy,
    ingress: Option<&TrunkName>,
    target: &TrunkName,
) -> Option<TenantId> {
    policy.tenant_of_call(ingress, Some(target)).cloned()
}

/// The agent of a call of `tenant`: the B party first, then the A party.
fn identify(
    policy: &Policy,
    tenant: &TenantId,
    a: &PartyHints,
    b: &PartyHints,
) -> Option<AgentOnCall> {
    [(LegSide::B, b), (LegSide::A, a)]
        .into_iter()
        .find_map(|(side, party)| {
            let identity = identify_party(policy, tenant, party)?;
            Some(AgentOnCall { identity, side })
        })
}

/// One party's agent identity. A malformed agent header counts as "not identified
/// here" so the other party still gets its turn.
fn identify_party(policy: &Policy, tenant: &TenantId, party: &PartyHints) -> Option<AgentIdentity> {
    let uri = party.uri.as_deref();
    let trusted = party
        .trunk
        .as_ref()
        .and_then(|t| policy.tenant_of_trunk(t))
        .is_some_and(|t| t == tenant);
    let found = if trusted {
        policy.identify_agent(&|name| party.header(name), uri)
    } else {
        policy.identify_agent(&|_| None, uri)
    };
    found.ok()
}
