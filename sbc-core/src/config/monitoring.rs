//! Decoding `[[tenant]]`, `[[role]]` and `[[agent]]`: who is who for monitoring.
//! Single-value rules only (alphabets, tags, non-empty lists); references between
//! them and to trunks are checked in `validate_monitoring`. Supervisors, which have
//! the most rules, are in `supervisor`.

use std::fmt;
use std::str::FromStr;

use super::decode::{Decoder, Section, Spanned};
use crate::ids::TrunkName;
use crate::media::AgentAfterTakeover;
use crate::monitoring::{
    is_agent_id, is_label, tenant_id, AgentDirectoryEntry, AgentId, AgentNotice, ModeSet,
    MonitorMode, QueueName, Role, RoleName, TeamName, TenantConfig, UriKey,
};

pub(crate) const TENANT_KEYS: &[&str] = &["id", "trunks", "agent_notice", "after_takeover"];
pub(crate) const ROLE_KEYS: &[&str] = &["name", "modes"];
pub(crate) const AGENT_KEYS: &[&str] = &["uri", "id", "team", "queues", "tenant"];

pub(crate) fn tenant(d: &mut Decoder<'_>, t: &Section<'_>) -> TenantConfig {
    d.require(t, "id");
    let id = d.string(t, "id");
    if let Some(id) = &id {
        check_name(d, id, "tenant ID");
    }
    d.require(t, "trunks");
    let trunks = d.parse_list::<Name>(t, "trunks").unwrap_or_default();
    non_empty(
        d,
        t,
        "trunks",
        trunks.len(),
        "a tenant needs at least one trunk its calls arrive on",
    );
    TenantConfig {
        id: tenant_id(id.as_ref().map_or("", |i| i.value.as_str())),
        trunks: trunks.into_iter().map(|n| TrunkName::new(&n.0)).collect(),
        agent_notice: agent_notice(d, t).unwrap_or_default(),
        after_takeover: after_takeover(d, t).unwrap_or_default(),
    }
}

fn after_takeover(d: &mut Decoder<'_>, t: &Section<'_>) -> Option<AgentAfterTakeover> {
    let n = d.string(t, "after_takeover")?;
    match n.value.to_ascii_lowercase().as_str() {
        "release" => Some(AgentAfterTakeover::Released),
        "listen" => Some(AgentAfterTakeover::Listening),
        _ => {
            let msg = format!(
                "unknown take-over policy `{}`; expected one of: release, listen",
                n.value.escape_debug()
            );
            d.invalid(&n.path, n.pos, msg);
            None
        }
    }
}

fn agent_notice(d: &mut Decoder<'_>, t: &Section<'_>) -> Option<AgentNotice> {
    let n = d.string(t, "agent_notice")?;
    match n.value.to_ascii_lowercase().as_str() {
        "none" => Some(AgentNotice::None),
        "beep" => Some(AgentNotice::Beep),
        _ => {
            let msg = format!(
                "unknown agent notice `{}`; expected one of: {}",
                n.value.escape_debug(),
                AgentNotice::NAMES.join(", ")
            );
            d.invalid(&n.path, n.pos, msg);
            None
        }
    }
}

pub(crate) fn role(d: &mut Decoder<'_>, r: &Section<'_>) -> Role {
    d.require(r, "name");
    let name = d.string(r, "name");
    if let Some(n) = &name {
        check_name(d, n, "role name");
    }
    d.require(r, "modes");
    let errors_before = d.errors.len();
    let tags = d.parse_list::<ModeTag>(r, "modes").unwrap_or_default();
    let mut modes = ModeSet::EMPTY;
    for (i, ModeTag(mode)) in tags.iter().enumerate() {
        if !modes.insert(*mode) {
            let path = format!("{}.modes[{i}]", r.path);
            let pos = d.spots.position(&path);
            d.invalid(&path, pos, format!("{mode} is listed twice"));
        }
    }
    if d.errors.len() == errors_before {
        non_empty(
            d,
            r,
            "modes",
            modes.len(),
            "a role must permit at least one mode (deny by default: delete the role instead)",
        );
    }
    Role {
        name: RoleName::new(name.as_ref().map_or("", |n| n.value.as_str())),
        modes,
    }
}

