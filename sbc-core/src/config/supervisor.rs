//! Decoding one `[[supervisor]]`: account name, tenant, role, scope and credential.
//!
//! Deny by default shapes the rules: a supervisor must state a scope (`whole_tenant =
//! true`, `queues` or `teams`; exactly one) and a credential (digest HA1s, or a
//! trusted `asserted_identity`; exactly one kind). Whether the tenant, role and
//! trusted trunks exist is checked in `validate_monitoring`.

use std::collections::BTreeSet;

use super::decode::{Decoder, Section, Spanned};
use super::monitoring::{check_name, Label, Name};
use crate::ids::TrunkName;
use crate::monitoring::{
    tenant_id, DigestHa1, QueueName, RoleName, Scope, Supervisor, SupervisorAuth, SupervisorId,
    TeamName, UriKey,
};

pub(crate) const SUPERVISOR_KEYS: &[&str] = &[
    "id",
    "tenant",
    "role",
    "whole_tenant",
    "queues",
    "teams",
    "ha1_sha256",
    "ha1_md5",
    "asserted_identity",
    "trusted_trunks",
];

pub(crate) fn supervisor(d: &mut Decoder<'_>, s: &Section<'_>) -> Supervisor {
    d.require(s, "id");
    let id = d.string(s, "id");
    if let Some(i) = id.as_ref().filter(|i| !is_username(&i.value)) {
        let msg = format!(
            "supervisor ID `{}` must be 1-64 characters of A-Z a-z 0-9 . _ - @ + (it is the digest username)",
            i.value.escape_debug()
        );
        d.invalid(&i.path, i.pos, msg);
    }
    d.require(s, "tenant");
    let tenant = d.string(s, "tenant");
    if let Some(t) = &tenant {
        check_name(d, t, "tenant ID");
    }
    d.require(s, "role");
    let role = d.string(s, "role");
    if let Some(r) = &role {
        check_name(d, r, "role name");
    }
    let text = |v: &Option<Spanned<String>>| v.as_ref().map_or(String::new(), |v| v.value.clone());
    Supervisor {
        id: SupervisorId::new(&text(&id)),
        tenant: tenant_id(&text(&tenant)),
        role: RoleName::new(&text(&role)),
        scope: scope(d, s),
        auth: auth(d, s),
    }
}

/// Digest usernames appear in logs and audit records; keep them to a safe alphabet
/// that still allows e-mail-like accounts.
fn is_username(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@' | b'+'))
}

