//! Whole-config rules that relate several values: the media port range, timer order,
//! listener and name uniqueness, routes that point at real trunks, and routes that can
//! never match. Single-value rules are checked while decoding (`sections`).
//!
//! Values whose key failed to decode hold defaults; rules involving them are skipped
//! so one typo produces one error, not a cascade.

use std::collections::HashMap;

use super::decode::{Decoder, Spots};
use super::schema::{Config, RouteConfig};
use crate::ids::TrunkName;

/// Checks every cross-field rule, adding errors to `d`.
pub(crate) fn validate(d: &mut Decoder<'_>, c: &Config) {
    media_ports(d, c);
    timers(d, c);
    listeners(d, c);
    tcp_limits(d, c);
    trunk_names(d, c);
    routes(d, c);
    super::validate_monitoring::validate(d, c);
}

/// Reports `message` at `path`, located by where `path` (or its parent) appeared.
fn report(d: &mut Decoder<'_>, path: &str, message: String) {
    let pos = d.spots.position(path);
    d.invalid(path, pos, message);
}

fn any_failed(spots: &Spots, paths: &[&str]) -> bool {
    paths.iter().any(|p| spots.failed(p))
}

/// Prefers the key the operator actually wrote, so the error points at their line.
fn written<'p>(spots: &Spots, first: &'p str, second: &'p str) -> &'p str {
    if spots.present(first) || !spots.present(second) {
        first
    } else {
        second
    }
}

fn media_ports(d: &mut Decoder<'_>, c: &Config) {
    const MIN: &str = "media.port_min";
    const MAX: &str = "media.port_max";
    if any_failed(&d.spots, &[MIN, MAX]) {
        return;
    }
    let (lo, hi) = (c.media.port_min, c.media.port_max);
    if lo > hi {
        let key = written(&d.spots, MIN, MAX);
        report(
            d,
            key,
            format!("port_min ({lo}) is greater than port_max ({hi})"),
        );
    } else if lo == hi {
        let key = written(&d.spots, MAX, MIN);
        let msg = format!(
            "the media port range {lo}-{hi} holds 1 port; at least 2 are needed (RTP + RTCP)"
        );
        report(d, key, msg);
    }
}

fn timers(d: &mut Decoder<'_>, c: &Config) {
    const T1: &str = "sip.t1_ms";
    const T2: &str = "sip.t2_ms";
    if any_failed(&d.spots, &[T1, T2]) || c.sip.t1 <= c.sip.t2 {
        return;
    }
    let (t1, t2) = (c.sip.t1.as_millis(), c.sip.t2.as_millis());
    let key = written(&d.spots, T1, T2);
    report(
        d,
        key,
        format!("t1_ms ({t1}) must not exceed t2_ms ({t2}) (RFC 3261 §17.1.2.2)"),
    );
}

fn listeners(d: &mut Decoder<'_>, c: &Config) {
    if c.sip.listen.is_empty() && !d.spots.failed("sip.listen") {
        report(
            d,
            "sip.listen",
            "at least one listener is required".to_owned(),
        );
    }
    let mut seen = HashMap::new();
    for (i, l) in c.sip.listen.iter().enumerate() {
        let path = format!("sip.listen[{i}].address");
        // Port 0 asks the OS for a fresh port each time, so those never collide.
        if l.address.port() == 0
            || any_failed(&d.spots, &[&path, &format!("sip.listen[{i}].transport")])
        {
            continue;
        }
        if let Some(first) = seen.insert((l.transport, l.address), i) {
            let line = d.spots.position(&format!("sip.listen[{first}]")).line;
            let msg = format!(
                "{} {} is already a listener (sip.listen[{first}], line {line})",
                l.transport, l.address
            );
            report(d, &path, msg);
        }
    }
}

fn tcp_limits(d: &mut Decoder<'_>, c: &Config) {
    const PER_IP: &str = "sip.tcp.max_connections_per_ip";
    let tcp = &c.sip.tcp;
    if any_failed(&d.spots, &[PER_IP, "sip.tcp.max_connections"])
        || tcp.max_connections_per_ip <= tcp.max_connections
    {
        return;
    }
    let msg = format!(
        "max_connections_per_ip ({}) exceeds max_connections ({})",
        tcp.max_connections_per_ip, tcp.max_connections
    );
    report(d, written(&d.spots, PER_IP, "sip.tcp.max_connections"), msg);
}

