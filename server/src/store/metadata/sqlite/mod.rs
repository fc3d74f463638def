//! The embedded metadata store: one SQLite file (WAL mode) via `rusqlite`.
//!
//! One writer connection behind a mutex serialises writes (each operation is one transaction);
//! reads take a connection from a small pool, so searches run beside writes. All database work
//! runs on tokio's blocking pool.
//!
//! Search tokens live in packed posting lists, `postings (user_id, token, chunk)` (layout in
//! [`super::postings`]), each posting carrying the blob's completion number, time range and
//! type, so a search filters and ranks from the lists alone and reads only the blobs it
//! returns. Only completed (visible) blobs are in the index: a pending blob keeps its tokens
//! packed in its own row until `/upload/complete` appends them, and removing a blob removes
//! exactly its postings.
//!
//! The schema is `migrations/*.sql`, applied in order once each, the version recorded in
//! `PRAGMA user_version` (`migrate`; databases created before versions were recorded are
//! upgraded in place).
//!
//! | module | holds |
//! | --- | --- |
//! | `migrate` | the migrations and the recorded schema version |
//! | `rows` | columns of a blob or user row, filters as SQL |
//! | `postings` | the posting lists: read, append, remove, build from the old index |
//! | `accounts` | users, tokens, the URL signing secret, Stripe bookkeeping |
//! | `devices` | device registration under the limit, listing, removal |
//! | `keys` | the account's keys and their revisions |
//! | `blobs` | declaring and completing blobs, one blob, bulk import |
//! | `reads` | listings by ids and by time, search, usage |
//! | `cleanup` | removing blobs (an account's, expired, abandoned) and finding orphans |
//! | `pairing` | the pairing mailboxes and their messages |

