//! Acceptance 3 of issue 4: kill -9 of the writer loses no acknowledged record.
//!
//! The test re-executes its own binary as a child (selected by an environment
//! variable) that appends records as fast as it can and prints `ACK <seq>` after each
//! `append` returns. The parent SIGKILLs it at a random moment, reopens the file,
//! and checks that every acknowledged record is there, intact, and the chain
//! verifies. Three rounds on the same file, so recovery after a kill is also what the
//! next writer builds on.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rand::Rng;
use sbc_core::ids::{CallRef, TenantId};
use sbc_monitor::audit::*;

const CHILD_ENV: &str = "SBC_AUDIT_DURABILITY_CHILD_DB";

/// The record the child writes at `seq`: derivable by the parent to check contents.
fn record_for(seq: u64) -> AuditRecord {
    AuditRecord {
        time: UnixMillis(1_700_000_000_000 + seq as i64),
        kind: AuditKind::Start,
        supervisor: SupervisorId::new("sup-durable"),
        tenant: Some(TenantId("acme".into())),
        queue: Some(QueueName::new("q1")),
        agent: Some(AgentId::new(&format!("agent-{}", seq % 7))),
        call: Some(CallRef(seq)),
        mode: Some(MonitorMode::Barge),
        reason: format!("acknowledged write {seq}"),
    }
}

/// The child's body. A no-op when run as an ordinary test.
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut log = AuditLog::open(Path::new(&path), Duration::from_secs(86_400)).unwrap();
    let first = log.head().unwrap().seq.0 + 1;
    let stdout = std::io::stdout();
    // Bounded so an orphaned child cannot run forever (it also dies on EPIPE).
    for next in first..first + 1_000_000 {
        let seq = log.append(&record_for(next)).unwrap();
        assert_eq!(seq, AuditSeq(next));
        let mut out = stdout.lock();
        writeln!(out, "ACK {}", seq.0).unwrap();
        out.flush().unwrap();
    }
}

/// Runs one child until it acknowledged at least `min_acks` records plus a random
/// extra time, SIGKILLs it, and returns every seq it acknowledged.
fn run_and_kill(path: &Path, min_acks: usize) -> BTreeSet<u64> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["child_writer", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("ACK ") {
                let _ = tx.send(n.trim().parse::<u64>().unwrap());
            }
        }
    });
    let mut acked = BTreeSet::new();
    while acked.len() < min_acks {
        let seq = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("child acknowledges");
        acked.insert(seq);
    }
    let extra = rand::thread_rng().gen_range(0..150);
    std::thread::sleep(Duration::from_millis(extra));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap();
    acked.extend(rx.try_iter());
    acked
}

#[test]
fn kill_9_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut all_acked = BTreeSet::new();
    for round in 0..3 {
        let acked = run_and_kill(&path, 5);
        assert!(!acked.is_empty());
        all_acked.extend(acked);

        let log = AuditLog::open_existing(&path).unwrap();
        let report = log.verify().unwrap();
        assert!(report.is_ok(), "round {round}: {:?}", report.fault);
        let stored = log.query(&AuditFilter::default()).unwrap();
        let seqs: BTreeSet<u64> = stored.iter().map(|e| e.seq.0).collect();
        let lost: Vec<_> = all_acked.difference(&seqs).collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged but lost: {lost:?}"
        );
        for e in &stored {
            assert_eq!(
                e.record,
                record_for(e.seq.0),
                "round {round}: seq {}",
                e.seq
            );
        }
        eprintln!(
            "round {round}: {} acknowledged in total, {} stored, head {}",
            all_acked.len(),
            stored.len(),
            report.head.seq
        );
    }
}
