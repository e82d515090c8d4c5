//! Tampering with an audit database the way an insider would, with plain SQL on the
//! file from another connection, and checking that `verify` names the first bad
//! record and what was done to it. Also: files that are not audit logs at all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use sbc_core::ids::{CallRef, TenantId};
use sbc_monitor::audit::*;

fn record(i: u64) -> AuditRecord {
    AuditRecord {
        time: UnixMillis(1_700_000_000_000 + i as i64),
        kind: if i == 1 {
            AuditKind::Start
        } else {
            AuditKind::ModeChange
        },
        supervisor: SupervisorId::new("sup1"),
        tenant: Some(TenantId("acme".into())),
        queue: Some(QueueName::new("sales")),
        agent: Some(AgentId::new("a1")),
        call: Some(CallRef(42)),
        mode: Some(MonitorMode::Whisper),
        reason: format!("step {i}"),
    }
}

/// A log of `n` records; returns the dir guard and the file path.
fn log_with(n: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut log = AuditLog::open(&path, Duration::from_secs(86_400)).unwrap();
    for i in 1..=n {
        log.append(&record(i)).unwrap();
    }
    (dir, path)
}

fn tamper(path: &Path, sql: &str) {
    Connection::open(path).unwrap().execute_batch(sql).unwrap();
}

fn first_fault(path: &Path) -> ChainFault {
    let report = AuditLog::open_existing(path).unwrap().verify().unwrap();
    report.fault.expect("tampering must be detected")
}

#[test]
fn edited_row_is_named() {
    let (_d, path) = log_with(10);
    tamper(
        &path,
        "UPDATE audit SET reason = 'nothing to see' WHERE seq = 6",
    );
    let f = first_fault(&path);
    assert_eq!(f.seq, AuditSeq(6));
    assert_eq!(f.kind, FaultKind::Edited { column: None });
    assert!(f.to_string().contains("record 6: edited"), "{f}");
}

#[test]
fn edited_hash_is_named() {
    let (_d, path) = log_with(3);
    tamper(&path, "UPDATE audit SET hash = zeroblob(32) WHERE seq = 2");
    assert_eq!(
        first_fault(&path),
        ChainFault {
            seq: AuditSeq(2),
            kind: FaultKind::Edited { column: None }
        }
    );
}

#[test]
fn edit_to_an_impossible_value_is_named() {
    let (_d, path) = log_with(3);
    tamper(&path, "UPDATE audit SET kind = 'coffee' WHERE seq = 2");
    let f = first_fault(&path);
    assert_eq!(
        f,
        ChainFault {
            seq: AuditSeq(2),
            kind: FaultKind::Edited {
                column: Some("kind")
            }
        }
    );
    // A query over the damaged row is an error naming the row, not a panic.
    let e = AuditLog::open_existing(&path)
        .unwrap()
        .query(&AuditFilter::default())
        .unwrap_err();
    assert!(e.to_string().contains("record 2"), "{e}");
}

#[test]
fn deleted_row_is_named() {
    let (_d, path) = log_with(10);
    tamper(&path, "DELETE FROM audit WHERE seq IN (4, 5)");
    let f = first_fault(&path);
    assert_eq!(
        f,
        ChainFault {
            seq: AuditSeq(4),
            kind: FaultKind::Deleted { count: 2 }
        }
    );
}

#[test]
fn deleted_and_renumbered_rows_break_the_link() {
    let (_d, path) = log_with(6);
    tamper(
        &path,
        "DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3;",
    );
    let f = first_fault(&path);
    assert_eq!(f.seq, AuditSeq(3));
    // The row now at 3 was written at 4: it neither hashes nor links here.
    assert!(matches!(f.kind, FaultKind::Reordered { .. }), "{f}");
}

#[test]
fn deleted_tail_is_named() {
    let (_d, path) = log_with(10);
    tamper(&path, "DELETE FROM audit WHERE seq >= 9");
    assert_eq!(
        first_fault(&path),
        ChainFault {
            seq: AuditSeq(9),
            kind: FaultKind::Truncated { count: 2 }
        }
    );
}

#[test]
fn reordered_rows_are_named() {
    let (_d, path) = log_with(6);
    tamper(
        &path,
        "UPDATE audit SET seq = -3 WHERE seq = 3;
         UPDATE audit SET seq = 3 WHERE seq = 4;
         UPDATE audit SET seq = 4 WHERE seq = -3;",
    );
    let f = first_fault(&path);
    assert_eq!(
        f,
        ChainFault {
            seq: AuditSeq(3),
            kind: FaultKind::Reordered {
                follows: Some(AuditSeq(4))
            }
        }
    );
    assert!(f.to_string().contains("out of order"), "{f}");
}

