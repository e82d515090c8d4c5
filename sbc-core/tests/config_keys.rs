//! Unknown keys, wrong value types and TOML syntax errors: each is reported with the
//! key path, line and column, and all of them are reported, not just the first.

use sbc_core::config::{Config, ConfigError, ConfigErrorKind};

fn errors(text: &str) -> Vec<ConfigError> {
    match Config::from_toml_str(text, "test.toml") {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.into_vec(),
    }
}

/// (key, line, column) of every error, in file order.
fn spots(text: &str) -> Vec<(String, usize, usize)> {
    errors(text)
        .into_iter()
        .map(|e| {
            (
                e.key.clone(),
                e.line().unwrap_or(0),
                e.column().unwrap_or(0),
            )
        })
        .collect()
}

fn spot(key: &str, line: usize, column: usize) -> (String, usize, usize) {
    (key.to_owned(), line, column)
}

#[test]
fn unknown_top_level_key() {
    let text = "colour = \"blue\"\n";
    let e = errors(text);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].key.as_str(), e[0].line(), e[0].column()),
        ("colour", Some(1), Some(1))
    );
    assert!(matches!(&e[0].kind, ConfigErrorKind::UnknownKey { key, .. } if key == "colour"));
    assert_eq!(
        e[0].to_string(),
        "test.toml:1:1: colour: unknown key `colour`; expected one of: sip, media, trunk, route, metrics, cdr, log, tenant, role, supervisor, agent, monitoring, audit"
    );
}

#[test]
fn unknown_top_level_table() {
    assert_eq!(
        spots("[sip]\n\n[sipp]\nt1_ms = 500\n"),
        [spot("sipp", 3, 2)]
    );
}

#[test]
fn unknown_key_inside_sip() {
    let text = "[sip]\nt1_ms = 500\nt3_ms = 100\n";
    assert_eq!(spots(text), [spot("sip.t3_ms", 3, 1)]);
}

#[test]
fn unknown_key_as_dotted_key() {
    assert_eq!(spots("sip.bogus = 1\n"), [spot("sip.bogus", 1, 5)]);
}

#[test]
fn unknown_key_inside_sip_tcp_and_listen() {
    let text = "\
[[sip.listen]]
transport = \"udp\"
address = \"127.0.0.1:5060\"
port = 5060

[sip.tcp]
max_conns = 5
";
    assert_eq!(
        spots(text),
        [
            spot("sip.listen[0].port", 4, 1),
            spot("sip.tcp.max_conns", 7, 1)
        ]
    );
}

#[test]
fn unknown_key_inside_trunk() {
    let text = "\
[[trunk]]
name = \"a\"
address = \"192.0.2.1:5060\"

[[trunk]]
name = \"b\"
address = \"192.0.2.2:5060\"
adress = \"192.0.2.2:5060\"
";
    let e = errors(text);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].key.as_str(), e[0].line()),
        ("trunk[1].adress", Some(8))
    );
    assert!(e[0]
        .to_string()
        .contains("expected one of: name, address, transport, accept_from"));
}

#[test]
fn unknown_key_inside_inline_trunk() {
    let text = "trunk = [\n  { name = \"a\", address = \"192.0.2.1:5060\", weight = 5 },\n]\n";
    assert_eq!(spots(text), [spot("trunk[0].weight", 2, 45)]);
}

#[test]
fn every_unknown_key_is_reported() {
    let text = "\
verbose = true
[sip]
t1 = 500
t2 = 4000
[media]
ports = \"20000-30000\"
[log]
level = \"info\"
format = \"json\"
";
    let keys: Vec<String> = errors(text).into_iter().map(|e| e.key).collect();
    assert_eq!(
        keys,
        ["verbose", "sip.t1", "sip.t2", "media.ports", "log.format"]
    );
}

#[test]
fn wrong_type_names_the_key() {
    let text = "[media]\nport_min = \"x\"\n";
    let e = errors(text);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].key.as_str(), e[0].line()),
        ("media.port_min", Some(2))
    );
    assert_eq!(
        e[0].kind,
        ConfigErrorKind::WrongType {
            expected: "an integer",
            found: "string"
        }
    );
    assert_eq!(
        e[0].to_string(),
        "test.toml:2:1: media.port_min: expected an integer, found string"
    );
}

