//! The supervisor audit log: every monitoring action (attempt, start, mode change,
//! denial, take-over, end) is appended here, durably, *before* it takes effect.
//!
//! - Storage: one SQLite file (WAL, `synchronous=FULL`): [`AuditLog::append`]
//!   returns once the record is fsync'd.
//! - Tamper evidence: every row stores `hash = SHA-256(prev_hash || encoding)` over a
//!   stable, length-prefixed encoding (see `canonical`); [`AuditLog::verify`] walks the
//!   chain and names the first edited, deleted or reordered record. Deleting the newest
//!   records is detectable only against a copy of the head kept elsewhere
//!   ([`AuditLog::head`]); the `chain_meta` head catches a careless truncation.
//! - Retention: [`AuditLog::prune`] deletes an old prefix and keeps the hash of its
//!   last record as the anchor, so verification still works.
//! - Queries: [`AuditLog::query`] by supervisor, agent, call and time range.
//!
//! Library code never reads the clock: the caller stamps each record and passes `now`
//! to `prune`. Calls block on disk IO; async callers use a blocking thread.

mod canonical;
mod error;
mod log;
mod meta;
mod query;
mod retention;
mod rows;
mod schema;
mod time;
mod types;
mod verify;

pub use canonical::MAX_FIELD_BYTES;
pub use error::AuditError;
pub use log::AuditLog;
pub use query::AuditFilter;
pub use retention::PruneReport;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use types::{
    AgentId, AuditEntry, AuditKind, AuditRecord, AuditSeq, ChainHash, ChainPoint, MonitorMode,
    QueueName, SupervisorId, UnixMillis,
};
pub use verify::{ChainFault, FaultKind, VerifyReport};

#[cfg(test)]
mod tests;