pub(crate) fn agent(d: &mut Decoder<'_>, a: &Section<'_>) -> AgentDirectoryEntry {
    d.require(a, "uri");
    let uri = d
        .string(a, "uri")
        .and_then(|u| match UriKey::parse(&u.value) {
            Some(key) => Some(key),
            None => {
                let msg = format!(
                    "`{}` is not a sip:, sips: or tel: URI (e.g. `sip:1001@pbx.example.com`)",
                    u.value.escape_debug()
                );
                d.invalid(&u.path, u.pos, msg);
                None
            }
        });
    d.require(a, "id");
    let id = d.string(a, "id");
    if let Some(i) = id.as_ref().filter(|i| !is_agent_id(&i.value)) {
        let msg = format!(
            "agent ID `{}` must be 1-64 characters of A-Z a-z 0-9 . _ -",
            i.value.escape_debug()
        );
        d.invalid(&i.path, i.pos, msg);
    }
    let team = d.string(a, "team").filter(|t| label_ok(d, t));
    let queues = d.parse_list::<Label>(a, "queues").unwrap_or_default();
    // Whether it names a [[tenant]] is checked with the whole config.
    let tenant = d.string(a, "tenant").map(|t| tenant_id(&t.value));
    AgentDirectoryEntry {
        uri: uri.unwrap_or_else(UriKey::placeholder),
        agent: AgentId::new(id.as_ref().map_or("", |i| i.value.as_str())),
        team: team.map(|t| TeamName::new(&t.value)),
        queues: queues.into_iter().map(|l| QueueName::new(&l.0)).collect(),
        tenant,
    }
}

/// Reports `key` of `sec` as invalid when it was written but holds no element.
fn non_empty(d: &mut Decoder<'_>, sec: &Section<'_>, key: &str, len: usize, why: &str) {
    let path = format!("{}.{key}", sec.path);
    if len == 0 && d.spots.present(&path) && !d.spots.failed(&path) {
        let pos = d.spots.position(&path);
        d.invalid(&path, pos, why.to_owned());
    }
}

/// Tenant IDs and role names show up in logs, metrics and audit records: the trunk
/// name alphabet.
pub(crate) fn check_name(d: &mut Decoder<'_>, n: &Spanned<String>, what: &str) {
    if !is_name(&n.value) {
        let msg = format!(
            "{what} `{}` must be 1-64 characters of A-Z a-z 0-9 . _ -",
            n.value.escape_debug()
        );
        d.invalid(&n.path, n.pos, msg);
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether a queue or team label is acceptable; reports it if not.
pub(crate) fn label_ok(d: &mut Decoder<'_>, l: &Spanned<String>) -> bool {
    let ok = is_label(&l.value);
    if !ok {
        d.invalid(&l.path, l.pos, LabelError(l.value.clone()).to_string());
    }
    ok
}

/// An element of a list of trunk, tenant or role names.
pub(crate) struct Name(pub String);

/// An element of a list of queue or team labels.
pub(crate) struct Label(pub String);

/// An element of `modes`.
struct ModeTag(MonitorMode);

pub(crate) struct NameError(String);
pub(crate) struct LabelError(String);
struct ModeError(String);

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` must be 1-64 characters of A-Z a-z 0-9 . _ -",
            self.0.escape_debug()
        )
    }
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` must be 1-128 bytes with no control characters and no leading or trailing spaces",
            self.0.escape_debug()
        )
    }
}

impl fmt::Display for ModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = MonitorMode::ALL.iter().map(|m| m.as_str()).collect();
        write!(
            f,
            "unknown mode `{}`; expected one of: {}",
            self.0.escape_debug(),
            known.join(", ")
        )
    }
}

impl FromStr for Name {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_name(s) {
            Ok(Name(s.to_owned()))
        } else {
            Err(NameError(s.to_owned()))
        }
    }
}

impl FromStr for Label {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_label(s) {
            Ok(Label(s.to_owned()))
        } else {
            Err(LabelError(s.to_owned()))
        }
    }
}

impl FromStr for ModeTag {
    type Err = ModeError;
    /// Case-insensitive like the other enumerated values; stored as the canonical tag.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MonitorMode::from_tag(&s.to_ascii_lowercase())
            .map(ModeTag)
            .ok_or_else(|| ModeError(s.to_owned()))
    }
}
