//! Append latency of the audit log on a given disk: 1000 durable appends, p50/p99/max.
//! It bounds how fast a supervisor can join (one fsync'd append before media flows).
//!
//!     cargo run --release -p sbc-monitor --example audit_append_latency -- DIR [N]

use std::time::{Duration, Instant};

use sbc_core::ids::{CallRef, TenantId};
use sbc_monitor::audit::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: DIR [N]")?);
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let path = dir.join(format!("audit-latency-{}.db", std::process::id()));
    let mut log = AuditLog::open(&path, Duration::from_secs(86_400))?;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let record = AuditRecord {
            time: UnixMillis(1_700_000_000_000 + i as i64),
            kind: AuditKind::Start,
            supervisor: SupervisorId::new("sup1"),
            tenant: Some(TenantId("acme".into())),
            queue: Some(QueueName::new("sales")),
            agent: Some(AgentId::new("a1")),
            call: Some(CallRef(i as u64)),
            mode: Some(MonitorMode::Listen),
            reason: "ok".into(),
        };
        let start = Instant::now();
        log.append(&record)?;
        samples.push(start.elapsed());
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    println!(
        "{n} appends in {}: p50 {:?}  p99 {:?}  max {:?}",
        dir.display(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    drop(log);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}
