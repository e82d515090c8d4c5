//! Authorization of monitoring, sans-IO: may this supervisor use this mode on this
//! call? And which SIP status answers a refused join?
//!
//! Deny by default: a supervisor is allowed only when every rule says yes (same
//! tenant, a role that exists and permits the mode, the call inside the scope). A
//! fact that is unknown (the call's queue when the scope is queues) denies.
//!
//! - `decision`: [`authorize`] and the typed [`DenyReason`]s, each with a stable tag
//!   for the audit log;
//! - `status`: [`JoinRefusal`] -> [`SipStatus`] (404, 480, 403, 401, 484) and whether
//!   a refusal is audited.

mod decision;
mod status;

pub use decision::{authorize, Decision, DenyReason, MonitoredCall};
pub use status::{sip_status, JoinRefusal, SipStatus, AGENT_RELEASED};

#[cfg(test)]
mod tests;