/// Exactly one of `whole_tenant = true`, `queues`, `teams`. On any error the scope is
/// an empty queue list, which authorizes nothing.
fn scope(d: &mut Decoder<'_>, s: &Section<'_>) -> Scope {
    let denied = Scope::Queues(BTreeSet::new());
    let errors_before = d.errors.len();
    let whole = d.boolean(s, "whole_tenant");
    let queues = d.parse_list::<Label>(s, "queues");
    let teams = d.parse_list::<Label>(s, "teams");
    if d.errors.len() > errors_before {
        return denied;
    }
    let given: Vec<&str> = [
        ("whole_tenant", whole.is_some()),
        ("queues", queues.is_some()),
        ("teams", teams.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    match given.as_slice() {
        [] => {
            let msg = "no scope: set whole_tenant = true, queues = [...] or teams = [...] (deny by default)";
            d.invalid(&format!("{}.queues", s.path), s.pos, msg);
            return denied;
        }
        [_, second, ..] => {
            let path = format!("{}.{second}", s.path);
            let pos = d.spots.position(&path);
            let msg = format!(
                "a scope is one of whole_tenant, queues or teams; `{}` is already set",
                given.first().copied().unwrap_or_default()
            );
            d.invalid(&path, pos, msg);
            return denied;
        }
        [_] => {}
    }
    let empty = |d: &mut Decoder<'_>, key: &str| {
        let path = format!("{}.{key}", s.path);
        let pos = d.spots.position(&path);
        d.invalid(
            &path,
            pos,
            format!("{key} must name at least one (a scope of nothing authorizes nothing)"),
        );
    };
    match (whole, queues, teams) {
        (Some(true), _, _) => Scope::WholeTenant,
        (Some(false), _, _) => {
            let path = format!("{}.whole_tenant", s.path);
            let pos = d.spots.position(&path);
            d.invalid(
                &path,
                pos,
                "whole_tenant = false grants nothing: set queues or teams instead",
            );
            denied
        }
        (_, Some(q), _) if q.is_empty() => {
            empty(d, "queues");
            denied
        }
        (_, Some(q), _) => Scope::Queues(q.into_iter().map(|l| QueueName::new(&l.0)).collect()),
        (_, _, Some(t)) if t.is_empty() => {
            empty(d, "teams");
            denied
        }
        (_, _, Some(t)) => Scope::Teams(t.into_iter().map(|l| TeamName::new(&l.0)).collect()),
        (None, None, None) => denied,
    }
}

/// Digest HA1s or a trusted asserted identity, not both, not neither.
fn auth(d: &mut Decoder<'_>, s: &Section<'_>) -> SupervisorAuth {
    let unset = SupervisorAuth::Digest(DigestHa1::unset());
    let sha256 = ha1(d, s, "ha1_sha256", DigestHa1::SHA256_HEX_LEN);
    let md5 = ha1(d, s, "ha1_md5", DigestHa1::MD5_HEX_LEN);
    let identity = d.string(s, "asserted_identity");
    let trunks = d.parse_list::<Name>(s, "trusted_trunks");
    let path = |key: &str| format!("{}.{key}", s.path);
    let digest_written = d.spots.present(&path("ha1_sha256")) || d.spots.present(&path("ha1_md5"));
    match (digest_written, identity) {
        (true, Some(i)) => {
            let msg =
                "a supervisor authenticates by digest (ha1_*) or by asserted_identity, not both";
            d.invalid(&i.path, i.pos, msg);
            unset
        }
        (false, None) => {
            let msg = "no credential: set ha1_sha256 and/or ha1_md5, or asserted_identity with trusted_trunks";
            d.invalid(&path("ha1_sha256"), s.pos, msg);
            unset
        }
        (true, None) => {
            let p = path("trusted_trunks");
            if d.spots.present(&p) {
                let pos = d.spots.position(&p);
                d.invalid(
                    &p,
                    pos,
                    "trusted_trunks only applies with asserted_identity",
                );
            }
            let (Some(sha), Some(md5)) = (sha256, md5) else {
                return unset;
            };
            DigestHa1::new(sha.as_deref(), md5.as_deref()).map_or(unset, SupervisorAuth::Digest)
        }
        (false, Some(i)) => asserted(d, s, i, trunks).unwrap_or(unset),
    }
}

/// `Some(None)`: absent; `Some(Some(hex))`: valid; `None`: invalid (reported).
fn ha1(d: &mut Decoder<'_>, s: &Section<'_>, key: &str, want: usize) -> Option<Option<String>> {
    let Some(h) = d.string(s, key) else {
        let failed = d.spots.failed(&format!("{}.{key}", s.path));
        return (!failed).then_some(None);
    };
    if h.value.len() == want && h.value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(Some(h.value));
    }
    let msg = format!(
        "must be exactly {want} hex digits (H(username:realm:password)), got {} characters",
        h.value.chars().count()
    );
    d.invalid(&h.path, h.pos, msg);
    None
}

fn asserted(
    d: &mut Decoder<'_>,
    s: &Section<'_>,
    identity: Spanned<String>,
    trunks: Option<Vec<Name>>,
) -> Option<SupervisorAuth> {
    let key = UriKey::parse(&identity.value);
    if key.is_none() {
        let msg = format!(
            "`{}` is not a sip:, sips: or tel: URI (e.g. `sip:alice@pbx.example.com`)",
            identity.value.escape_debug()
        );
        d.invalid(&identity.path, identity.pos, msg);
    }
    let path = format!("{}.trusted_trunks", s.path);
    match &trunks {
        None if !d.spots.failed(&path) => {
            let msg = "asserted_identity needs trusted_trunks: the trunks whose P-Asserted-Identity is believed";
            d.invalid(&path, identity.pos, msg);
        }
        Some(t) if t.is_empty() => {
            let pos = d.spots.position(&path);
            d.invalid(&path, pos, "trusted_trunks must name at least one trunk");
        }
        _ => {}
    }
    let trusted_trunks: Vec<TrunkName> = trunks?.iter().map(|n| TrunkName::new(&n.0)).collect();
    (!trusted_trunks.is_empty()).then_some(())?;
    Some(SupervisorAuth::AssertedIdentity {
        identity: key?,
        trusted_trunks,
    })
}
