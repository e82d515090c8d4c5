//! Opening the database file: identifying it (application id, schema version),
//! creating the schema on a new file, and the pragmas that make a commit durable.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::error::AuditError;

/// `PRAGMA application_id`: "SBCA". Lets `file(1)` and this code tell an audit log
/// from any other SQLite file.
pub const APPLICATION_ID: i64 = 0x5342_4341;
/// `PRAGMA user_version` of the schema below. Bump with a migration.
pub const SCHEMA_VERSION: i64 = 1;

/// STRICT tables: SQLite refuses a value of the wrong type, so a row can only hold
/// what `append` could have written (tampering by type confusion is refused at the
/// source, and what slips through is caught by the hash check).
const SCHEMA: &str = "
CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,  -- chain position, assigned by append, never reused
    time_ms    INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    supervisor TEXT NOT NULL,
    tenant     TEXT,
    queue      TEXT,
    agent      TEXT,
    call       INTEGER,
    mode       TEXT,
    reason     TEXT NOT NULL,
    prev_hash  BLOB NOT NULL,        -- hash of record seq-1 (or the prune anchor)
    hash       BLOB NOT NULL         -- SHA-256(prev_hash || canonical encoding)
) STRICT;
CREATE INDEX audit_time ON audit(time_ms);
CREATE INDEX audit_supervisor ON audit(supervisor, seq);
CREATE INDEX audit_agent ON audit(agent, seq);
CREATE INDEX audit_call ON audit(call, seq);

-- The ends of the chain. anchor: the last pruned record (0 and zero hash before any
-- prune); head: the last appended record, updated in the same transaction as the
-- append so a deleted tail is detected.
CREATE TABLE chain_meta (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    anchor_seq  INTEGER NOT NULL,
    anchor_hash BLOB NOT NULL,
    head_seq    INTEGER NOT NULL,
    head_hash   BLOB NOT NULL
) STRICT;
INSERT INTO chain_meta VALUES (1, 0, zeroblob(32), 0, zeroblob(32));

-- One row per prune: the sum of count must equal anchor_seq, and the last row's
-- anchor must be chain_meta's.
CREATE TABLE prune_log (
    id           INTEGER PRIMARY KEY,
    pruned_at_ms INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    anchor_seq   INTEGER NOT NULL,
    anchor_hash  BLOB NOT NULL
) STRICT;
";

/// Whether [`connect`] may create a missing file and an empty schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    Yes,
    No,
}

/// Opens `path`, checks (or on a new file, creates) the schema, and sets the
/// durability pragmas.
pub fn connect(path: &Path, create: Create) -> Result<Connection, AuditError> {
    // No SQLITE_OPEN_URI: a path is a path, never "file:…?mode=memory".
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create == Create::Yes {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags).map_err(|source| AuditError::Open {
        path: path.to_owned(),
        source,
    })?;
    let err = |op| move |e| AuditError::sqlite(path, op, e);
    // A prune or a concurrent CLI reader may hold a lock briefly; wait, don't fail.
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(err("busy_timeout"))?;
    // Identify before changing anything: never switch a foreign file to WAL.
    let (app_id, version) = identity(&conn).map_err(err("read header"))?;
    if app_id == 0 && version == 0 && create == Create::Yes && is_empty(&conn, path)? {
        set_durability(&conn, path)?;
        initialize(&mut conn, path)?;
        sync_parent_dir(path);
        return Ok(conn);
    }
    check_identity(path, app_id, version)?;
    set_durability(&conn, path)?;
    Ok(conn)
}

fn identity(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    let app_id = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok((app_id, version))
}

fn check_identity(path: &Path, app_id: i64, version: i64) -> Result<(), AuditError> {
    if app_id != APPLICATION_ID {
        let detail = if app_id == 0 {
            "an SQLite database without the audit schema".to_string()
        } else {
            format!("SQLite application_id {app_id:#x}")
        };
        return Err(AuditError::NotAnAuditLog {
            path: path.to_owned(),
            detail,
        });
    }
    if version != SCHEMA_VERSION {
        return Err(AuditError::UnsupportedVersion {
            path: path.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

fn is_empty(conn: &Connection, path: &Path) -> Result<bool, AuditError> {
    let n: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|e| AuditError::sqlite(path, "read schema", e))?;
    Ok(n == 0)
}

/// What each pragma guarantees:
/// - `journal_mode=WAL`: a commit appends the transaction's pages to `FILE-wal` and
///   writes a commit frame; the main file is only touched by checkpoints. Once
///   `COMMIT` returns, the frames are in the kernel's page cache, so they survive
///   kill -9 of this process. Readers (`sbc audit query`) never block the writer.
/// - `synchronous=FULL`: in WAL mode, fsync of the WAL file at *every* commit, before
///   `COMMIT` returns, so a committed record also survives power loss and kernel
///   panic. (`NORMAL` would sync only at checkpoints: durable against a crash of the
///   process, not of the machine.) Checkpoints fsync the WAL before copying into the
///   main file and the main file before the WAL is reused.
/// - `fullfsync=ON`: on macOS, `F_FULLFSYNC` instead of `fsync`, which there does not
///   flush the drive's cache; no effect on Linux.
fn set_durability(conn: &Connection, path: &Path) -> Result<(), AuditError> {
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(|e| AuditError::sqlite(path, "set journal_mode", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(AuditError::Corrupt {
            path: path.to_owned(),
            detail: format!("cannot switch to WAL journal (got {mode})"),
        });
    }
    for (name, value) in [("synchronous", "FULL"), ("fullfsync", "ON")] {
        conn.pragma_update(None, name, value)
            .map_err(|e| AuditError::sqlite(path, "set pragma", e))?;
    }
    Ok(())
}

/// Creates the schema in one transaction. IMMEDIATE and a re-check inside it: two
/// processes opening a new file at once create it exactly once.
fn initialize(conn: &mut Connection, path: &Path) -> Result<(), AuditError> {
    let err = |op| move |e| AuditError::sqlite(path, op, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err("begin"))?;
    let (app_id, version) = identity(&tx).map_err(err("read header"))?;
    if app_id == 0 && version == 0 {
        tx.execute_batch(SCHEMA).map_err(err("create schema"))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(err("set application_id"))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(err("set user_version"))?;
    } else {
        check_identity(path, app_id, version)?;
    }
    tx.commit().map_err(err("commit schema"))
}

/// fsync the directory so the new file's directory entry survives power loss (SQLite
/// syncs file contents, not the entry that names a newly created file). Best effort:
/// the file works either way, and some filesystems refuse to open a directory.
fn sync_parent_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
