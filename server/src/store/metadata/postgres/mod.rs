//! The metadata store at scale: PostgreSQL via `tokio-postgres` and a `deadpool-postgres` pool.
//!
//! Same tables, columns and semantics as the SQLite store ([`super::sqlite`]), and the same
//! rules ([`crate::domain`]), so that any number of server processes can share one database:
//! - Migrations are numbered `.sql` files recorded in `schema_migrations` (`migrate`).
//! - Every transaction that changes one account's rows first locks that account's `users` row
//!   (`SELECT ... FOR UPDATE`). Writes of one account are therefore serialised across processes
//!   (quotas and device limits never overshoot, a blob's state changes once), the lock order is
//!   always user row, then blob rows (no deadlocks), and different accounts never wait on each
//!   other.
//! - The cleanup job picks candidates without locks, then removes them per account under that
//!   account's lock, re-checking the condition, so two processes cleaning at once remove each
//!   blob once.
//! - Search reads the packed posting lists of its tokens (`postings`, layout in
//!   [`super::postings`]) in one query, merges and ranks them in Rust
//!   ([`crate::domain::search::rank`], the same code as SQLite's), and reads only the returned
//!   page's blobs.
//!
//! TLS: the connection string's `sslmode` applies (`prefer` by default, `require` to insist);
//! server certificates are checked against the Mozilla roots (`webpki-roots`).
//!
//! | module | holds |
//! | --- | --- |
//! | `migrate` | the numbered migrations and their runner |
//! | `rows` | columns of a blob or user row, the account lock, filters as SQL |
//! | `accounts` | users, tokens, the URL signing secret, Stripe bookkeeping |
//! | `devices` | device registration under the limit, listing, removal |
//! | `keys` | the account's keys and their revisions |
//! | `blobs` | declaring and completing blobs, one blob, bulk import |
//! | `postings` | the posting lists: read, append, remove, build from the old index |
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

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
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

/// Default pool size per process.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The PostgreSQL metadata store.
pub struct PostgresMetadata {
    pool: Pool,
}

