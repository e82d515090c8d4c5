//! Unit tests of the audit log through its public API: chain growth, reopening,
//! queries and their filters, retention with verification afterwards.

use std::time::Duration;

use sbc_core::ids::{CallRef, TenantId};

use super::*;

const DAY_MS: i64 = 86_400_000;

pub(crate) fn rec(time: i64, kind: AuditKind, sup: &str, agent: &str, call: u64) -> AuditRecord {
    AuditRecord {
        time: UnixMillis(time),
        kind,
        supervisor: SupervisorId::new(sup),
        tenant: Some(TenantId("acme".into())),
        queue: Some(QueueName::new("sales")),
        agent: Some(AgentId::new(agent)),
        call: Some(CallRef(call)),
        mode: Some(MonitorMode::Listen),
        reason: format!("ok {time}"),
    }
}

fn temp_log(days: u64) -> (tempfile::TempDir, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(
        dir.path().join("audit.db"),
        Duration::from_secs(days * 86_400),
    )
    .unwrap();
    (dir, log)
}

#[test]
fn empty_log_verifies() {
    let (_d, log) = temp_log(30);
    let r = log.verify().unwrap();
    assert!(r.is_ok());
    assert_eq!(r.records, 0);
    assert_eq!(r.head, ChainPoint::GENESIS);
}

#[test]
fn appends_number_and_chain() {
    let (_d, mut log) = temp_log(30);
    for i in 0..5 {
        let seq = log
            .append(&rec(1000 + i, AuditKind::Start, "s", "a", 1))
            .unwrap();
        assert_eq!(seq, AuditSeq(i as u64 + 1));
    }
    let r = log.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.fault);
    assert_eq!(r.records, 5);
    assert_eq!(log.head().unwrap().seq, AuditSeq(5));
    // Newest first, and each hash links to the one before.
    let all = log.query(&AuditFilter::default()).unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].seq, AuditSeq(5));
    assert_eq!(all[0].hash, log.head().unwrap().hash);
    assert_eq!(all[4].record, rec(1000, AuditKind::Start, "s", "a", 1));
}

#[test]
fn reopen_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let ret = Duration::from_secs(86_400);
    AuditLog::open(&path, ret)
        .unwrap()
        .append(&rec(1, AuditKind::Attempt, "s", "a", 1))
        .unwrap();
    let mut log = AuditLog::open(&path, ret).unwrap();
    assert_eq!(
        log.append(&rec(2, AuditKind::Start, "s", "a", 1)).unwrap(),
        AuditSeq(2)
    );
    let ro = AuditLog::open_existing(&path).unwrap();
    assert_eq!(ro.verify().unwrap().records, 2);
}

