//! Whole-config rules for monitoring: unique tenant IDs, role names, supervisor IDs,
//! asserted identities and agent URIs; tenant trunks that exist and belong to one
//! tenant only; supervisors whose tenant, role and trusted trunks exist (and the
//! trusted trunks are their own tenant's); feature codes that cannot be confused;
//! and no supervisor without an audit log.
//!
//! Like `validate`: a key that failed to decode is skipped, so one typo gives one error.

use std::collections::HashMap;
use std::hash::Hash;

use super::decode::Decoder;
use super::schema::Config;
use crate::ids::{TenantId, TrunkName};
use crate::monitoring::{FeatureCodeConflict, SupervisorAuth};

pub(crate) fn validate(d: &mut Decoder<'_>, c: &Config) {
    unique(
        d,
        "tenant",
        "id",
        "tenant ID",
        c.tenants.iter().map(|t| t.id.0.to_string()),
    );
    unique(
        d,
        "role",
        "name",
        "role name",
        c.roles.iter().map(|r| r.name.to_string()),
    );
    unique(
        d,
        "supervisor",
        "id",
        "supervisor ID",
        c.supervisors.iter().map(|s| s.id.to_string()),
    );
    unique(
        d,
        "agent",
        "uri",
        "agent URI",
        c.agents.iter().map(|a| a.uri.to_string()),
    );
    tenant_trunks(d, c);
    supervisors(d, c);
    agent_tenants(d, c);
    asserted_identities(d, c);
    feature_codes(d, c);
    audit_required(d, c);
}

fn report(d: &mut Decoder<'_>, path: &str, message: String) {
    let pos = d.spots.position(path);
    d.invalid(path, pos, message);
}

/// Reports each value of `section[i].key` already used by an earlier element.
fn unique(
    d: &mut Decoder<'_>,
    section: &str,
    key: &str,
    what: &str,
    values: impl Iterator<Item = String>,
) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, v) in values.enumerate() {
        let path = format!("{section}[{i}].{key}");
        if v.is_empty() || !d.spots.present(&path) || d.spots.failed(&path) {
            continue;
        }
        match seen.get(&v) {
            Some(&first) => {
                let line = d.spots.position(&format!("{section}[{first}].{key}")).line;
                let msg =
                    format!("{what} `{v}` is already used by {section}[{first}] (line {line})");
                report(d, &path, msg);
            }
            None => {
                seen.insert(v, i);
            }
        }
    }
}

fn tenant_trunks(d: &mut Decoder<'_>, c: &Config) {
    let mut owner: HashMap<&TrunkName, usize> = HashMap::new();
    for (i, t) in c.tenants.iter().enumerate() {
        for (j, trunk) in t.trunks.iter().enumerate() {
            let path = format!("tenant[{i}].trunks[{j}]");
            if d.spots.failed(&path) || d.spots.failed(&format!("tenant[{i}].trunks")) {
                continue;
            }
            if c.trunk(trunk).is_none() {
                report(d, &path, unknown_trunk(c, trunk));
            } else if let Some(&first) = owner.get(trunk) {
                let line = d.spots.position(&format!("tenant[{first}]")).line;
                let msg = format!(
                    "trunk `{trunk}` already belongs to tenant[{first}] (line {line}); a trunk belongs to at most one tenant"
                );
                report(d, &path, msg);
            } else {
                owner.insert(trunk, i);
            }
        }
    }
}

fn unknown_trunk(c: &Config, trunk: &TrunkName) -> String {
    if c.trunks.is_empty() {
        return format!("unknown trunk `{trunk}` (no [[trunk]] is defined)");
    }
    let known: Vec<&str> = c.trunks.iter().map(|t| t.name.as_str()).collect();
    format!("unknown trunk `{trunk}`; trunks are: {}", known.join(", "))
}

/// A directory entry's `tenant`, when given, names a [[tenant]].
fn agent_tenants(d: &mut Decoder<'_>, c: &Config) {
    for (i, a) in c.agents.iter().enumerate() {
        let Some(tenant) = &a.tenant else { continue };
        let path = format!("agent[{i}].tenant");
        if c.tenants.iter().any(|t| &t.id == tenant) || d.spots.failed(&path) {
            continue;
        }
        let known: Vec<String> = c.tenants.iter().map(|t| t.id.0.to_string()).collect();
        let msg = format!(
            "unknown tenant `{}`; tenants are: [{}]",
            tenant.0,
            known.join(", ")
        );
        report(d, &path, msg);
    }
}

