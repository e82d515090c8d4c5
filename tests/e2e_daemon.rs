//! The daemon's process contract, without calls: it reports its listeners
//! and `ready` on stdout, serves metrics, exits 0 on SIGTERM, and
//! `sbc check-config` accepts a valid file and pinpoints errors.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use support::{metrics, SbcConfig, SbcProcess};

/// A UAS address nothing listens on: these tests place no calls.
fn idle_uas() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9))
}

fn check_config(path: &Path) -> Output {
    Command::new(support::sbc::sbc_binary())
        .arg("check-config")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("run sbc check-config: {e}"))
}

#[test]
fn reports_listeners_serves_metrics_and_exits_0_on_sigterm() {
    let config = SbcConfig::new(idle_uas());
    let sbc = SbcProcess::start_with(|dir| config.to_toml(dir));
    for addr in [sbc.sip_udp(), sbc.sip_tcp(), sbc.metrics()] {
        assert!(
            addr.ip().is_loopback() && addr.port() != 0,
            "bad address {addr}"
        );
    }
    let text = sbc.fetch_metrics();
    for name in ["sbc_calls_active", "sbc_calls_started_total"] {
        assert!(
            metrics::mentions(&text, name),
            "{name} missing from:\n{text}"
        );
    }
    assert_eq!(metrics::lookup(&text, "sbc_calls_active"), Some(0.0));
    let stderr_path = sbc.dir().join("sbc.stderr");
    let status = sbc.stop();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "exit status {status:?} after SIGTERM\n{}",
        support::read_text(&stderr_path)
    );
}

#[test]
fn check_config_accepts_a_valid_file() {
    let dir = support::temp_dir("check");
    let path = dir.path().join("ok.toml");
    std::fs::write(&path, SbcConfig::new(idle_uas()).to_toml(dir.path())).expect("write");
    let out = check_config(&path);
    assert!(
        out.status.success(),
        "check-config rejected a valid file: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_config_names_file_line_and_key_of_an_unknown_key() {
    let dir = support::temp_dir("check");
    let path = dir.path().join("bad.toml");
    let good = SbcConfig::new(idle_uas()).to_toml(dir.path());
    // Insert an unknown key right after the [sip] table header.
    let bad = good.replacen("[sip]\n", "[sip]\nno_such_key = 1\n", 1);
    let line = bad
        .lines()
        .position(|l| l.starts_with("no_such_key"))
        .map(|i| i + 1)
        .expect("inserted line");
    std::fs::write(&path, &bad).expect("write");
    let out = check_config(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    let prefix = format!("{}:{line}:", path.display());
    let hit = stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{stderr}"));
    // FILE:LINE:COL: KEY: MSG
    let rest = hit.get(prefix.len()..).unwrap_or_default();
    let (col, rest) = rest.split_once(": ").unwrap_or_default();
    assert!(col.parse::<u32>().is_ok(), "no column in {hit:?}");
    assert!(rest.contains("no_such_key"), "key not named in {hit:?}");
}
