//! Monitoring, the domain side: who is who (tenants, roles, supervisors, agents), the
//! modes a supervisor may use, how a call's agent is identified, and how a dialled
//! feature code names what to join. Typed and pure: no IO, no clock, no signaling
//! types (header lookups come in as closures). Decisions made from this model
//! (authorization, sessions, audit) belong to `sbc-monitor`.
//!
//! Layout: `names` (ID newtypes), `mode` (modes and sets), `model` (config-declared
//! entities), `uri` (URI identity keys), `identity` (agent identity per call),
//! `feature_code` (the join parser), `join` (join requests and sessions as signaling
//! and the monitoring plane exchange them), `settings` (`[monitoring]`, `[audit]`).

mod feature_code;
mod identity;
mod join;
mod mode;
mod model;
mod names;
mod settings;
mod uri;

pub use feature_code::{
    FeatureCodeConflict, FeatureCodeError, FeatureCodes, JoinTarget, Target, MAX_CODE_LEN,
    MAX_USER_LEN,
};
pub use identity::{
    identify_agent, AgentDirectory, AgentHeaderNames, AgentIdentity, IdentityError,
};
pub use join::{
    Admission, JoinAuth, JoinRequest, JoinTicket, MonitorSessionId, PartyHints, SessionEnd,
};
pub use mode::{ModeSet, MonitorMode};
pub use model::{
    AgentDirectoryEntry, AgentNotice, DigestHa1, Ha1Error, Role, Scope, Supervisor, SupervisorAuth,
    TenantConfig,
};
pub use names::{
    is_agent_id, is_label, tenant_id, AgentId, QueueName, RoleName, SupervisorId, TeamName,
    MAX_AGENT_ID_LEN, MAX_LABEL_LEN,
};
pub use settings::{AuditConfig, MonitoringConfig};
pub use uri::UriKey;