fn trunk_names(d: &mut Decoder<'_>, c: &Config) {
    let mut seen: HashMap<&TrunkName, usize> = HashMap::new();
    for (i, t) in c.trunks.iter().enumerate() {
        let path = format!("trunk[{i}].name");
        if t.name.as_str().is_empty() || d.spots.failed(&path) {
            continue;
        }
        if let Some(first) = seen.insert(&t.name, i) {
            let line = d.spots.position(&format!("trunk[{first}].name")).line;
            report(
                d,
                &path,
                format!(
                    "trunk name `{}` is already used by trunk[{first}] (line {line})",
                    t.name
                ),
            );
        }
    }
}

fn routes(d: &mut Decoder<'_>, c: &Config) {
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, r) in c.routes.iter().enumerate() {
        let name_path = format!("route[{i}].name");
        if !r.name.is_empty() && !d.spots.failed(&name_path) {
            if let Some(first) = names.insert(r.name.as_str(), i) {
                let line = d.spots.position(&format!("route[{first}].name")).line;
                report(
                    d,
                    &name_path,
                    format!(
                        "route name `{}` is already used by route[{first}] (line {line})",
                        r.name
                    ),
                );
            }
        }
        // Before the reference checks: those mark their key failed, which would hide
        // this independent problem.
        shadowed(d, c, i, r);
        trunk_reference(d, c, r, &format!("route[{i}].target"), Some(&r.target));
        trunk_reference(
            d,
            c,
            r,
            &format!("route[{i}].ingress_trunk"),
            r.ingress_trunk.as_ref(),
        );
    }
}

fn trunk_reference(
    d: &mut Decoder<'_>,
    c: &Config,
    r: &RouteConfig,
    path: &str,
    name: Option<&TrunkName>,
) {
    let Some(name) = name else { return };
    if !d.spots.present(path) || d.spots.failed(path) || c.trunk(name).is_some() {
        return;
    }
    let what = if path.ends_with(".target") {
        "targets"
    } else {
        "has ingress_trunk"
    };
    let msg = if c.trunks.is_empty() {
        format!(
            "route `{}` {what} unknown trunk `{name}` (no [[trunk]] is defined)",
            r.name
        )
    } else {
        let mut known: Vec<&str> = c.trunks.iter().map(|t| t.name.as_str()).collect();
        known.dedup();
        format!(
            "route `{}` {what} unknown trunk `{name}`; trunks are: {}",
            r.name,
            known.join(", ")
        )
    };
    report(d, path, msg);
}

/// A route that an earlier route matches whenever it would match can never be taken:
/// almost always a catch-all placed before specific routes.
fn shadowed(d: &mut Decoder<'_>, c: &Config, i: usize, r: &RouteConfig) {
    if !route_ok(&d.spots, i) {
        return;
    }
    let earlier = c
        .routes
        .iter()
        .take(i)
        .enumerate()
        .find(|&(j, e)| route_ok(&d.spots, j) && covers(e, r));
    if let Some((j, e)) = earlier {
        let line = d.spots.position(&format!("route[{j}]")).line;
        let msg = format!(
            "route `{}` can never match: route `{}` (route[{j}], line {line}) comes first and matches every call it would",
            r.name, e.name
        );
        report(d, &format!("route[{i}]"), msg);
    }
}

/// Whether route `i`'s match fields all decoded (a failed one holds a default that
/// would make the route look broader than written).
fn route_ok(spots: &Spots, i: usize) -> bool {
    !["name", "ingress_trunk", "user_prefix"]
        .iter()
        .any(|k| spots.failed(&format!("route[{i}].{k}")))
        && !spots.failed(&format!("route[{i}]"))
}

/// Whether every call matching `later` also matches `earlier`.
fn covers(earlier: &RouteConfig, later: &RouteConfig) -> bool {
    let ingress = match (&earlier.ingress_trunk, &later.ingress_trunk) {
        (None, _) => true,
        (Some(a), Some(b)) => a == b,
        (Some(_), None) => false,
    };
    let user = match (&earlier.user_prefix, &later.user_prefix) {
        (None, _) => true,
        (Some(a), Some(b)) => b.starts_with(a.as_str()),
        (Some(_), None) => false,
    };
    ingress && user
}
