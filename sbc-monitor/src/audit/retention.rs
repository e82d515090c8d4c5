//! Retention: deleting records older than the configured period without breaking
//! verification. Only a prefix of the chain is ever deleted; the hash of its last
//! record becomes the new anchor the first remaining record links to, and the prune
//! itself is recorded in `prune_log` (time, count, anchor).

use rusqlite::{OptionalExtension, TransactionBehavior};

use super::error::AuditError;
use super::log::AuditLog;
use super::meta::{self, seq_sql};
use super::types::{AuditSeq, ChainPoint, UnixMillis};
use super::verify::{walk, ChainFault, FaultKind};

/// What a prune did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneReport {
    /// Records deleted (0: nothing was old enough, or the handle has no retention).
    pub count: u64,
    /// The chain anchor after the prune.
    pub anchor: ChainPoint,
}

impl AuditLog {
    /// Deletes the records older than the retention at `now`: the longest prefix of
    /// the chain whose records all have `time < now - retention`. A record stamped
    /// later stops the prune there, so an out-of-order clock can delay a deletion but
    /// never punch a hole in the chain.
    ///
    /// The records to delete are verified first; if they do not verify, nothing is
    /// deleted and [`AuditError::ChainBroken`] names the fault: pruning must not
    /// launder tampered evidence.
    pub fn prune(&mut self, now: UnixMillis) -> Result<PruneReport, AuditError> {
        let path = &self.path;
        let err = |op| move |e| AuditError::sqlite(path, op, e);
        let Some(retention) = self.retention else {
            let anchor = meta::read(&self.conn, path)?.anchor;
            return Ok(PruneReport { count: 0, anchor });
        };
        let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now.0.saturating_sub(retention_ms);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("begin prune"))?;
        let chain = meta::read(&tx, path)?;
        let first_kept: Option<i64> = tx
            .query_row(
                "SELECT MIN(seq) FROM audit WHERE time_ms >= ?1",
                [cutoff],
                |r| r.get(0),
            )
            .optional()
            .map_err(err("prune"))?
            .flatten();
        let last_pruned = match first_kept {
            Some(s) => AuditSeq(u64::try_from(s).unwrap_or(0).saturating_sub(1)),
            None => chain.head.seq,
        };
        if last_pruned <= chain.anchor.seq {
            return Ok(PruneReport {
                count: 0,
                anchor: chain.anchor,
            });
        }
        let checked = walk(&tx, path, chain.anchor, Some(last_pruned))?;
        if let Some(fault) = checked.fault {
            return Err(AuditError::ChainBroken {
                path: path.clone(),
                fault,
            });
        }
        if checked.last.seq < last_pruned {
            // Rows missing at the end of the range: the walk saw no later row to
            // notice the gap, so report it here.
            let missing = AuditSeq(checked.last.seq.0 + 1);
            let count = last_pruned.0 - checked.last.seq.0;
            return Err(AuditError::ChainBroken {
                path: path.clone(),
                fault: ChainFault {
                    seq: missing,
                    kind: FaultKind::Deleted { count },
                },
            });
        }
        let anchor = checked.last;
        let count = anchor.seq.0 - chain.anchor.seq.0;
        tx.execute(
            "DELETE FROM audit WHERE seq <= ?1",
            [seq_sql(anchor.seq).map_err(err("prune"))?],
        )
        .map_err(err("prune"))?;
        meta::record_prune(&tx, path, now, count, anchor)?;
        tx.commit().map_err(err("commit prune"))?;
        Ok(PruneReport { count, anchor })
    }
}
