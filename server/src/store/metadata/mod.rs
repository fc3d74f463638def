//! The metadata store: accounts and tokens, devices, keys, the blob index and its search tokens,
//! Stripe bookkeeping.
//!
//! Every method that touches user data takes the caller's `user_id` and scopes its query to it:
//! no id of one user reaches another's rows. Methods that must be atomic (device limits,
//! key creation and update, blob state changes) are single transactions in the implementation,
//! so the routes hold no locks of their own.

mod columns;
pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use sync_core::wire::{Envelope, KeyringEntry, RecoveryEnvelope, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

use super::{ObjectKey, StoreResult};
use sync_core::wire::Checksum;

/// SHA-256 of a bearer token, the only form in which tokens are stored.
pub type TokenHash = [u8; 32];

/// A search token's 16 raw bytes.
pub type TokenBytes = [u8; 16];

/// An account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Internal id.
    pub id: i64,
    /// Login e-mail, lowercase.
    pub email: String,
    /// Subscription tier.
    pub tier: SyncTier,
    /// Creation time.
    pub created_at: UnixMillis,
}

/// An account with its usage, for `user list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    /// The account.
    pub user: User,
    /// Registered devices.
    pub device_count: u32,
    /// Completed blobs.
    pub blob_count: u64,
    /// Bytes stored in completed blobs.
    pub storage_used: u64,
}

/// A device as `/init` registers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDevice {
    /// Its id.
    pub device_id: DeviceId,
    /// Its name.
    pub device_name: String,
    /// Its operating system.
    pub device_os: String,
    /// Client version.
    pub app_version: Option<String>,
}

/// A registered device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// Its id.
    pub device_id: DeviceId,
    /// Its name.
    pub device_name: String,
    /// Its operating system.
    pub device_os: String,
    /// Client version at its last `/init`.
    pub app_version: Option<String>,
    /// Registration time.
    pub created_at: UnixMillis,
    /// Its last completed upload.
    pub last_sync_at: Option<UnixMillis>,
}

/// Outcome of registering a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// The device was new and is now registered.
    Registered,
    /// The device was registered before (its name, OS and version were refreshed).
    AlreadyRegistered,
    /// Registering it would exceed the device limit; nothing changed.
    LimitExceeded,
}

/// The account's key material, stored exactly as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountKeys {
    /// Password envelope.
    pub envelope: Envelope,
    /// Recovery envelope.
    pub recovery_envelope: Option<RecoveryEnvelope>,
    /// Older master keys.
    pub keyring: Vec<KeyringEntry>,
    /// Bumped at every change; 1 after creation.
    pub revision: u64,
}

/// Outcome of creating an account's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateKeysOutcome {
    /// Created now, at revision 1.
    Created(AccountKeys),
    /// The account had keys already (returned unchanged).
    Exists(AccountKeys),
}

/// A change of keys at `/keys`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeysUpdate {
    /// The new password envelope.
    pub envelope: Envelope,
    /// For a rotation: the new keyring and recovery envelope.
    pub rotation: Option<(Vec<KeyringEntry>, RecoveryEnvelope)>,
}

/// Outcome of `/keys`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateKeysOutcome {
    /// Applied; the new revision.
    Updated(u64),
    /// The current revision differs from the expected one; nothing changed.
    Stale(u64),
    /// The account has no keys yet.
    NoKeys,
}

/// A blob's metadata, as declared at `/upload`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobMeta {
    /// Its id (unique per user).
    pub blob_id: BlobId,
    /// Its type.
    pub blob_type: BlobType,
    /// The device that made it.
    pub device_id: DeviceId,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// Ciphertext size.
    pub size_bytes: u64,
    /// SHA-256 of the ciphertext.
    pub checksum: Checksum,
    /// Master key that sealed it.
    pub key_id: KeyId,
}

/// Whether a blob is visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobState {
    /// Declared at `/upload`, not yet completed: invisible to every read.
    Pending,
    /// Completed: size and checksum verified, visible.
    Complete,
}

/// A stored blob row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobRecord {
    /// Its metadata.
    pub meta: BlobMeta,
    /// Pending or complete.
    pub state: BlobState,
}

/// Outcome of declaring a blob at `/upload`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclareOutcome {
    /// A pending blob was created or refreshed (tokens replaced): upload it.
    Pending,
    /// The same blob was completed before: nothing to upload.
    AlreadyComplete,
    /// A completed blob with this id has different metadata.
    Conflict,
}

