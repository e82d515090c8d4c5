//! Decoding of each config section into its schema struct: known keys, types, ranges
//! and the rules that concern a single value. Rules that relate several values
//! (port ranges, unique names, route targets) are in `validate`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use toml_edit::TableLike;

use super::cidr::IpNet;
use super::decode::{Decoder, Section, Spanned};
use super::monitoring::{self, AGENT_KEYS, ROLE_KEYS, TENANT_KEYS};
use super::monitoring_settings;
use super::schema::*;
use super::srtp::{srtp_policy, srtp_suites};
use super::supervisor::{self, SUPERVISOR_KEYS};
use crate::ids::TrunkName;

const ROOT_KEYS: &[&str] = &[
    "sip",
    "media",
    "trunk",
    "route",
    "metrics",
    "cdr",
    "log",
    "tenant",
    "role",
    "supervisor",
    "agent",
    "monitoring",
    "audit",
];
const SIP_KEYS: &[&str] = &[
    "listen",
    "t1_ms",
    "t2_ms",
    "t4_ms",
    "timer_c_secs",
    "max_forwards",
    "max_message_bytes",
    "user_agent",
    "tcp",
];
const LISTEN_KEYS: &[&str] = &["transport", "address", "advertise"];
const TCP_KEYS: &[&str] = &[
    "max_connections",
    "max_connections_per_ip",
    "idle_timeout_secs",
];
const MEDIA_KEYS: &[&str] = &[
    "bind",
    "advertise",
    "port_min",
    "port_max",
    "workers",
    "strict_source",
    "srtp_replay_window",
];
const TRUNK_KEYS: &[&str] = &[
    "name",
    "address",
    "transport",
    "accept_from",
    "srtp",
    "srtp_suites",
    "refer",
];
const ROUTE_KEYS: &[&str] = &["name", "ingress_trunk", "user_prefix", "target"];

const SOCKET: &str = "IP:port socket address; host names are not supported";
const IP: &str = "IP address";

/// Decodes the whole document; errors accumulate in `d`.
pub(crate) fn config(d: &mut Decoder<'_>, root: &dyn TableLike) -> Config {
    let root = d.root(root, ROOT_KEYS);
    Config {
        sip: sip(d, &root),
        media: media(d, &root),
        trunks: d
            .tables(&root, "trunk", TRUNK_KEYS)
            .unwrap_or_default()
            .iter()
            .map(|t| trunk(d, t))
            .collect(),
        routes: d
            .tables(&root, "route", ROUTE_KEYS)
            .unwrap_or_default()
            .iter()
            .map(|r| route(d, r))
            .collect(),
        metrics: MetricsConfig {
            listen: {
                let s = d.table(&root, "metrics", &["listen"]);
                d.parse(&s, "listen", SOCKET, "127.0.0.1:9090")
                    .map(|v| v.value)
            },
        },
        cdr: cdr(d, &root),
        log: log(d, &root),
        tenants: each(d, &root, "tenant", TENANT_KEYS, monitoring::tenant),
        roles: each(d, &root, "role", ROLE_KEYS, monitoring::role),
        supervisors: each(
            d,
            &root,
            "supervisor",
            SUPERVISOR_KEYS,
            supervisor::supervisor,
        ),
        agents: each(d, &root, "agent", AGENT_KEYS, monitoring::agent),
        monitoring: monitoring_settings::monitoring(d, &root),
        audit: monitoring_settings::audit(d, &root),
    }
}

/// Decodes every element of the array of tables `key` with `decode`.
fn each<T>(
    d: &mut Decoder<'_>,
    root: &Section<'_>,
    key: &str,
    known: &[&str],
    decode: fn(&mut Decoder<'_>, &Section<'_>) -> T,
) -> Vec<T> {
    d.tables(root, key, known)
        .unwrap_or_default()
        .iter()
        .map(|s| decode(d, s))
        .collect()
}

fn sip(d: &mut Decoder<'_>, root: &Section<'_>) -> SipConfig {
    let s = d.table(root, "sip", SIP_KEYS);
    let def = SipConfig::default();
    let listen = match d.tables(&s, "listen", LISTEN_KEYS) {
        Some(list) => list.iter().map(|l| listener(d, l)).collect(),
        None => def.listen,
    };
    SipConfig {
        listen,
        t1: d.millis(&s, "t1_ms", 1, 60_000, def.t1),
        t2: d.millis(&s, "t2_ms", 1, 600_000, def.t2),
        t4: d.millis(&s, "t4_ms", 1, 600_000, def.t4),
        timer_c: d.secs(&s, "timer_c_secs", 1, 86_400, def.timer_c),
        max_forwards: d.num(&s, "max_forwards", 1, 255, def.max_forwards),
        max_message_bytes: d.num(&s, "max_message_bytes", 1024, 65535, def.max_message_bytes),
        user_agent: user_agent(d, &s).unwrap_or(def.user_agent),
        tcp: tcp(d, &s),
    }
}

