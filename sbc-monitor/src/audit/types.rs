//! The audit record and its typed fields: who did what to which call, when, in which
//! mode, and with what outcome. Plain data: no IO, no clock (the caller stamps `time`).
//! The supervisor, agent and queue names and the mode are `sbc_core::monitoring`
//! types; their tags (`MonitorMode::as_str`) are part of the hashed encoding.

use std::fmt;

use sbc_core::ids::{CallRef, TenantId};
// The names and the mode are the domain's (shared with authorization and config);
// re-exported here so audit users keep one import path.
pub use sbc_core::monitoring::{AgentId, MonitorMode, QueueName, SupervisorId};

/// Milliseconds since the Unix epoch (UTC). Stamped by the caller: library code never
/// reads the clock, so tests and replays control time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnixMillis(pub i64);

/// Position of a record in the hash chain: 1 for the first record ever appended,
/// contiguous, never reused (pruning keeps the numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuditSeq(pub u64);

impl fmt::Display for AuditSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What happened. Stored as the lower-case tag from [`AuditKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A supervisor asked to monitor (before authorization).
    Attempt,
    /// A monitor session was authorized and is about to start.
    Start,
    /// A supervisor switched mode inside a session.
    ModeChange,
    /// A request (join or mode switch) was refused.
    Denied,
    /// The supervisor replaced the agent on the call.
    Takeover,
    /// The monitor session ended.
    End,
}

impl AuditKind {
    pub const ALL: [AuditKind; 6] = [
        AuditKind::Attempt,
        AuditKind::Start,
        AuditKind::ModeChange,
        AuditKind::Denied,
        AuditKind::Takeover,
        AuditKind::End,
    ];

    /// The stable tag written to the database and into the hashed encoding.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Attempt => "attempt",
            AuditKind::Start => "start",
            AuditKind::ModeChange => "mode_change",
            AuditKind::Denied => "denied",
            AuditKind::Takeover => "takeover",
            AuditKind::End => "end",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == tag)
    }
}

/// One monitoring action, as the caller hands it to [`crate::audit::AuditLog::append`].
///
/// Optional fields are absent when not known at that point: an attempt with bad
/// credentials has no tenant, an idle agent has no call, an `end` may carry no mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub time: UnixMillis,
    pub kind: AuditKind,
    pub supervisor: SupervisorId,
    pub tenant: Option<TenantId>,
    pub queue: Option<QueueName>,
    pub agent: Option<AgentId>,
    pub call: Option<CallRef>,
    pub mode: Option<MonitorMode>,
    /// Outcome or reason, free text ("ok", "role lacks barge", "agent idle"…).
    pub reason: String,
}

/// A SHA-256 link of the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The `prev_hash` of the very first record (32 zero bytes).
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    pub fn to_hex(&self) -> String {
        use fmt::Write;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A point of the chain: a sequence number and the hash of the record there.
/// `seq` 0 with [`ChainHash::GENESIS`] is the start of an empty, never-pruned log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainPoint {
    pub seq: AuditSeq,
    pub hash: ChainHash,
}

impl ChainPoint {
    pub const GENESIS: ChainPoint = ChainPoint {
        seq: AuditSeq(0),
        hash: ChainHash::GENESIS,
    };
}

/// A record as stored: its chain position and hash with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: AuditSeq,
    pub record: AuditRecord,
    pub hash: ChainHash,
}
