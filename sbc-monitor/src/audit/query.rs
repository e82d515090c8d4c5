//! Queries: records by supervisor, agent, call and time range, newest first. The
//! filters map to indexed columns; the SQL is built from fixed fragments and every
//! value is bound, never spliced.

use rusqlite::types::ToSql;
use sbc_core::ids::CallRef;

use super::error::AuditError;
use super::log::AuditLog;
use super::rows;
use super::types::{AgentId, AuditEntry, SupervisorId, UnixMillis};

/// What to select. Every `Some` narrows the result; the default selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub supervisor: Option<SupervisorId>,
    pub agent: Option<AgentId>,
    pub call: Option<CallRef>,
    /// Records with `time >= since` (inclusive).
    pub since: Option<UnixMillis>,
    /// Records with `time < until` (exclusive), so consecutive ranges never overlap.
    pub until: Option<UnixMillis>,
    /// At most this many records (the newest ones).
    pub limit: Option<u32>,
}

impl AuditLog {
    /// The matching records, newest (highest `seq`) first.
    pub fn query(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, AuditError> {
        let mut out = Vec::new();
        self.query_each(filter, |e| {
            out.push(e);
            Ok::<(), AuditError>(())
        })?;
        Ok(out)
    }

    /// Like [`AuditLog::query`], streaming: `each` sees one entry at a time, so a query
    /// over millions of records needs no memory for them. An error from `each` (for
    /// example a closed output pipe) stops the query and is returned.
    pub fn query_each<F, E>(&self, filter: &AuditFilter, mut each: F) -> Result<(), E>
    where
        F: FnMut(AuditEntry) -> Result<(), E>,
        E: From<AuditError>,
    {
        let path = &self.path;
        let err = |e| AuditError::sqlite(path, "query", e);
        let call = match filter.call {
            Some(c) => Some(i64::try_from(c.0).map_err(|_| AuditError::OutOfRange {
                field: "call",
                value: c.0,
            })?),
            None => None,
        };
        let mut clauses: Vec<&str> = Vec::new();
        let mut values: Vec<&dyn ToSql> = Vec::new();
        let supervisor = filter.supervisor.as_ref().map(|s| s.as_str());
        let agent = filter.agent.as_ref().map(|a| a.as_str());
        let since = filter.since.map(|t| t.0);
        let until = filter.until.map(|t| t.0);
        let limit = filter.limit.map(i64::from).unwrap_or(-1); // SQLite: -1 = no limit
        push(&mut clauses, &mut values, "supervisor = ?", &supervisor);
        push(&mut clauses, &mut values, "agent = ?", &agent);
        push(&mut clauses, &mut values, "call = ?", &call);
        push(&mut clauses, &mut values, "time_ms >= ?", &since);
        push(&mut clauses, &mut values, "time_ms < ?", &until);
        values.push(&limit);
        let sql = format!(
            "SELECT {} FROM audit {}{} ORDER BY seq DESC LIMIT ?",
            rows::COLUMNS,
            if clauses.is_empty() { "" } else { "WHERE " },
            clauses.join(" AND ")
        );
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt.query(values.as_slice()).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let entry = rows::decode(row).map_err(|p| AuditError::Corrupt {
                path: path.clone(),
                detail: format!(
                    "record {}: column {} holds an invalid value (run `sbc audit verify`)",
                    rows::seq_of(row)
                        .map(|s| s.0.to_string())
                        .unwrap_or_default(),
                    p.column
                ),
            })?;
            each(entry.entry)?;
        }
        Ok(())
    }
}

fn push<'a, T: ToSql>(
    clauses: &mut Vec<&'static str>,
    values: &mut Vec<&'a dyn ToSql>,
    clause: &'static str,
    value: &'a Option<T>,
) {
    if let Some(v) = value {
        clauses.push(clause);
        values.push(v);
    }
}
