//! Who is who: tenants, roles, supervisors and the agent directory, as the config
//! declares them. Plain data, validated by the config loader; the decisions made from
//! it (may this supervisor do that to this call?) live in `sbc-monitor`.

use std::collections::BTreeSet;
use std::fmt;

use super::mode::{ModeSet, MonitorMode};
use super::names::{AgentId, QueueName, RoleName, SupervisorId, TeamName};
use super::uri::UriKey;
use crate::ids::{TenantId, TrunkName};
use crate::media::AgentAfterTakeover;

/// One `[[tenant]]`: a customer of the platform and the trunks its calls arrive on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfig {
    pub id: TenantId,
    /// Ingress trunks bound to this tenant; a trunk belongs to at most one tenant.
    pub trunks: Vec<TrunkName>,
    pub agent_notice: AgentNotice,
    /// What becomes of the agent's leg when a supervisor takes over. TOML
    /// `after_takeover`: `"release"` (default: the agent gets a BYE) or `"listen"`
    /// (the agent stays on, hears customer and supervisor, and is not heard).
    pub after_takeover: AgentAfterTakeover,
}

/// What the agent hears when monitoring of their call starts or stops.
/// TOML: `"none"` (default) or `"beep"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AgentNotice {
    #[default]
    None,
    Beep,
}

impl AgentNotice {
    pub const NAMES: [&'static str; 2] = ["none", "beep"];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentNotice::None => "none",
            AgentNotice::Beep => "beep",
        }
    }
}

/// One `[[role]]`: the modes a supervisor with this role may use. Never empty once
/// loaded from config (a role that permits nothing is a config error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: RoleName,
    pub modes: ModeSet,
}

impl Role {
    pub fn permits(&self, mode: MonitorMode) -> bool {
        self.modes.contains(mode)
    }
}

/// Which of its tenant's calls a supervisor may monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every call of the tenant.
    WholeTenant,
    /// Calls whose queue is one of these.
    Queues(BTreeSet<QueueName>),
    /// Calls whose agent is in one of these teams.
    Teams(BTreeSet<TeamName>),
}

/// One `[[supervisor]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervisor {
    /// The account name; for digest accounts, the digest username.
    pub id: SupervisorId,
    pub tenant: TenantId,
    pub role: RoleName,
    pub scope: Scope,
    pub auth: SupervisorAuth,
}

/// How a supervisor proves who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupervisorAuth {
    /// SIP digest (RFC 8760): stored HA1 hashes, never the password.
    Digest(DigestHa1),
    /// A `P-Asserted-Identity` (RFC 3325) equal to `identity`, believed only on
    /// requests from one of `trusted_trunks` (each a trunk of the supervisor's tenant).
    AssertedIdentity {
        identity: UriKey,
        trusted_trunks: Vec<TrunkName>,
    },
}

/// Stored digest secrets: `H(username:realm:password)` as lowercase hex, per algorithm
/// (SHA-256: 64 digits, MD5: 32). At least one is present. `Debug` does not print
/// them: an HA1 is as good as the password for this realm.
#[derive(Clone, PartialEq, Eq)]
pub struct DigestHa1 {
    sha256: Option<Box<str>>,
    md5: Option<Box<str>>,
}

/// Why HA1 values are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ha1Error {
    #[error("{algorithm} HA1 must be exactly {want} hex digits")]
    BadHex {
        algorithm: &'static str,
        want: usize,
    },
    #[error("at least one of the SHA-256 and MD5 HA1 values is required")]
    NoneGiven,
}

impl DigestHa1 {
    pub const SHA256_HEX_LEN: usize = 64;
    pub const MD5_HEX_LEN: usize = 32;

    /// From hex (any case; stored lowercase, as digest responses are compared).
    pub fn new(sha256: Option<&str>, md5: Option<&str>) -> Result<DigestHa1, Ha1Error> {
        if sha256.is_none() && md5.is_none() {
            return Err(Ha1Error::NoneGiven);
        }
        Ok(DigestHa1 {
            sha256: sha256
                .map(|h| hex(h, "SHA-256", Self::SHA256_HEX_LEN))
                .transpose()?,
            md5: md5.map(|h| hex(h, "MD5", Self::MD5_HEX_LEN)).transpose()?,
        })
    }

    /// No hash at all: what a supervisor whose credential failed to decode holds so
    /// decoding can go on; never seen outside a config that was refused.
    pub(crate) fn unset() -> DigestHa1 {
        DigestHa1 {
            sha256: None,
            md5: None,
        }
    }

    /// For `StoredCredential::new(sha256_hex, md5_hex)` in signaling.
    pub fn sha256_hex(&self) -> Option<&str> {
        self.sha256.as_deref()
    }

    pub fn md5_hex(&self) -> Option<&str> {
        self.md5.as_deref()
    }
}

fn hex(h: &str, algorithm: &'static str, want: usize) -> Result<Box<str>, Ha1Error> {
    if h.len() == want && h.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(h.to_ascii_lowercase().into_boxed_str())
    } else {
        Err(Ha1Error::BadHex { algorithm, want })
    }
}

impl fmt::Debug for DigestHa1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |h: &Option<Box<str>>| if h.is_some() { "<redacted>" } else { "-" };
        f.debug_struct("DigestHa1")
            .field("sha256", &shown(&self.sha256))
            .field("md5", &shown(&self.md5))
            .finish()
    }
}

/// One `[[agent]]`: who answers at a URI, for platforms that do not send agent headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDirectoryEntry {
    pub uri: UriKey,
    pub agent: AgentId,
    pub team: Option<TeamName>,
    /// The queues the agent serves. A call's queue is taken from here only when there
    /// is exactly one (otherwise it is unknown unless a header names it).
    pub queues: Vec<QueueName>,
    /// The tenant the agent works for, if the directory says: a join naming an agent
    /// of the supervisor's own tenant who is on no call is then answered 480 (agent
    /// idle) rather than 404 (unknown agent) even before the agent's first call.
    pub tenant: Option<TenantId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha1_checks_lengths_and_hides_values() {
        let sha = "A".repeat(64);
        let md5 = "0123456789abcdef0123456789ABCDEF";
        let h = DigestHa1::new(Some(&sha), Some(md5)).unwrap();
        assert_eq!(h.sha256_hex(), Some("a".repeat(64).as_str()));
        assert_eq!(h.md5_hex(), Some("0123456789abcdef0123456789abcdef"));
        let shown = format!("{h:?}");
        assert!(
            !shown.contains("aaaa") && !shown.contains("0123"),
            "{shown}"
        );
        assert_eq!(DigestHa1::new(None, None), Err(Ha1Error::NoneGiven));
        let short = DigestHa1::new(None, Some("abc"));
        assert_eq!(
            short,
            Err(Ha1Error::BadHex {
                algorithm: "MD5",
                want: 32
            })
        );
        let not_hex = "g".repeat(64);
        assert!(DigestHa1::new(Some(&not_hex), None).is_err());
        assert_eq!(
            DigestHa1::new(None, Some(md5)).map(|h| h.sha256_hex().is_none()),
            Ok(true)
        );
    }

    #[test]
    fn role_permits_its_modes_only() {
        let coach = Role {
            name: RoleName::new("coach"),
            modes: [MonitorMode::Listen, MonitorMode::Whisper]
                .into_iter()
                .collect(),
        };
        assert!(coach.permits(MonitorMode::Whisper));
        assert!(!coach.permits(MonitorMode::Barge));
    }
}
