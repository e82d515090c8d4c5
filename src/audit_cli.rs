//! `sbc audit`: checking and reading the supervisor audit log from the command line.
//!
//!     sbc audit verify --db FILE
//!         exit 0 and "ok: N records …" if the hash chain is intact,
//!         exit 1 and the first bad record if not, exit 2 if FILE cannot be read
//!     sbc audit query --db FILE [--supervisor S] [--agent A] [--call C]
//!                     [--since T] [--until T] [--limit N]
//!         matching records as JSON lines, newest first; T is RFC 3339
//!         (2024-05-01T12:00:00Z) or Unix milliseconds; since inclusive, until exclusive
//!
//! Parsing and printing only: the log itself is `sbc_monitor::audit`. The file is
//! opened with `open_existing`, which never creates or prunes.

use std::io::{BufWriter, ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use sbc_core::ids::CallRef;
use sbc_monitor::audit::{AgentId, AuditEntry, AuditFilter, AuditLog, SupervisorId, UnixMillis};

#[derive(Debug)]
pub enum AuditCommand {
    Verify { db: PathBuf },
    Query { db: PathBuf, filter: AuditFilter },
}

/// Parses the arguments after `audit`.
pub fn parse(args: &[String]) -> Result<AuditCommand, String> {
    let (sub, rest) = args.split_first().ok_or("audit: missing verify or query")?;
    let mut db = None;
    let mut filter = AuditFilter::default();
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("audit: {flag} needs a value"))?;
        match (sub.as_str(), flag.as_str()) {
            (_, "--db") => db = Some(PathBuf::from(value)),
            ("query", "--supervisor") => filter.supervisor = Some(SupervisorId::new(value)),
            ("query", "--agent") => filter.agent = Some(AgentId::new(value)),
            ("query", "--call") => filter.call = Some(parse_call(value)?),
            ("query", "--since") => filter.since = Some(parse_time(flag, value)?),
            ("query", "--until") => filter.until = Some(parse_time(flag, value)?),
            ("query", "--limit") => {
                let n = value
                    .parse()
                    .map_err(|_| format!("audit: --limit {value}: not a count"))?;
                filter.limit = Some(n);
            }
            _ => return Err(format!("audit {sub}: unrecognised argument {flag}")),
        }
    }
    let db = db.ok_or("audit: --db FILE is required")?;
    match sub.as_str() {
        "verify" => Ok(AuditCommand::Verify { db }),
        "query" => Ok(AuditCommand::Query { db, filter }),
        other => Err(format!("audit: unknown subcommand {other}")),
    }
}

/// A call reference as printed elsewhere (`call-7`) or bare (`7`).
fn parse_call(v: &str) -> Result<CallRef, String> {
    v.strip_prefix("call-")
        .unwrap_or(v)
        .parse()
        .map(CallRef)
        .map_err(|_| format!("audit: --call {v}: not a call reference (call-N or N)"))
}

/// RFC 3339, or an integer of Unix milliseconds.
fn parse_time(flag: &str, v: &str) -> Result<UnixMillis, String> {
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(UnixMillis(ms));
    }
    UnixMillis::parse_rfc3339(v).ok_or_else(|| {
        format!("audit: {flag} {v}: not an RFC 3339 time (2024-05-01T12:00:00Z) or Unix ms")
    })
}

pub fn run(cmd: AuditCommand) -> ExitCode {
    let result = match cmd {
        AuditCommand::Verify { db } => verify(&db),
        AuditCommand::Query { db, filter } => query(&db, &filter).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| {
        eprintln!("sbc audit: {e:#}");
        ExitCode::from(2)
    })
}

fn verify(db: &std::path::Path) -> anyhow::Result<ExitCode> {
    let report = AuditLog::open_existing(db)?.verify()?;
    match report.fault {
        None => {
            println!(
                "ok: {} records (anchor {}, head {} {})",
                report.records, report.anchor.seq, report.head.seq, report.head.hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(fault) => {
            println!("FAILED: {}: {fault}", db.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn query(db: &std::path::Path, filter: &AuditFilter) -> anyhow::Result<()> {
    let log = AuditLog::open_existing(db)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = log.query_each(filter, |e| {
        writeln!(out, "{}", to_json(&e)).context("writing to stdout")
    });
    let flushed = written.and_then(|()| out.flush().context("writing to stdout"));
    match flushed {
        // `sbc audit query … | head` closing the pipe early is not an error.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
    })
}

fn to_json(e: &AuditEntry) -> serde_json::Value {
    let r = &e.record;
    serde_json::json!({
        "seq": e.seq.0,
        "time": r.time.to_rfc3339(),
        "time_ms": r.time.0,
        "kind": r.kind.as_str(),
        "supervisor": r.supervisor.as_str(),
        "tenant": r.tenant.as_ref().map(|t| &*t.0),
        "queue": r.queue.as_ref().map(|q| q.as_str()),
        "agent": r.agent.as_ref().map(|a| a.as_str()),
        "call": r.call.map(|c| c.0),
        "mode": r.mode.map(|m| m.as_str()),
        "reason": r.reason,
        "hash": e.hash.to_hex(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_verify_and_query() {
        assert!(matches!(
            parse(&args(&["verify", "--db", "a.db"])),
            Ok(AuditCommand::Verify { .. })
        ));
        let q = parse(&args(&[
            "query",
            "--db",
            "a.db",
            "--supervisor",
            "s1",
            "--agent",
            "a1",
            "--call",
            "call-7",
            "--since",
            "2023-11-14T22:13:20Z",
            "--until",
            "1700000001000",
            "--limit",
            "5",
        ]));
        let Ok(AuditCommand::Query { filter, .. }) = q else {
            panic!("{q:?}")
        };
        assert_eq!(filter.call, Some(CallRef(7)));
        assert_eq!(filter.since, Some(UnixMillis(1_700_000_000_000)));
        assert_eq!(filter.until, Some(UnixMillis(1_700_000_001_000)));
        assert_eq!(filter.limit, Some(5));
        assert_eq!(filter.supervisor, Some(SupervisorId::new("s1")));
    }

    #[test]
    fn refuses_bad_arguments() {
        for a in [
            &[][..],
            &["verify"],
            &["verify", "--db"],
            &["verify", "--db", "a", "--agent", "x"],
            &["query", "--db", "a", "--since", "yesterday"],
            &["query", "--db", "a", "--call", "c7"],
            &["query", "--db", "a", "--limit", "-1"],
            &["frobnicate", "--db", "a"],
        ] {
            assert!(parse(&args(a)).is_err(), "{a:?}");
        }
    }
}
