//! Opening screenpipe's database: read-only for the packager and the local search (WAL readers
//! never block screenpipe's writer), read-write for the unpacker (waiting for screenpipe's
//! writer rather than failing).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{DbContext, Result, SyncError};

/// Opens screenpipe's database read-only, without locking screenpipe out (WAL readers never
/// block its writer).
pub fn open_read_only(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(SyncError::Schema(format!("no screenpipe database at {}", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .ctx("open screenpipe's database read-only")?;
    conn.busy_timeout(Duration::from_secs(30)).ctx("busy_timeout")?;
    Ok(conn)
}

/// Opens screenpipe's database for writing (the unpacker), with a long busy timeout so that it
/// waits for screenpipe's writer rather than failing, and `foreign_keys` on (as screenpipe's
/// own connections). The caller checks the schema before [`prepare_for_writes`].
pub fn open_read_write(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(SyncError::Schema(format!(
            "no screenpipe database at {} (start screenpipe once, or `screenpipe-sync dev fixture --days 0`)",
            path.display()
        )));
    }
    let conn = Connection::open(path).ctx("open screenpipe's database")?;
    conn.busy_timeout(Duration::from_secs(60)).ctx("busy_timeout")?;
    conn.pragma_update(None, "foreign_keys", "ON").ctx("foreign_keys")?;
    Ok(conn)
}

/// Puts the database in WAL mode (screenpipe runs it so; a reader then never blocks a writer),
/// once its schema is known to be supported.
pub fn prepare_for_writes(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL").ctx("WAL")
}