/// Rejects control characters: the value is copied verbatim into a SIP header, and a
/// CR or LF there would let the config inject headers.
fn user_agent(d: &mut Decoder<'_>, s: &Section<'_>) -> Option<String> {
    let ua = d.string(s, "user_agent")?;
    if ua.value.chars().any(char::is_control) {
        d.invalid(
            &ua.path,
            ua.pos,
            "must not contain control characters (it becomes a SIP header value)",
        );
        return None;
    }
    Some(ua.value)
}

fn tcp(d: &mut Decoder<'_>, sip: &Section<'_>) -> TcpConfig {
    let s = d.table(sip, "tcp", TCP_KEYS);
    let def = TcpConfig::default();
    TcpConfig {
        max_connections: d.num(&s, "max_connections", 1, 1_000_000, def.max_connections),
        max_connections_per_ip: d.num(
            &s,
            "max_connections_per_ip",
            1,
            1_000_000,
            def.max_connections_per_ip,
        ),
        idle_timeout: d.secs(&s, "idle_timeout_secs", 1, 86_400, def.idle_timeout),
    }
}

fn listener(d: &mut Decoder<'_>, l: &Section<'_>) -> ListenConfig {
    let transport = transport(d, l);
    let address = d.parse::<SocketAddr>(l, "address", SOCKET, "0.0.0.0:5060");
    d.require(l, "transport");
    d.require(l, "address");
    ListenConfig {
        transport: transport.unwrap_or(Transport::Udp),
        address: address.map_or(unspecified(), |a| a.value),
        advertise: advertise(d, l),
    }
}

fn unspecified() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

/// `transport`: "udp" or "tcp" (any case); "tls" gets its own message.
fn transport(d: &mut Decoder<'_>, s: &Section<'_>) -> Option<Transport> {
    let t = d.string(s, "transport")?;
    match t.value.to_ascii_lowercase().as_str() {
        "udp" => Some(Transport::Udp),
        "tcp" => Some(Transport::Tcp),
        "tls" => {
            d.invalid(&t.path, t.pos, "tls is not supported yet");
            None
        }
        _ => {
            let msg = format!("unknown transport `{}`; expected `udp` or `tcp`", t.value);
            d.invalid(&t.path, t.pos, msg);
            None
        }
    }
}

/// `advertise`: an address peers can send to, so never 0.0.0.0/:: or multicast.
fn advertise(d: &mut Decoder<'_>, s: &Section<'_>) -> Option<IpAddr> {
    let a = d.parse::<IpAddr>(s, "advertise", IP, "203.0.113.5")?;
    if a.value.is_unspecified() || a.value.is_multicast() {
        let msg = format!(
            "`{}` cannot be advertised: peers need a unicast address they can reach",
            a.value
        );
        d.invalid(&a.path, a.pos, msg);
        return None;
    }
    Some(a.value)
}

fn media(d: &mut Decoder<'_>, root: &Section<'_>) -> MediaConfig {
    let s = d.table(root, "media", MEDIA_KEYS);
    let def = MediaConfig::default();
    MediaConfig {
        bind: d
            .parse::<IpAddr>(&s, "bind", IP, "127.0.0.1")
            .map_or(def.bind, |b| b.value),
        advertise: advertise(d, &s),
        port_min: d.num(&s, "port_min", 1024, 65535, def.port_min),
        port_max: d.num(&s, "port_max", 1024, 65535, def.port_max),
        workers: d.num(&s, "workers", 0, 1024, def.workers),
        strict_source: d.boolean(&s, "strict_source").unwrap_or(def.strict_source),
        srtp_replay_window: {
            let (lo, hi) = MediaConfig::REPLAY_WINDOW;
            d.num(
                &s,
                "srtp_replay_window",
                i64::from(lo),
                i64::from(hi),
                def.srtp_replay_window,
            )
        },
    }
}

