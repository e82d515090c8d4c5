//! Config files on disk: the embedded default, the shipped examples, and files that
//! cannot be read.

use std::path::{Path, PathBuf};

use sbc_core::config::{Config, ConfigErrorKind, SrtpPolicy, Transport, EMBEDDED_DEFAULT_TOML};
use sbc_core::media::SrtpSuite;
use sbc_core::TrunkName;

fn repo_config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
}

fn load_ok(path: &Path) -> Config {
    match Config::load(path) {
        Ok(c) => c,
        Err(e) => panic!("{} should be valid:\n{e}", path.display()),
    }
}

#[test]
fn embedded_default_matches_the_file_and_validates() {
    let on_disk = std::fs::read_to_string(repo_config_dir().join("sbc.toml")).unwrap();
    assert_eq!(on_disk, EMBEDDED_DEFAULT_TOML);
    assert_eq!(
        load_ok(&repo_config_dir().join("sbc.toml")),
        Config::embedded_default()
    );
}

#[test]
fn every_example_validates() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo_config_dir().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            load_ok(&path);
            seen += 1;
        }
    }
    assert!(seen >= 1, "no examples found");
}

#[test]
fn carrier_example_has_what_it_documents() {
    let c = load_ok(&repo_config_dir().join("examples/carrier.toml"));
    let carrier = TrunkName::new("carrier");
    let pbx = TrunkName::new("pbx");
    assert_eq!(c.sip.listen.len(), 3);
    assert_eq!(
        c.sip.listen[0].advertise,
        Some("203.0.113.5".parse().unwrap())
    );
    assert_eq!(c.sip.user_agent, "");
    assert_eq!(c.media.advertise, Some("203.0.113.5".parse().unwrap()));
    assert_eq!(
        c.cdr.path.as_deref(),
        Some(Path::new("/var/log/sbc/cdr.jsonl"))
    );
    assert_eq!(c.trunk(&pbx).map(|t| t.transport), Some(Transport::Tcp));
    // Encrypted interconnect toward the carrier, plain RTP on the private side.
    assert_eq!(
        c.trunk(&carrier).map(|t| t.srtp),
        Some(SrtpPolicy::Mandatory)
    );
    assert_eq!(
        c.trunk(&carrier).map(|t| t.srtp_suites.clone()),
        Some(vec![SrtpSuite::AesCm128HmacSha1_80])
    );
    assert_eq!(c.trunk(&pbx).map(|t| t.srtp), Some(SrtpPolicy::Off));
    assert!(c.media.strict_source);
    assert_eq!(c.media.srtp_replay_window, 256);
    // The carrier signals from anywhere in its /28; the PBX only from its own address.
    let from = |ip: &str| {
        c.ingress_trunk(ip.parse().unwrap())
            .map(|t| t.name.to_string())
    };
    assert_eq!(from("198.51.100.14").as_deref(), Some("carrier"));
    assert_eq!(from("10.0.0.10").as_deref(), Some("pbx"));
    assert_eq!(from("10.0.0.11"), None);
    let route = |i: &TrunkName, user: &str| c.route(Some(i), user).map(|r| r.name.clone());
    assert_eq!(route(&pbx, "911").as_deref(), Some("emergency"));
    assert_eq!(
        route(&pbx, "+442071234567").as_deref(),
        Some("pbx-outbound-e164")
    );
    assert_eq!(
        route(&carrier, "+15550123").as_deref(),
        Some("carrier-inbound-did")
    );
    assert_eq!(route(&carrier, "+15559999"), None);
}

#[test]
fn missing_file_is_one_error_naming_the_file_and_os_reason() {
    let path = Path::new("/nonexistent/dir/sbc.toml");
    let errors = Config::load(path).unwrap_err();
    assert_eq!(errors.errors().len(), 1);
    let e = &errors.errors()[0];
    assert_eq!(e.origin, "/nonexistent/dir/sbc.toml");
    assert_eq!(e.position, None);
    assert!(matches!(e.kind, ConfigErrorKind::Io(_)));
    let shown = errors.to_string();
    assert!(
        shown.starts_with("/nonexistent/dir/sbc.toml: cannot read config file: "),
        "{shown}"
    );
    assert!(shown.contains("No such file"), "{shown}");
}

#[test]
fn directory_is_an_unreadable_file() {
    let errors = Config::load(&repo_config_dir()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(matches!(errors.errors()[0].kind, ConfigErrorKind::Io(_)));
}

#[test]
fn errors_in_a_loaded_file_name_that_file() {
    let path = std::env::temp_dir().join(format!("sbc-config-test-{}.toml", std::process::id()));
    std::fs::write(&path, "[log]\nlevel = \"loud\"\n").unwrap();
    let result = Config::load(&path);
    std::fs::remove_file(&path).unwrap();
    let errors = result.unwrap_err();
    let expected = format!(
        "{}:2:1: log.level: unknown log level `loud`; expected one of: error, warn, info, debug, trace",
        path.display()
    );
    assert_eq!(errors.to_string(), expected);
}
