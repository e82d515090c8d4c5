//! Errors of the audit log. Every variant that concerns a file names it, so an
//! operator reading "audit log /var/lib/sbc/audit.db: …" knows where to look.

use std::path::PathBuf;

use super::verify::ChainFault;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file could not be opened or created (missing, permissions, not a file).
    #[error("audit log {}: cannot open: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The file is not an SQLite database, or an SQLite database of something else.
    #[error("audit log {}: not an SBC audit log ({detail})", path.display())]
    NotAnAuditLog { path: PathBuf, detail: String },
    /// Written by a newer build with a schema this one does not know.
    #[error(
        "audit log {}: schema version {found} is not supported (this build reads {supported})",
        path.display()
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// The database is damaged below the level of the hash chain (bad page, a chain
    /// state row missing, a value of the wrong type or size).
    #[error("audit log {}: corrupt: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    /// An SQLite operation failed (disk full, I/O error, lock timeout).
    #[error("audit log {}: {op}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        op: &'static str,
        source: rusqlite::Error,
    },
    /// A record field exceeds [`super::canonical::MAX_FIELD_BYTES`].
    #[error("audit record field `{field}` is {len} bytes; the limit is {max}")]
    FieldTooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    /// A number does not fit SQLite's signed 64-bit integer.
    #[error("audit record field `{field}` is out of range: {value}")]
    OutOfRange { field: &'static str, value: u64 },
    /// Pruning would delete records whose chain does not verify: the evidence is kept.
    #[error("audit log {}: refusing to prune, the chain is broken at {fault}", path.display())]
    ChainBroken { path: PathBuf, fault: ChainFault },
}

impl AuditError {
    /// Maps an SQLite error of operation `op`: a damaged or foreign file becomes a
    /// typed error naming the file instead of a bare SQLite code.
    pub(crate) fn sqlite(path: &std::path::Path, op: &'static str, e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => AuditError::NotAnAuditLog {
                path: path.to_owned(),
                detail: "not an SQLite database".into(),
            },
            Some(ErrorCode::DatabaseCorrupt) => AuditError::Corrupt {
                path: path.to_owned(),
                detail: e.to_string(),
            },
            _ => AuditError::Sqlite {
                path: path.to_owned(),
                op,
                source: e,
            },
        }
    }
}