fn supervisors(d: &mut Decoder<'_>, c: &Config) {
    let tenants: HashMap<&TenantId, usize> = first_index(c.tenants.iter().map(|t| &t.id));
    let roles = first_index(c.roles.iter().map(|r| &r.name));
    for (i, s) in c.supervisors.iter().enumerate() {
        let tenant_path = format!("supervisor[{i}].tenant");
        let tenant = tenants.get(&s.tenant).and_then(|&t| c.tenants.get(t));
        if tenant.is_none() && !d.spots.failed(&tenant_path) && d.spots.present(&tenant_path) {
            let known: Vec<String> = c.tenants.iter().map(|t| t.id.0.to_string()).collect();
            let msg = format!(
                "unknown tenant `{}`; tenants are: [{}]",
                s.tenant.0,
                known.join(", ")
            );
            report(d, &tenant_path, msg);
        }
        let role_path = format!("supervisor[{i}].role");
        if !roles.contains_key(&s.role)
            && !d.spots.failed(&role_path)
            && d.spots.present(&role_path)
        {
            let known: Vec<String> = c.roles.iter().map(|r| r.name.to_string()).collect();
            let msg = format!(
                "unknown role `{}`; roles are: [{}]",
                s.role,
                known.join(", ")
            );
            report(d, &role_path, msg);
        }
        let (Some(tenant), SupervisorAuth::AssertedIdentity { trusted_trunks, .. }) =
            (tenant, &s.auth)
        else {
            continue;
        };
        for (j, trunk) in trusted_trunks.iter().enumerate() {
            let path = format!("supervisor[{i}].trusted_trunks[{j}]");
            if c.trunk(trunk).is_none() {
                report(d, &path, unknown_trunk(c, trunk));
            } else if !tenant.trunks.contains(trunk) {
                let msg = format!(
                    "trunk `{trunk}` is not a trunk of tenant `{}`: only the supervisor's own tenant may assert its identity",
                    tenant.id.0
                );
                report(d, &path, msg);
            }
        }
    }
}

fn first_index<'a, K: Eq + Hash + 'a>(keys: impl Iterator<Item = &'a K>) -> HashMap<&'a K, usize> {
    let mut map = HashMap::new();
    for (i, k) in keys.enumerate() {
        map.entry(k).or_insert(i);
    }
    map
}

/// Two accounts with one asserted identity would make "who joined" ambiguous.
fn asserted_identities(d: &mut Decoder<'_>, c: &Config) {
    let identities = c.supervisors.iter().map(|s| match &s.auth {
        SupervisorAuth::AssertedIdentity { identity, .. } => identity.to_string(),
        SupervisorAuth::Digest(_) => String::new(),
    });
    unique(
        d,
        "supervisor",
        "asserted_identity",
        "asserted identity",
        identities,
    );
}

fn feature_codes(d: &mut Decoder<'_>, c: &Config) {
    let Err(conflict) = c.monitoring.feature_codes.check() else {
        return;
    };
    let mode = match &conflict {
        FeatureCodeConflict::BadCode(m) => *m,
        FeatureCodeConflict::Ambiguous { later, earlier, .. } => {
            // Point at the code the operator wrote (a default can be the other side).
            let later_path = format!("monitoring.feature_codes.{later}");
            if d.spots.present(&later_path) {
                *later
            } else {
                *earlier
            }
        }
    };
    let path = format!("monitoring.feature_codes.{mode}");
    let any_failed = crate::monitoring::MonitorMode::ALL
        .iter()
        .any(|m| d.spots.failed(&format!("monitoring.feature_codes.{m}")));
    if !any_failed {
        report(d, &path, conflict.to_string());
    }
}

/// Monitoring without an audit trail is not allowed: every join is audited first.
fn audit_required(d: &mut Decoder<'_>, c: &Config) {
    if c.supervisors.is_empty() || c.audit.path.is_some() || d.spots.failed("audit.path") {
        return;
    }
    let path = if d.spots.present("audit") {
        "audit"
    } else {
        "supervisor[0]"
    };
    let pos = d.spots.position(path);
    let msg = "supervisors are configured but [audit] path is not: every monitoring action must be audited";
    d.invalid("audit.path", pos, msg);
}
