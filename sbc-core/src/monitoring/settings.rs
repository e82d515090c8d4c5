//! `[monitoring]` and `[audit]`: how supervisors join (feature codes, digest realm and
//! failure limits, SRTP on their legs), where agent identity is read from, and where
//! the audit log lives.

use std::path::PathBuf;
use std::time::Duration;

use super::feature_code::FeatureCodes;
use super::identity::AgentHeaderNames;
use crate::config::SrtpPolicy;
use crate::media::SrtpSuite;

/// `[monitoring]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringConfig {
    /// `[monitoring.feature_codes]`: `listen`, `whisper`, `barge`, `takeover`.
    pub feature_codes: FeatureCodes,
    /// `[monitoring.agent_headers]`: `agent`, `queue`, `team`.
    pub agent_headers: AgentHeaderNames,
    /// Digest realm of supervisor challenges (default "sbc"). The stored HA1s are
    /// hashes over it: changing the realm invalidates every supervisor credential.
    pub realm: String,
    /// How long a challenge nonce stays valid (`nonce_lifetime_secs`, default 300).
    pub nonce_lifetime: Duration,
    /// Failed digest attempts allowed per source address and per username within
    /// `failure_window` before further attempts get 403 (default 5).
    pub max_auth_failures: u32,
    /// `failure_window_secs`, default 60.
    pub failure_window: Duration,
    /// How long a source or username stays blocked (`block_secs`, default 300).
    pub block_for: Duration,
    /// SRTP (SDES) on supervisors' legs (`srtp`, default optional): `off` refuses an
    /// RTP/SAVP offer, `optional` answers SRTP to SRTP and plain to plain,
    /// `mandatory` refuses a plain offer. Same spelling as a trunk's `srtp`.
    pub srtp: SrtpPolicy,
    /// Suites accepted from a supervisor, most preferred first (`srtp_suites`, same
    /// names as a trunk's); never empty. Default: every suite, strongest first.
    pub srtp_suites: Vec<SrtpSuite>,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        MonitoringConfig {
            feature_codes: FeatureCodes::default(),
            agent_headers: AgentHeaderNames::default(),
            realm: "sbc".to_owned(),
            nonce_lifetime: Duration::from_secs(300),
            max_auth_failures: 5,
            failure_window: Duration::from_secs(60),
            block_for: Duration::from_secs(300),
            srtp: SrtpPolicy::Optional,
            srtp_suites: SrtpSuite::ALL.to_vec(),
        }
    }
}

/// `[audit]`: the supervisor audit log (SQLite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// The database file; required as soon as a supervisor is configured (no
    /// monitoring without an audit trail). Absent: no audit log, no monitoring.
    pub path: Option<PathBuf>,
    /// Records older than this many days are pruned (default 365).
    pub retention_days: u32,
}

impl AuditConfig {
    /// The accepted range of `retention_days` (up to 100 years).
    pub const RETENTION_DAYS: (u32, u32) = (1, 36_500);
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            path: None,
            retention_days: 365,
        }
    }
}
