//! The vocabulary signaling and the monitoring plane share about supervisor legs:
//! a join request as signaling saw it (authenticated or not), the session it becomes,
//! and what a call's two parties said about the agent. Signaling fills these from SIP;
//! `sbc-monitor` decides on them; the binary carries them across. No SIP types here.

use std::fmt;
use std::net::IpAddr;

use super::feature_code::{FeatureCodeError, JoinTarget};
use super::mode::MonitorMode;
use super::names::SupervisorId;
use crate::ids::{CallRef, LegSide, TrunkName};
use crate::media::AgentAfterTakeover;

/// A supervisor's INVITE waiting for the monitoring plane's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JoinTicket(pub u64);

impl fmt::Display for JoinTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "j{}", self.0)
    }
}

/// One supervisor leg on one call, from admission to hang-up. Chosen by the
/// monitoring plane (unique for the process's life).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorSessionId(pub u64);

impl fmt::Display for MonitorSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

/// Who the request is from, as far as signaling could establish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinAuth {
    /// Digest credentials verified for this account.
    Digest(SupervisorId),
    /// Digest credentials present but wrong (`username` as claimed, if parseable).
    DigestFailed {
        username: Option<String>,
        reason: &'static str,
    },
    /// Too many failures from this source or for this username: not even checked.
    Blocked { username: Option<String> },
    /// A `P-Asserted-Identity` from a configured trunk; the monitoring plane decides
    /// whether that trunk is trusted for that identity.
    Asserted {
        identity: String,
        ingress: TrunkName,
    },
}

/// A supervisor's join, as signaling received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub ticket: JoinTicket,
    pub auth: JoinAuth,
    /// The Request-URI user, parsed (`Err`: a feature code with a bad target).
    pub target: Result<JoinTarget, FeatureCodeError>,
    /// The INVITE carried `Replaces` (RFC 3891) naming this leg's dialog of the
    /// call in `target` (then a take-over by call reference): only the agent's own
    /// dialog may be replaced.
    pub replaces: Option<LegSide>,
    pub source: IpAddr,
}

/// A join the monitoring plane admitted (authorized and audited): what signaling
/// needs to answer it and the media plane to wire it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub ticket: JoinTicket,
    pub session: MonitorSessionId,
    pub call: CallRef,
    /// The leg the agent is on; the other one is the customer's.
    pub agent_side: LegSide,
    pub mode: MonitorMode,
    pub after_takeover: AgentAfterTakeover,
    /// The tenant's `agent_notice = "beep"`.
    pub agent_beep: bool,
}

/// Why a supervisor leg ended (audit reason tags; never change a published one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionEnd {
    /// The supervisor hung up.
    SupervisorHangup,
    /// The monitored call ended.
    CallEnded,
    /// The call ended or changed between authorization and answer.
    CallGone,
    /// The supervisor cancelled before the answer.
    Cancelled,
    /// The media plane could not set the session up.
    MediaFailed,
    /// The party the supervisor monitored transferred the call away (REFER): the
    /// session does not follow the call to its new party.
    Transferred,
    /// The supervisor's phone never acknowledged the SBC's 200 (RFC 3261 §13.3.1.4):
    /// the SBC hung the leg up.
    AckTimeout,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::SupervisorHangup => "supervisor_hangup",
            SessionEnd::CallEnded => "call_ended",
            SessionEnd::CallGone => "call_gone",
            SessionEnd::Cancelled => "cancelled",
            SessionEnd::MediaFailed => "media_failed",
            SessionEnd::Transferred => "transferred",
            SessionEnd::AckTimeout => "ack_timeout",
        }
    }
}

/// What one party of a call said that may identify the agent: the configured agent
/// headers (name, value) of its request or answer, and its URI (for the directory).
/// `trunk` is the trunk it came from: only a tenant's own trunks are believed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartyHints {
    pub trunk: Option<TrunkName>,
    pub headers: Vec<(String, String)>,
    pub uri: Option<String>,
}

impl PartyHints {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
