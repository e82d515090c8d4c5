//! Decoding `[monitoring]` (feature codes, agent headers, digest realm and failure
//! limits, SRTP on supervisors' legs) and `[audit]` (the audit database and its
//! retention). `srtp` and `srtp_suites` are decoded like a trunk's (`srtp`).

use std::path::PathBuf;

use super::decode::{Decoder, Section};
use super::srtp::{srtp_policy, srtp_suites};
use crate::monitoring::{
    AgentHeaderNames, AuditConfig, FeatureCodes, MonitorMode, MonitoringConfig,
};

pub(crate) const MONITORING_KEYS: &[&str] = &[
    "feature_codes",
    "agent_headers",
    "realm",
    "nonce_lifetime_secs",
    "max_auth_failures",
    "failure_window_secs",
    "block_secs",
    "srtp",
    "srtp_suites",
];
const FEATURE_CODE_KEYS: &[&str] = &["listen", "whisper", "barge", "takeover"];
const AGENT_HEADER_KEYS: &[&str] = &["agent", "queue", "team"];
pub(crate) const AUDIT_KEYS: &[&str] = &["path", "retention_days"];

pub(crate) fn monitoring(d: &mut Decoder<'_>, root: &Section<'_>) -> MonitoringConfig {
    let s = d.table(root, "monitoring", MONITORING_KEYS);
    let def = MonitoringConfig::default();
    MonitoringConfig {
        feature_codes: feature_codes(d, &s),
        agent_headers: agent_headers(d, &s),
        realm: realm(d, &s).unwrap_or(def.realm),
        nonce_lifetime: d.secs(&s, "nonce_lifetime_secs", 10, 86_400, def.nonce_lifetime),
        max_auth_failures: d.num(&s, "max_auth_failures", 1, 1000, def.max_auth_failures),
        failure_window: d.secs(&s, "failure_window_secs", 1, 86_400, def.failure_window),
        block_for: d.secs(&s, "block_secs", 1, 86_400, def.block_for),
        srtp: srtp_policy(d, &s).unwrap_or(def.srtp),
        srtp_suites: srtp_suites(d, &s),
    }
}

/// Each code must be dialable; that no code is a prefix of another is a rule across
/// the four, checked in `validate_monitoring`.
fn feature_codes(d: &mut Decoder<'_>, monitoring: &Section<'_>) -> FeatureCodes {
    let s = d.table(monitoring, "feature_codes", FEATURE_CODE_KEYS);
    let mut codes = FeatureCodes::default();
    for mode in MonitorMode::ALL {
        let Some(c) = d.string(&s, mode.as_str()) else {
            continue;
        };
        if !FeatureCodes::is_valid_code(&c.value) {
            let msg = format!(
                "feature code `{}` must be 1-{} characters of 0-9, * and # (dialable on any phone)",
                c.value.escape_debug(),
                crate::monitoring::MAX_CODE_LEN
            );
            d.invalid(&c.path, c.pos, msg);
            continue;
        }
        let slot = match mode {
            MonitorMode::Listen => &mut codes.listen,
            MonitorMode::Whisper => &mut codes.whisper,
            MonitorMode::Barge => &mut codes.barge,
            MonitorMode::Takeover => &mut codes.takeover,
        };
        *slot = c.value;
    }
    codes
}

fn agent_headers(d: &mut Decoder<'_>, monitoring: &Section<'_>) -> AgentHeaderNames {
    let s = d.table(monitoring, "agent_headers", AGENT_HEADER_KEYS);
    let mut names = AgentHeaderNames::default();
    for (key, slot) in [
        ("agent", &mut names.agent),
        ("queue", &mut names.queue),
        ("team", &mut names.team),
    ] {
        let Some(h) = d.string(&s, key) else { continue };
        if is_header_name(&h.value) {
            *slot = h.value;
        } else {
            let msg = format!(
                "`{}` is not a SIP header name (1-64 token characters, RFC 3261 §25.1)",
                h.value.escape_debug()
            );
            d.invalid(&h.path, h.pos, msg);
        }
    }
    names
}

/// RFC 3261 `token`: alphanumerics and `-.!%*_+`'~`.
fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
                )
        })
}

/// The realm goes into a quoted string of `WWW-Authenticate`: no quote, backslash or
/// control character, so config can never break the header.
fn realm(d: &mut Decoder<'_>, s: &Section<'_>) -> Option<String> {
    let r = d.string(s, "realm")?;
    let ok = !r.value.is_empty()
        && r.value.len() <= 128
        && !r
            .value
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\');
    if !ok {
        let msg = "realm must be 1-128 characters with no quote, backslash or control character";
        d.invalid(&r.path, r.pos, msg);
        return None;
    }
    Some(r.value)
}

pub(crate) fn audit(d: &mut Decoder<'_>, root: &Section<'_>) -> AuditConfig {
    let s = d.table(root, "audit", AUDIT_KEYS);
    let def = AuditConfig::default();
    let path = d.string(&s, "path");
    if let Some(p) = path.as_ref().filter(|p| p.value.is_empty()) {
        let msg = "path must not be empty (omit [audit] when no supervisor is configured)";
        d.invalid(&p.path, p.pos, msg);
    }
    let (lo, hi) = AuditConfig::RETENTION_DAYS;
    AuditConfig {
        path: path
            .filter(|p| !p.value.is_empty())
            .map(|p| PathBuf::from(p.value)),
        retention_days: d.num(
            &s,
            "retention_days",
            i64::from(lo),
            i64::from(hi),
            def.retention_days,
        ),
    }
}