#[test]
fn rewritten_row_with_recomputed_hash_breaks_the_next_link() {
    // An attacker who knows the algorithm rewrites record 3 and its hash; record 4
    // still links to the original.
    let (_d, path) = log_with(5);
    {
        let mut log =
            AuditLog::open(path.with_file_name("forge.db"), Duration::from_secs(1)).unwrap();
        for i in 1..=3 {
            let mut r = record(i);
            if i == 3 {
                r.reason = "forged".into();
            }
            log.append(&r).unwrap();
        }
    }
    let forge = path.with_file_name("forge.db");
    tamper(
        &path,
        &format!(
            "ATTACH '{}' AS f;
             UPDATE audit SET reason = 'forged', hash = (SELECT hash FROM f.audit WHERE seq = 3)
             WHERE seq = 3;",
            forge.display()
        ),
    );
    assert_eq!(
        first_fault(&path),
        ChainFault {
            seq: AuditSeq(4),
            kind: FaultKind::BrokenLink
        }
    );
}

#[test]
fn deletion_disguised_as_prune_is_named() {
    let (_d, path) = log_with(5);
    // Delete the oldest two and move the anchor, but leave no prune_log entry.
    tamper(
        &path,
        "UPDATE chain_meta SET anchor_seq = 2, anchor_hash = (SELECT hash FROM audit WHERE seq = 2);
         DELETE FROM audit WHERE seq <= 2;",
    );
    assert_eq!(first_fault(&path).kind, FaultKind::AnchorMismatch);
}

#[test]
fn oldest_rows_deleted_without_moving_the_anchor() {
    let (_d, path) = log_with(5);
    tamper(&path, "DELETE FROM audit WHERE seq <= 2");
    assert_eq!(
        first_fault(&path),
        ChainFault {
            seq: AuditSeq(1),
            kind: FaultKind::Deleted { count: 2 }
        }
    );
}

#[test]
fn prune_refuses_to_delete_tampered_records() {
    let (_d, path) = log_with(5);
    tamper(&path, "UPDATE audit SET reason = 'x' WHERE seq = 2");
    let mut log = AuditLog::open(&path, Duration::from_secs(1)).unwrap();
    let e = log.prune(UnixMillis(i64::MAX)).unwrap_err();
    assert!(matches!(e, AuditError::ChainBroken { .. }), "{e}");
    assert_eq!(
        log.query(&AuditFilter::default()).unwrap().len(),
        5,
        "nothing deleted"
    );
}

#[test]
fn a_text_file_is_not_an_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "this is not a database, not even close. ".repeat(100),
    )
    .unwrap();
    for e in [
        AuditLog::open(&path, Duration::from_secs(1)).unwrap_err(),
        AuditLog::open_existing(&path).unwrap_err(),
    ] {
        assert!(matches!(e, AuditError::NotAnAuditLog { .. }), "{e}");
        assert!(e.to_string().contains("notes.txt"), "{e}");
    }
    // And it was not touched.
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("this is not"));
}

#[test]
fn another_sqlite_database_is_not_an_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    tamper(&path, "CREATE TABLE t (x); PRAGMA application_id = 7;");
    let e = AuditLog::open(&path, Duration::from_secs(1)).unwrap_err();
    assert!(
        e.to_string().contains("other.db") && e.to_string().contains("0x7"),
        "{e}"
    );
    let path2 = dir.path().join("plain.db");
    tamper(&path2, "CREATE TABLE t (x);");
    let e = AuditLog::open(&path2, Duration::from_secs(1)).unwrap_err();
    assert!(matches!(e, AuditError::NotAnAuditLog { .. }), "{e}");
}

#[test]
fn a_newer_schema_is_refused() {
    let (_d, path) = log_with(1);
    tamper(&path, "PRAGMA user_version = 99;");
    let e = AuditLog::open_existing(&path).unwrap_err();
    assert!(
        matches!(e, AuditError::UnsupportedVersion { found: 99, .. }),
        "{e}"
    );
}

#[test]
fn a_truncated_file_is_an_error_not_a_panic() {
    let (_d, path) = log_with(200);
    // Fold the WAL into the main file, then cut the file in half.
    tamper(&path, "PRAGMA wal_checkpoint(TRUNCATE);");
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let result = AuditLog::open_existing(&path).and_then(|l| l.verify());
    match result {
        Err(e) => assert!(e.to_string().contains("audit.db"), "{e}"),
        Ok(r) => assert!(!r.is_ok(), "half a file cannot verify"),
    }
}
