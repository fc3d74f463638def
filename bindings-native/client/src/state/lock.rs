//! [`StateLock`]: one process at a time works on a state folder.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{DbContext, IoContext, Result, SyncError};

/// An exclusive lock on the state folder for the duration of a push, pull or key change:
/// a second process waits (up to `wait`) or fails. Held as a SQLite exclusive transaction on
/// `STATE_DIR/lock.sqlite3`, so the operating system releases it when the process dies.
#[derive(Debug)]
pub struct StateLock {
    _conn: Connection,
}

impl StateLock {
    /// Takes the lock.
    pub fn acquire(state_dir: &Path, wait: std::time::Duration) -> Result<StateLock> {
        std::fs::create_dir_all(state_dir).io_ctx(|| format!("create {}", state_dir.display()))?;
        let conn = Connection::open(state_dir.join("lock.sqlite3")).ctx("open the lock file")?;
        conn.busy_timeout(wait).ctx("lock busy_timeout")?;
        conn.execute_batch("PRAGMA journal_mode=DELETE; CREATE TABLE IF NOT EXISTS lock (x INTEGER);")
            .ctx("lock file")?;
        conn.execute_batch("BEGIN EXCLUSIVE; INSERT INTO lock (x) VALUES (1);")
            .map_err(|source| SyncError::Locked { source })?;
        Ok(StateLock { _conn: conn })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path(), std::time::Duration::from_millis(10)).unwrap();
        assert!(StateLock::acquire(dir.path(), std::time::Duration::from_millis(10)).is_err());
        drop(first);
        StateLock::acquire(dir.path(), std::time::Duration::from_millis(10)).unwrap();
    }
}