fn trunk(d: &mut Decoder<'_>, t: &Section<'_>) -> TrunkConfig {
    let name = d.string(t, "name");
    d.require(t, "name");
    if let Some(n) = &name {
        check_trunk_name(d, n);
    }
    d.require(t, "address");
    let address = d.parse::<SocketAddr>(t, "address", SOCKET, "192.0.2.10:5060");
    if let Some(a) = address
        .as_ref()
        .filter(|a| a.value.ip().is_unspecified() || a.value.port() == 0)
    {
        let msg = format!(
            "`{}` is not a destination: a trunk needs a concrete IP and a non-zero port",
            a.value
        );
        d.invalid(&a.path, a.pos, msg);
    }
    let address = address.map_or(unspecified(), |a| a.value);
    let accept_from = d
        .parse_list::<IpNet>(t, "accept_from")
        .unwrap_or_else(|| vec![IpNet::host(address.ip())]);
    TrunkConfig {
        name: TrunkName::new(name.as_ref().map_or("", |n| n.value.as_str())),
        address,
        transport: transport(d, t).unwrap_or(Transport::Udp),
        accept_from,
        srtp: srtp_policy(d, t).unwrap_or_default(),
        srtp_suites: srtp_suites(d, t),
        refer: refer_policy(d, t).unwrap_or_default(),
    }
}

/// `refer`: "handle", "relay" or "reject" (any case); `None` when absent or invalid.
fn refer_policy(d: &mut Decoder<'_>, t: &Section<'_>) -> Option<ReferPolicy> {
    let p = d.string(t, "refer")?;
    match p.value.to_ascii_lowercase().as_str() {
        "handle" => Some(ReferPolicy::Handle),
        "relay" => Some(ReferPolicy::Relay),
        "reject" => Some(ReferPolicy::Reject),
        _ => {
            let msg = format!(
                "unknown REFER policy `{}`; expected one of: {}",
                p.value.escape_debug(),
                ReferPolicy::NAMES.join(", ")
            );
            d.invalid(&p.path, p.pos, msg);
            None
        }
    }
}

/// Trunk names show up in logs, metric labels and CDRs: keep them to a safe alphabet.
fn check_trunk_name(d: &mut Decoder<'_>, n: &Spanned<String>) {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if n.value.is_empty() {
        d.invalid(&n.path, n.pos, "trunk name must not be empty");
    } else if n.value.len() > 64 || !n.value.chars().all(ok_char) {
        let msg = format!(
            "trunk name `{}` must be 1-64 characters of A-Z a-z 0-9 . _ -",
            n.value.escape_debug()
        );
        d.invalid(&n.path, n.pos, msg);
    }
}

fn route(d: &mut Decoder<'_>, r: &Section<'_>) -> RouteConfig {
    d.require(r, "name");
    let name = d.string(r, "name");
    if let Some(n) = name.as_ref().filter(|n| n.value.trim().is_empty()) {
        d.invalid(&n.path, n.pos, "route name must not be empty");
    }
    let user_prefix = d.string(r, "user_prefix");
    if let Some(p) = &user_prefix {
        if p.value.is_empty() || p.value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            let msg = "user_prefix must be non-empty with no spaces (omit it to match every user)";
            d.invalid(&p.path, p.pos, msg);
        }
    }
    d.require(r, "target");
    let target = d.string(r, "target");
    RouteConfig {
        name: name.map(|n| n.value).unwrap_or_default(),
        ingress_trunk: d
            .string(r, "ingress_trunk")
            .map(|t| TrunkName::new(&t.value)),
        user_prefix: user_prefix.map(|p| p.value),
        target: TrunkName::new(target.as_ref().map_or("", |t| t.value.as_str())),
    }
}

fn cdr(d: &mut Decoder<'_>, root: &Section<'_>) -> CdrConfig {
    let s = d.table(root, "cdr", &["path"]);
    let path = d.string(&s, "path");
    if let Some(p) = &path {
        if p.value.is_empty() {
            d.invalid(
                &p.path,
                p.pos,
                "path must not be empty (omit it to turn CDRs off)",
            );
        }
    }
    CdrConfig {
        path: path
            .filter(|p| !p.value.is_empty())
            .map(|p| PathBuf::from(p.value)),
    }
}

fn log(d: &mut Decoder<'_>, root: &Section<'_>) -> LogConfig {
    let s = d.table(root, "log", &["level"]);
    // Case-insensitive like RUST_LOG, stored lowercase.
    let level = match d.string(&s, "level").map(|mut l| {
        l.value.make_ascii_lowercase();
        l
    }) {
        Some(l) if LogConfig::LEVELS.contains(&l.value.as_str()) => l.value,
        Some(l) => {
            let msg = format!(
                "unknown log level `{}`; expected one of: {}",
                l.value,
                LogConfig::LEVELS.join(", ")
            );
            d.invalid(&l.path, l.pos, msg);
            LogConfig::default().level
        }
        None => LogConfig::default().level,
    };
    LogConfig { level }
}
