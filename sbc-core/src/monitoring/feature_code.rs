//! Feature codes: how a supervisor's INVITE says what to monitor. The Request-URI user
//! is a code (one per mode, `*81`..`*84` by default) then a target: `a` and an agent
//! ID (`*81a1007`) or `c` and a call reference (`*82c42`).
//!
//! The user part arrives from the network: it is length-checked, percent-decoded
//! (phones escape `#` and sometimes `*`), and parsed without indexing, so any input
//! gives a value or a typed error (fuzzed: `fuzz/fuzz_targets/feature_code.rs`).
//! `Ok(None)` means "not a feature code": the INVITE is an ordinary call to route.

use super::mode::MonitorMode;
use super::names::{is_agent_id, AgentId};
use crate::ids::CallRef;

/// Longest Request-URI user considered (before percent-decoding).
pub const MAX_USER_LEN: usize = 256;
/// Longest feature code.
pub const MAX_CODE_LEN: usize = 16;

/// What a supervisor asked to join, and in which mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JoinTarget {
    pub mode: MonitorMode,
    pub target: Target,
}

/// The call to join: the one an agent is on now, or one named by its reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Agent(AgentId),
    Call(CallRef),
}

/// A feature code was recognised but what follows it is not a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FeatureCodeError {
    #[error("Request-URI user longer than {MAX_USER_LEN} octets")]
    TooLong,
    #[error("malformed percent-escape in the Request-URI user")]
    BadEscape,
    #[error("feature code without a target (expected `a<agent>` or `c<call>`)")]
    MissingTarget,
    #[error("unknown target kind `{0}` (expected `a` for an agent or `c` for a call)")]
    UnknownTargetKind(char),
    #[error("agent ID must be 1-64 characters of A-Z a-z 0-9 . _ -")]
    BadAgentId,
    #[error("call reference must be a decimal number below 2^64")]
    BadCallRef,
}

/// The code for each mode. Valid codes are 1-16 characters of `0-9 * #` and none is a
/// prefix of another (checked by [`FeatureCodes::check`] when config loads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureCodes {
    pub listen: String,
    pub whisper: String,
    pub barge: String,
    pub takeover: String,
}

impl Default for FeatureCodes {
    fn default() -> Self {
        let code = |m: MonitorMode| m.default_feature_code().to_owned();
        FeatureCodes {
            listen: code(MonitorMode::Listen),
            whisper: code(MonitorMode::Whisper),
            barge: code(MonitorMode::Barge),
            takeover: code(MonitorMode::Takeover),
        }
    }
}

/// Why a set of codes is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureCodeConflict {
    #[error("feature code for {0} must be 1-{MAX_CODE_LEN} characters of 0-9, * and #")]
    BadCode(MonitorMode),
    #[error("feature code for {later} (`{later_code}`) is ambiguous with the one for {earlier} (`{earlier_code}`): no code may be a prefix of another")]
    Ambiguous {
        earlier: MonitorMode,
        earlier_code: String,
        later: MonitorMode,
        later_code: String,
    },
}

impl FeatureCodes {
    pub fn code(&self, mode: MonitorMode) -> &str {
        match mode {
            MonitorMode::Listen => &self.listen,
            MonitorMode::Whisper => &self.whisper,
            MonitorMode::Barge => &self.barge,
            MonitorMode::Takeover => &self.takeover,
        }
    }

    /// Whether `code` is dialable: 1-16 of `0-9 * #`.
    pub fn is_valid_code(code: &str) -> bool {
        !code.is_empty()
            && code.len() <= MAX_CODE_LEN
            && code
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
    }

    /// Every code is valid and none is a prefix of another (so a dialled string
    /// matches at most one). Reports the first problem in mode order.
    pub fn check(&self) -> Result<(), FeatureCodeConflict> {
        for (i, later) in MonitorMode::ALL.into_iter().enumerate() {
            let later_code = self.code(later);
            if !Self::is_valid_code(later_code) {
                return Err(FeatureCodeConflict::BadCode(later));
            }
            for earlier in MonitorMode::ALL.into_iter().take(i) {
                let earlier_code = self.code(earlier);
                if earlier_code.starts_with(later_code) || later_code.starts_with(earlier_code) {
                    return Err(FeatureCodeConflict::Ambiguous {
                        earlier,
                        earlier_code: earlier_code.to_owned(),
                        later,
                        later_code: later_code.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Parses a Request-URI user. `Ok(None)`: it does not start with a feature code.
    pub fn parse(&self, user: &str) -> Result<Option<JoinTarget>, FeatureCodeError> {
        if user.len() > MAX_USER_LEN {
            return Err(FeatureCodeError::TooLong);
        }
        let user = percent_decode(user)?;
        // Longest match, so hand-built codes that overlap still parse deterministically.
        let matched = MonitorMode::ALL
            .into_iter()
            .filter(|m| !self.code(*m).is_empty())
            .filter_map(|m| user.strip_prefix(self.code(m)).map(|rest| (m, rest)))
            .min_by_key(|(_, rest)| rest.len());
        let Some((mode, rest)) = matched else {
            return Ok(None);
        };
        let mut chars = rest.chars();
        let target = match chars.next() {
            None => return Err(FeatureCodeError::MissingTarget),
            Some('a' | 'A') => Target::Agent(agent(chars.as_str())?),
            Some('c' | 'C') => Target::Call(call_ref(chars.as_str())?),
            Some(other) => return Err(FeatureCodeError::UnknownTargetKind(other)),
        };
        Ok(Some(JoinTarget { mode, target }))
    }
}

fn agent(s: &str) -> Result<AgentId, FeatureCodeError> {
    if is_agent_id(s) {
        Ok(AgentId::new(s))
    } else {
        Err(FeatureCodeError::BadAgentId)
    }
}

fn call_ref(s: &str) -> Result<CallRef, FeatureCodeError> {
    // `u64::from_str` accepts a leading '+'; a reference is digits only.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FeatureCodeError::BadCallRef);
    }
    s.parse()
        .map(CallRef)
        .map_err(|_| FeatureCodeError::BadCallRef)
}

/// Decodes `%XX` escapes (RFC 3986 §2.1). The result must be UTF-8; anything outside
/// the grammar is refused later by the target rules.
fn percent_decode(s: &str) -> Result<String, FeatureCodeError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hi = bytes.next().and_then(hex_value);
        let lo = bytes.next().and_then(hex_value);
        match (hi, lo) {
            (Some(h), Some(l)) => out.push(h << 4 | l),
            _ => return Err(FeatureCodeError::BadEscape),
        }
    }
    String::from_utf8(out).map_err(|_| FeatureCodeError::BadEscape)
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
#[path = "feature_code_tests.rs"]
mod tests;
