//! Which SIP final response refuses a join, and whether the refusal is audited.
//!
//! One place for the mapping so signaling, the audit log and the tests agree:
//! unknown agent or call 404, a feature code without a target 484, agent not in a
//! call 480, not permitted 403, credentials 401 (challenge) or 403 (blocked).
//! Another tenant's call is answered like an unknown one (404): a 403 would confirm
//! to a supervisor that the agent or call exists in some other tenant.

use sbc_core::monitoring::FeatureCodeError;

use super::decision::DenyReason;

/// Why a monitoring INVITE is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefusal {
    /// No credentials yet, or a stale nonce: send (another) digest challenge. The
    /// normal first step of digest, not a failure.
    Challenge,
    /// Credentials present but wrong (counted by the failure limiter); challenge again.
    BadCredentials,
    /// Too many failures from this source or for this username.
    Blocked,
    /// Authenticated (or asserted) identity with no supervisor account.
    UnknownSupervisor,
    /// The Request-URI user starts with a feature code but the rest is malformed.
    BadFeatureCode(FeatureCodeError),
    /// No such agent in the supervisor's tenant.
    UnknownAgent,
    /// No such call (by reference).
    UnknownCall,
    /// The agent exists but is not on a call.
    AgentIdle,
    /// The call was taken over and its agent leg released: no agent left to monitor.
    AgentReleased,
    /// `Replaces` named the customer's dialog: only the agent's may be taken over.
    NotAgentDialog,
    /// Authorization refused.
    Denied(DenyReason),
}

/// Audit reason of a join or a mode switch refused because a take-over released the
/// call's agent.
pub const AGENT_RELEASED: &str = "agent_released";

/// A SIP status code and its reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipStatus {
    pub code: u16,
    pub reason: &'static str,
}

const UNAUTHORIZED: SipStatus = SipStatus {
    code: 401,
    reason: "Unauthorized",
};
const FORBIDDEN: SipStatus = SipStatus {
    code: 403,
    reason: "Forbidden",
};
const NOT_FOUND: SipStatus = SipStatus {
    code: 404,
    reason: "Not Found",
};
const UNAVAILABLE: SipStatus = SipStatus {
    code: 480,
    reason: "Temporarily Unavailable",
};
const INCOMPLETE: SipStatus = SipStatus {
    code: 484,
    reason: "Address Incomplete",
};

/// The final response for a refused join.
pub fn sip_status(refusal: &JoinRefusal) -> SipStatus {
    match refusal {
        JoinRefusal::Challenge | JoinRefusal::BadCredentials => UNAUTHORIZED,
        JoinRefusal::Blocked | JoinRefusal::UnknownSupervisor => FORBIDDEN,
        JoinRefusal::BadFeatureCode(FeatureCodeError::MissingTarget) => INCOMPLETE,
        JoinRefusal::BadFeatureCode(_) => NOT_FOUND,
        JoinRefusal::UnknownAgent | JoinRefusal::UnknownCall => NOT_FOUND,
        JoinRefusal::AgentIdle | JoinRefusal::AgentReleased => UNAVAILABLE,
        JoinRefusal::NotAgentDialog => FORBIDDEN,
        JoinRefusal::Denied(DenyReason::OtherTenant) => NOT_FOUND,
        JoinRefusal::Denied(_) => FORBIDDEN,
    }
}

impl JoinRefusal {
    /// Whether the refusal is written to the audit log as denied. Everything except
    /// the challenge that starts every digest exchange.
    pub fn is_audited(&self) -> bool {
        !matches!(self, JoinRefusal::Challenge)
    }

    /// The reason text of the audit record.
    pub fn audit_reason(&self) -> &'static str {
        match self {
            JoinRefusal::Challenge => "challenge",
            JoinRefusal::BadCredentials => "bad_credentials",
            JoinRefusal::Blocked => "blocked",
            JoinRefusal::UnknownSupervisor => "unknown_supervisor",
            JoinRefusal::BadFeatureCode(_) => "bad_feature_code",
            JoinRefusal::UnknownAgent => "unknown_agent",
            JoinRefusal::UnknownCall => "unknown_call",
            JoinRefusal::AgentIdle => "agent_idle",
            JoinRefusal::AgentReleased => AGENT_RELEASED,
            JoinRefusal::NotAgentDialog => "replaces_not_agent",
            JoinRefusal::Denied(reason) => reason.as_str(),
        }
    }
}
