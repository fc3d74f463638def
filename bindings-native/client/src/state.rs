//! [`StateDb`]: the client's own SQLite file (`STATE_DIR/state.sqlite3`).
//!
//! Tables (see the crate README for the crash-safety argument):
//! - `meta(key, value)`: `schema_version`, `device_id`, `device_name`, `server`, `key_guard`
//!   (the highest key version unlocked, as [`KeyVersionGuard`] JSON), `revision` (last seen key
//!   revision), `account_known`.
//! - `cursors(name, last_row_id)`: the packaging position per screenpipe table (`text:frames`,
//!   `text:ocr_text`, ..., `media:video_chunks`, `media:audio_chunks`): every row up to it has
//!   been packaged into a pending or uploaded blob.
//! - `pending_uploads`: sealed blobs in the staging folder with everything `/upload` needs;
//!   written in the same transaction as the cursor advance that packaged them.
//! - `sync_state`: one row per uploaded blob (blob type, time range, cloud blob id, synced at,
//!   size, key id, records) — the seed's `sync_state`.
//! - `media(source_table, row_id, blob_id, status)`: the blob id given to each media chunk
//!   (`assigned`, `staged`, `uploaded`, `missing`), so that a bundle and its media agree on it
//!   even across a key rotation.
//! - `pulled_blobs`: blobs of other devices imported (or failed) by `pull`.
//! - `pending_media`: media files referenced by imported rows but not written yet.
//!
//! Every multi-row change is one transaction, in WAL mode. Plan commits run with
//! `synchronous = FULL` (they survive a power cut, and flush every commit before them); the
//! others (a finished upload, a media id assignment, pull bookkeeping) with `NORMAL`: they
//! survive a process crash, and losing them to a power cut only repeats idempotent work.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sync_core::keys::KeyVersionGuard;
use sync_core::wire::{Checksum, SearchToken};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

use crate::error::{DbContext, Result, SyncError};

const SCHEMA_VERSION: &str = "1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, last_row_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_uploads (
    blob_id TEXT PRIMARY KEY,
    blob_type TEXT NOT NULL,
    time_start INTEGER NOT NULL,
    time_end INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    key_id TEXT NOT NULL,
    tokens TEXT NOT NULL,
    staging_file TEXT NOT NULL,
    records INTEGER NOT NULL,
    media_table TEXT,
    media_row_id INTEGER,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS sync_state (
    blob_id TEXT PRIMARY KEY,
    blob_type TEXT NOT NULL,
    time_start INTEGER NOT NULL,
    time_end INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    records INTEGER NOT NULL,
    synced_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_state_time ON sync_state(time_start);
CREATE TABLE IF NOT EXISTS media (
    source_table TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source_table, row_id)
);
CREATE TABLE IF NOT EXISTS pulled_blobs (
    blob_id TEXT PRIMARY KEY,
    blob_type TEXT NOT NULL,
    device_id TEXT NOT NULL,
    time_start INTEGER NOT NULL,
    time_end INTEGER NOT NULL,
    status TEXT NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    pulled_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_media (
    blob_id TEXT PRIMARY KEY,
    dest_path TEXT NOT NULL,
    origin_device TEXT NOT NULL,
    status TEXT NOT NULL,
    last_error TEXT,
    updated_at INTEGER NOT NULL
);
";

/// A sealed blob waiting in the staging folder.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingUpload {
    /// Its id.
    pub blob_id: BlobId,
    /// Its type.
    pub blob_type: BlobType,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// Ciphertext size.
    pub size_bytes: u64,
    /// SHA-256 of the ciphertext.
    pub checksum: Checksum,
    /// The key that sealed it.
    pub key_id: KeyId,
    /// Its search tokens (empty when the token setting is off, and for media).
    pub tokens: Vec<SearchToken>,
    /// The sealed file.
    pub staging_file: PathBuf,
    /// Records it holds (1 for a media file).
    pub records: u64,
    /// For a media blob: the chunk table and row.
    pub media: Option<(String, i64)>,
}

