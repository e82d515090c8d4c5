//! [`AuditLog`]: the handle on one audit database, and `append`, the only way a
//! record gets in. A record is durable (fsync'd) when `append` returns; the caller
//! lets the monitoring action take effect only after that.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};

use super::canonical;
use super::error::AuditError;
use super::meta::{self, seq_sql};
use super::schema::{self, Create};
use super::types::{AuditRecord, AuditSeq, ChainPoint};

/// One audit database. Single writer: the daemon holds one `AuditLog` and serializes
/// appends through `&mut self` (the API and the CLI open their own read handles).
/// Blocking: `append` waits for an fsync, so async callers run it on a blocking thread.
#[derive(Debug)]
pub struct AuditLog {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    /// `None` for handles opened with [`AuditLog::open_existing`]: they never prune.
    pub(crate) retention: Option<Duration>,
}

impl AuditLog {
    /// Opens `path`, creating the file and schema if it does not exist. Records older
    /// than `retention` go at the next [`AuditLog::prune`].
    pub fn open(path: impl AsRef<Path>, retention: Duration) -> Result<Self, AuditError> {
        let path = path.as_ref().to_owned();
        let conn = schema::connect(&path, Create::Yes)?;
        Ok(AuditLog {
            conn,
            path,
            retention: Some(retention),
        })
    }

    /// Opens an existing audit log for verification or queries (`sbc audit`): never
    /// creates a file, never prunes.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_owned();
        let conn = schema::connect(&path, Create::No)?;
        Ok(AuditLog {
            conn,
            path,
            retention: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn retention(&self) -> Option<Duration> {
        self.retention
    }

    /// The last appended record's position and hash. Publishing it elsewhere (a log
    /// line, a metric, a remote store) is what makes a deleted *tail* detectable: a
    /// hash chain alone proves only that what is there is unaltered.
    pub fn head(&self) -> Result<ChainPoint, AuditError> {
        meta::read(&self.conn, &self.path).map(|m| m.head)
    }

    /// Appends `record` and returns its sequence number once the transaction is
    /// committed and fsync'd (see `schema::set_durability`).
    ///
    /// The head is read inside the write transaction (not cached), so even a second
    /// process appending to the same file extends the chain instead of forking it.
    pub fn append(&mut self, record: &AuditRecord) -> Result<AuditSeq, AuditError> {
        let path = &self.path;
        let err = |op| move |e| AuditError::sqlite(path, op, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("begin append"))?;
        let head = meta::read(&tx, path)?.head;
        let seq = AuditSeq(head.seq.0.saturating_add(1));
        let encoding = canonical::encode(seq, record)?;
        let hash = canonical::chain_hash(&head.hash, &encoding);
        let call = record
            .call
            .map(|c| {
                i64::try_from(c.0).map_err(|_| AuditError::OutOfRange {
                    field: "call",
                    value: c.0,
                })
            })
            .transpose()?;
        tx.prepare_cached(
            "INSERT INTO audit (seq, time_ms, kind, supervisor, tenant, queue, agent, call,
                                mode, reason, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                seq_sql(seq)?,
                record.time.0,
                record.kind.as_str(),
                record.supervisor.as_str(),
                record.tenant.as_ref().map(|t| &*t.0),
                record.queue.as_ref().map(|q| q.as_str()),
                record.agent.as_ref().map(|a| a.as_str()),
                call,
                record.mode.map(|m| m.as_str()),
                record.reason,
                &head.hash.0[..],
                &hash.0[..],
            ])
        })
        .map_err(err("insert record"))?;
        meta::set_head(&tx, path, ChainPoint { seq, hash })?;
        // With synchronous=FULL this returns after the WAL fsync: the durability point.
        tx.commit().map_err(err("commit record"))?;
        Ok(seq)
    }
}
