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

/// An INVITE (no SDP: a late offer, so no media is involved) from `from` to the SBC.
fn invite(from: &std::net::UdpSocket, sbc: SocketAddr, n: u32) {
    let me = from
        .local_addr()
        .unwrap_or_else(|e| panic!("local addr: {e}"));
    let msg = format!(
        "INVITE sip:bob@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKreload{n}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@{me}>;tag=a{n}\r\nTo: <sip:bob@{sbc}>\r\n\
         Call-ID: reload-{n}@test\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@{me}>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    from.send_to(msg.as_bytes(), sbc)
        .unwrap_or_else(|e| panic!("send INVITE: {e}"));
}

/// True if an INVITE reaches `trunk` within `wait`.
fn got_invite(trunk: &std::net::UdpSocket, wait: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    let mut buf = [0u8; 4096];
    while std::time::Instant::now() < deadline {
        if let Ok((n, _)) = trunk.recv_from(&mut buf) {
            if buf[..n].starts_with(b"INVITE ") {
                return true;
            }
        }
    }
    false
}

#[test]
fn sighup_reloads_routes_and_keeps_the_old_config_when_the_new_one_is_bad() {
    use std::net::UdpSocket;
    use std::time::Duration;
    let bind = || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        s.set_read_timeout(Some(Duration::from_millis(200))).ok();
        s
    };
    let (first, second, caller) = (bind(), bind(), bind());
    let first_addr = first.local_addr().expect("addr").to_string();
    let second_addr = second.local_addr().expect("addr").to_string();
    let config = SbcConfig::new(first.local_addr().expect("addr"));
    let sbc = SbcProcess::start_with(|dir| config.to_toml(dir));
    invite(&caller, sbc.sip_udp(), 1);
    assert!(
        got_invite(&first, Duration::from_secs(5)),
        "routed to the first trunk"
    );

    // The trunk moves: rewrite the file and SIGHUP. New calls go to the new address.
    let path = sbc.dir().join("sbc.toml");
    let text = std::fs::read_to_string(&path).expect("read config");
    std::fs::write(&path, text.replace(&first_addr, &second_addr)).expect("write config");
    // SAFETY: kill(2) on our own child's pid with a valid signal number.
    unsafe { libc::kill(sbc.pid() as i32, libc::SIGHUP) };
    let mut moved = false;
    for n in 2..30 {
        invite(&caller, sbc.sip_udp(), n);
        if got_invite(&second, Duration::from_millis(300)) {
            moved = true;
            break;
        }
    }
    assert!(moved, "after SIGHUP new calls go to the new trunk address");

    // A broken file on reload is refused; the running config stays.
    std::fs::write(&path, "this is = not [valid toml").expect("write config");
    unsafe { libc::kill(sbc.pid() as i32, libc::SIGHUP) };
    std::thread::sleep(Duration::from_millis(300));
    while got_invite(&second, Duration::from_millis(100)) {} // drain retransmissions
    invite(&caller, sbc.sip_udp(), 100);
    assert!(
        got_invite(&second, Duration::from_secs(5)),
        "still routed after a bad reload"
    );
    assert!(
        sbc.stderr().contains("reload refused"),
        "the refusal is logged"
    );
}