#[test]
fn optional_fields_round_trip() {
    let (_d, mut log) = temp_log(30);
    let r = AuditRecord {
        time: UnixMillis(-5),
        kind: AuditKind::Denied,
        supervisor: SupervisorId::new("who?"),
        tenant: None,
        queue: None,
        agent: None,
        call: None,
        mode: None,
        reason: "bad credentials".into(),
    };
    log.append(&r).unwrap();
    let mut empty = r.clone();
    empty.queue = Some(QueueName::new(""));
    log.append(&empty).unwrap();
    let got = log.query(&AuditFilter::default()).unwrap();
    assert_eq!(got[1].record, r);
    assert_eq!(got[0].record, empty);
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn over_long_field_is_refused_and_nothing_written() {
    let (_d, mut log) = temp_log(30);
    let mut r = rec(1, AuditKind::Attempt, "s", "a", 1);
    r.supervisor = SupervisorId::new(&"x".repeat(MAX_FIELD_BYTES + 1));
    assert!(matches!(
        log.append(&r),
        Err(AuditError::FieldTooLong { .. })
    ));
    let mut r = rec(1, AuditKind::Attempt, "s", "a", 1);
    r.call = Some(CallRef(u64::MAX));
    assert!(matches!(log.append(&r), Err(AuditError::OutOfRange { .. })));
    assert_eq!(log.head().unwrap(), ChainPoint::GENESIS);
}

fn filled() -> (tempfile::TempDir, AuditLog) {
    let (d, mut log) = temp_log(30);
    // time, supervisor, agent, call
    let rows = [
        (100, "s1", "a1", 1),
        (200, "s2", "a1", 1),
        (300, "s1", "a2", 2),
        (400, "s2", "a2", 2),
        (500, "s1", "a1", 3),
    ];
    for (t, s, a, c) in rows {
        log.append(&rec(t, AuditKind::Start, s, a, c)).unwrap();
    }
    (d, log)
}

fn seqs(log: &AuditLog, f: AuditFilter) -> Vec<u64> {
    log.query(&f).unwrap().iter().map(|e| e.seq.0).collect()
}

#[test]
fn filters_narrow_and_combine() {
    let (_d, log) = filled();
    let sup = |s: &str| Some(SupervisorId::new(s));
    assert_eq!(seqs(&log, AuditFilter::default()), [5, 4, 3, 2, 1]);
    assert_eq!(
        seqs(
            &log,
            AuditFilter {
                supervisor: sup("s1"),
                ..Default::default()
            }
        ),
        [5, 3, 1]
    );
    let agent = Some(AgentId::new("a2"));
    assert_eq!(
        seqs(
            &log,
            AuditFilter {
                agent,
                ..Default::default()
            }
        ),
        [4, 3]
    );
    assert_eq!(
        seqs(
            &log,
            AuditFilter {
                call: Some(CallRef(1)),
                ..Default::default()
            }
        ),
        [2, 1]
    );
    let f = AuditFilter {
        since: Some(UnixMillis(200)),
        until: Some(UnixMillis(500)),
        ..Default::default()
    };
    assert_eq!(seqs(&log, f), [4, 3, 2]);
    let f = AuditFilter {
        supervisor: sup("s1"),
        agent: Some(AgentId::new("a1")),
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(seqs(&log, f), [5]);
    let f = AuditFilter {
        supervisor: sup("nobody"),
        ..Default::default()
    };
    assert!(seqs(&log, f).is_empty());
    // A value that looks like SQL is just a value.
    let f = AuditFilter {
        supervisor: sup("' OR 1=1 --"),
        ..Default::default()
    };
    assert!(seqs(&log, f).is_empty());
}

#[test]
fn prune_keeps_verification_working() {
    let (_d, mut log) = temp_log(1);
    for day in 0..5 {
        log.append(&rec(day * DAY_MS, AuditKind::Start, "s", "a", 1))
            .unwrap();
    }
    // At day 3.5 with 1 day retention: records of day 0, 1 and 2 are older.
    let p = log.prune(UnixMillis(3 * DAY_MS + DAY_MS / 2)).unwrap();
    assert_eq!(p.count, 3);
    assert_eq!(p.anchor.seq, AuditSeq(3));
    let r = log.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.fault);
    assert_eq!((r.records, r.anchor.seq), (2, AuditSeq(3)));
    // Nothing more to prune; appends continue the numbering; prune again to empty.
    assert_eq!(
        log.prune(UnixMillis(3 * DAY_MS + DAY_MS / 2))
            .unwrap()
            .count,
        0
    );
    assert_eq!(
        log.append(&rec(5 * DAY_MS, AuditKind::End, "s", "a", 1))
            .unwrap(),
        AuditSeq(6)
    );
    assert_eq!(log.prune(UnixMillis(100 * DAY_MS)).unwrap().count, 3);
    let r = log.verify().unwrap();
    assert!(r.is_ok(), "{:?}", r.fault);
    assert_eq!(
        (r.records, r.anchor.seq, r.head.seq),
        (0, AuditSeq(6), AuditSeq(6))
    );
    assert_eq!(
        log.append(&rec(101 * DAY_MS, AuditKind::End, "s", "a", 1))
            .unwrap(),
        AuditSeq(7)
    );
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn prune_stops_at_a_record_stamped_later() {
    let (_d, mut log) = temp_log(1);
    log.append(&rec(0, AuditKind::Start, "s", "a", 1)).unwrap();
    log.append(&rec(10 * DAY_MS, AuditKind::Start, "s", "a", 1))
        .unwrap(); // clock jumped
    log.append(&rec(DAY_MS, AuditKind::Start, "s", "a", 1))
        .unwrap();
    let p = log.prune(UnixMillis(5 * DAY_MS)).unwrap();
    assert_eq!(p.count, 1, "only the prefix before the newer record goes");
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn read_only_handle_never_prunes() {
    let (d, mut log) = temp_log(1);
    log.append(&rec(0, AuditKind::Start, "s", "a", 1)).unwrap();
    let mut ro = AuditLog::open_existing(d.path().join("audit.db")).unwrap();
    assert_eq!(ro.prune(UnixMillis(100 * DAY_MS)).unwrap().count, 0);
    assert_eq!(ro.query(&AuditFilter::default()).unwrap().len(), 1);
}

#[test]
fn open_existing_does_not_create() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    let e = AuditLog::open_existing(&path).unwrap_err();
    assert!(matches!(e, AuditError::Open { .. }), "{e}");
    assert!(e.to_string().contains("missing.db"), "{e}");
    assert!(!path.exists());
}