mod accounts;
mod blobs;
mod cleanup;
mod devices;
mod keys;
pub mod migrate;
mod pairing;
mod postings;
mod reads;
mod retention;
mod rows;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{Connection, Transaction};
use sync_core::wire::{Envelope, RecoveryEnvelope, RetentionPolicy, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

use super::{
    AccountKeys, BlobFilter, BlobMeta, BlobRecord, CompleteOutcome, CreateKeysOutcome, CreateUserOutcome,
    DeclareOutcome, Device, KeysUpdate, ListCursor, MetadataStore, NewDevice, RegisterOutcome, RemovedBlobs, SearchHit,
    SubscriptionChange, SubscriptionOutcome, TokenBytes, TokenHash, UpdateKeysOutcome, UploadLimits, Usage, User,
    UserSummary,
};
use crate::store::objects::ObjectDigest;
use crate::store::{ObjectKey, StoreError, StoreResult};

/// Read connections kept open between reads.
const READ_POOL: usize = 8;

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

impl SqliteMetadata {
    /// Opens (creating if needed) the database file and its schema.
    pub fn open(path: &Path) -> StoreResult<SqliteMetadata> {
        let mut conn = open_connection(path)?;
        migrate::migrate(&mut conn, migrate::SCHEMA_VERSION)?;
        Ok(SqliteMetadata {
            path: path.to_owned(),
            writer: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Inserts completed blobs with their tokens in one transaction, skipping ids that exist
    /// (bulk import for benchmarks and migrations; the HTTP layer uses [`MetadataStore`]).
    pub async fn bulk_insert_completed(
        &self,
        user_id: i64,
        blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
        now: UnixMillis,
    ) -> StoreResult<u64> {
        self.write(move |tx| blobs::bulk_insert_completed(tx, user_id, blobs, now)).await
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
            if pool.len() < READ_POOL {
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
        getrandom::fill(&mut fresh).map_err(StoreError::from)?;
        self.write(move |tx| accounts::url_signing_secret(tx, fresh)).await
    }

    async fn create_user(
        &self,
        email: &str,
        tier: SyncTier,
        token_hash: TokenHash,
        now: UnixMillis,
    ) -> StoreResult<CreateUserOutcome> {
        let email = email.to_owned();
        self.write(move |tx| accounts::create_user(tx, email, tier, token_hash, now)).await
    }

    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>> {
        self.read(move |conn| accounts::user_by_token_hash(conn, token_hash)).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.to_owned();
        self.read(move |conn| accounts::user_by_email(conn, &email)).await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserSummary>> {
        self.read(accounts::list_users).await
    }

    async fn set_tier(&self, user_id: i64, tier: SyncTier) -> StoreResult<bool> {
        self.write(move |tx| accounts::set_tier(tx, user_id, tier)).await
    }

    async fn set_token_hash(&self, user_id: i64, token_hash: TokenHash) -> StoreResult<bool> {
        self.write(move |tx| accounts::set_token_hash(tx, user_id, token_hash)).await
    }

    async fn delete_user(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| accounts::delete_user(tx, user_id)).await
    }

    async fn register_device(
        &self,
        user_id: i64,
        device: NewDevice,
        device_limit: Option<u32>,
        now: UnixMillis,
    ) -> StoreResult<RegisterOutcome> {
        self.write(move |tx| devices::register(tx, user_id, device, device_limit, now)).await
    }

    async fn device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<Option<Device>> {
        let device_id = device_id.clone();
        self.read(move |conn| devices::device(conn, user_id, device_id)).await
    }

    async fn list_devices(&self, user_id: i64) -> StoreResult<Vec<Device>> {
        self.read(move |conn| devices::list(conn, user_id)).await
    }

    async fn remove_device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<bool> {
        let device_id = device_id.clone();
        self.write(move |tx| devices::remove(tx, user_id, &device_id)).await
    }

    async fn keys(&self, user_id: i64) -> StoreResult<Option<AccountKeys>> {
        self.read(move |conn| keys::read(conn, user_id)).await
    }

    async fn create_keys(
        &self,
        user_id: i64,
        envelope: Envelope,
        recovery: RecoveryEnvelope,
    ) -> StoreResult<CreateKeysOutcome> {
        self.write(move |tx| keys::create(tx, user_id, envelope, recovery)).await
    }

    async fn update_keys(
        &self,
        user_id: i64,
        expected_revision: u64,
        update: KeysUpdate,
    ) -> StoreResult<UpdateKeysOutcome> {
        self.write(move |tx| keys::update(tx, user_id, expected_revision, update)).await
    }

    async fn declare_blobs(
        &self,
        user_id: i64,
        blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
        limits: UploadLimits,
        now: UnixMillis,
    ) -> StoreResult<Vec<DeclareOutcome>> {
        self.write(move |tx| {
            blobs.iter().map(|(meta, tokens)| blobs::declare(tx, user_id, meta, tokens, &limits, now)).collect()
        })
        .await
    }

    async fn blob(&self, user_id: i64, blob_id: BlobId) -> StoreResult<Option<BlobRecord>> {
        self.read(move |conn| blobs::blob(conn, user_id, blob_id)).await
    }

    async fn complete_blobs(
        &self,
        user_id: i64,
        blobs: Vec<(BlobId, Option<ObjectDigest>)>,
        device_id: &DeviceId,
        storage_limit: u64,
        now: UnixMillis,
    ) -> StoreResult<Vec<CompleteOutcome>> {
        let device_id = device_id.clone();
        self.write(move |tx| {
            blobs
                .into_iter()
                .map(|(blob_id, verified)| {
                    blobs::complete(tx, user_id, blob_id, &device_id, verified, storage_limit, now)
                })
                .collect()
        })
        .await
    }

    async fn blobs_by_ids(&self, user_id: i64, ids: Vec<BlobId>) -> StoreResult<Vec<BlobMeta>> {
        self.read(move |conn| reads::blobs_by_ids(conn, user_id, &ids)).await
    }

    async fn list_blobs(
        &self,
        user_id: i64,
        filter: BlobFilter,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<BlobMeta>> {
        self.read(move |conn| reads::list_blobs(conn, user_id, &filter, after, limit)).await
    }

    async fn search(
        &self,
        user_id: i64,
        tokens: Vec<TokenBytes>,
        filter: BlobFilter,
        limit: u32,
    ) -> StoreResult<(Vec<SearchHit>, u64)> {
        self.read(move |conn| reads::search(conn, user_id, &tokens, &filter, limit)).await
    }

    async fn storage_used(&self, user_id: i64) -> StoreResult<u64> {
        self.read(move |conn| rows::storage_used(conn, user_id)).await
    }

    async fn usage(&self, user_id: i64) -> StoreResult<Usage> {
        self.read(move |conn| reads::usage(conn, user_id)).await
    }

    async fn delete_all_blobs(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| cleanup::delete_all_blobs(tx, user_id)).await
    }

    async fn remove_expired_blobs(&self, tier: SyncTier, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| cleanup::remove_expired(tx, tier, cutoff, batch)).await
    }

    async fn retention_policy(&self, user_id: i64) -> StoreResult<RetentionPolicy> {
        self.read(move |conn| retention::policy(conn, user_id)).await
    }

    async fn set_retention_policy(&self, user_id: i64, policy: RetentionPolicy) -> StoreResult<()> {
        self.write(move |tx| retention::set_policy(tx, user_id, &policy)).await
    }

    async fn retention_choices(&self) -> StoreResult<Vec<(i64, BlobType, u32)>> {
        self.read(retention::choices).await
    }

    async fn remove_expired_of_type(
        &self,
        user_id: i64,
        blob_type: BlobType,
        cutoff: UnixMillis,
        batch: u32,
    ) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| retention::remove_expired_of_type(tx, user_id, blob_type, cutoff, batch)).await
    }

    async fn remove_abandoned_uploads(&self, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        self.write(move |tx| cleanup::remove_abandoned(tx, cutoff, batch)).await
    }

    async fn missing_blobs(&self, keys: Vec<ObjectKey>) -> StoreResult<Vec<ObjectKey>> {
        self.read(move |conn| cleanup::missing_blobs(conn, keys)).await
    }

    async fn apply_subscription(
        &self,
        event_id: &str,
        change: SubscriptionChange,
        now: UnixMillis,
    ) -> StoreResult<SubscriptionOutcome> {
        let event_id = event_id.to_owned();
        self.write(move |tx| accounts::apply_subscription(tx, &event_id, &change, now)).await
    }

    async fn record_stripe_event(&self, event_id: &str, now: UnixMillis) -> StoreResult<bool> {
        let event_id = event_id.to_owned();
        self.write(move |tx| accounts::record_stripe_event(tx, &event_id, now)).await
    }
}
