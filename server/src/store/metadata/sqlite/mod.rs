//! The embedded metadata store: one SQLite file (WAL mode) via `rusqlite`.
//!
//! One writer connection behind a mutex serialises writes (each operation is one transaction);
//! reads take a connection from a small pool, so searches run beside writes. All database work
//! runs on tokio's blocking pool.
//!
//! Search tokens live in `blob_tokens (user_id, token, blob_ref)`, a `WITHOUT ROWID` table whose
//! primary key is the lookup index, with the blob's time range and type beside each entry so a
//! search filters and ranks from the index alone and reads only the blobs it returns. Only
//! completed (visible) blobs are in the index: a pending blob keeps its tokens packed in its own
//! row until `/upload/complete` moves them in, and removing a blob removes exactly its entries.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use sync_core::wire::{Envelope, KeyringEntry, RecoveryEnvelope, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

use super::columns::{
    MetaColumns, array, corrupt, from_json, pack_tokens, parse_tier, to_i64, to_json, to_u64, type_code, unpack_tokens,
};
use super::{
    AccountKeys, BlobFilter, BlobMeta, BlobRecord, BlobState, CompleteOutcome, CreateKeysOutcome, CreateUserOutcome,
    DeclareOutcome, Device, KeysUpdate, ListCursor, MetadataStore, NewDevice, RegisterOutcome, RemovedBlobs, SearchHit,
    SubscriptionChange, SubscriptionOutcome, TokenBytes, TokenHash, UpdateKeysOutcome, Usage, User, UserSummary,
};
use crate::store::{ObjectKey, StoreError, StoreResult};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS server_settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id                   INTEGER PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    token_hash           BLOB NOT NULL UNIQUE,
    tier                 TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    storage_used         INTEGER NOT NULL DEFAULT 0,
    stripe_customer      TEXT UNIQUE,
    stripe_event_created INTEGER
);
CREATE TABLE IF NOT EXISTS account_keys (
    user_id           INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    envelope          TEXT NOT NULL,
    recovery_envelope TEXT,
    keyring           TEXT NOT NULL,
    revision          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id    TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    device_os    TEXT NOT NULL,
    app_version  TEXT,
    created_at   INTEGER NOT NULL,
    last_sync_at INTEGER,
    PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blob_id      BLOB NOT NULL,
    blob_type    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    time_start   INTEGER NOT NULL,
    time_end     INTEGER NOT NULL,
    size_bytes   INTEGER NOT NULL,
    checksum     BLOB NOT NULL,
    key_id       BLOB NOT NULL,
    tokens       BLOB NOT NULL,
    state        INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    completed_at INTEGER,
    UNIQUE (user_id, blob_id)
);
CREATE INDEX IF NOT EXISTS blobs_by_time ON blobs (user_id, state, time_start, blob_id);
CREATE INDEX IF NOT EXISTS blobs_by_end ON blobs (state, time_end);
CREATE INDEX IF NOT EXISTS blobs_by_update ON blobs (state, updated_at);
CREATE TABLE IF NOT EXISTS blob_tokens (
    user_id    INTEGER NOT NULL,
    token      BLOB NOT NULL,
    blob_ref   INTEGER NOT NULL,
    time_start INTEGER NOT NULL,
    time_end   INTEGER NOT NULL,
    type_code  INTEGER NOT NULL,
    PRIMARY KEY (user_id, token, blob_ref)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stripe_events (
    event_id    TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL
);
"#;

const PENDING: i64 = 0;
const COMPLETE: i64 = 1;

/// Columns of a blob's metadata, in the order [`row_to_meta`] reads them.
const META_COLUMNS: &str =
    "b.blob_id, b.blob_type, b.device_id, b.time_start, b.time_end, b.size_bytes, b.checksum, b.key_id";

/// The SQLite metadata store.
pub struct SqliteMetadata {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a transaction open (rusqlite rolls back on
    // drop), so a poisoned lock is safe to reuse.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn open_connection(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The token index outgrows SQLite's 2 MB default page cache quickly: read through a memory
    // map (shared by every connection via the OS page cache) and give each connection 32 MiB.
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    conn.pragma_update(None, "cache_size", -32_768i64)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn row_to_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn make_user((id, email, tier, created_at): (i64, String, String, i64)) -> StoreResult<User> {
    Ok(User { id, email, tier: parse_tier(&tier)?, created_at: UnixMillis(created_at) })
}

/// Raw columns of a blob's metadata, read inside rusqlite's row closures.
type MetaRow = (Vec<u8>, String, String, i64, i64, i64, Vec<u8>, Vec<u8>);

fn read_meta_row(row: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<MetaRow> {
    Ok((
        row.get(offset)?,
        row.get(offset + 1)?,
        row.get(offset + 2)?,
        row.get(offset + 3)?,
        row.get(offset + 4)?,
        row.get(offset + 5)?,
        row.get(offset + 6)?,
        row.get(offset + 7)?,
    ))
}

fn row_to_meta(raw: MetaRow) -> StoreResult<BlobMeta> {
    let (blob_id, blob_type, device_id, time_start, time_end, size_bytes, checksum, key_id) = raw;
    MetaColumns {
        blob_id: &blob_id,
        blob_type: &blob_type,
        device_id,
        time_start,
        time_end,
        size_bytes,
        checksum: &checksum,
        key_id: &key_id,
    }
    .into_meta()
}

const INSERT_TOKEN: &str =
    "INSERT OR IGNORE INTO blob_tokens (user_id, token, blob_ref, time_start, time_end, type_code)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

fn read_keys(tx: &Connection, user_id: i64) -> StoreResult<Option<AccountKeys>> {
    let row = tx
        .prepare_cached("SELECT envelope, recovery_envelope, keyring, revision FROM account_keys WHERE user_id = ?1")?
        .query_row([user_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })
        .optional()?;
    let Some((envelope, recovery, keyring, revision)) = row else { return Ok(None) };
    Ok(Some(AccountKeys {
        envelope: from_json::<Envelope>(&envelope, "envelope")?,
        recovery_envelope: recovery.map(|r| from_json::<RecoveryEnvelope>(&r, "recovery envelope")).transpose()?,
        keyring: from_json::<Vec<KeyringEntry>>(&keyring, "keyring")?,
        revision: to_u64(revision)?,
    }))
}

fn storage_used(tx: &Connection, user_id: i64) -> StoreResult<u64> {
    let used: i64 = tx
        .prepare_cached("SELECT storage_used FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    to_u64(used)
}

/// A blob row to remove: `(id, user_id, blob_id, size, tokens, state)`.
type RemovalRow = (i64, i64, Vec<u8>, i64, Vec<u8>, i64);

/// Removes blob rows with their tokens.
fn remove_blob_rows(tx: &Transaction<'_>, rows: Vec<RemovalRow>) -> StoreResult<RemovedBlobs> {
    let mut removed = RemovedBlobs::default();
    for (id, user_id, blob_id, size, tokens, state) in rows {
        if state == COMPLETE {
            let mut del =
                tx.prepare_cached("DELETE FROM blob_tokens WHERE user_id = ?1 AND token = ?2 AND blob_ref = ?3")?;
            for token in unpack_tokens(&tokens) {
                del.execute(params![user_id, &token[..], id])?;
            }
        }
        tx.prepare_cached("DELETE FROM blobs WHERE id = ?1")?.execute([id])?;
        if state == COMPLETE {
            tx.prepare_cached("UPDATE users SET storage_used = MAX(0, storage_used - ?2) WHERE id = ?1")?
                .execute(params![user_id, size])?;
            removed.completed += 1;
            removed.freed_bytes = removed.freed_bytes.saturating_add(to_u64(size)?);
        }
        removed.objects.push(ObjectKey { user_id, blob_id: BlobId(array(&blob_id, "blob_id")?) });
    }
    Ok(removed)
}

/// Removes every blob row of an account with its index, in one go (the account is being emptied
/// or deleted, so its `storage_used` is the caller's to reset).
fn remove_all_blob_rows(tx: &Transaction<'_>, user_id: i64) -> StoreResult<RemovedBlobs> {
    let mut removed = RemovedBlobs::default();
    {
        let mut stmt = tx.prepare("SELECT blob_id, state, size_bytes FROM blobs WHERE user_id = ?1")?;
        let rows =
            stmt.query_map([user_id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (blob_id, state, size) = row?;
            if state == COMPLETE {
                removed.completed += 1;
                removed.freed_bytes = removed.freed_bytes.saturating_add(to_u64(size)?);
            }
            removed.objects.push(ObjectKey { user_id, blob_id: BlobId(array(&blob_id, "blob_id")?) });
        }
    }
    tx.execute("DELETE FROM blob_tokens WHERE user_id = ?1", [user_id])?;
    tx.execute("DELETE FROM blobs WHERE user_id = ?1", [user_id])?;
    Ok(removed)
}

/// Appends the SQL conditions of a filter (on table alias `b`) and their parameters.
fn filter_sql(filter: &BlobFilter, params: &mut Vec<Value>) -> String {
    let mut sql = String::new();
    if let Some((start, end)) = filter.time_range {
        sql.push_str(" AND b.time_end >= ? AND b.time_start <= ?");
        params.push(Value::Integer(start.0));
        params.push(Value::Integer(end.0));
    }
    if let Some(types) = &filter.blob_types {
        sql.push_str(" AND b.blob_type IN (");
        sql.push_str(&placeholders(types.len()));
        sql.push(')');
        params.extend(types.iter().map(|t| Value::Text(t.as_str().to_owned())));
    }
    if let Some(devices) = &filter.device_ids {
        sql.push_str(" AND b.device_id IN (");
        sql.push_str(&placeholders(devices.len()));
        sql.push(')');
        params.extend(devices.iter().map(|d| Value::Text(d.as_str().to_owned())));
    }
    sql
}

fn placeholders(n: usize) -> String {
    if n == 0 {
        // `IN ()` is valid in SQLite and matches nothing, but spell it portably.
        return "NULL".to_owned();
    }
    let mut s = "?,".repeat(n);
    s.pop();
    s
}

impl SqliteMetadata {
    /// Opens (creating if needed) the database file and its schema.
    pub fn open(path: &Path) -> StoreResult<SqliteMetadata> {
        let conn = open_connection(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteMetadata {
            path: path.to_owned(),
            writer: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Inserts completed blobs with their tokens in one transaction, skipping ids that exist
    /// (bulk import for benchmarks and migrations; the routes use [`MetadataStore`]).
    pub async fn bulk_insert_completed(
        &self,
        user_id: i64,
        blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
        now: UnixMillis,
    ) -> StoreResult<u64> {
        self.write(move |tx| {
            let mut inserted = 0u64;
            let mut added: u64 = 0;
            let mut blob = tx.prepare_cached(
                "INSERT OR IGNORE INTO blobs (user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes,
                   checksum, key_id, tokens, state, created_at, updated_at, completed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?11, ?11)",
            )?;
            let mut token = tx.prepare_cached(INSERT_TOKEN)?;
            // Index rows go in after the blob rows, in key order: far fewer page splits and
            // cache misses than each blob's random tokens one blob at a time.
            let mut rows: Vec<(TokenBytes, i64, i64, i64, i64)> = Vec::new();
            for (meta, tokens) in blobs {
                let n = blob.execute(params![
                    user_id,
                    &meta.blob_id.0[..],
                    meta.blob_type.as_str(),
                    meta.device_id.as_str(),
                    meta.time_start.0,
                    meta.time_end.0,
                    to_i64(meta.size_bytes)?,
                    &meta.checksum.0[..],
                    &meta.key_id.0[..],
                    pack_tokens(&tokens),
                    now.0
                ])?;
                if n == 0 {
                    continue;
                }
                let blob_ref = tx.last_insert_rowid();
                let code = i64::from(type_code(meta.blob_type));
                rows.extend(tokens.iter().map(|t| (*t, blob_ref, meta.time_start.0, meta.time_end.0, code)));
                inserted += 1;
                added = added.saturating_add(meta.size_bytes);
            }
            rows.sort_unstable();
            for (t, blob_ref, start, end, code) in rows {
                token.execute(params![user_id, &t[..], blob_ref, start, end, code])?;
            }
            tx.execute(
                "UPDATE users SET storage_used = storage_used + ?2 WHERE id = ?1",
                params![user_id, to_i64(added)?],
            )?;
            Ok(inserted)
        })
        .await
    }

    /// Runs `f` in one write transaction on the blocking pool.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let writer = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&writer);
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await?
    }

    /// Runs `f` on a pooled read connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&readers).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => open_connection(&path)?,
            };
            let out = f(&conn);
            let mut pool = lock(&readers);
            if pool.len() < 8 {
                pool.push(conn);
            }
            out
        })
        .await?
    }
}

#[async_trait]
impl MetadataStore for SqliteMetadata {
    async fn url_signing_secret(&self) -> StoreResult<[u8; 32]> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        self.write(move |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO server_settings (name, value) VALUES ('url_signing_secret', ?1)",
                [&fresh[..]],
            )?;
            let value: Vec<u8> =
                tx.query_row("SELECT value FROM server_settings WHERE name = 'url_signing_secret'", [], |r| r.get(0))?;
            array(&value, "url signing secret")
        })
        .await
    }

    async fn create_user(
        &self,
        email: &str,
        tier: SyncTier,
        token_hash: TokenHash,
        now: UnixMillis,
    ) -> StoreResult<CreateUserOutcome> {
        let email = email.to_owned();
        self.write(move |tx| {
            let taken: Option<i64> =
                tx.query_row("SELECT id FROM users WHERE email = ?1", [&email], |r| r.get(0)).optional()?;
            if taken.is_some() {
                return Ok(CreateUserOutcome::EmailTaken);
            }
            tx.execute(
                "INSERT INTO users (email, token_hash, tier, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![email, &token_hash[..], tier.as_str(), now.0],
            )?;
            Ok(CreateUserOutcome::Created(User { id: tx.last_insert_rowid(), email, tier, created_at: now }))
        })
        .await
    }

    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>> {
        self.read(move |conn| {
            conn.prepare_cached("SELECT id, email, tier, created_at FROM users WHERE token_hash = ?1")?
                .query_row([&token_hash[..]], row_to_user)
                .optional()?
                .map(make_user)
                .transpose()
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT id, email, tier, created_at FROM users WHERE email = ?1")?
                .query_row([&email], row_to_user)
                .optional()?
                .map(make_user)
                .transpose()
        })
        .await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserSummary>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT u.id, u.email, u.tier, u.created_at,
                        (SELECT COUNT(*) FROM devices d WHERE d.user_id = u.id),
                        (SELECT COUNT(*) FROM blobs b WHERE b.user_id = u.id AND b.state = 1),
                        u.storage_used
                 FROM users u ORDER BY u.email",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((row_to_user(r)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?, r.get::<_, i64>(6)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (user, devices, blobs, used) = row?;
                out.push(UserSummary {
                    user: make_user(user)?,
                    device_count: u32::try_from(devices).unwrap_or(u32::MAX),
                    blob_count: to_u64(blobs)?,
                    storage_used: to_u64(used)?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn set_tier(&self, user_id: i64, tier: SyncTier) -> StoreResult<bool> {
        self.write(move |tx| {
            Ok(tx.execute("UPDATE users SET tier = ?2 WHERE id = ?1", params![user_id, tier.as_str()])? > 0)
        })
        .await
    }

    async fn set_token_hash(&self, user_id: i64, token_hash: TokenHash) -> StoreResult<bool> {
        self.write(move |tx| {
            Ok(tx.execute("UPDATE users SET token_hash = ?2 WHERE id = ?1", params![user_id, &token_hash[..]])? > 0)
        })
        .await
    }

    async fn delete_user(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| {
            let removed = remove_all_blob_rows(tx, user_id)?;
            tx.execute("DELETE FROM devices WHERE user_id = ?1", [user_id])?;
            tx.execute("DELETE FROM account_keys WHERE user_id = ?1", [user_id])?;
            tx.execute("DELETE FROM users WHERE id = ?1", [user_id])?;
            Ok(removed)
        })
        .await
    }

    async fn register_device(
        &self,
        user_id: i64,
        device: NewDevice,
        device_limit: Option<u32>,
        now: UnixMillis,
    ) -> StoreResult<RegisterOutcome> {
        self.write(move |tx| {
            let updated = tx.execute(
                "UPDATE devices SET device_name = ?3, device_os = ?4, app_version = ?5
                 WHERE user_id = ?1 AND device_id = ?2",
                params![user_id, device.device_id.as_str(), device.device_name, device.device_os, device.app_version],
            )?;
            if updated > 0 {
                return Ok(RegisterOutcome::AlreadyRegistered);
            }
            if let Some(limit) = device_limit {
                let count: i64 =
                    tx.query_row("SELECT COUNT(*) FROM devices WHERE user_id = ?1", [user_id], |r| r.get(0))?;
                if count >= i64::from(limit) {
                    return Ok(RegisterOutcome::LimitExceeded);
                }
            }
            tx.execute(
                "INSERT INTO devices (user_id, device_id, device_name, device_os, app_version, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    user_id,
                    device.device_id.as_str(),
                    device.device_name,
                    device.device_os,
                    device.app_version,
                    now.0
                ],
            )?;
            Ok(RegisterOutcome::Registered)
        })
        .await
    }

    async fn device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<Option<Device>> {
        let device_id = device_id.clone();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT device_name, device_os, app_version, created_at, last_sync_at
                 FROM devices WHERE user_id = ?1 AND device_id = ?2",
            )?
            .query_row(params![user_id, device_id.as_str()], |r| {
                Ok(Device {
                    device_id: device_id.clone(),
                    device_name: r.get(0)?,
                    device_os: r.get(1)?,
                    app_version: r.get(2)?,
                    created_at: UnixMillis(r.get(3)?),
                    last_sync_at: r.get::<_, Option<i64>>(4)?.map(UnixMillis),
                })
            })
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    async fn list_devices(&self, user_id: i64) -> StoreResult<Vec<Device>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT device_id, device_name, device_os, app_version, created_at, last_sync_at
                 FROM devices WHERE user_id = ?1 ORDER BY created_at, device_id",
            )?;
            let rows = stmt.query_map([user_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, os, version, created, last) = row?;
                out.push(Device {
                    device_id: DeviceId::new(id).map_err(corrupt("device_id"))?,
                    device_name: name,
                    device_os: os,
                    app_version: version,
                    created_at: UnixMillis(created),
                    last_sync_at: last.map(UnixMillis),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn remove_device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<bool> {
        let device_id = device_id.clone();
        self.write(move |tx| {
            Ok(tx.execute(
                "DELETE FROM devices WHERE user_id = ?1 AND device_id = ?2",
                params![user_id, device_id.as_str()],
            )? > 0)
        })
        .await
    }

    async fn keys(&self, user_id: i64) -> StoreResult<Option<AccountKeys>> {
        self.read(move |conn| read_keys(conn, user_id)).await
    }

    async fn create_keys(
        &self,
        user_id: i64,
        envelope: Envelope,
        recovery: RecoveryEnvelope,
    ) -> StoreResult<CreateKeysOutcome> {
        self.write(move |tx| {
            if let Some(existing) = read_keys(tx, user_id)? {
                return Ok(CreateKeysOutcome::Exists(existing));
            }
            tx.execute(
                "INSERT INTO account_keys (user_id, envelope, recovery_envelope, keyring, revision)
                 VALUES (?1, ?2, ?3, '[]', 1)",
                params![user_id, to_json(&envelope)?, to_json(&recovery)?],
            )?;
            Ok(CreateKeysOutcome::Created(AccountKeys {
                envelope,
                recovery_envelope: Some(recovery),
                keyring: Vec::new(),
                revision: 1,
            }))
        })
        .await
    }

    async fn update_keys(
        &self,
        user_id: i64,
        expected_revision: u64,
        update: KeysUpdate,
    ) -> StoreResult<UpdateKeysOutcome> {
        self.write(move |tx| {
            let Some(current) = read_keys(tx, user_id)? else { return Ok(UpdateKeysOutcome::NoKeys) };
            if current.revision != expected_revision {
                return Ok(UpdateKeysOutcome::Stale(current.revision));
            }
            let revision = current.revision.saturating_add(1);
            let (keyring, recovery) = match update.rotation {
                Some((keyring, recovery)) => (keyring, Some(recovery)),
                None => (current.keyring, current.recovery_envelope),
            };
            tx.execute(
                "UPDATE account_keys SET envelope = ?2, recovery_envelope = ?3, keyring = ?4, revision = ?5
                 WHERE user_id = ?1",
                params![
                    user_id,
                    to_json(&update.envelope)?,
                    recovery.as_ref().map(to_json).transpose()?,
                    to_json(&keyring)?,
                    to_i64(revision)?
                ],
            )?;
            Ok(UpdateKeysOutcome::Updated(revision))
        })
        .await
    }

    async fn declare_blob(
        &self,
        user_id: i64,
        meta: BlobMeta,
        tokens: Vec<TokenBytes>,
        now: UnixMillis,
    ) -> StoreResult<DeclareOutcome> {
        self.write(move |tx| {
            let existing = tx
                .prepare_cached(&format!(
                    "SELECT b.id, b.state, b.tokens, {META_COLUMNS} FROM blobs b WHERE b.user_id = ?1 AND b.blob_id = ?2"
                ))?
                .query_row(params![user_id, &meta.blob_id.0[..]], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?, read_meta_row(r, 3)?))
                })
                .optional()?;
            let packed = pack_tokens(&tokens);
            match existing {
                Some((_, COMPLETE, _, raw)) => {
                    return Ok(if row_to_meta(raw)? == meta {
                        DeclareOutcome::AlreadyComplete
                    } else {
                        DeclareOutcome::Conflict
                    });
                }
                Some((id, _, _, _)) => {
                    tx.prepare_cached(
                        "UPDATE blobs SET blob_type = ?2, device_id = ?3, time_start = ?4, time_end = ?5,
                           size_bytes = ?6, checksum = ?7, key_id = ?8, tokens = ?9, updated_at = ?10
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        meta.blob_type.as_str(),
                        meta.device_id.as_str(),
                        meta.time_start.0,
                        meta.time_end.0,
                        to_i64(meta.size_bytes)?,
                        &meta.checksum.0[..],
                        &meta.key_id.0[..],
                        packed,
                        now.0
                    ])?;
                }
                None => {
                    tx.prepare_cached(
                        "INSERT INTO blobs (user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes,
                           checksum, key_id, tokens, state, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
                    )?
                    .execute(params![
                        user_id,
                        &meta.blob_id.0[..],
                        meta.blob_type.as_str(),
                        meta.device_id.as_str(),
                        meta.time_start.0,
                        meta.time_end.0,
                        to_i64(meta.size_bytes)?,
                        &meta.checksum.0[..],
                        &meta.key_id.0[..],
                        packed,
                        PENDING,
                        now.0
                    ])?;
                }
            }
            Ok(DeclareOutcome::Pending)
        })
        .await
    }

    async fn blob(&self, user_id: i64, blob_id: BlobId) -> StoreResult<Option<BlobRecord>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT b.state, {META_COLUMNS} FROM blobs b WHERE b.user_id = ?1 AND b.blob_id = ?2"
                ))?
                .query_row(params![user_id, &blob_id.0[..]], |r| Ok((r.get::<_, i64>(0)?, read_meta_row(r, 1)?)))
                .optional()?;
            row.map(|(state, raw)| {
                Ok(BlobRecord {
                    meta: row_to_meta(raw)?,
                    state: if state == COMPLETE { BlobState::Complete } else { BlobState::Pending },
                })
            })
            .transpose()
        })
        .await
    }

    async fn complete_blob(
        &self,
        user_id: i64,
        blob_id: BlobId,
        device_id: &DeviceId,
        storage_limit: u64,
        now: UnixMillis,
    ) -> StoreResult<CompleteOutcome> {
        let device_id = device_id.clone();
        self.write(move |tx| {
            let row = tx
                .prepare_cached(
                    "SELECT id, state, size_bytes, tokens, time_start, time_end, blob_type
                     FROM blobs WHERE user_id = ?1 AND blob_id = ?2",
                )?
                .query_row(params![user_id, &blob_id.0[..]], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .optional()?;
            let Some((id, state, size, tokens, start, end, kind)) = row else { return Ok(CompleteOutcome::NotFound) };
            let used = storage_used(tx, user_id)?;
            if state == COMPLETE {
                return Ok(CompleteOutcome::AlreadyComplete { storage_used: used });
            }
            let size = to_u64(size)?;
            let after = used.saturating_add(size);
            if after > storage_limit {
                return Ok(CompleteOutcome::QuotaExceeded { storage_used: used });
            }
            tx.prepare_cached("UPDATE blobs SET state = ?2, completed_at = ?3, updated_at = ?3 WHERE id = ?1")?
                .execute(params![id, COMPLETE, now.0])?;
            let code = type_code(kind.parse::<BlobType>().map_err(corrupt("blob_type"))?);
            let mut insert = tx.prepare_cached(INSERT_TOKEN)?;
            for token in unpack_tokens(&tokens) {
                insert.execute(params![user_id, &token[..], id, start, end, code])?;
            }
            tx.prepare_cached("UPDATE users SET storage_used = ?2 WHERE id = ?1")?
                .execute(params![user_id, to_i64(after)?])?;
            tx.prepare_cached("UPDATE devices SET last_sync_at = ?3 WHERE user_id = ?1 AND device_id = ?2")?
                .execute(params![user_id, device_id.as_str(), now.0])?;
            Ok(CompleteOutcome::Completed { storage_used: after })
        })
        .await
    }

    async fn blobs_by_ids(&self, user_id: i64, ids: Vec<BlobId>) -> StoreResult<Vec<BlobMeta>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = ?1 AND b.blob_id = ?2 AND b.state = 1"
            ))?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(raw) = stmt.query_row(params![user_id, &id.0[..]], |r| read_meta_row(r, 0)).optional()? {
                    out.push(row_to_meta(raw)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn list_blobs(
        &self,
        user_id: i64,
        filter: BlobFilter,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<BlobMeta>> {
        self.read(move |conn| {
            let mut values = vec![Value::Integer(user_id)];
            let mut sql = format!("SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = ? AND b.state = 1");
            if let Some(cursor) = after {
                sql.push_str(" AND (b.time_start > ? OR (b.time_start = ? AND b.blob_id > ?))");
                values.push(Value::Integer(cursor.time_start.0));
                values.push(Value::Integer(cursor.time_start.0));
                values.push(Value::Blob(cursor.blob_id.0.to_vec()));
            }
            sql.push_str(&filter_sql(&filter, &mut values));
            sql.push_str(" ORDER BY b.time_start, b.blob_id LIMIT ?");
            values.push(Value::Integer(i64::from(limit)));
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(values), |r| read_meta_row(r, 0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row_to_meta(row?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn search(
        &self,
        user_id: i64,
        tokens: Vec<TokenBytes>,
        filter: BlobFilter,
        limit: u32,
    ) -> StoreResult<(Vec<SearchHit>, u64)> {
        self.read(move |conn| {
            // Count matching tokens per blob straight from the index (its entries carry the
            // time range and type, so filters need no blob rows), then read only the page.
            let types: Option<Vec<i64>> = filter.blob_types.as_ref().map(|t| t.iter().map(|b| i64::from(type_code(*b))).collect());
            let filtered = filter.time_range.is_some() || types.is_some();
            // `(blob_ref, time_end)` of every matching entry; each token's entries come in
            // `blob_ref` order, so a run-aware stable sort merges them in O(n log tokens).
            let mut entries: Vec<(i64, i64)> = Vec::new();
            {
                let mut stmt = conn.prepare_cached(if filtered {
                    "SELECT blob_ref, time_end, time_start, type_code FROM blob_tokens WHERE user_id = ?1 AND token = ?2"
                } else {
                    "SELECT blob_ref, time_end FROM blob_tokens WHERE user_id = ?1 AND token = ?2"
                })?;
                for token in &tokens {
                    let mut rows = stmt.query(params![user_id, &token[..]])?;
                    while let Some(row) = rows.next()? {
                        let (blob_ref, end): (i64, i64) = (row.get(0)?, row.get(1)?);
                        if filtered {
                            let (start, code): (i64, i64) = (row.get(2)?, row.get(3)?);
                            if let Some((from, to)) = filter.time_range
                                && (end < from.0 || start > to.0)
                            {
                                continue;
                            }
                            if let Some(types) = &types
                                && !types.contains(&code)
                            {
                                continue;
                            }
                        }
                        entries.push((blob_ref, end));
                    }
                }
            }
            entries.sort_by_key(|e| e.0);
            let counts: Vec<(i64, (u32, i64))> = entries
                .chunk_by(|a, b| a.0 == b.0)
                .filter_map(|run| run.first().map(|&(r, end)| (r, (u32::try_from(run.len()).unwrap_or(u32::MAX), end))))
                .collect();
            let total = counts.len() as u64;
            // Most tokens first, then newest time_end first, then the oldest row (stable).
            let mut ranked: Vec<(u32, i64, i64)> = counts.into_iter().map(|(r, (n, end))| (n, end, r)).collect();
            let order = |a: &(u32, i64, i64), b: &(u32, i64, i64)| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2));
            let limit = limit as usize;
            if ranked.len() > limit {
                ranked.select_nth_unstable_by(limit, order);
                ranked.truncate(limit);
            }
            ranked.sort_unstable_by(order);
            let mut stmt = conn.prepare_cached(&format!("SELECT {META_COLUMNS} FROM blobs b WHERE b.id = ?1"))?;
            let mut hits = Vec::with_capacity(ranked.len());
            for (n, _, blob_ref) in ranked {
                let raw = stmt.query_row([blob_ref], |r| read_meta_row(r, 0))?;
                hits.push(SearchHit { meta: row_to_meta(raw)?, match_count: n });
            }
            Ok((hits, total))
        })
        .await
    }

    async fn storage_used(&self, user_id: i64) -> StoreResult<u64> {
        self.read(move |conn| storage_used(conn, user_id)).await
    }

    async fn usage(&self, user_id: i64) -> StoreResult<Usage> {
        self.read(move |conn| {
            let mut usage = Usage::default();
            {
                let mut stmt = conn.prepare_cached(
                    "SELECT blob_type, SUM(size_bytes), COUNT(*), MAX(completed_at), MIN(time_start), MAX(time_end)
                     FROM blobs WHERE user_id = ?1 AND state = 1 GROUP BY blob_type",
                )?;
                let rows = stmt.query_map([user_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                    ))
                })?;
                for row in rows {
                    let (kind, bytes, count, last, oldest, newest) = row?;
                    let bytes = to_u64(bytes)?;
                    match kind.parse::<BlobType>().map_err(corrupt("blob_type"))? {
                        BlobType::Text => usage.text_bytes = bytes,
                        BlobType::Frames => usage.frames_bytes = bytes,
                        BlobType::Audio => usage.audio_bytes = bytes,
                    }
                    usage.total_blobs += to_u64(count)?;
                    usage.last_sync = usage.last_sync.max(last.map(UnixMillis));
                    usage.oldest_data = match (usage.oldest_data, oldest.map(UnixMillis)) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    usage.newest_data = usage.newest_data.max(newest.map(UnixMillis));
                }
            }
            let devices: i64 = conn
                .prepare_cached("SELECT COUNT(*) FROM devices WHERE user_id = ?1")?
                .query_row([user_id], |r| r.get(0))?;
            usage.device_count = u32::try_from(devices).unwrap_or(u32::MAX);
            Ok(usage)
        })
        .await
    }

    async fn delete_all_blobs(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| {
            let removed = remove_all_blob_rows(tx, user_id)?;
            tx.execute("UPDATE users SET storage_used = 0 WHERE id = ?1", [user_id])?;
            Ok(removed)
        })
        .await
    }

    async fn remove_expired_blobs(&self, tier: SyncTier, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| {
            let rows = {
                let mut stmt = tx.prepare_cached(
                    "SELECT b.id, b.user_id, b.blob_id, b.size_bytes, b.tokens, b.state
                     FROM blobs b JOIN users u ON u.id = b.user_id
                     WHERE b.state = 1 AND b.time_end < ?1 AND u.tier = ?2 LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![cutoff.0, tier.as_str(), i64::from(batch)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            remove_blob_rows(tx, rows)
        })
        .await
    }

    async fn remove_abandoned_uploads(&self, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| {
            let rows = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id, user_id, blob_id, size_bytes, tokens, state
                     FROM blobs WHERE state = 0 AND updated_at < ?1 LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![cutoff.0, i64::from(batch)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            remove_blob_rows(tx, rows)
        })
        .await
    }

    async fn missing_blobs(&self, keys: Vec<ObjectKey>) -> StoreResult<Vec<ObjectKey>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT 1 FROM blobs WHERE user_id = ?1 AND blob_id = ?2")?;
            let mut missing = Vec::new();
            for key in keys {
                if !stmt.exists(params![key.user_id, &key.blob_id.0[..]])? {
                    missing.push(key);
                }
            }
            Ok(missing)
        })
        .await
    }

    async fn record_stripe_event(&self, event_id: &str, now: UnixMillis) -> StoreResult<bool> {
        let event_id = event_id.to_owned();
        self.write(move |tx| {
            Ok(tx.execute(
                "INSERT OR IGNORE INTO stripe_events (event_id, received_at) VALUES (?1, ?2)",
                params![event_id, now.0],
            )? > 0)
        })
        .await
    }

    async fn apply_subscription(
        &self,
        event_id: &str,
        change: SubscriptionChange,
        now: UnixMillis,
    ) -> StoreResult<SubscriptionOutcome> {
        let event_id = event_id.to_owned();
        self.write(move |tx| {
            let fresh = tx.execute(
                "INSERT OR IGNORE INTO stripe_events (event_id, received_at) VALUES (?1, ?2)",
                params![event_id, now.0],
            )? > 0;
            if !fresh {
                return Ok(SubscriptionOutcome::Duplicate);
            }
            let by_customer = tx
                .query_row(
                    "SELECT id, email, stripe_event_created FROM users WHERE stripe_customer = ?1",
                    [&change.customer],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?)),
                )
                .optional()?;
            let user = match (by_customer, &change.email) {
                (Some(user), _) => Some(user),
                (None, Some(email)) => tx
                    .query_row(
                        "SELECT id, email, stripe_event_created FROM users
                         WHERE email = ?1 AND stripe_customer IS NULL",
                        [email.to_lowercase()],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?)),
                    )
                    .optional()?,
                (None, None) => None,
            };
            let Some((user_id, email, last_event)) = user else { return Ok(SubscriptionOutcome::NoSuchUser) };
            if last_event.is_some_and(|last| last > change.event_created) {
                return Ok(SubscriptionOutcome::Outdated);
            }
            tx.execute(
                "UPDATE users SET tier = ?2, stripe_customer = ?3, stripe_event_created = ?4 WHERE id = ?1",
                params![user_id, change.tier.as_str(), change.customer, change.event_created],
            )?;
            Ok(SubscriptionOutcome::Applied { email })
        })
        .await
    }
}
