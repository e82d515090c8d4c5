//! Supervisor features: monitor sessions and their modes (listen, whisper, barge,
//! take-over), authorization by role, tenant and queue, the audit log, live call
//! signals and the HTTP/WebSocket API.
//!
//! Built so far: [`audit`], the durable, tamper-evident audit log every monitoring
//! action is written to before it takes effect; [`policy`], the config's who-is-who
//! indexed for joins; [`authz`], the sans-IO authorization decision and the SIP
//! status of each refusal; and [`service`], the sans-IO session service that decides
//! joins and mode switches and says what to audit before each takes effect.

pub mod audit;
pub mod authz;
pub mod policy;
pub mod service;

pub use authz::{authorize, Decision, DenyReason, JoinRefusal, MonitoredCall, SipStatus};
pub use policy::Policy;
pub use service::{Admission, Effect, MonitorService, Outcome};
