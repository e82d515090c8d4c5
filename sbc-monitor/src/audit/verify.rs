//! Verification: walk the chain from the prune anchor to the head, recompute every
//! hash, and report the first record that is not what `append` wrote, and why.
//!
//! Each row stores its `prev_hash`, which lets a fault be classified instead of only
//! detected: a row whose link is intact but whose hash is not was *edited*; a row that
//! neither links to its predecessor nor hashes at its position was *moved* there
//! (reordered); an intact row that links to something else means its predecessor was
//! rewritten with a recomputed hash; a jump in `seq` is a *deletion*.

use std::fmt;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row};

use super::canonical;
use super::error::AuditError;
use super::log::AuditLog;
use super::meta::{self, seq_sql};
use super::rows::{self, StoredRow};
use super::types::{AuditSeq, ChainHash, ChainPoint};

/// The result of [`AuditLog::verify`]. A fault is not an `Err`: the file was readable
/// and the answer is "tampered".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked and found intact (all of them when `fault` is `None`).
    pub records: u64,
    pub anchor: ChainPoint,
    pub head: ChainPoint,
    pub fault: Option<ChainFault>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.fault.is_none()
    }
}

/// The first bad record and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFault {
    pub seq: AuditSeq,
    pub kind: FaultKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The row's contents (or its stored hash) changed after it was written.
    Edited { column: Option<&'static str> },
    /// `count` records starting at `seq` are missing from the middle of the chain.
    Deleted { count: u64 },
    /// `count` records starting at `seq` are missing from the end (chain head says so).
    Truncated { count: u64 },
    /// The row was written at another position; it links to the record now at `follows`.
    Reordered { follows: Option<AuditSeq> },
    /// The row is intact but does not link to the record before it: that record was
    /// rewritten with a recomputed hash, or this one was substituted.
    BrokenLink,
    /// A row where none can be: at or before the prune anchor, or past the head.
    Inserted,
    /// The last row is not the head recorded at the last append.
    HeadMismatch,
    /// The prune anchor disagrees with the prune history.
    AnchorMismatch,
}

impl fmt::Display for ChainFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq.0;
        match &self.kind {
            FaultKind::Edited { column: None } => {
                write!(
                    f,
                    "record {seq}: edited (its hash does not match its contents)"
                )
            }
            FaultKind::Edited { column: Some(c) } => {
                write!(
                    f,
                    "record {seq}: edited (column {c} holds an invalid value)"
                )
            }
            FaultKind::Deleted { count } => write!(f, "record {seq}: deleted ({count} missing)"),
            FaultKind::Truncated { count } => {
                write!(f, "record {seq}: deleted from the end ({count} missing)")
            }
            FaultKind::Reordered { follows: Some(p) } => write!(
                f,
                "record {seq}: out of order (it was written after the record now at {p})"
            ),
            FaultKind::Reordered { follows: None } => write!(
                f,
                "record {seq}: replaced (neither its link nor its hash match this position)"
            ),
            FaultKind::BrokenLink => write!(
                f,
                "record {seq}: does not link to record {}: that record was rewritten \
                 with a recomputed hash, or this one was substituted",
                seq.saturating_sub(1)
            ),
            FaultKind::Inserted => write!(f, "record {seq}: inserted (outside the chain)"),
            FaultKind::HeadMismatch => {
                write!(
                    f,
                    "record {seq}: is not the head recorded at the last append"
                )
            }
            FaultKind::AnchorMismatch => write!(
                f,
                "prune anchor {seq}: does not match the prune history (records removed \
                 and disguised as a prune)"
            ),
        }
    }
}

/// Where a walk ended: the last good point, how many records it checked, the fault.
pub(crate) struct Walk {
    pub checked: u64,
    pub last: ChainPoint,
    pub fault: Option<ChainFault>,
}

impl AuditLog {
    /// Checks the whole stored chain. Runs in one read transaction, so it sees a
    /// consistent snapshot while the daemon keeps appending.
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        let path = &self.path;
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| AuditError::sqlite(path, "begin verify", e))?;
        let chain = meta::read(&tx, path)?;
        let totals = meta::prune_totals(&tx, path)?;
        let mut report = VerifyReport {
            records: 0,
            anchor: chain.anchor,
            head: chain.head,
            fault: None,
        };
        if totals.count != chain.anchor.seq.0 || totals.last_anchor != chain.anchor {
            report.fault = Some(fault(chain.anchor.seq, FaultKind::AnchorMismatch));
            return Ok(report);
        }
        let walk = walk(&tx, path, chain.anchor, None)?;
        report.records = walk.checked;
        report.fault = walk.fault.or_else(|| check_head(walk.last, chain.head));
        Ok(report)
    }
}