#[test]
fn wrong_types_for_sections_and_arrays() {
    let text = "\
sip = 5
log = { level = 3 }
[media]
bind = 127
[[route]]
name = \"r\"
target = [\"a\"]
[trunk]
name = \"t\"
";
    assert_eq!(
        spots(text),
        [
            spot("sip", 1, 1),
            spot("log.level", 2, 9),
            spot("media.bind", 4, 1),
            spot("route[0].target", 7, 1),
            spot("trunk", 8, 2),
        ]
    );
}

#[test]
fn non_table_array_element() {
    let text = "trunk = [1]\n";
    let e = errors(text);
    assert_eq!(e.len(), 1, "no cascade of missing-key errors: {e:?}");
    assert_eq!(
        (e[0].key.as_str(), e[0].line(), e[0].column()),
        ("trunk[0]", Some(1), Some(10))
    );
}

#[test]
fn accept_from_element_of_wrong_type() {
    let text = "[[trunk]]\nname = \"t\"\naddress = \"192.0.2.1:5060\"\naccept_from = [\"10.0.0.0/8\", 10]\n";
    assert_eq!(spots(text), [spot("trunk[0].accept_from[1]", 4, 30)]);
}

#[test]
fn syntax_error_has_line_and_column() {
    let text = "[sip]\nt1_ms = 500\nt2_ms = = 4000\n";
    let e = errors(text);
    assert_eq!(e.len(), 1);
    assert!(matches!(e[0].kind, ConfigErrorKind::Syntax(_)));
    assert_eq!(e[0].key, "");
    assert_eq!(e[0].line(), Some(3));
    assert_eq!(e[0].column(), Some(9));
    let shown = e[0].to_string();
    assert!(
        shown.starts_with("test.toml:3:9: TOML syntax error: "),
        "{shown}"
    );
    assert!(!shown.contains('\n'), "one line per error: {shown:?}");
}

#[test]
fn unterminated_table_header_is_a_syntax_error() {
    let e = errors("[log]\nlevel = \"info\"\n[media\n");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].line(), Some(3));
    assert!(matches!(e[0].kind, ConfigErrorKind::Syntax(_)));
}

#[test]
fn duplicate_key_is_a_syntax_error() {
    let e = errors("[log]\nlevel = \"info\"\nlevel = \"debug\"\n");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].line(), Some(3));
    assert!(e[0].to_string().contains("duplicate key"), "{}", e[0]);
}

#[test]
fn errors_are_reported_together_in_file_order() {
    let text = "\
[sip]
t1_ms = 0
bogus = 1
[media]
port_min = 500
[[trunk]]
name = \"a\"
address = \"nowhere\"
[[route]]
name = \"r\"
target = \"b\"
[log]
level = \"chatty\"
";
    let e = Config::from_toml_str(text, "f.toml").unwrap_err();
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 6, "{e}");
    assert!(
        lines[0].starts_with("f.toml:2:1: sip.t1_ms: must be between 1 and"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("f.toml:3:1: sip.bogus: unknown key"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("f.toml:5:1: media.port_min: must be between 1024 and 65535, got 500")
    );
    assert!(lines[3].starts_with("f.toml:8:1: trunk[0].address: `nowhere` is not a valid IP:port"));
    assert_eq!(
        lines[4],
        "f.toml:11:1: route[0].target: route `r` targets unknown trunk `b`; trunks are: a"
    );
    assert!(lines[5].starts_with("f.toml:13:1: log.level: unknown log level `chatty`"));
}

#[test]
fn hostile_input_gives_errors_not_panics() {
    let deep = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let deep_tables = format!("x = {}{}\n", "{a=".repeat(50_000), "}".repeat(50_000));
    let huge_int = "[media]\nport_min = 99999999999999999999999\n".to_owned();
    let nan = "[media]\nport_min = nan\n".to_owned();
    let nul = "[log]\nlevel = \"in\u{0}fo\"\n".to_owned();
    let crlf = "[log]\r\nlevel = \"x\"\r\n".to_owned();
    for text in [
        deep,
        deep_tables,
        huge_int,
        nan,
        nul,
        crlf,
        "\u{feff}[[[".to_owned(),
    ] {
        let e = errors(&text);
        assert!(!e.is_empty());
        assert!(e.iter().all(|e| e.line().is_some()));
    }
}

#[test]
fn unknown_key_suggests_the_near_miss() {
    let e = errors("[sip]\ntiemr_c_secs = 10\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].to_string()
            .contains("unknown key `tiemr_c_secs` (did you mean `timer_c_secs`?)"),
        "{}",
        e[0]
    );
    let far = errors("[sip]\nfrobnicate = 1\n");
    assert!(!far[0].to_string().contains("did you mean"), "{}", far[0]);
}