impl PostgresMetadata {
    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=...`) with a
    /// pool of at most `pool_size` connections and applies the missing migrations.
    pub async fn connect(url: &str, pool_size: usize) -> StoreResult<PostgresMetadata> {
        let pg_config: tokio_postgres::Config = url.parse().map_err(StoreError::DatabaseUrl)?;
        // The process-wide crypto provider rustls needs (installing twice is harmless).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let tls = tokio_postgres_rustls::MakeRustlsConnect::with_webpki_roots();
        let manager = Manager::from_config(pg_config, tls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool =
            Pool::builder(manager).max_size(pool_size.max(1)).runtime(deadpool_postgres::Runtime::Tokio1).build()?;
        migrate::migrate(&pool).await?;
        Ok(PostgresMetadata { pool })
    }

    /// Inserts completed blobs with their tokens in one transaction, skipping ids that exist
    /// (bulk import for benchmarks and migrations; the HTTP layer uses [`MetadataStore`]).
    pub async fn bulk_insert_completed(
        &self,
        user_id: i64,
        blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
        now: UnixMillis,
    ) -> StoreResult<u64> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let inserted = blobs::bulk_insert_completed(&tx, user_id, blobs, now).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// The schema version of the database (the highest applied migration).
    pub async fn schema_version(&self) -> StoreResult<i32> {
        migrate::schema_version(&self.pool).await
    }

    /// Connections open or idle in the pool, and its maximum size.
    pub fn pool_status(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.max_size)
    }
}

#[async_trait]
impl MetadataStore for PostgresMetadata {
    async fn url_signing_secret(&self) -> StoreResult<[u8; 32]> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(StoreError::from)?;
        accounts::url_signing_secret(&self.pool.get().await?, fresh).await
    }

    async fn create_user(
        &self,
        email: &str,
        tier: SyncTier,
        token_hash: TokenHash,
        now: UnixMillis,
    ) -> StoreResult<CreateUserOutcome> {
        accounts::create_user(&self.pool.get().await?, email, tier, token_hash, now).await
    }

    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>> {
        accounts::user_by_token_hash(&self.pool.get().await?, token_hash).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        accounts::user_by_email(&self.pool.get().await?, email).await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserSummary>> {
        accounts::list_users(&self.pool.get().await?).await
    }

    async fn set_tier(&self, user_id: i64, tier: SyncTier) -> StoreResult<bool> {
        accounts::set_tier(&self.pool.get().await?, user_id, tier).await
    }

    async fn set_token_hash(&self, user_id: i64, token_hash: TokenHash) -> StoreResult<bool> {
        accounts::set_token_hash(&self.pool.get().await?, user_id, token_hash).await
    }

    async fn delete_user(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let removed = accounts::delete_user(&tx, user_id).await?;
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
        let outcome = devices::register(&tx, user_id, &device, device_limit, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<Option<Device>> {
        devices::device(&self.pool.get().await?, user_id, device_id).await
    }

    async fn list_devices(&self, user_id: i64) -> StoreResult<Vec<Device>> {
        devices::list(&self.pool.get().await?, user_id).await
    }

    async fn remove_device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<bool> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let removed = devices::remove(&tx, user_id, device_id).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn keys(&self, user_id: i64) -> StoreResult<Option<AccountKeys>> {
        keys::read(&self.pool.get().await?, user_id).await
    }

    async fn create_keys(
        &self,
        user_id: i64,
        envelope: Envelope,
        recovery: RecoveryEnvelope,
    ) -> StoreResult<CreateKeysOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = keys::create(&tx, user_id, envelope, recovery).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn update_keys(
        &self,
        user_id: i64,
        expected_revision: u64,
        update: KeysUpdate,
    ) -> StoreResult<UpdateKeysOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = keys::update(&tx, user_id, expected_revision, update).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn declare_blobs(
        &self,
        user_id: i64,
        blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
        limits: UploadLimits,
        now: UnixMillis,
    ) -> StoreResult<Vec<DeclareOutcome>> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut outcomes = Vec::with_capacity(blobs.len());
        for (meta, tokens) in &blobs {
            outcomes.push(blobs::declare(&tx, user_id, meta, tokens, &limits, now).await?);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn blob(&self, user_id: i64, blob_id: BlobId) -> StoreResult<Option<BlobRecord>> {
        blobs::blob(&self.pool.get().await?, user_id, blob_id).await
    }

    async fn complete_blobs(
        &self,
        user_id: i64,
        blobs: Vec<(BlobId, Option<ObjectDigest>)>,
        device_id: &DeviceId,
        storage_limit: u64,
        now: UnixMillis,
    ) -> StoreResult<Vec<CompleteOutcome>> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut outcomes = Vec::with_capacity(blobs.len());
        for (blob_id, verified) in blobs {
            outcomes.push(blobs::complete(&tx, user_id, blob_id, device_id, verified, storage_limit, now).await?);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn blobs_by_ids(&self, user_id: i64, ids: Vec<BlobId>) -> StoreResult<Vec<BlobMeta>> {
        reads::blobs_by_ids(&self.pool.get().await?, user_id, &ids).await
    }

    async fn list_blobs(
        &self,
        user_id: i64,
        filter: BlobFilter,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<BlobMeta>> {
        reads::list_blobs(&self.pool.get().await?, user_id, &filter, after, limit).await
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
        reads::search(&self.pool.get().await?, user_id, &tokens, &filter, limit).await
    }

    async fn storage_used(&self, user_id: i64) -> StoreResult<u64> {
        rows::storage_used(&self.pool.get().await?, user_id).await
    }

    async fn usage(&self, user_id: i64) -> StoreResult<Usage> {
        reads::usage(&self.pool.get().await?, user_id).await
    }

    async fn delete_all_blobs(&self, user_id: i64) -> StoreResult<RemovedBlobs> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let removed = cleanup::delete_all_blobs(&tx, user_id).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn remove_expired_blobs(&self, tier: SyncTier, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        cleanup::remove_expired(&self.pool, tier, cutoff, batch).await
    }

    async fn retention_policy(&self, user_id: i64) -> StoreResult<RetentionPolicy> {
        retention::policy(&self.pool.get().await?, user_id).await
    }

    async fn set_retention_policy(&self, user_id: i64, policy: RetentionPolicy) -> StoreResult<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        retention::set_policy(&tx, user_id, &policy).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn retention_choices(&self) -> StoreResult<Vec<(i64, BlobType, u32)>> {
        retention::choices(&self.pool.get().await?).await
    }

    async fn remove_expired_of_type(
        &self,
        user_id: i64,
        blob_type: BlobType,
        cutoff: UnixMillis,
        batch: u32,
    ) -> StoreResult<RemovedBlobs> {
        retention::remove_expired_of_type(&self.pool, user_id, blob_type, cutoff, batch).await
    }

    async fn remove_abandoned_uploads(&self, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
        cleanup::remove_abandoned(&self.pool, cutoff, batch).await
    }

    async fn missing_blobs(&self, keys: Vec<ObjectKey>) -> StoreResult<Vec<ObjectKey>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        cleanup::missing_blobs(&self.pool.get().await?, &keys).await
    }

    async fn apply_subscription(
        &self,
        event_id: &str,
        change: SubscriptionChange,
        now: UnixMillis,
    ) -> StoreResult<SubscriptionOutcome> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = accounts::apply_subscription(&tx, event_id, &change, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn record_stripe_event(&self, event_id: &str, now: UnixMillis) -> StoreResult<bool> {
        accounts::record_stripe_event(&self.pool.get().await?, event_id, now).await
    }
}