fn check_head(last: ChainPoint, head: ChainPoint) -> Option<ChainFault> {
    if last.seq < head.seq {
        let count = head.seq.0 - last.seq.0;
        Some(fault(
            AuditSeq(last.seq.0 + 1),
            FaultKind::Truncated { count },
        ))
    } else if last.seq > head.seq {
        Some(fault(AuditSeq(head.seq.0 + 1), FaultKind::Inserted))
    } else if last.hash != head.hash {
        Some(fault(head.seq, FaultKind::HeadMismatch))
    } else {
        None
    }
}

/// Walks the rows from `anchor` up to `upto` (inclusive; `None`: all), stopping at
/// the first fault. Also used by prune to check what it is about to delete.
pub(crate) fn walk(
    conn: &Connection,
    path: &Path,
    anchor: ChainPoint,
    upto: Option<AuditSeq>,
) -> Result<Walk, AuditError> {
    let err = |op| move |e| AuditError::sqlite(path, op, e);
    let upto = match upto {
        Some(s) => seq_sql(s).map_err(err("verify"))?,
        None => i64::MAX,
    };
    let sql = format!(
        "SELECT {} FROM audit WHERE seq <= ?1 ORDER BY seq",
        rows::COLUMNS
    );
    let mut stmt = conn.prepare(&sql).map_err(err("verify"))?;
    let mut rows = stmt.query([upto]).map_err(err("verify"))?;
    let mut walk = Walk {
        checked: 0,
        last: anchor,
        fault: None,
    };
    while let Some(row) = rows.next().map_err(err("verify"))? {
        match check_row(conn, path, row, walk.last)? {
            Ok(point) => {
                walk.last = point;
                walk.checked += 1;
            }
            Err(f) => {
                walk.fault = Some(f);
                break;
            }
        }
    }
    Ok(walk)
}

/// Checks one row against the chain so far; `Ok(Ok(point))` if it extends it.
fn check_row(
    conn: &Connection,
    path: &Path,
    row: &Row<'_>,
    last: ChainPoint,
) -> Result<Result<ChainPoint, ChainFault>, AuditError> {
    let expected = AuditSeq(last.seq.0.saturating_add(1));
    let seq = match rows::seq_of(row) {
        Ok(s) => s,
        // A negative seq: only SQL written by hand produces it.
        Err(_) => return Ok(Err(fault(expected, FaultKind::Inserted))),
    };
    if seq < expected {
        return Ok(Err(fault(seq, FaultKind::Inserted)));
    }
    if seq > expected {
        let count = seq.0 - expected.0;
        return Ok(Err(fault(expected, FaultKind::Deleted { count })));
    }
    let stored = match rows::decode(row) {
        Ok(s) => s,
        Err(p) => {
            let column = Some(p.column);
            return Ok(Err(fault(seq, FaultKind::Edited { column })));
        }
    };
    let link_ok = stored.prev_hash == last.hash;
    let hash_ok = hashes_at(&stored, seq);
    let kind = match (link_ok, hash_ok) {
        (true, true) => {
            return Ok(Ok(ChainPoint {
                seq,
                hash: stored.entry.hash,
            }))
        }
        (true, false) => FaultKind::Edited { column: None },
        (false, true) => FaultKind::BrokenLink,
        (false, false) => FaultKind::Reordered {
            follows: seq_with_hash(conn, path, &stored.prev_hash)?,
        },
    };
    Ok(Err(fault(seq, kind)))
}

/// Whether the row's stored hash is its own contents, at position `seq`, chained to
/// the `prev_hash` it claims.
fn hashes_at(stored: &StoredRow, seq: AuditSeq) -> bool {
    canonical::encode(seq, &stored.entry.record)
        .map(|enc| canonical::chain_hash(&stored.prev_hash, &enc) == stored.entry.hash)
        .unwrap_or(false)
}

/// Which row now holds `hash`: where a moved row originally followed. Fault path only
/// (no index on `hash`: a full scan once per failed verification).
fn seq_with_hash(
    conn: &Connection,
    path: &Path,
    hash: &ChainHash,
) -> Result<Option<AuditSeq>, AuditError> {
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM audit WHERE hash = ?1 LIMIT 1",
            [&hash.0[..]],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| AuditError::sqlite(path, "verify", e))?;
    Ok(seq.and_then(|s| u64::try_from(s).ok()).map(AuditSeq))
}

fn fault(seq: AuditSeq, kind: FaultKind) -> ChainFault {
    ChainFault { seq, kind }
}
