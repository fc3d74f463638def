//! [`StateDb`]: the client's own SQLite file (`STATE_DIR/state.sqlite3`).
//!
//! Tables ([`schema`]; see the crate README for the crash-safety argument):
//! - `meta(key, value)`: `schema_version`, `device_id`, `device_name`, `server`, `key_guard`
//!   (the highest key version unlocked, as [`KeyVersionGuard`] JSON), `revision` (last seen key
//!   revision), `account_known`. This module.
//! - `cursors(name, last_row_id)`: the packaging position per screenpipe table (`text:frames`,
//!   `text:ocr_text`, ..., `media:video_chunks`, `media:audio_chunks`): every row up to it has
//!   been packaged into a pending or uploaded blob. [`uploads`].
//! - `pending_uploads`: sealed blobs in the staging folder with everything `/upload` needs;
//!   written in the same transaction as the cursor advance that packaged them. [`uploads`].
//! - `sync_state`: one row per uploaded blob (blob type, time range, cloud blob id, synced at,
//!   size, key id, records). [`uploads`].
//! - `media(source_table, row_id, blob_id, status)`: the blob id given to each media chunk
//!   (`assigned`, `staged`, `uploaded`, `missing`), so that a bundle and its media agree on it
//!   even across a key rotation. [`media`].
//! - `snapshots(frame_row_id, blob_id, entry, status)`: the media pack (and entry) holding each
//!   frame's snapshot, or `missing`, for the text pass. [`snapshots`].
//! - `blob_checksums`, `file_proofs`: what was sealed of each blob and media file, the proof
//!   `archive` checks before deleting a local file. [`proofs`].
//! - `archive_journal`: the files `archive` is offloading or has offloaded. [`archive`].
//! - `pulled_blobs`: blobs of other devices imported (or failed) by `pull`; `pending_media`:
//!   media files referenced by imported rows but not written yet. [`pulls`].
//!
//! Every multi-row change is one transaction, in WAL mode. Plan commits run with
//! `synchronous = FULL` (they survive a power cut, and flush every commit before them); the
//! others (a finished upload, a media id assignment, pull bookkeeping) with `NORMAL`: they
//! survive a process crash, and losing them to a power cut only repeats idempotent work.
//!
//! [`StateLock`] ([`lock`]) keeps two processes from working on one state folder at once.

pub mod archive;
pub mod lock;
pub mod media;
pub mod proofs;
pub mod pulls;
mod schema;
pub mod snapshots;
pub mod summary;
pub mod text_drops;
pub mod uploads;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};
use sync_core::DeviceId;
use sync_core::keys::KeyVersionGuard;

pub use archive::JournalEntry;
pub use lock::StateLock;
pub use proofs::{BlobSeal, FileProof};
pub use snapshots::SnapshotEntry;
pub use summary::StateSummary;
pub use text_drops::DroppedText;
pub use uploads::{PendingUpload, Plan, SyncedBlob};

use crate::config::SyncConfig;
use crate::error::{DbContext, IoContext, Result, SyncError};
use schema::{SCHEMA, SCHEMA_VERSION};

/// The state file.
#[derive(Debug)]
pub struct StateDb {
    conn: Connection,
    path: PathBuf,
}

/// Parses a value the state file holds.
fn parse<T>(text: &str, what: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| SyncError::corrupt(format!("{what} {text:?}"), e))
}

/// An INTEGER column as a count.
fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A count as an INTEGER column.
fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl StateDb {
    /// Opens (creating it and its folder if needed) the state file at `path`.
    pub fn open(path: &Path) -> Result<StateDb> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).io_ctx(|| format!("create {}", dir.display()))?;
        }
        let conn = Connection::open(path).ctx("open the state file")?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).ctx("state busy_timeout")?;
        conn.pragma_update(None, "journal_mode", "WAL").ctx("state WAL")?;
        // NORMAL by default (a WAL commit is durable across a process crash, not a power cut);
        // the commits that must survive a power cut (a plan: cursors and pending uploads) switch
        // to FULL, which also flushes every earlier commit.
        conn.pragma_update(None, "synchronous", "NORMAL").ctx("state synchronous")?;
        conn.execute_batch(SCHEMA).ctx("state schema")?;
        let db = StateDb { conn, path: path.to_owned() };
        match db.get_meta("schema_version")? {
            None => db.set_meta("schema_version", SCHEMA_VERSION)?,
            Some(v) if v == SCHEMA_VERSION => {}
            Some(v) => return Err(SyncError::State(format!("state file schema {v} is not {SCHEMA_VERSION}"))),
        }
        Ok(db)
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A `meta` value.
    pub fn get_meta(&self, key: &str) -> Result<Option<String>> {
        self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional().ctx("state meta")
    }

    /// Sets a `meta` value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
                [key, value],
            )
            .ctx("state meta")?;
        Ok(())
    }

    /// This device's id, once chosen.
    pub fn device_id(&self) -> Result<Option<DeviceId>> {
        self.get_meta("device_id")?.map(|t| DeviceId::new(t).map_err(SyncError::from)).transpose()
    }

    /// The device id, or a new random one stored now.
    pub fn device_id_or_new(&self) -> Result<DeviceId> {
        if let Some(id) = self.device_id()? {
            return Ok(id);
        }
        let id = DeviceId::new(crate::os::random_uuid()?)?;
        self.set_meta("device_id", id.as_str())?;
        Ok(id)
    }

    /// The rollback guard (the highest key version unlocked on this device).
    pub fn key_guard(&self) -> Result<KeyVersionGuard> {
        match self.get_meta("key_guard")? {
            None => Ok(KeyVersionGuard::new()),
            Some(json) => serde_json::from_str(&json).map_err(|e| SyncError::corrupt("key_guard", e)),
        }
    }

    /// Persists the guard (only ever moves forward: the core's `observe` never lowers it).
    pub fn save_key_guard(&self, guard: &KeyVersionGuard) -> Result<()> {
        let json = serde_json::to_string(guard).map_err(|e| SyncError::corrupt("key_guard", e))?;
        self.set_meta("key_guard", &json)
    }

    /// Forgets this device's sync state (unlinking): deletes the state file with its WAL and
    /// shared-memory files and the staging folder, under the folder's lock. The config file and
    /// the lock file stay. Nothing may hold the state file open.
    pub fn forget(config: &SyncConfig) -> Result<()> {
        let _lock = StateLock::acquire(&config.state_dir, std::time::Duration::from_secs(30))?;
        let state = config.state_path();
        for suffix in ["", "-wal", "-shm"] {
            let mut name = state.clone().into_os_string();
            name.push(suffix);
            let path = PathBuf::from(name);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(SyncError::io(format!("remove {}", path.display()), e));
                }
                _ => {}
            }
        }
        let staging = config.staging_dir();
        match std::fs::remove_dir_all(&staging) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(SyncError::io(format!("remove {}", staging.display()), e))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use sync_core::KeyId;

    use super::*;

    #[test]
    fn device_id_and_key_guard_persist() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("s.sqlite3")).unwrap();
        let id = db.device_id_or_new().unwrap();
        assert_eq!(db.device_id_or_new().unwrap(), id);
        let mut guard = db.key_guard().unwrap();
        guard.observe(2, &KeyId([5; 16]));
        db.save_key_guard(&guard).unwrap();
        assert_eq!(db.key_guard().unwrap(), guard);
        db.set_meta("key_guard", "not json").unwrap();
        assert_eq!(db.key_guard().unwrap_err().code(), "state");
    }
}
