//! `sbc audit verify` and `sbc audit query`, run as the built binary against a log
//! written through the library. Tampering is done like with a hex editor: bytes of a
//! stored record are changed in the database file itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use sbc_core::ids::{CallRef, TenantId};
use sbc_monitor::audit::*;

const T0: i64 = 1_700_000_000_000; // 2023-11-14T22:13:20Z

fn write_log(dir: &Path) -> PathBuf {
    let path = dir.join("audit.db");
    let mut log = AuditLog::open(&path, Duration::from_secs(86_400)).unwrap();
    for i in 1..=10u64 {
        log.append(&AuditRecord {
            time: UnixMillis(T0 + i as i64 * 1000),
            kind: if i % 2 == 1 {
                AuditKind::Start
            } else {
                AuditKind::End
            },
            supervisor: SupervisorId::new(if i <= 4 { "alice" } else { "bob" }),
            tenant: Some(TenantId("acme".into())),
            queue: Some(QueueName::new("sales")),
            agent: Some(AgentId::new(&format!("agent-{}", i % 3))),
            call: Some(CallRef(100 + i % 2)),
            mode: Some(MonitorMode::Listen),
            reason: format!("marker-{i:04}-original"),
        })
        .unwrap();
    }
    // Dropping the last connection checkpoints the WAL into the main file.
    drop(log);
    path
}

fn sbc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sbc"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn verify_clean_log_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = write_log(dir.path());
    let o = sbc(&["audit", "verify", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).starts_with("ok: 10 records"), "{}", stdout(&o));
}

#[test]
fn verify_tampered_log_exits_1_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = write_log(dir.path());
    let mut bytes = std::fs::read(&db).unwrap();
    let needle = b"marker-0005-original";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("record text is in the main file");
    bytes[at..at + needle.len()].copy_from_slice(b"marker-0005-FORGED!!");
    std::fs::write(&db, bytes).unwrap();

    let o = sbc(&["audit", "verify", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("record 5: edited"), "{}", stdout(&o));
    // The forged text is what a query now shows: verification is what catches it.
    let o = sbc(&[
        "audit",
        "query",
        "--db",
        db.to_str().unwrap(),
        "--limit",
        "10",
    ]);
    assert!(stdout(&o).contains("FORGED"));
}

#[test]
fn verify_missing_or_foreign_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let o = sbc(&["audit", "verify", "--db", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.db"));
    assert!(!missing.exists(), "verify must not create the file");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello ".repeat(200)).unwrap();
    let o = sbc(&["audit", "verify", "--db", text.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("notes.txt") && err.contains("not an SBC audit log"),
        "{err}"
    );
}

#[test]
fn query_prints_json_lines_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = write_log(dir.path());
    let db = db.to_str().unwrap();

    let o = sbc(&["audit", "query", "--db", db]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let all = json_lines(&o);
    assert_eq!(all.len(), 10);
    let first = &all[0];
    assert_eq!(first["seq"], 10);
    assert_eq!(first["time"], "2023-11-14T22:13:30.000Z");
    assert_eq!(first["time_ms"], T0 + 10_000);
    assert_eq!(first["kind"], "end");
    assert_eq!(first["supervisor"], "bob");
    assert_eq!(first["tenant"], "acme");
    assert_eq!(first["call"], 100);
    assert_eq!(first["mode"], "listen");
    assert_eq!(first["hash"].as_str().map(str::len), Some(64));

    let seqs = |args: &[&str]| -> Vec<u64> {
        let mut a = vec!["audit", "query", "--db", db];
        a.extend_from_slice(args);
        let o = sbc(&a);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        json_lines(&o)
            .iter()
            .map(|v| v["seq"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(seqs(&["--supervisor", "alice"]), [4, 3, 2, 1]);
    assert_eq!(seqs(&["--agent", "agent-0"]), [9, 6, 3]);
    assert_eq!(seqs(&["--call", "call-101", "--limit", "2"]), [9, 7]);
    assert_eq!(seqs(&["--call", "101", "--supervisor", "alice"]), [3, 1]);
    let since = "2023-11-14T22:13:28Z"; // T0 + 8 s
    assert_eq!(seqs(&["--since", since]), [10, 9, 8]);
    let until = (T0 + 3000).to_string();
    assert_eq!(seqs(&["--until", &until]), [2, 1]);
    assert!(seqs(&["--supervisor", "mallory"]).is_empty());
}

#[test]
fn query_bad_arguments_exit_2() {
    let o = sbc(&["audit", "query", "--db", "x.db", "--since", "last tuesday"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--since"));
}