/// Outcome of `/upload/complete` in the metadata store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompleteOutcome {
    /// Now visible; bytes stored by the user afterwards.
    Completed {
        /// Bytes stored after this blob.
        storage_used: u64,
    },
    /// It was complete already; bytes stored now.
    AlreadyComplete {
        /// Bytes stored now.
        storage_used: u64,
    },
    /// No such blob (pending or complete) for this user.
    NotFound,
    /// Completing it would exceed the limit; it stays pending.
    QuotaExceeded {
        /// Bytes stored now.
        storage_used: u64,
    },
}

/// Filters of a listing or search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlobFilter {
    /// Only blobs overlapping `[start, end]`.
    pub time_range: Option<(UnixMillis, UnixMillis)>,
    /// Only these types (`None`: all).
    pub blob_types: Option<Vec<BlobType>>,
    /// Only these devices (`None`: all).
    pub device_ids: Option<Vec<DeviceId>>,
}

/// Position after which a listing page starts: `(time_start, blob_id)` of the last blob seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListCursor {
    /// `time_start` of the last blob of the previous page.
    pub time_start: UnixMillis,
    /// Its id.
    pub blob_id: BlobId,
}

/// One search hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    /// The blob.
    pub meta: BlobMeta,
    /// How many distinct query tokens it holds.
    pub match_count: u32,
}

/// A user's usage, for `/status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Bytes of completed `text` blobs.
    pub text_bytes: u64,
    /// Bytes of completed `frames` blobs.
    pub frames_bytes: u64,
    /// Bytes of completed `audio` blobs.
    pub audio_bytes: u64,
    /// Completed blobs.
    pub total_blobs: u64,
    /// Last completion.
    pub last_sync: Option<UnixMillis>,
    /// Earliest `time_start`.
    pub oldest_data: Option<UnixMillis>,
    /// Latest `time_end`.
    pub newest_data: Option<UnixMillis>,
    /// Registered devices.
    pub device_count: u32,
}

impl Usage {
    /// Bytes stored in all.
    pub fn storage_used(&self) -> u64 {
        self.text_bytes.saturating_add(self.frames_bytes).saturating_add(self.audio_bytes)
    }
}

/// Blobs removed from the index; their objects are the caller's to delete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemovedBlobs {
    /// Objects to delete (pending and complete blobs).
    pub objects: Vec<ObjectKey>,
    /// Completed blobs removed.
    pub completed: u64,
    /// Bytes of completed blobs removed.
    pub freed_bytes: u64,
}

/// A Stripe subscription change, as the webhook decoded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionChange {
    /// Stripe customer id (`cus_...`).
    pub customer: String,
    /// The e-mail in the subscription's metadata, used to link a customer the first time.
    pub email: Option<String>,
    /// The tier to set.
    pub tier: SyncTier,
    /// The event's `created` time (seconds); older events than the last applied are ignored.
    pub event_created: i64,
}

/// Outcome of applying a subscription change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriptionOutcome {
    /// The user's tier is now the given one.
    Applied {
        /// The account.
        email: String,
    },
    /// A newer event was applied before; nothing changed.
    Outdated,
    /// No account is linked to the customer or carries the e-mail.
    NoSuchUser,
    /// The event id was applied before; nothing changed.
    Duplicate,
}

/// Outcome of creating a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateUserOutcome {
    /// Created.
    Created(User),
    /// The e-mail is taken.
    EmailTaken,
}

/// Accounts, devices, keys, the blob index and search, Stripe bookkeeping.
#[async_trait]
pub trait MetadataStore: Send + Sync + 'static {
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

    /// Declares a blob (pending) with its search tokens; idempotent for the same metadata.
    async fn declare_blob(
        &self,
        user_id: i64,
        meta: BlobMeta,
        tokens: Vec<TokenBytes>,
        now: UnixMillis,
    ) -> StoreResult<DeclareOutcome>;
    /// A blob of this user, pending or complete.
    async fn blob(&self, user_id: i64, blob_id: BlobId) -> StoreResult<Option<BlobRecord>>;
    /// Makes a pending blob visible if the user's storage stays within `storage_limit`;
    /// `device_id` is the device whose `last_sync_at` moves.
    async fn complete_blob(
        &self,
        user_id: i64,
        blob_id: BlobId,
        device_id: &DeviceId,
        storage_limit: u64,
        now: UnixMillis,
    ) -> StoreResult<CompleteOutcome>;
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
    /// Removes up to `batch` pending blobs last declared before `cutoff`.
    async fn remove_abandoned_uploads(&self, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs>;

    /// The keys among `keys` that name no blob row (pending or complete): objects the index
    /// does not know, which the cleanup job may delete.
    async fn missing_blobs(&self, keys: Vec<ObjectKey>) -> StoreResult<Vec<ObjectKey>>;

    /// Applies a subscription change to the linked account (linking the customer by e-mail the
    /// first time) and records `event_id`, in one transaction; an event id seen before changes
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
