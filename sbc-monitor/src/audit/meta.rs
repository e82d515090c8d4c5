//! The chain's ends (`chain_meta`: prune anchor and head) and the prune history
//! (`prune_log`), read and written inside the caller's transaction.

use std::path::Path;

use rusqlite::{params, Connection};

use super::error::AuditError;
use super::rows;
use super::types::{AuditSeq, ChainPoint, UnixMillis};

/// Both ends of the stored chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainMeta {
    /// The last pruned record (genesis if never pruned): the first stored record
    /// links to it.
    pub anchor: ChainPoint,
    /// The last appended record (equal to `anchor` when the log is empty).
    pub head: ChainPoint,
}

/// Totals of `prune_log`: how many records were ever pruned, and the anchor the
/// latest prune left (genesis if none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneTotals {
    pub count: u64,
    pub last_anchor: ChainPoint,
}

pub fn read(conn: &Connection, path: &Path) -> Result<ChainMeta, AuditError> {
    conn.query_row(
        "SELECT anchor_seq, anchor_hash, head_seq, head_hash FROM chain_meta WHERE id = 1",
        [],
        |r| Ok(point(r, 0, 1).and_then(|a| point(r, 2, 3).map(|h| (a, h)))),
    )
    .map_err(|e| match e {
        rusqlite::Error::QueryReturnedNoRows => corrupt(path, "chain_meta row missing"),
        e => AuditError::sqlite(path, "read chain_meta", e),
    })?
    .map(|(anchor, head)| ChainMeta { anchor, head })
    .map_err(|p| corrupt(path, &format!("chain_meta.{} invalid", p.column)))
}

pub fn set_head(conn: &Connection, path: &Path, head: ChainPoint) -> Result<(), AuditError> {
    conn.prepare_cached("UPDATE chain_meta SET head_seq = ?1, head_hash = ?2 WHERE id = 1")
        .and_then(|mut s| s.execute(params![seq_sql(head.seq)?, &head.hash.0[..]]))
        .map_err(|e| AuditError::sqlite(path, "update chain head", e))
        .map(drop)
}

/// Moves the anchor and records the prune, in the caller's transaction.
pub fn record_prune(
    conn: &Connection,
    path: &Path,
    now: UnixMillis,
    count: u64,
    anchor: ChainPoint,
) -> Result<(), AuditError> {
    let seq = seq_sql(anchor.seq).map_err(|e| AuditError::sqlite(path, "prune", e))?;
    let count = i64::try_from(count).map_err(|_| AuditError::OutOfRange {
        field: "count",
        value: count,
    })?;
    conn.execute(
        "UPDATE chain_meta SET anchor_seq = ?1, anchor_hash = ?2 WHERE id = 1",
        params![seq, &anchor.hash.0[..]],
    )
    .and_then(|_| {
        conn.execute(
            "INSERT INTO prune_log (pruned_at_ms, count, anchor_seq, anchor_hash)
             VALUES (?1, ?2, ?3, ?4)",
            params![now.0, count, seq, &anchor.hash.0[..]],
        )
    })
    .map_err(|e| AuditError::sqlite(path, "record prune", e))
    .map(drop)
}

pub fn prune_totals(conn: &Connection, path: &Path) -> Result<PruneTotals, AuditError> {
    let count: i64 = conn
        .query_row("SELECT COALESCE(SUM(count), 0) FROM prune_log", [], |r| {
            r.get(0)
        })
        .map_err(|e| AuditError::sqlite(path, "read prune_log", e))?;
    let last = conn.query_row(
        "SELECT anchor_seq, anchor_hash FROM prune_log ORDER BY id DESC LIMIT 1",
        [],
        |r| Ok(point(r, 0, 1)),
    );
    let last_anchor = match last {
        Err(rusqlite::Error::QueryReturnedNoRows) => ChainPoint::GENESIS,
        Err(e) => return Err(AuditError::sqlite(path, "read prune_log", e)),
        Ok(p) => p.map_err(|p| corrupt(path, &format!("prune_log.{} invalid", p.column)))?,
    };
    let count = u64::try_from(count).map_err(|_| corrupt(path, "prune_log.count negative"))?;
    Ok(PruneTotals { count, last_anchor })
}

/// A sequence number as SQLite's i64; fails (as a bind error) above i64::MAX, which
/// 2^63 appends never reach.
pub fn seq_sql(seq: AuditSeq) -> rusqlite::Result<i64> {
    i64::try_from(seq.0).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn point(
    r: &rusqlite::Row<'_>,
    seq_idx: usize,
    hash_idx: usize,
) -> Result<ChainPoint, rows::RowProblem> {
    let seq = rows::int(r, seq_idx, "seq")?;
    let seq = u64::try_from(seq).map_err(|_| rows::RowProblem { column: "seq" })?;
    Ok(ChainPoint {
        seq: AuditSeq(seq),
        hash: rows::hash(r, hash_idx, "hash")?,
    })
}

fn corrupt(path: &Path, detail: &str) -> AuditError {
    AuditError::Corrupt {
        path: path.to_owned(),
        detail: detail.to_string(),
    }
}