/// An uploaded blob (`sync_state`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedBlob {
    /// The cloud blob id.
    pub blob_id: BlobId,
    /// Its type.
    pub blob_type: BlobType,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// Ciphertext size.
    pub size_bytes: u64,
    /// Records it holds.
    pub records: u64,
    /// When the upload completed.
    pub synced_at: UnixMillis,
}

/// Totals of the state, for `status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StateSummary {
    /// Blobs uploaded.
    pub uploaded_blobs: u64,
    /// Their bytes.
    pub uploaded_bytes: u64,
    /// Blobs sealed and waiting.
    pub pending_uploads: u64,
    /// Media files reported missing.
    pub missing_media: u64,
    /// Blobs of other devices imported.
    pub pulled_blobs: u64,
    /// Pulled blobs that failed (retried at the next pull).
    pub failed_pulls: u64,
    /// Media files still to fetch.
    pub pending_media: u64,
    /// Last completed upload.
    pub last_upload: Option<UnixMillis>,
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    text.parse().map_err(|_| SyncError::State(format!("the state file holds a bad {what}: {text:?}")))
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The state file.
#[derive(Debug)]
pub struct StateDb {
    conn: Connection,
    path: PathBuf,
}

impl StateDb {
    /// Opens (creating it and its folder if needed) the state file at `path`.
    pub fn open(path: &Path) -> Result<StateDb> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| SyncError::io(format!("create {}", dir.display()), e))?;
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
        let id = DeviceId::new(crate::util::random_uuid()?)?;
        self.set_meta("device_id", id.as_str())?;
        Ok(id)
    }

    /// The rollback guard (the highest key version unlocked on this device).
    pub fn key_guard(&self) -> Result<KeyVersionGuard> {
        match self.get_meta("key_guard")? {
            None => Ok(KeyVersionGuard::new()),
            Some(json) => {
                serde_json::from_str(&json).map_err(|_| SyncError::State("the state file holds a bad key_guard".into()))
            }
        }
    }

    /// Persists the guard (only ever moves forward: the core's `observe` never lowers it).
    pub fn save_key_guard(&self, guard: &KeyVersionGuard) -> Result<()> {
        let json = serde_json::to_string(guard).map_err(|e| SyncError::State(e.to_string()))?;
        self.set_meta("key_guard", &json)
    }

    /// A packaging cursor (0 when never set).
    pub fn cursor(&self, name: &str) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT last_row_id FROM cursors WHERE name = ?1", [name], |r| r.get::<_, i64>(0))
            .optional()
            .ctx("state cursor")?
            .unwrap_or(0))
    }

    /// The blob id given to a media chunk, and its status.
    pub fn media_blob(&self, table: &str, row_id: i64) -> Result<Option<(BlobId, String)>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT blob_id, status FROM media WHERE source_table = ?1 AND row_id = ?2",
                params![table, row_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ctx("state media")?;
        row.map(|(id, status)| Ok((parse::<BlobId>(&id, "blob id")?, status))).transpose()
    }

    /// Records the blob id of a media chunk if it has none yet; returns the stored one.
    pub fn assign_media_blob(&self, table: &str, row_id: i64, blob_id: BlobId) -> Result<BlobId> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO media (source_table, row_id, blob_id, status, updated_at) VALUES (?1, ?2, ?3, 'assigned', ?4)",
                params![table, row_id, blob_id.to_hex(), crate::util::now_ms().0],
            )
            .ctx("state media")?;
        Ok(self.media_blob(table, row_id)?.map(|(id, _)| id).unwrap_or(blob_id))
    }

    /// Commits a packaging step atomically and durably (`synchronous = FULL`): new pending
    /// uploads, media statuses, and cursor advances.
    pub fn commit_plan(
        &mut self,
        pending: &[PendingUpload],
        media: &[(String, i64, BlobId, &'static str)],
        cursors: &[(String, i64)],
    ) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL").ctx("state synchronous")?;
        let result = self.commit_plan_tx(pending, media, cursors);
        self.conn.pragma_update(None, "synchronous", "NORMAL").ctx("state synchronous")?;
        result
    }

    fn commit_plan_tx(
        &mut self,
        pending: &[PendingUpload],
        media: &[(String, i64, BlobId, &'static str)],
        cursors: &[(String, i64)],
    ) -> Result<()> {
        let now = crate::util::now_ms().0;
        let tx = self.conn.transaction().ctx("state plan")?;
        for p in pending {
            let tokens = serde_json::to_string(&p.tokens).map_err(|e| SyncError::State(e.to_string()))?;
            tx.execute(
                "INSERT OR REPLACE INTO pending_uploads (blob_id, blob_type, time_start, time_end, size_bytes, checksum, key_id,
                   tokens, staging_file, records, media_table, media_row_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    p.blob_id.to_hex(),
                    p.blob_type.as_str(),
                    p.time_start.0,
                    p.time_end.0,
                    i64_of(p.size_bytes),
                    p.checksum.to_hex(),
                    p.key_id.to_hex(),
                    tokens,
                    p.staging_file.to_string_lossy(),
                    i64_of(p.records),
                    p.media.as_ref().map(|m| m.0.clone()),
                    p.media.as_ref().map(|m| m.1),
                    now
                ],
            )
            .ctx("state plan")?;
        }
        for (table, row, blob_id, status) in media {
            tx.execute(
                "INSERT INTO media (source_table, row_id, blob_id, status, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(source_table, row_id) DO UPDATE SET status = ?4, updated_at = ?5",
                params![table, row, blob_id.to_hex(), status, now],
            )
            .ctx("state plan")?;
        }
        for (name, row) in cursors {
            tx.execute(
                "INSERT INTO cursors (name, last_row_id) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET last_row_id = MAX(last_row_id, ?2)",
                params![name, row],
            )
            .ctx("state plan")?;
        }
        tx.commit().ctx("state plan")
    }

    /// Every pending upload, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingUpload>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT blob_id, blob_type, time_start, time_end, size_bytes, checksum, key_id, tokens, staging_file,
                        records, media_table, media_row_id
                 FROM pending_uploads ORDER BY created_at, blob_type DESC, time_start, blob_id",
            )
            .ctx("state pending")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, i64>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<i64>>(11)?,
                ))
            })
            .ctx("state pending")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, ty, ts, te, size, sum, key, tokens, file, records, mt, mr) = row.ctx("state pending")?;
            let tokens: Vec<SearchToken> =
                serde_json::from_str(&tokens).map_err(|_| SyncError::State("bad tokens in pending_uploads".into()))?;
            out.push(PendingUpload {
                blob_id: parse(&id, "blob id")?,
                blob_type: parse(&ty, "blob type")?,
                time_start: UnixMillis(ts),
                time_end: UnixMillis(te),
                size_bytes: u64_of(size),
                checksum: Checksum::from_hex(&sum).map_err(|_| SyncError::State("bad checksum".into()))?,
                key_id: parse(&key, "key id")?,
                tokens,
                staging_file: PathBuf::from(file),
                records: u64_of(records),
                media: mt.zip(mr),
            });
        }
        Ok(out)
    }

    /// Staging files named by a pending upload.
    pub fn pending_files(&self) -> Result<Vec<PathBuf>> {
        Ok(self.pending()?.into_iter().map(|p| p.staging_file).collect())
    }

    /// Records a completed upload: `sync_state` row in, pending row out, media status
    /// `uploaded`; one transaction.
    pub fn finish_upload(&mut self, p: &PendingUpload) -> Result<()> {
        let now = crate::util::now_ms().0;
        // Losing this commit to a power cut is harmless (the upload is declared again and the
        // server answers `already_uploaded`), so it runs at the default `synchronous = NORMAL`.
        let tx = self.conn.transaction().ctx("state finish")?;
        tx.execute(
            "INSERT OR REPLACE INTO sync_state (blob_id, blob_type, time_start, time_end, size_bytes, key_id, records, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p.blob_id.to_hex(),
                p.blob_type.as_str(),
                p.time_start.0,
                p.time_end.0,
                i64_of(p.size_bytes),
                p.key_id.to_hex(),
                i64_of(p.records),
                now
            ],
        )
        .ctx("state finish")?;
        tx.execute("DELETE FROM pending_uploads WHERE blob_id = ?1", [p.blob_id.to_hex()]).ctx("state finish")?;
        if let Some((table, row)) = &p.media {
            tx.execute(
                "UPDATE media SET status = 'uploaded', updated_at = ?3 WHERE source_table = ?1 AND row_id = ?2",
                params![table, row, now],
            )
            .ctx("state finish")?;
        }
        tx.commit().ctx("state finish")
    }

    /// Notes a failed upload attempt (the upload stays pending).
    pub fn note_upload_error(&self, blob_id: &BlobId, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE pending_uploads SET attempts = attempts + 1, last_error = ?2 WHERE blob_id = ?1",
                params![blob_id.to_hex(), error],
            )
            .ctx("state pending")?;
        Ok(())
    }

    /// Every uploaded blob, by time.
    pub fn synced_blobs(&self) -> Result<Vec<SyncedBlob>> {
        let mut stmt = self
            .conn
            .prepare("SELECT blob_id, blob_type, time_start, time_end, size_bytes, records, synced_at FROM sync_state ORDER BY time_start, blob_id")
            .ctx("state sync_state")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .ctx("state sync_state")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, ty, ts, te, size, records, at) = row.ctx("state sync_state")?;
            out.push(SyncedBlob {
                blob_id: parse(&id, "blob id")?,
                blob_type: parse(&ty, "blob type")?,
                time_start: UnixMillis(ts),
                time_end: UnixMillis(te),
                size_bytes: u64_of(size),
                records: u64_of(records),
                synced_at: UnixMillis(at),
            });
        }
        Ok(out)
    }

    /// Media chunks reported missing: `(table, row_id)`.
    pub fn missing_media(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source_table, row_id FROM media WHERE status = 'missing' ORDER BY source_table, row_id")
            .ctx("state media")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ctx("state media")?;
        rows.collect::<std::result::Result<Vec<_>, _>>().ctx("state media")
    }

    /// The status of a pulled blob (`imported` or `failed`), if it was pulled.
    pub fn pulled_status(&self, blob_id: &BlobId) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT status FROM pulled_blobs WHERE blob_id = ?1", [blob_id.to_hex()], |r| r.get(0))
            .optional()
            .ctx("state pulled")
    }

    /// Records a pulled blob's outcome.
    #[allow(clippy::too_many_arguments)]
    pub fn mark_pulled(
        &self,
        blob_id: &BlobId,
        blob_type: BlobType,
        device_id: &DeviceId,
        time_start: UnixMillis,
        time_end: UnixMillis,
        status: &str,
        records: u64,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO pulled_blobs (blob_id, blob_type, device_id, time_start, time_end, status, records, error, pulled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    blob_id.to_hex(),
                    blob_type.as_str(),
                    device_id.as_str(),
                    time_start.0,
                    time_end.0,
                    status,
                    i64_of(records),
                    error,
                    crate::util::now_ms().0
                ],
            )
            .ctx("state pulled")?;
        Ok(())
    }

    /// Notes a media file to fetch (kept until it is written).
    pub fn add_pending_media(
        &self,
        blob_id: &BlobId,
        dest: &Path,
        origin: &DeviceId,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO pending_media (blob_id, dest_path, origin_device, status, last_error, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5)
                 ON CONFLICT(blob_id) DO UPDATE SET last_error = ?4, updated_at = ?5",
                params![blob_id.to_hex(), dest.to_string_lossy(), origin.as_str(), error, crate::util::now_ms().0],
            )
            .ctx("state pending media")?;
        Ok(())
    }

    /// Media files still to fetch: `(blob_id, dest)`.
    pub fn pending_media(&self) -> Result<Vec<(BlobId, PathBuf)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT blob_id, dest_path FROM pending_media ORDER BY updated_at, blob_id")
            .ctx("state pending media")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).ctx("state pending media")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, dest) = row.ctx("state pending media")?;
            out.push((parse(&id, "blob id")?, PathBuf::from(dest)));
        }
        Ok(out)
    }

    /// Drops a fetched media file from the to-do list.
    pub fn done_pending_media(&self, blob_id: &BlobId) -> Result<()> {
        self.conn
            .execute("DELETE FROM pending_media WHERE blob_id = ?1", [blob_id.to_hex()])
            .ctx("state pending media")?;
        Ok(())
    }

    /// Totals for `status`.
    pub fn summary(&self) -> Result<StateSummary> {
        let one =
            |sql: &str| -> Result<i64> { self.conn.query_row(sql, [], |r| r.get::<_, i64>(0)).ctx("state summary") };
        let last: Option<i64> =
            self.conn.query_row("SELECT MAX(synced_at) FROM sync_state", [], |r| r.get(0)).ctx("state summary")?;
        Ok(StateSummary {
            uploaded_blobs: u64_of(one("SELECT COUNT(*) FROM sync_state")?),
            uploaded_bytes: u64_of(one("SELECT COALESCE(SUM(size_bytes), 0) FROM sync_state")?),
            pending_uploads: u64_of(one("SELECT COUNT(*) FROM pending_uploads")?),
            missing_media: u64_of(one("SELECT COUNT(*) FROM media WHERE status = 'missing'")?),
            pulled_blobs: u64_of(one("SELECT COUNT(*) FROM pulled_blobs WHERE status = 'imported'")?),
            failed_pulls: u64_of(one("SELECT COUNT(*) FROM pulled_blobs WHERE status = 'failed'")?),
            pending_media: u64_of(one("SELECT COUNT(*) FROM pending_media")?),
            last_upload: last.map(UnixMillis),
        })
    }
}

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
        std::fs::create_dir_all(state_dir).map_err(|e| SyncError::io(format!("create {}", state_dir.display()), e))?;
        let conn = Connection::open(state_dir.join("lock.sqlite3")).ctx("open the lock file")?;
        conn.busy_timeout(wait).ctx("lock busy_timeout")?;
        conn.execute_batch("PRAGMA journal_mode=DELETE; CREATE TABLE IF NOT EXISTS lock (x INTEGER);")
            .ctx("lock file")?;
        conn.execute_batch("BEGIN EXCLUSIVE; INSERT INTO lock (x) VALUES (1);").map_err(|e| {
            SyncError::State(format!("another screenpipe-sync process is working on this state folder ({e})"))
        })?;
        Ok(StateLock { _conn: conn })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_and_finish_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = StateDb::open(&dir.path().join("s.sqlite3")).unwrap();
        let id = db.device_id_or_new().unwrap();
        assert_eq!(db.device_id_or_new().unwrap(), id);
        let p = PendingUpload {
            blob_id: BlobId([3; 16]),
            blob_type: BlobType::Text,
            time_start: UnixMillis(1),
            time_end: UnixMillis(2),
            size_bytes: 10,
            checksum: Checksum([7; 32]),
            key_id: KeyId([1; 16]),
            tokens: vec![SearchToken::from_bytes(&[0; 16])],
            staging_file: dir.path().join("x.blob"),
            records: 5,
            media: None,
        };
        db.commit_plan(std::slice::from_ref(&p), &[], &[("text:frames".into(), 9)]).unwrap();
        assert_eq!(db.cursor("text:frames").unwrap(), 9);
        db.commit_plan(&[], &[], &[("text:frames".into(), 3)]).unwrap();
        assert_eq!(db.cursor("text:frames").unwrap(), 9, "cursors never move back");
        assert_eq!(db.pending().unwrap(), vec![p.clone()]);
        db.finish_upload(&p).unwrap();
        assert!(db.pending().unwrap().is_empty());
        assert_eq!(db.synced_blobs().unwrap().len(), 1);
        let s = db.summary().unwrap();
        assert_eq!((s.uploaded_blobs, s.pending_uploads, s.uploaded_bytes), (1, 0, 10));
        let mut guard = db.key_guard().unwrap();
        guard.observe(2, &KeyId([5; 16]));
        db.save_key_guard(&guard).unwrap();
        assert_eq!(db.key_guard().unwrap(), guard);
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path(), std::time::Duration::from_millis(10)).unwrap();
        assert!(StateLock::acquire(dir.path(), std::time::Duration::from_millis(10)).is_err());
        drop(first);
        StateLock::acquire(dir.path(), std::time::Duration::from_millis(10)).unwrap();
    }
}
