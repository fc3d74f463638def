//! The metadata store at scale: PostgreSQL via `tokio-postgres` and a `deadpool-postgres` pool.
//!
//! Same tables, columns and semantics as the SQLite store ([`super::sqlite`]), so that any
//! number of server processes can share one database:
//! - Migrations are numbered and recorded in `schema_migrations`; a process applies the missing
//!   ones at start under a session advisory lock, so processes starting together do not race.
//! - Every transaction that changes one account's rows first locks that account's `users` row
//!   (`SELECT ... FOR UPDATE`). Writes of one account are therefore serialised across processes
//!   (quotas and device limits never overshoot, a blob's state changes once), the lock order is
//!   always user row, then blob rows (no deadlocks), and different accounts never wait on each
//!   other.
//! - The cleanup job picks candidates without locks, then removes them per account under that
//!   account's lock, re-checking the condition, so two processes cleaning at once remove each
//!   blob once.
//! - Search counts matching tokens per blob in one `GROUP BY` over the token index
//!   (`blob_tokens`, primary key `(user_id, token, blob_ref)`, time range and type beside each
//!   entry), ranks and limits in SQL, and joins only the returned page with `blobs`.
//!
//! TLS: the connection string's `sslmode` applies (`prefer` by default, `require` to insist);
//! server certificates are checked against the Mozilla roots (`webpki-roots`).

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use sync_core::wire::{Envelope, KeyringEntry, RecoveryEnvelope, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::columns::{
    MetaColumns, array, corrupt, from_json, pack_tokens, parse_tier, to_i64, to_json, to_u64, type_code,
};
use super::{
    AccountKeys, BlobFilter, BlobMeta, BlobRecord, BlobState, CompleteOutcome, CreateKeysOutcome, CreateUserOutcome,
    DeclareOutcome, Device, KeysUpdate, ListCursor, MetadataStore, NewDevice, RegisterOutcome, RemovedBlobs, SearchHit,
    SubscriptionChange, SubscriptionOutcome, TokenBytes, TokenHash, UpdateKeysOutcome, Usage, User, UserSummary,
};
use crate::store::{ObjectKey, StoreError, StoreResult};

/// Numbered migrations, applied in order, each in its own transaction.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    r#"
CREATE TABLE server_settings (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
CREATE TABLE users (
    id                   BIGSERIAL PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    token_hash           BYTEA NOT NULL UNIQUE,
    tier                 TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    storage_used         BIGINT NOT NULL DEFAULT 0,
    stripe_customer      TEXT UNIQUE,
    stripe_event_created BIGINT
);
CREATE TABLE account_keys (
    user_id           BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    envelope          TEXT NOT NULL,
    recovery_envelope TEXT,
    keyring           TEXT NOT NULL,
    revision          BIGINT NOT NULL
);
CREATE TABLE devices (
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id    TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    device_os    TEXT NOT NULL,
    app_version  TEXT,
    created_at   BIGINT NOT NULL,
    last_sync_at BIGINT,
    PRIMARY KEY (user_id, device_id)
);
CREATE TABLE blobs (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blob_id      BYTEA NOT NULL,
    blob_type    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    time_start   BIGINT NOT NULL,
    time_end     BIGINT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    checksum     BYTEA NOT NULL,
    key_id       BYTEA NOT NULL,
    tokens       BYTEA NOT NULL,
    state        SMALLINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    completed_at BIGINT,
    UNIQUE (user_id, blob_id)
);
CREATE INDEX blobs_by_time ON blobs (user_id, state, time_start, blob_id);
CREATE INDEX blobs_by_end ON blobs (state, time_end);
CREATE INDEX blobs_by_update ON blobs (state, updated_at);
CREATE TABLE blob_tokens (
    user_id    BIGINT NOT NULL,
    token      BYTEA NOT NULL,
    blob_ref   BIGINT NOT NULL,
    time_start BIGINT NOT NULL,
    time_end   BIGINT NOT NULL,
    type_code  SMALLINT NOT NULL,
    PRIMARY KEY (user_id, token, blob_ref)
);
CREATE TABLE stripe_events (
    event_id    TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
"#,
)];

/// Key of the advisory lock held while migrating (any constant; "spsync" in ASCII).
const MIGRATION_LOCK: i64 = 0x7370_7379_6e63;

const PENDING: i16 = 0;
const COMPLETE: i16 = 1;

/// Columns of a blob's metadata, in the order [`row_to_meta`] reads them.
const META_COLUMNS: &str =
    "b.blob_id, b.blob_type, b.device_id, b.time_start, b.time_end, b.size_bytes, b.checksum, b.key_id";

/// Default pool size per process.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The PostgreSQL metadata store.
pub struct PostgresMetadata {
    pool: Pool,
}

fn db(err: impl std::fmt::Display) -> StoreError {
    StoreError::Database(err.to_string())
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> StoreError {
        // `Display` of a server error is only "db error"; the source carries the message.
        match err.as_db_error() {
            Some(e) => StoreError::Database(format!("{}: {}", e.code().code(), e.message())),
            None => StoreError::Database(err.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> StoreError {
        match err {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => db(other),
        }
    }
}

fn row_to_user(row: &Row) -> StoreResult<User> {
    Ok(User {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        tier: parse_tier(row.try_get(2)?)?,
        created_at: UnixMillis(row.try_get(3)?),
    })
}

/// Reads [`META_COLUMNS`] starting at column `offset`.
fn row_to_meta(row: &Row, offset: usize) -> StoreResult<BlobMeta> {
    MetaColumns {
        blob_id: row.try_get(offset)?,
        blob_type: row.try_get(offset + 1)?,
        device_id: row.try_get(offset + 2)?,
        time_start: row.try_get(offset + 3)?,
        time_end: row.try_get(offset + 4)?,
        size_bytes: row.try_get(offset + 5)?,
        checksum: row.try_get(offset + 6)?,
        key_id: row.try_get(offset + 7)?,
    }
    .into_meta()
}

/// A packed token column as the `bytea[]` parameter of `token = ANY($n)`.
fn token_params(packed: &[u8]) -> Vec<&[u8]> {
    packed.chunks_exact(16).collect()
}

/// Locks the account's row for the rest of the transaction; false when there is no account.
async fn lock_user(tx: &impl GenericClient, user_id: i64) -> StoreResult<bool> {
    let stmt = tx.prepare_cached("SELECT 1 FROM users WHERE id = $1 FOR UPDATE").await?;
    Ok(tx.query_opt(&stmt, &[&user_id]).await?.is_some())
}

async fn read_keys(client: &impl GenericClient, user_id: i64) -> StoreResult<Option<AccountKeys>> {
    let stmt = client
        .prepare_cached("SELECT envelope, recovery_envelope, keyring, revision FROM account_keys WHERE user_id = $1")
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&user_id]).await? else { return Ok(None) };
    let recovery: Option<&str> = row.try_get(1)?;
    Ok(Some(AccountKeys {
        envelope: from_json::<Envelope>(row.try_get(0)?, "envelope")?,
        recovery_envelope: recovery.map(|r| from_json::<RecoveryEnvelope>(r, "recovery envelope")).transpose()?,
        keyring: from_json::<Vec<KeyringEntry>>(row.try_get(2)?, "keyring")?,
        revision: to_u64(row.try_get(3)?)?,
    }))
}

async fn storage_used(client: &impl GenericClient, user_id: i64) -> StoreResult<u64> {
    let stmt = client.prepare_cached("SELECT storage_used FROM users WHERE id = $1").await?;
    match client.query_opt(&stmt, &[&user_id]).await? {
        Some(row) => to_u64(row.try_get(0)?),
        None => Ok(0),
    }
}

/// Removes blob rows (already locked through their owner) with their index entries.
async fn remove_blob_rows(tx: &impl GenericClient, rows: &[Row]) -> StoreResult<RemovedBlobs> {
    let mut removed = RemovedBlobs::default();
    let del_tokens =
        tx.prepare_cached("DELETE FROM blob_tokens WHERE user_id = $1 AND token = ANY($2) AND blob_ref = $3").await?;
    let del_blob = tx.prepare_cached("DELETE FROM blobs WHERE id = $1").await?;
    let shrink =
        tx.prepare_cached("UPDATE users SET storage_used = GREATEST(0, storage_used - $2) WHERE id = $1").await?;
    // Columns: id, user_id, blob_id, size_bytes, tokens, state.
    for row in rows {
        let id: i64 = row.try_get(0)?;
        let user_id: i64 = row.try_get(1)?;
        let blob_id: &[u8] = row.try_get(2)?;
        let size: i64 = row.try_get(3)?;
        let tokens: &[u8] = row.try_get(4)?;
        let state: i16 = row.try_get(5)?;
        if state == COMPLETE {
            tx.execute(&del_tokens, &[&user_id, &token_params(tokens), &id]).await?;
        }
        tx.execute(&del_blob, &[&id]).await?;
        if state == COMPLETE {
            tx.execute(&shrink, &[&user_id, &size]).await?;
            removed.completed += 1;
            removed.freed_bytes = removed.freed_bytes.saturating_add(to_u64(size)?);
        }
        removed.objects.push(ObjectKey { user_id, blob_id: BlobId(array(blob_id, "blob_id")?) });
    }
    Ok(removed)
}

/// Parameters of a dynamically built query.
type Params = Vec<Box<dyn ToSql + Sync + Send>>;

fn param_refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

/// Appends the SQL conditions of a filter on the blob columns of alias `b`.
fn filter_sql(filter: &BlobFilter, params: &mut Params) -> String {
    let mut sql = String::new();
    if let Some((start, end)) = filter.time_range {
        params.push(Box::new(start.0));
        sql.push_str(&format!(" AND b.time_end >= ${}", params.len()));
        params.push(Box::new(end.0));
        sql.push_str(&format!(" AND b.time_start <= ${}", params.len()));
    }
    if let Some(types) = &filter.blob_types {
        params.push(Box::new(types.iter().map(|t| t.as_str().to_owned()).collect::<Vec<String>>()));
        sql.push_str(&format!(" AND b.blob_type = ANY(${})", params.len()));
    }
    if let Some(devices) = &filter.device_ids {
        params.push(Box::new(devices.iter().map(|d| d.as_str().to_owned()).collect::<Vec<String>>()));
        sql.push_str(&format!(" AND b.device_id = ANY(${})", params.len()));
    }
    sql
}

impl PostgresMetadata {
    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=...`) with a
    /// pool of at most `pool_size` connections and applies the missing migrations.
    pub async fn connect(url: &str, pool_size: usize) -> StoreResult<PostgresMetadata> {
        let pg_config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Database(format!("invalid database URL: {e}")))?;
        // The process-wide crypto provider rustls needs (installing twice is harmless).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let tls = tokio_postgres_rustls::MakeRustlsConnect::with_webpki_roots();
        let manager = Manager::from_config(pg_config, tls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(db)?;
        let store = PostgresMetadata { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.pool.get().await?;
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await?;
        let result = async {
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
                )
                .await?;
            let current: i32 =
                client.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.try_get(0)?;
            for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
                let tx = client.transaction().await?;
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    &[version, &crate::time::now_ms().0],
                )
                .await?;
                tx.commit().await?;
                tracing::info!(version, "database migration applied");
            }
            Ok::<(), StoreError>(())
        }
        .await;
        client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await?;
        result
    }

    /// The schema version of the database (the highest applied migration).
    pub async fn schema_version(&self) -> StoreResult<i32> {
        let client = self.pool.get().await?;
        Ok(client.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.try_get(0)?)
    }

    /// Connections open or idle in the pool, and its maximum size.
    pub fn pool_status(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.max_size)
    }

    /// Removes the pending or completed blobs `ids` (row ids) of `user_id` that still match
    /// `condition` (SQL over alias `b`, parameters after `$2`), under the account's lock.
    async fn remove_for_user(
        &self,
        user_id: i64,
        ids: Vec<i64>,
        condition: &str,
        extra: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<RemovedBlobs> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if !lock_user(&tx, user_id).await? {
            tx.commit().await?;
            return Ok(RemovedBlobs::default());
        }
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&user_id, &ids];
        params.extend_from_slice(extra);
        let rows = tx
            .query(
                &format!(
                    "SELECT b.id, b.user_id, b.blob_id, b.size_bytes, b.tokens, b.state FROM blobs b
                     WHERE b.user_id = $1 AND b.id = ANY($2) AND {condition} FOR UPDATE"
                ),
                &params,
            )
            .await?;
        let removed = remove_blob_rows(&tx, &rows).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// Removes candidates `(id, user_id)` account by account; see [`Self::remove_for_user`].
    async fn remove_candidates(
        &self,
        candidates: Vec<Row>,
        condition: &str,
        extra: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<RemovedBlobs> {
        let mut by_user: HashMap<i64, Vec<i64>> = HashMap::new();
        for row in &candidates {
            by_user.entry(row.try_get(1)?).or_default().push(row.try_get(0)?);
        }
        let mut removed = RemovedBlobs::default();
        for (user_id, ids) in by_user {
            let part = self.remove_for_user(user_id, ids, condition, extra).await?;
            removed.objects.extend(part.objects);
            removed.completed += part.completed;
            removed.freed_bytes = removed.freed_bytes.saturating_add(part.freed_bytes);
        }
        Ok(removed)
    }
}

#[async_trait]
impl MetadataStore for PostgresMetadata {
    async fn url_signing_secret(&self) -> StoreResult<[u8; 32]> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO server_settings (name, value) VALUES ('url_signing_secret', $1) ON CONFLICT DO NOTHING",
                &[&&fresh[..]],
            )
            .await?;
        let row = client.query_one("SELECT value FROM server_settings WHERE name = 'url_signing_secret'", &[]).await?;
        array(row.try_get(0)?, "url signing secret")
    }

    async fn create_user(
        &self,
        email: &str,
        tier: SyncTier,
        token_hash: TokenHash,
        now: UnixMillis,
    ) -> StoreResult<CreateUserOutcome> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "INSERT INTO users (email, token_hash, tier, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (email) DO NOTHING RETURNING id",
                &[&email, &&token_hash[..], &tier.as_str(), &now.0],
            )
            .await?;
        Ok(match row {
            Some(row) => {
                CreateUserOutcome::Created(User { id: row.try_get(0)?, email: email.to_owned(), tier, created_at: now })
            }
            None => CreateUserOutcome::EmailTaken,
        })
    }

    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>> {
        let client = self.pool.get().await?;
        let stmt = client.prepare_cached("SELECT id, email, tier, created_at FROM users WHERE token_hash = $1").await?;
        client.query_opt(&stmt, &[&&token_hash[..]]).await?.as_ref().map(row_to_user).transpose()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let client = self.pool.get().await?;
        let stmt = client.prepare_cached("SELECT id, email, tier, created_at FROM users WHERE email = $1").await?;
        client.query_opt(&stmt, &[&email]).await?.as_ref().map(row_to_user).transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<UserSummary>> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT u.id, u.email, u.tier, u.created_at,
                        (SELECT COUNT(*) FROM devices d WHERE d.user_id = u.id),
                        (SELECT COUNT(*) FROM blobs b WHERE b.user_id = u.id AND b.state = 1),
                        u.storage_used
                 FROM users u ORDER BY u.email",
                &[],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(UserSummary {
                    user: row_to_user(row)?,
                    device_count: u32::try_from(row.try_get::<_, i64>(4)?).unwrap_or(u32::MAX),
                    blob_count: to_u64(row.try_get(5)?)?,
                    storage_used: to_u64(row.try_get(6)?)?,
                })
            })
            .collect()
    }

    async fn set_tier(&self, user_id: i64, tier: SyncTier) -> StoreResult<bool> {
        let client = self.pool.get().await?;
        Ok(client.execute("UPDATE users SET tier = $2 WHERE id = $1", &[&user_id, &tier.as_str()]).await? > 0)
    }

    async fn set_token_hash(&self, user_id: i64, token_hash: TokenHash) -> StoreResult<bool> {
        let client = self.pool.get().await?;
        Ok(client.execute("UPDATE users SET token_hash = $2 WHERE id = $1", &[&user_id, &&token_hash[..]]).await? > 0)
    }

    async fn delete_user(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        lock_user(&tx, user_id).await?;
        let removed = remove_all_blob_rows(&tx, user_id).await?;
        tx.execute("DELETE FROM devices WHERE user_id = $1", &[&user_id]).await?;
        tx.execute("DELETE FROM account_keys WHERE user_id = $1", &[&user_id]).await?;
        tx.execute("DELETE FROM users WHERE id = $1", &[&user_id]).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn register_device(
        &self,
        user_id: i64,
        device: NewDevice,
        device_limit: Option<u32>,
        now: UnixMillis,
    ) -> StoreResult<RegisterOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        lock_user(&tx, user_id).await?;
        let updated = tx
            .execute(
                "UPDATE devices SET device_name = $3, device_os = $4, app_version = $5
                 WHERE user_id = $1 AND device_id = $2",
                &[&user_id, &device.device_id.as_str(), &device.device_name, &device.device_os, &device.app_version],
            )
            .await?;
        if updated > 0 {
            tx.commit().await?;
            return Ok(RegisterOutcome::AlreadyRegistered);
        }
        if let Some(limit) = device_limit {
            let count: i64 =
                tx.query_one("SELECT COUNT(*) FROM devices WHERE user_id = $1", &[&user_id]).await?.try_get(0)?;
            if count >= i64::from(limit) {
                tx.commit().await?;
                return Ok(RegisterOutcome::LimitExceeded);
            }
        }
        tx.execute(
            "INSERT INTO devices (user_id, device_id, device_name, device_os, app_version, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &user_id,
                &device.device_id.as_str(),
                &device.device_name,
                &device.device_os,
                &device.app_version,
                &now.0,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(RegisterOutcome::Registered)
    }

    async fn device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<Option<Device>> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "SELECT device_name, device_os, app_version, created_at, last_sync_at
                 FROM devices WHERE user_id = $1 AND device_id = $2",
            )
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&user_id, &device_id.as_str()]).await? else { return Ok(None) };
        Ok(Some(Device {
            device_id: device_id.clone(),
            device_name: row.try_get(0)?,
            device_os: row.try_get(1)?,
            app_version: row.try_get(2)?,
            created_at: UnixMillis(row.try_get(3)?),
            last_sync_at: row.try_get::<_, Option<i64>>(4)?.map(UnixMillis),
        }))
    }

    async fn list_devices(&self, user_id: i64) -> StoreResult<Vec<Device>> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT device_id, device_name, device_os, app_version, created_at, last_sync_at
                 FROM devices WHERE user_id = $1 ORDER BY created_at, device_id",
                &[&user_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Device {
                    device_id: DeviceId::new(row.try_get::<_, String>(0)?).map_err(corrupt("device_id"))?,
                    device_name: row.try_get(1)?,
                    device_os: row.try_get(2)?,
                    app_version: row.try_get(3)?,
                    created_at: UnixMillis(row.try_get(4)?),
                    last_sync_at: row.try_get::<_, Option<i64>>(5)?.map(UnixMillis),
                })
            })
            .collect()
    }

    async fn remove_device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<bool> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        lock_user(&tx, user_id).await?;
        let n = tx
            .execute("DELETE FROM devices WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id.as_str()])
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn keys(&self, user_id: i64) -> StoreResult<Option<AccountKeys>> {
        let client = self.pool.get().await?;
        read_keys(&client, user_id).await
    }

    async fn create_keys(
        &self,
        user_id: i64,
        envelope: Envelope,
        recovery: RecoveryEnvelope,
    ) -> StoreResult<CreateKeysOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        lock_user(&tx, user_id).await?;
        if let Some(existing) = read_keys(&tx, user_id).await? {
            tx.commit().await?;
            return Ok(CreateKeysOutcome::Exists(existing));
        }
        tx.execute(
            "INSERT INTO account_keys (user_id, envelope, recovery_envelope, keyring, revision)
             VALUES ($1, $2, $3, '[]', 1)",
            &[&user_id, &to_json(&envelope)?, &to_json(&recovery)?],
        )
        .await?;
        tx.commit().await?;
        Ok(CreateKeysOutcome::Created(AccountKeys {
            envelope,
            recovery_envelope: Some(recovery),
            keyring: Vec::new(),
            revision: 1,
        }))
    }

    async fn update_keys(
        &self,
        user_id: i64,
        expected_revision: u64,
        update: KeysUpdate,
    ) -> StoreResult<UpdateKeysOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        lock_user(&tx, user_id).await?;
        let Some(current) = read_keys(&tx, user_id).await? else {
            tx.commit().await?;
            return Ok(UpdateKeysOutcome::NoKeys);
        };
        if current.revision != expected_revision {
            tx.commit().await?;
            return Ok(UpdateKeysOutcome::Stale(current.revision));
        }
        let revision = current.revision.saturating_add(1);
        let (keyring, recovery) = match update.rotation {
            Some((keyring, recovery)) => (keyring, Some(recovery)),
            None => (current.keyring, current.recovery_envelope),
        };
        tx.execute(
            "UPDATE account_keys SET envelope = $2, recovery_envelope = $3, keyring = $4, revision = $5
             WHERE user_id = $1",
            &[
                &user_id,
                &to_json(&update.envelope)?,
                &recovery.as_ref().map(to_json).transpose()?,
                &to_json(&keyring)?,
                &to_i64(revision)?,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(UpdateKeysOutcome::Updated(revision))
    }

    async fn declare_blob(
        &self,
        user_id: i64,
        meta: BlobMeta,
        tokens: Vec<TokenBytes>,
        now: UnixMillis,
    ) -> StoreResult<DeclareOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        lock_user(&tx, user_id).await?;
        let select = tx
            .prepare_cached(&format!(
                "SELECT b.id, b.state, {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.blob_id = $2"
            ))
            .await?;
        let existing = tx.query_opt(&select, &[&user_id, &&meta.blob_id.0[..]]).await?;
        let packed = pack_tokens(&tokens);
        let size = to_i64(meta.size_bytes)?;
        match existing {
            Some(row) if row.try_get::<_, i16>(1)? == COMPLETE => {
                let same = row_to_meta(&row, 2)? == meta;
                tx.commit().await?;
                return Ok(if same { DeclareOutcome::AlreadyComplete } else { DeclareOutcome::Conflict });
            }
            Some(row) => {
                let id: i64 = row.try_get(0)?;
                let stmt = tx
                    .prepare_cached(
                        "UPDATE blobs SET blob_type = $2, device_id = $3, time_start = $4, time_end = $5,
                           size_bytes = $6, checksum = $7, key_id = $8, tokens = $9, updated_at = $10
                         WHERE id = $1",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &id,
                        &meta.blob_type.as_str(),
                        &meta.device_id.as_str(),
                        &meta.time_start.0,
                        &meta.time_end.0,
                        &size,
                        &&meta.checksum.0[..],
                        &&meta.key_id.0[..],
                        &packed,
                        &now.0,
                    ],
                )
                .await?;
            }
            None => {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO blobs (user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes,
                           checksum, key_id, tokens, state, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &user_id,
                        &&meta.blob_id.0[..],
                        &meta.blob_type.as_str(),
                        &meta.device_id.as_str(),
                        &meta.time_start.0,
                        &meta.time_end.0,
                        &size,
                        &&meta.checksum.0[..],
                        &&meta.key_id.0[..],
                        &packed,
                        &PENDING,
                        &now.0,
                    ],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(DeclareOutcome::Pending)
    }

    async fn blob(&self, user_id: i64, blob_id: BlobId) -> StoreResult<Option<BlobRecord>> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT b.state, {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.blob_id = $2"
            ))
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&user_id, &&blob_id.0[..]]).await? else { return Ok(None) };
        let state: i16 = row.try_get(0)?;
        Ok(Some(BlobRecord {
            meta: row_to_meta(&row, 1)?,
            state: if state == COMPLETE { BlobState::Complete } else { BlobState::Pending },
        }))
    }

    async fn complete_blob(
        &self,
        user_id: i64,
        blob_id: BlobId,
        device_id: &DeviceId,
        storage_limit: u64,
        now: UnixMillis,
    ) -> StoreResult<CompleteOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // The account's lock serialises every completion of this account, in every process:
        // the usage read below is the latest, and nothing completes between it and the update.
        if !lock_user(&tx, user_id).await? {
            tx.commit().await?;
            return Ok(CompleteOutcome::NotFound);
        }
        let select = tx
            .prepare_cached(
                "SELECT id, state, size_bytes, tokens, time_start, time_end, blob_type
                 FROM blobs WHERE user_id = $1 AND blob_id = $2",
            )
            .await?;
        let Some(row) = tx.query_opt(&select, &[&user_id, &&blob_id.0[..]]).await? else {
            tx.commit().await?;
            return Ok(CompleteOutcome::NotFound);
        };
        let used = storage_used(&tx, user_id).await?;
        if row.try_get::<_, i16>(1)? == COMPLETE {
            tx.commit().await?;
            return Ok(CompleteOutcome::AlreadyComplete { storage_used: used });
        }
        let id: i64 = row.try_get(0)?;
        let size = to_u64(row.try_get(2)?)?;
        let after = used.saturating_add(size);
        if after > storage_limit {
            tx.commit().await?;
            return Ok(CompleteOutcome::QuotaExceeded { storage_used: used });
        }
        let kind: &str = row.try_get(6)?;
        let code = type_code(kind.parse::<BlobType>().map_err(corrupt("blob_type"))?);
        let (start, end): (i64, i64) = (row.try_get(4)?, row.try_get(5)?);
        let mark =
            tx.prepare_cached("UPDATE blobs SET state = $2, completed_at = $3, updated_at = $3 WHERE id = $1").await?;
        tx.execute(&mark, &[&id, &COMPLETE, &now.0]).await?;
        let index = tx
            .prepare_cached(
                "INSERT INTO blob_tokens (user_id, token, blob_ref, time_start, time_end, type_code)
                 SELECT $1, t, $3, $4, $5, $6 FROM UNNEST($2::bytea[]) AS t ON CONFLICT DO NOTHING",
            )
            .await?;
        tx.execute(&index, &[&user_id, &token_params(row.try_get(3)?), &id, &start, &end, &code]).await?;
        let usage = tx.prepare_cached("UPDATE users SET storage_used = $2 WHERE id = $1").await?;
        tx.execute(&usage, &[&user_id, &to_i64(after)?]).await?;
        let sync =
            tx.prepare_cached("UPDATE devices SET last_sync_at = $3 WHERE user_id = $1 AND device_id = $2").await?;
        tx.execute(&sync, &[&user_id, &device_id.as_str(), &now.0]).await?;
        tx.commit().await?;
        Ok(CompleteOutcome::Completed { storage_used: after })
    }

    async fn blobs_by_ids(&self, user_id: i64, ids: Vec<BlobId>) -> StoreResult<Vec<BlobMeta>> {
        let client = self.pool.get().await?;
        let raw: Vec<Vec<u8>> = ids.iter().map(|id| id.0.to_vec()).collect();
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.blob_id = ANY($2) AND b.state = 1"
            ))
            .await?;
        let mut found: HashMap<BlobId, BlobMeta> = HashMap::new();
        for row in client.query(&stmt, &[&user_id, &raw]).await? {
            let meta = row_to_meta(&row, 0)?;
            found.insert(meta.blob_id, meta);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn list_blobs(
        &self,
        user_id: i64,
        filter: BlobFilter,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<BlobMeta>> {
        let mut params: Params = vec![Box::new(user_id)];
        let mut sql = format!("SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.state = 1");
        if let Some(cursor) = after {
            params.push(Box::new(cursor.time_start.0));
            params.push(Box::new(cursor.blob_id.0.to_vec()));
            sql.push_str(" AND (b.time_start, b.blob_id) > ($2, $3)");
        }
        sql.push_str(&filter_sql(&filter, &mut params));
        params.push(Box::new(i64::from(limit)));
        sql.push_str(&format!(" ORDER BY b.time_start, b.blob_id LIMIT ${}", params.len()));
        let client = self.pool.get().await?;
        let stmt = client.prepare_cached(&sql).await?;
        let rows = client.query(&stmt, &param_refs(&params)).await?;
        rows.iter().map(|row| row_to_meta(row, 0)).collect()
    }

    async fn search(
        &self,
        user_id: i64,
        tokens: Vec<TokenBytes>,
        filter: BlobFilter,
        limit: u32,
    ) -> StoreResult<(Vec<SearchHit>, u64)> {
        if tokens.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let raw: Vec<Vec<u8>> = tokens.iter().map(|t| t.to_vec()).collect();
        let mut params: Params = vec![Box::new(user_id), Box::new(raw)];
        let mut conditions = String::new();
        if let Some((start, end)) = filter.time_range {
            params.push(Box::new(start.0));
            conditions.push_str(&format!(" AND t.time_end >= ${}", params.len()));
            params.push(Box::new(end.0));
            conditions.push_str(&format!(" AND t.time_start <= ${}", params.len()));
        }
        if let Some(types) = &filter.blob_types {
            params.push(Box::new(types.iter().map(|t| type_code(*t)).collect::<Vec<i16>>()));
            conditions.push_str(&format!(" AND t.type_code = ANY(${})", params.len()));
        }
        params.push(Box::new(i64::from(limit)));
        let limit_param = params.len();
        // Per blob: distinct matching tokens (the token list is a set of primary-key prefixes,
        // so a blob has at most one entry per distinct token). Ranked most tokens first, then
        // newest time_end, then the oldest row; the total counts every match before the limit.
        let sql = format!(
            "WITH m AS (
                 SELECT t.blob_ref, COUNT(*) AS n, MAX(t.time_end) AS te
                 FROM blob_tokens t
                 WHERE t.user_id = $1 AND t.token = ANY($2){conditions}
                 GROUP BY t.blob_ref
             ), r AS (
                 SELECT blob_ref, n, te, COUNT(*) OVER () AS total FROM m
                 ORDER BY n DESC, te DESC, blob_ref LIMIT ${limit_param}
             )
             SELECT r.n, r.total, {META_COLUMNS} FROM r JOIN blobs b ON b.id = r.blob_ref
             ORDER BY r.n DESC, r.te DESC, r.blob_ref"
        );
        let client = self.pool.get().await?;
        let stmt = client.prepare_cached(&sql).await?;
        let rows = client.query(&stmt, &param_refs(&params)).await?;
        let mut total = 0u64;
        let mut hits = Vec::with_capacity(rows.len());
        for row in &rows {
            total = to_u64(row.try_get(1)?)?;
            hits.push(SearchHit {
                meta: row_to_meta(row, 2)?,
                match_count: u32::try_from(row.try_get::<_, i64>(0)?).unwrap_or(u32::MAX),
            });
        }
        Ok((hits, total))
    }

    async fn storage_used(&self, user_id: i64) -> StoreResult<u64> {
        let client = self.pool.get().await?;
        storage_used(&client, user_id).await
    }

    async fn usage(&self, user_id: i64) -> StoreResult<Usage> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "SELECT blob_type, SUM(size_bytes)::BIGINT, COUNT(*), MAX(completed_at), MIN(time_start), MAX(time_end)
                 FROM blobs WHERE user_id = $1 AND state = 1 GROUP BY blob_type",
            )
            .await?;
        let mut usage = Usage::default();
        for row in client.query(&stmt, &[&user_id]).await? {
            let kind: &str = row.try_get(0)?;
            let bytes = to_u64(row.try_get(1)?)?;
            match kind.parse::<BlobType>().map_err(corrupt("blob_type"))? {
                BlobType::Text => usage.text_bytes = bytes,
                BlobType::Frames => usage.frames_bytes = bytes,
                BlobType::Audio => usage.audio_bytes = bytes,
            }
            usage.total_blobs += to_u64(row.try_get(2)?)?;
            let (last, oldest, newest): (Option<i64>, Option<i64>, Option<i64>) =
                (row.try_get(3)?, row.try_get(4)?, row.try_get(5)?);
            usage.last_sync = usage.last_sync.max(last.map(UnixMillis));
            usage.oldest_data = match (usage.oldest_data, oldest.map(UnixMillis)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            usage.newest_data = usage.newest_data.max(newest.map(UnixMillis));
        }
        let devices: i64 =
            client.query_one("SELECT COUNT(*) FROM devices WHERE user_id = $1", &[&user_id]).await?.try_get(0)?;
        usage.device_count = u32::try_from(devices).unwrap_or(u32::MAX);
        Ok(usage)
    }

    async fn delete_all_blobs(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        lock_user(&tx, user_id).await?;
        let removed = remove_all_blob_rows(&tx, user_id).await?;
        tx.execute("UPDATE users SET storage_used = 0 WHERE id = $1", &[&user_id]).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn remove_expired_blobs(&self, tier: SyncTier, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        let candidates = {
            let client = self.pool.get().await?;
            client
                .query(
                    "SELECT b.id, b.user_id FROM blobs b JOIN users u ON u.id = b.user_id
                     WHERE b.state = 1 AND b.time_end < $1 AND u.tier = $2 LIMIT $3",
                    &[&cutoff.0, &tier.as_str(), &i64::from(batch)],
                )
                .await?
        };
        // Re-checked under the account's lock: the tier may have changed since.
        let tier_name = tier.as_str();
        self.remove_candidates(
            candidates,
            "b.state = 1 AND b.time_end < $3 AND (SELECT tier FROM users WHERE id = $1) = $4",
            &[&cutoff.0, &tier_name],
        )
        .await
    }

    async fn remove_abandoned_uploads(&self, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        let candidates = {
            let client = self.pool.get().await?;
            client
                .query(
                    "SELECT id, user_id FROM blobs WHERE state = 0 AND updated_at < $1 LIMIT $2",
                    &[&cutoff.0, &i64::from(batch)],
                )
                .await?
        };
        self.remove_candidates(candidates, "b.state = 0 AND b.updated_at < $3", &[&cutoff.0]).await
    }

    async fn missing_blobs(&self, keys: Vec<ObjectKey>) -> StoreResult<Vec<ObjectKey>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let users: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
        let ids: Vec<Vec<u8>> = keys.iter().map(|k| k.blob_id.0.to_vec()).collect();
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT k.user_id, k.blob_id FROM UNNEST($1::bigint[], $2::bytea[]) AS k(user_id, blob_id)
                 WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.user_id = k.user_id AND b.blob_id = k.blob_id)",
                &[&users, &ids],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let blob_id: &[u8] = row.try_get(1)?;
                Ok(ObjectKey { user_id: row.try_get(0)?, blob_id: BlobId(array(blob_id, "blob_id")?) })
            })
            .collect()
    }

    async fn record_stripe_event(&self, event_id: &str, now: UnixMillis) -> StoreResult<bool> {
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "INSERT INTO stripe_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&event_id, &now.0],
            )
            .await?
            > 0)
    }

    async fn apply_subscription(
        &self,
        event_id: &str,
        change: SubscriptionChange,
        now: UnixMillis,
    ) -> StoreResult<SubscriptionOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // A concurrent insert of the same id waits for this transaction, then conflicts.
        let fresh = tx
            .execute(
                "INSERT INTO stripe_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&event_id, &now.0],
            )
            .await?
            > 0;
        if !fresh {
            tx.commit().await?;
            return Ok(SubscriptionOutcome::Duplicate);
        }
        let by_customer = tx
            .query_opt(
                "SELECT id, email, stripe_event_created FROM users WHERE stripe_customer = $1 FOR UPDATE",
                &[&change.customer],
            )
            .await?;
        let user = match (by_customer, &change.email) {
            (Some(row), _) => Some(row),
            (None, Some(email)) => {
                tx.query_opt(
                    "SELECT id, email, stripe_event_created FROM users
                     WHERE email = $1 AND stripe_customer IS NULL FOR UPDATE",
                    &[&email.to_lowercase()],
                )
                .await?
            }
            (None, None) => None,
        };
        let Some(row) = user else {
            tx.commit().await?;
            return Ok(SubscriptionOutcome::NoSuchUser);
        };
        let (user_id, email, last_event): (i64, String, Option<i64>) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if last_event.is_some_and(|last| last > change.event_created) {
            tx.commit().await?;
            return Ok(SubscriptionOutcome::Outdated);
        }
        tx.execute(
            "UPDATE users SET tier = $2, stripe_customer = $3, stripe_event_created = $4 WHERE id = $1",
            &[&user_id, &change.tier.as_str(), &change.customer, &change.event_created],
        )
        .await?;
        tx.commit().await?;
        Ok(SubscriptionOutcome::Applied { email })
    }
}

/// Removes every blob row of an account with its index, in one go (the account is being emptied
/// or deleted, so its `storage_used` is the caller's to reset).
async fn remove_all_blob_rows(tx: &impl GenericClient, user_id: i64) -> StoreResult<RemovedBlobs> {
    let rows =
        tx.query("DELETE FROM blobs WHERE user_id = $1 RETURNING blob_id, state, size_bytes", &[&user_id]).await?;
    let mut removed = RemovedBlobs::default();
    for row in &rows {
        let blob_id: &[u8] = row.try_get(0)?;
        if row.try_get::<_, i16>(1)? == COMPLETE {
            removed.completed += 1;
            removed.freed_bytes = removed.freed_bytes.saturating_add(to_u64(row.try_get(2)?)?);
        }
        removed.objects.push(ObjectKey { user_id, blob_id: BlobId(array(blob_id, "blob_id")?) });
    }
    tx.execute("DELETE FROM blob_tokens WHERE user_id = $1", &[&user_id]).await?;
    Ok(removed)
}
