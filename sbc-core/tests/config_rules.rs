//! Every validation rule: each violation is an error naming the key and its line.

use sbc_core::config::{Config, ConfigError};

/// A valid base (lines 1-8) that tests append to; appended text starts at line 9.
const BASE: &str = "\
[[trunk]]
name = \"demo\"
address = \"127.0.0.1:5080\"
accept_from = [\"127.0.0.0/8\"]

[[route]]
name = \"default\"
target = \"demo\"
";

fn errors(text: &str) -> Vec<ConfigError> {
    match Config::from_toml_str(text, "rules.toml") {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.into_vec(),
    }
}

/// The single error `text` has: (key, line, message).
fn one(text: &str) -> (String, usize, String) {
    let e = errors(text);
    assert_eq!(e.len(), 1, "expected exactly one error, got: {e:#?}");
    let e = &e[0];
    (e.key.clone(), e.line().unwrap_or(0), e.kind.to_string())
}

fn assert_one(text: &str, key: &str, line: usize, message_part: &str) {
    let (k, l, m) = one(text);
    assert_eq!((k.as_str(), l), (key, line), "message: {m}");
    assert!(
        m.contains(message_part),
        "`{m}` should contain `{message_part}`"
    );
}

fn ok(text: &str) -> Config {
    match Config::from_toml_str(text, "rules.toml") {
        Ok(c) => c,
        Err(e) => panic!("expected valid config:\n{e}"),
    }
}

#[test]
fn base_is_valid() {
    ok(BASE);
}

#[test]
fn port_min_above_port_max() {
    let text = format!("{BASE}[media]\nport_min = 40000\nport_max = 30000\n");
    assert_one(
        &text,
        "media.port_min",
        10,
        "port_min (40000) is greater than port_max (30000)",
    );
}

#[test]
fn port_max_below_default_port_min() {
    let text = format!("{BASE}[media]\nport_max = 10000\n");
    assert_one(
        &text,
        "media.port_max",
        10,
        "port_min (20000) is greater than port_max (10000)",
    );
}

#[test]
fn port_range_needs_two_ports() {
    let text = format!("{BASE}[media]\nport_min = 30000\nport_max = 30000\n");
    assert_one(&text, "media.port_max", 11, "at least 2 are needed");
    let two = format!("{BASE}[media]\nport_min = 30000\nport_max = 30001\n");
    assert_eq!(ok(&two).media.port_max, 30001);
}

#[test]
fn port_min_at_least_1024_but_odd_is_fine() {
    let text = format!("{BASE}[media]\nport_min = 1023\n");
    assert_one(
        &text,
        "media.port_min",
        10,
        "between 1024 and 65535, got 1023",
    );
    let odd = format!("{BASE}[media]\nport_min = 20001\n");
    assert_eq!(ok(&odd).media.port_min, 20001);
}

#[test]
fn t1_must_not_exceed_t2() {
    let text = format!("{BASE}[sip]\nt1_ms = 5000\nt2_ms = 4000\n");
    assert_one(
        &text,
        "sip.t1_ms",
        10,
        "t1_ms (5000) must not exceed t2_ms (4000)",
    );
    let t2_only = format!("{BASE}[sip]\nt2_ms = 100\n");
    assert_one(
        &t2_only,
        "sip.t2_ms",
        10,
        "t1_ms (500) must not exceed t2_ms (100)",
    );
}

#[test]
fn t1_must_be_positive() {
    let text = format!("{BASE}[sip]\nt1_ms = 0\n");
    assert_one(&text, "sip.t1_ms", 10, "between 1 and");
    let negative = format!("{BASE}[sip]\nt1_ms = -5\n");
    assert_one(&negative, "sip.t1_ms", 10, "got -5");
}

#[test]
fn timer_c_at_least_one_second() {
    let text = format!("{BASE}[sip]\ntimer_c_secs = 0\n");
    assert_one(&text, "sip.timer_c_secs", 10, "between 1 and");
    let fast = format!("{BASE}[sip]\ntimer_c_secs = 1\n");
    assert_eq!(ok(&fast).sip.timer_c.as_secs(), 1);
}

#[test]
fn max_message_bytes_range() {
    let text = format!("{BASE}[sip]\nmax_message_bytes = 70000\n");
    assert_one(&text, "sip.max_message_bytes", 10, "between 1024 and 65535");
}

#[test]
fn max_forwards_range() {
    let text = format!("{BASE}[sip]\nmax_forwards = 256\n");
    assert_one(&text, "sip.max_forwards", 10, "between 1 and 255");
}

#[test]
fn user_agent_cannot_inject_headers() {
    let text = format!("{BASE}[sip]\nuser_agent = \"sbc\\r\\nX-Evil: 1\"\n");
    assert_one(&text, "sip.user_agent", 10, "control characters");
}

#[test]
fn at_least_one_listener() {
    let text = format!("{BASE}[sip]\nlisten = []\n");
    assert_one(&text, "sip.listen", 10, "at least one listener is required");
}

#[test]
fn listener_requires_transport_and_address() {
    let text = format!("{BASE}[[sip.listen]]\nadvertise = \"203.0.113.5\"\n");
    let e = errors(&text);
    let keys: Vec<(&str, Option<usize>)> = e.iter().map(|e| (e.key.as_str(), e.line())).collect();
    assert_eq!(
        keys,
        [
            ("sip.listen[0].transport", Some(9)),
            ("sip.listen[0].address", Some(9))
        ]
    );
    assert_eq!(e[0].kind.to_string(), "missing required key `transport`");
}

#[test]
fn duplicate_listeners() {
    let text = format!(
        "{BASE}[[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:5060\"\n\
         [[sip.listen]]\ntransport = \"UDP\"\naddress = \"127.0.0.1:5060\"\n"
    );
    assert_one(
        &text,
        "sip.listen[1].address",
        14,
        "udp 127.0.0.1:5060 is already a listener (sip.listen[0], line 9)",
    );
}

#[test]
fn same_address_other_transport_and_port_zero_are_not_duplicates() {
    let text = format!(
        "{BASE}[[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:5060\"\n\
         [[sip.listen]]\ntransport = \"tcp\"\naddress = \"127.0.0.1:5060\"\n\
         [[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:0\"\n\
         [[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:0\"\n"
    );
    assert_eq!(ok(&text).sip.listen.len(), 4);
}

#[test]
fn tls_is_not_supported_yet() {
    let text = format!("{BASE}[[sip.listen]]\ntransport = \"tls\"\naddress = \"127.0.0.1:5061\"\n");
    let (key, line, msg) = one(&text);
    assert_eq!(
        (key.as_str(), line, msg.as_str()),
        ("sip.listen[0].transport", 10, "tls is not supported yet")
    );
    let sctp =
        format!("{BASE}[[sip.listen]]\ntransport = \"sctp\"\naddress = \"127.0.0.1:5061\"\n");
    assert_one(
        &sctp,
        "sip.listen[0].transport",
        10,
        "expected `udp` or `tcp`",
    );
}

#[test]
fn advertise_must_be_reachable() {
    let text = format!("{BASE}[media]\nadvertise = \"0.0.0.0\"\n");
    assert_one(&text, "media.advertise", 10, "cannot be advertised");
}

#[test]
fn tcp_per_ip_limit_within_total() {
    let text = format!("{BASE}[sip.tcp]\nmax_connections = 10\nmax_connections_per_ip = 20\n");
    assert_one(
        &text,
        "sip.tcp.max_connections_per_ip",
        11,
        "exceeds max_connections (10)",
    );
}

#[test]
fn trunk_names_unique() {
    let text = format!("{BASE}[[trunk]]\nname = \"demo\"\naddress = \"127.0.0.1:5090\"\n");
    assert_one(
        &text,
        "trunk[1].name",
        10,
        "trunk name `demo` is already used by trunk[0] (line 2)",
    );
}

#[test]
fn trunk_name_non_empty_and_safe() {
    let text = format!("{BASE}[[trunk]]\nname = \"\"\naddress = \"127.0.0.1:5090\"\n");
    assert_one(&text, "trunk[1].name", 10, "must not be empty");
    let spaced = format!("{BASE}[[trunk]]\nname = \"my trunk\"\naddress = \"127.0.0.1:5090\"\n");
    assert_one(&spaced, "trunk[1].name", 10, "A-Z a-z 0-9 . _ -");
}

#[test]
fn trunk_requires_name_and_address() {
    let text = format!("{BASE}[[trunk]]\ntransport = \"udp\"\n");
    let e = errors(&text);
    let keys: Vec<(&str, Option<usize>)> = e.iter().map(|e| (e.key.as_str(), e.line())).collect();
    assert_eq!(
        keys,
        [("trunk[1].name", Some(9)), ("trunk[1].address", Some(9))]
    );
}

#[test]
fn trunk_address_must_be_ip_and_port() {
    let text = format!("{BASE}[[trunk]]\nname = \"b\"\naddress = \"sip.example.com:5060\"\n");
    assert_one(
        &text,
        "trunk[1].address",
        11,
        "host names are not supported",
    );
    let no_port = format!("{BASE}[[trunk]]\nname = \"b\"\naddress = \"192.0.2.1:0\"\n");
    assert_one(&no_port, "trunk[1].address", 11, "non-zero port");
}

#[test]
fn accept_from_entries_parse() {
    let text = format!(
        "{BASE}[[trunk]]\nname = \"b\"\naddress = \"192.0.2.1:5060\"\n\
         accept_from = [\"192.0.2.0/24\", \"192.0.2.300\", \"10.0.0.1/8\", \"2001:db8::/129\"]\n"
    );
    let e = errors(&text);
    let got: Vec<(&str, Option<usize>)> = e.iter().map(|e| (e.key.as_str(), e.line())).collect();
    assert_eq!(
        got,
        [
            ("trunk[1].accept_from[1]", Some(12)),
            ("trunk[1].accept_from[2]", Some(12)),
            ("trunk[1].accept_from[3]", Some(12)),
        ]
    );
    assert_eq!(e[0].kind.to_string(), "`192.0.2.300` is not an IP address");
    assert!(e[1].kind.to_string().contains("did you mean `10.0.0.0/8`?"));
}

#[test]
fn accept_from_defaults_to_trunk_address() {
    let text = "[[trunk]]\nname = \"t\"\naddress = \"192.0.2.7:5060\"\n";
    let c = ok(text);
    assert!(c.trunks[0].accepts("192.0.2.7".parse().unwrap()));
    assert!(!c.trunks[0].accepts("192.0.2.8".parse().unwrap()));
}

#[test]
fn route_target_must_exist() {
    let text = BASE.replace("target = \"demo\"", "target = \"dmeo\"");
    assert_one(
        &text,
        "route[0].target",
        8,
        "route `default` targets unknown trunk `dmeo`; trunks are: demo",
    );
}

#[test]
fn route_ingress_trunk_must_exist() {
    let text = format!("{BASE}[[route]]\nname = \"in\"\ningress_trunk = \"nope\"\nuser_prefix = \"1\"\ntarget = \"demo\"\n");
    // Also placed after the catch-all, so it is shadowed: both are reported.
    let e = errors(&text);
    let got: Vec<(&str, Option<usize>)> = e.iter().map(|e| (e.key.as_str(), e.line())).collect();
    assert_eq!(
        got,
        [("route[1]", Some(9)), ("route[1].ingress_trunk", Some(11))]
    );
    assert!(e[1]
        .kind
        .to_string()
        .contains("route `in` has ingress_trunk unknown trunk `nope`"));
}

#[test]
fn route_requires_name_and_target() {
    let text =
        "[[trunk]]\nname = \"t\"\naddress = \"192.0.2.7:5060\"\n[[route]]\nuser_prefix = \"1\"\n";
    let e = errors(text);
    let got: Vec<(&str, Option<usize>)> = e.iter().map(|e| (e.key.as_str(), e.line())).collect();
    assert_eq!(
        got,
        [("route[0].name", Some(4)), ("route[0].target", Some(4))]
    );
}

#[test]
fn route_names_unique() {
    let text =
        format!("[[route]]\nname = \"default\"\nuser_prefix = \"9\"\ntarget = \"demo\"\n{BASE}");
    // BASE starts at line 5, its route name at line 11.
    assert_one(
        &text,
        "route[1].name",
        11,
        "route name `default` is already used by route[0] (line 2)",
    );
}

#[test]
fn route_user_prefix_non_empty() {
    let text = format!("[[route]]\nname = \"r\"\nuser_prefix = \"\"\ntarget = \"demo\"\n{BASE}");
    assert_one(
        &text,
        "route[0].user_prefix",
        3,
        "omit it to match every user",
    );
}

#[test]
fn route_after_catch_all_is_unreachable() {
    let text =
        format!("{BASE}[[route]]\nname = \"late\"\nuser_prefix = \"+1\"\ntarget = \"demo\"\n");
    assert_one(
        &text,
        "route[1]",
        9,
        "route `late` can never match: route `default` (route[0], line 6)",
    );
}

#[test]
fn narrower_route_after_broader_prefix_is_unreachable_but_reverse_is_fine() {
    let routes = |a: &str, b: &str| {
        format!(
            "[[trunk]]\nname = \"t\"\naddress = \"192.0.2.7:5060\"\n\
             [[route]]\nname = \"a\"\nuser_prefix = \"{a}\"\ntarget = \"t\"\n\
             [[route]]\nname = \"b\"\nuser_prefix = \"{b}\"\ntarget = \"t\"\n"
        )
    };
    assert_one(&routes("+1", "+1555"), "route[1]", 8, "can never match");
    assert_eq!(ok(&routes("+1555", "+1")).routes.len(), 2);
}

#[test]
fn log_level_valid() {
    let text = format!("{BASE}[log]\nlevel = \"verbose\"\n");
    assert_one(
        &text,
        "log.level",
        10,
        "unknown log level `verbose`; expected one of: error, warn, info, debug, trace",
    );
    for level in ["error", "warn", "info", "debug", "trace"] {
        assert_eq!(
            ok(&format!("{BASE}[log]\nlevel = \"{level}\"\n")).log.level,
            level
        );
    }
}

#[test]
fn cdr_path_non_empty() {
    let text = format!("{BASE}[cdr]\npath = \"\"\n");
    assert_one(&text, "cdr.path", 10, "must not be empty");
}

#[test]
fn metrics_listen_is_a_socket_address() {
    let text = format!("{BASE}[metrics]\nlisten = \"9090\"\n");
    assert_one(
        &text,
        "metrics.listen",
        10,
        "`9090` is not a valid IP:port socket address",
    );
}

#[test]
fn one_bad_value_does_not_cascade() {
    // port_min fails to decode; the range rule must not add a second error about it.
    let text = format!("{BASE}[media]\nport_min = \"low\"\nport_max = 1500\n");
    assert_one(&text, "media.port_min", 10, "expected an integer");
}

#[test]
fn defaults_when_sections_are_absent() {
    let c = ok(BASE);
    assert_eq!(c.sip.listen.len(), 1);
    assert_eq!(c.sip.t1.as_millis(), 500);
    assert_eq!(c.sip.tcp.max_connections, 10_000);
    assert_eq!(c.media.workers, 0);
    assert_eq!(c.metrics.listen, None);
    assert_eq!(c.cdr.path, None);
}

#[test]
fn log_level_is_case_insensitive_and_stored_lowercase() {
    assert_eq!(
        ok(&format!("{BASE}[log]\nlevel = \"DEBUG\"\n")).log.level,
        "debug"
    );
}
