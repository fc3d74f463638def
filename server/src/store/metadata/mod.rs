//! The metadata store: accounts and tokens, devices, keys, the blob index and its search tokens,
//! Stripe bookkeeping.
//!
//! Every method that touches user data takes the caller's `user_id` and scopes its query to it:
//! no id of one user reaches another's rows. Methods that must be atomic (device limits,
//! key creation and update, blob state changes) are single transactions in the implementation,
//! so the HTTP layer holds no locks of its own. Inside those transactions each implementation
//! loads the facts, asks the rule in [`crate::domain`] for the decision and applies it: the
//! rules are written once, the SQL once per backend.
//!
//! `server/tests/store_conformance` runs one story against both implementations.

mod columns;
pub mod pairing;
pub mod postgres;
pub mod postings;
pub mod sqlite;

use async_trait::async_trait;
use sync_core::wire::{Envelope, RecoveryEnvelope, RetentionPolicy, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

pub use crate::domain::model::{
    AccountKeys, AccountUsage, BlobFilter, BlobMeta, BlobRecord, BlobState, CompleteOutcome, CreateKeysOutcome,
    CreateUserOutcome, DeclareOutcome, Device, KeysUpdate, ListCursor, NewDevice, RegisterOutcome, RemovedBlobs,
    SearchHit, SubscriptionChange, SubscriptionOutcome, TokenBytes, TokenHash, TypeUsage, UpdateKeysOutcome,
    UploadLimits, Usage, User, UserSummary,
};

use super::objects::ObjectDigest;
use super::{ObjectKey, StoreError, StoreResult};

pub use pairing::{PairMailboxes, PairResult};

/// Accounts, devices, keys, the blob index and search, Stripe bookkeeping; the pairing
/// mailboxes ([`PairMailboxes`]).
#[async_trait]
pub trait MetadataStore: PairMailboxes + Send + Sync + 'static {
    /// The secret that signs local object URLs, created on first use and shared by every
    /// server process on this store.
    async fn url_signing_secret(&self) -> StoreResult<[u8; 32]>;

    /// Creates an account with the hash of its bearer token.
    async fn create_user(
        &self,
        email: &str,
        tier: SyncTier,
        token_hash: TokenHash,
        now: UnixMillis,
    ) -> StoreResult<CreateUserOutcome>;
    /// The account owning this token hash.
    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>>;
    /// The account with this e-mail.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Every account with its usage, by e-mail.
    async fn list_users(&self) -> StoreResult<Vec<UserSummary>>;
    /// Sets an account's tier; false when no such account.
    async fn set_tier(&self, user_id: i64, tier: SyncTier) -> StoreResult<bool>;
    /// Replaces the hash of an account's bearer token (the old token stops working); false
    /// when no such account.
    async fn set_token_hash(&self, user_id: i64, token_hash: TokenHash) -> StoreResult<bool>;
    /// Deletes an account and everything it owns; returns the objects to delete.
    async fn delete_user(&self, user_id: i64) -> StoreResult<RemovedBlobs>;

    /// Registers or refreshes a device, unless a new one would exceed `device_limit`.
    async fn register_device(
        &self,
        user_id: i64,
        device: NewDevice,
        device_limit: Option<u32>,
        now: UnixMillis,
    ) -> StoreResult<RegisterOutcome>;
    /// A registered device.
    async fn device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<Option<Device>>;
    /// Every registered device, oldest first.
    async fn list_devices(&self, user_id: i64) -> StoreResult<Vec<Device>>;
    /// Unregisters a device (its blobs stay); false when it was not registered.
    async fn remove_device(&self, user_id: i64, device_id: &DeviceId) -> StoreResult<bool>;

    /// The account's keys, if it has any.
    async fn keys(&self, user_id: i64) -> StoreResult<Option<AccountKeys>>;
    /// Creates the account's keys unless it has some.
    async fn create_keys(
        &self,
        user_id: i64,
        envelope: Envelope,
        recovery: RecoveryEnvelope,
    ) -> StoreResult<CreateKeysOutcome>;
    /// Replaces the keys if the revision is `expected_revision`.
    async fn update_keys(
        &self,
        user_id: i64,
        expected_revision: u64,
        update: KeysUpdate,
    ) -> StoreResult<UpdateKeysOutcome>;

    /// Declares a blob (pending) with its search tokens, if it is under the account's current
    /// key and fits `limits` with the account's other pending uploads; idempotent for the same
    /// metadata.
    async fn declare_blob(
        &self,
        user_id: i64,
        meta: BlobMeta,
        tokens: Vec<TokenBytes>,
        limits: UploadLimits,
        now: UnixMillis,
    ) -> StoreResult<DeclareOutcome> {
        let mut outcomes = self.declare_blobs(user_id, vec![(meta, tokens)], limits, now).await?;
        outcomes.pop().ok_or_else(|| StoreError::corrupt("no outcome for a declared blob"))
    }
    /// Declares blobs in order, in one transaction, each as [`MetadataStore::declare_blob`]
    /// would (each sees the ones before it); one outcome per blob.
    async fn declare_blobs(
        &self,
        user_id: i64,
        blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
        limits: UploadLimits,
        now: UnixMillis,
    ) -> StoreResult<Vec<DeclareOutcome>>;
    /// A blob of this user, pending or complete.
    async fn blob(&self, user_id: i64, blob_id: BlobId) -> StoreResult<Option<BlobRecord>>;
    /// Makes a pending blob visible if its uploaded object was checked to be `verified` (its
    /// size and SHA-256, compared with the row in the same transaction; `None`: nothing was
    /// checked), it is under the account's current key, and the user's storage stays within
    /// `storage_limit`; `device_id` is the device whose `last_sync_at` moves.
    async fn complete_blob(
        &self,
        user_id: i64,
        blob_id: BlobId,
        device_id: &DeviceId,
        verified: Option<ObjectDigest>,
        storage_limit: u64,
        now: UnixMillis,
    ) -> StoreResult<CompleteOutcome> {
        let mut outcomes =
            self.complete_blobs(user_id, vec![(blob_id, verified)], device_id, storage_limit, now).await?;
        outcomes.pop().ok_or_else(|| StoreError::corrupt("no outcome for a completed blob"))
    }
    /// Completes blobs in order, in one transaction, each as [`MetadataStore::complete_blob`]
    /// would (each sees the ones before it); one outcome per blob.
    async fn complete_blobs(
        &self,
        user_id: i64,
        blobs: Vec<(BlobId, Option<ObjectDigest>)>,
        device_id: &DeviceId,
        storage_limit: u64,
        now: UnixMillis,
    ) -> StoreResult<Vec<CompleteOutcome>>;
    /// Completed blobs of this user among `ids`, in the order of `ids` (unknown ids left out).
    async fn blobs_by_ids(&self, user_id: i64, ids: Vec<BlobId>) -> StoreResult<Vec<BlobMeta>>;
    /// Completed blobs in `(time_start, blob_id)` order after `after`, at most `limit`.
    async fn list_blobs(
        &self,
        user_id: i64,
        filter: BlobFilter,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<BlobMeta>>;
    /// Completed blobs holding any of `tokens`, most matches first, then newest first, at most
    /// `limit`; with the number of matching blobs before the limit.
    async fn search(
        &self,
        user_id: i64,
        tokens: Vec<TokenBytes>,
        filter: BlobFilter,
        limit: u32,
    ) -> StoreResult<(Vec<SearchHit>, u64)>;
    /// Bytes stored in the user's completed blobs.
    async fn storage_used(&self, user_id: i64) -> StoreResult<u64>;
    /// Usage figures for `/status`.
    async fn usage(&self, user_id: i64) -> StoreResult<Usage>;
    /// Removes every blob of the user (pending and complete).
    async fn delete_all_blobs(&self, user_id: i64) -> StoreResult<RemovedBlobs>;
    /// Removes up to `batch` completed blobs of users of `tier` whose `time_end` is before `cutoff`.
    async fn remove_expired_blobs(&self, tier: SyncTier, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs>;
    /// The cloud retention the account chose per blob type.
    async fn retention_policy(&self, user_id: i64) -> StoreResult<RetentionPolicy>;
    /// Replaces the account's chosen retention (checked by the caller against its tier).
    async fn set_retention_policy(&self, user_id: i64, policy: RetentionPolicy) -> StoreResult<()>;
    /// Every account's chosen retention: `(user id, blob type, days)`.
    async fn retention_choices(&self) -> StoreResult<Vec<(i64, BlobType, u32)>>;
    /// Removes up to `batch` completed blobs of `user_id` and `blob_type` whose `time_end` is
    /// before `cutoff`.
    async fn remove_expired_of_type(
        &self,
        user_id: i64,
        blob_type: BlobType,
        cutoff: UnixMillis,
        batch: u32,
    ) -> StoreResult<RemovedBlobs>;
    /// Removes up to `batch` pending blobs first declared before `cutoff`.
    async fn remove_abandoned_uploads(&self, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs>;

    /// The keys among `keys` that name no blob row (pending or complete): objects the index
    /// does not know, which the cleanup job may delete.
    async fn missing_blobs(&self, keys: Vec<ObjectKey>) -> StoreResult<Vec<ObjectKey>>;

    /// Applies a subscription change to the linked account (linking the customer to the
    /// change's verified account the first time) and records `event_id`, in one transaction; an event id seen before changes
    /// nothing (a replay).
    async fn apply_subscription(
        &self,
        event_id: &str,
        change: SubscriptionChange,
        now: UnixMillis,
    ) -> StoreResult<SubscriptionOutcome>;
    /// Records an event id that needs no change (another event type, an unknown price); false
    /// when it was seen before.
    async fn record_stripe_event(&self, event_id: &str, now: UnixMillis) -> StoreResult<bool>;
}
