//! Reading `audit` rows back into typed records. A row that no `append` could have
//! written (unknown kind tag, wrong hash size, negative seq) decodes to a
//! [`RowProblem`] naming the column: verification reports it as an edited record,
//! queries as corruption; neither panics.

use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::Row;
use sbc_core::ids::{CallRef, TenantId};

use super::types::{
    AgentId, AuditEntry, AuditKind, AuditRecord, AuditSeq, ChainHash, MonitorMode, QueueName,
    SupervisorId, UnixMillis,
};

/// The columns every reader selects, in the order [`decode`] expects.
pub const COLUMNS: &str =
    "seq, time_ms, kind, supervisor, tenant, queue, agent, call, mode, reason, prev_hash, hash";

/// A stored row: the entry plus the link it claims.
#[derive(Debug, Clone)]
pub struct StoredRow {
    pub entry: AuditEntry,
    pub prev_hash: ChainHash,
}

/// Why a row could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub column: &'static str,
}

/// The `seq` of a row alone: readable even when other columns are damaged, so a
/// fault can still be located.
pub fn seq_of(row: &Row<'_>) -> Result<AuditSeq, RowProblem> {
    int(row, 0, "seq")
        .and_then(|v| u64::try_from(v).map_err(|_| RowProblem { column: "seq" }))
        .map(AuditSeq)
}

pub fn decode(row: &Row<'_>) -> Result<StoredRow, RowProblem> {
    let seq = seq_of(row)?;
    let kind = text(row, 2, "kind")?;
    let mode = opt_text(row, 8, "mode")?;
    let record = AuditRecord {
        time: UnixMillis(int(row, 1, "time_ms")?),
        kind: AuditKind::from_tag(&kind).ok_or(RowProblem { column: "kind" })?,
        supervisor: SupervisorId(text(row, 3, "supervisor")?),
        tenant: opt_text(row, 4, "tenant")?.map(TenantId),
        queue: opt_text(row, 5, "queue")?.map(QueueName),
        agent: opt_text(row, 6, "agent")?.map(AgentId),
        call: opt_int(row, 7, "call")?
            .map(|c| u64::try_from(c).map(CallRef))
            .transpose()
            .map_err(|_| RowProblem { column: "call" })?,
        mode: match mode {
            None => None,
            Some(m) => Some(MonitorMode::from_tag(&m).ok_or(RowProblem { column: "mode" })?),
        },
        reason: text(row, 9, "reason")?.to_string(),
    };
    Ok(StoredRow {
        prev_hash: hash(row, 10, "prev_hash")?,
        entry: AuditEntry {
            seq,
            record,
            hash: hash(row, 11, "hash")?,
        },
    })
}

/// A hash column; also used for `chain_meta` and `prune_log`.
pub fn hash(row: &Row<'_>, idx: usize, column: &'static str) -> Result<ChainHash, RowProblem> {
    match row.get_ref(idx) {
        Ok(ValueRef::Blob(b)) => <[u8; 32]>::try_from(b)
            .map(ChainHash)
            .map_err(|_| RowProblem { column }),
        _ => Err(RowProblem { column }),
    }
}

pub fn int(row: &Row<'_>, idx: usize, column: &'static str) -> Result<i64, RowProblem> {
    opt_int(row, idx, column)?.ok_or(RowProblem { column })
}

fn opt_int(row: &Row<'_>, idx: usize, column: &'static str) -> Result<Option<i64>, RowProblem> {
    match row.get_ref(idx) {
        Ok(ValueRef::Null) => Ok(None),
        Ok(ValueRef::Integer(v)) => Ok(Some(v)),
        _ => Err(RowProblem { column }),
    }
}

fn text(row: &Row<'_>, idx: usize, column: &'static str) -> Result<Arc<str>, RowProblem> {
    opt_text(row, idx, column)?.ok_or(RowProblem { column })
}

fn opt_text(
    row: &Row<'_>,
    idx: usize,
    column: &'static str,
) -> Result<Option<Arc<str>>, RowProblem> {
    match row.get_ref(idx) {
        Ok(ValueRef::Null) => Ok(None),
        Ok(ValueRef::Text(b)) => std::str::from_utf8(b)
            .map(|s| Some(Arc::from(s)))
            .map_err(|_| RowProblem { column }),
        _ => Err(RowProblem { column }),
    }
}
