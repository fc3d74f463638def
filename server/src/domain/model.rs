//! The records the rules of [`crate::domain`] decide over and the stores keep: accounts,
//! devices, keys, blob metadata, the outcomes of store operations. Plain values, no I/O; the
//! store traits ([`crate::store`]) speak in them and re-export them.

use std::fmt;

use sync_core::wire::{Checksum, Envelope, KeyringEntry, RecoveryEnvelope, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

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

/// What declaring a blob is checked against: the tier's storage and the caps on pending uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadLimits {
    /// Bytes the account may store, pending uploads included (the tier's storage).
    pub storage_bytes: u64,
    /// Pending uploads the account may have at once.
    pub pending_blobs: u64,
    /// Bytes of pending uploads the account may have at once.
    pub pending_bytes: u64,
}

impl UploadLimits {
    /// No limit at all (bulk tools and tests).
    pub const UNLIMITED: UploadLimits =
        UploadLimits { storage_bytes: u64::MAX, pending_blobs: u64::MAX, pending_bytes: u64::MAX };
}

/// An account's usage as a declaring or completing transaction reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountUsage {
    /// Bytes of completed blobs.
    pub stored_bytes: u64,
    /// Search tokens of completed blobs (entries of the index).
    pub index_tokens: u64,
    /// Pending uploads, other than the blob being declared.
    pub pending_blobs: u64,
    /// Bytes of those pending uploads.
    pub pending_bytes: u64,
    /// Search tokens of those pending uploads.
    pub pending_tokens: u64,
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
    /// The blob is sealed under another master key than the account's current one.
    KeyRotated,
    /// Stored bytes, bytes reserved by pending uploads and this blob exceed the storage limit;
    /// nothing changed.
    QuotaExceeded {
        /// Bytes stored and reserved now.
        used: u64,
    },
    /// The account has as many pending uploads (or bytes of them) as it may; nothing changed.
    PendingLimit,
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
    /// The blob is sealed under another master key than the account's current one; it stays
    /// pending.
    KeyRotated,
    /// The object checked for it is not of the blob's current size and SHA-256 (it was declared
    /// again meanwhile, or nothing was checked); it stays pending.
    NotVerified,
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
    /// Search tokens of completed blobs (each counts against the quota).
    pub index_tokens: u64,
}

impl Usage {
    /// Bytes stored in all.
    pub fn storage_used(&self) -> u64 {
        self.text_bytes.saturating_add(self.frames_bytes).saturating_add(self.audio_bytes)
    }

    /// Adds the figures of one blob type's completed blobs (one row of the stores' per-type
    /// aggregate).
    pub fn add_type(&mut self, figures: TypeUsage) {
        match figures.blob_type {
            BlobType::Text => self.text_bytes = figures.bytes,
            BlobType::Frames => self.frames_bytes = figures.bytes,
            BlobType::Audio => self.audio_bytes = figures.bytes,
        }
        self.total_blobs += figures.blobs;
        self.last_sync = self.last_sync.max(figures.last_completed);
        self.oldest_data = match (self.oldest_data, figures.oldest_start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.newest_data = self.newest_data.max(figures.newest_end);
    }
}

/// The completed blobs of one type of one user, summed (see [`Usage::add_type`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeUsage {
    /// The type.
    pub blob_type: BlobType,
    /// Bytes.
    pub bytes: u64,
    /// Blobs.
    pub blobs: u64,
    /// Latest completion.
    pub last_completed: Option<UnixMillis>,
    /// Earliest `time_start`.
    pub oldest_start: Option<UnixMillis>,
    /// Latest `time_end`.
    pub newest_end: Option<UnixMillis>,
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

impl RemovedBlobs {
    /// Counts one removed blob: its object, and its bytes when it was complete.
    pub fn add(&mut self, key: ObjectKey, state: BlobState, size_bytes: u64) {
        if state == BlobState::Complete {
            self.completed += 1;
            self.freed_bytes = self.freed_bytes.saturating_add(size_bytes);
        }
        self.objects.push(key);
    }

    /// Adds what another removal removed.
    pub fn absorb(&mut self, other: RemovedBlobs) {
        self.objects.extend(other.objects);
        self.completed += other.completed;
        self.freed_bytes = self.freed_bytes.saturating_add(other.freed_bytes);
    }
}

/// A Stripe subscription change, as the webhook decoded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionChange {
    /// Stripe customer id (`cus_...`).
    pub customer: String,
    /// The account a verified billing reference in the subscription's metadata names, used to
    /// link a customer the first time.
    pub account: Option<i64>,
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
    /// No account is linked to the customer, or the billing reference names no unlinked
    /// account.
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

/// Names one stored object: a user's blob. Blob ids are scoped per user, so two users' blobs
/// never share an object even with the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// The owner's internal id.
    pub user_id: i64,
    /// The blob.
    pub blob_id: BlobId,
}

impl ObjectKey {
    /// The key's path form, `USER_ID/BLOB_ID_HEX`, as it appears in URLs and object stores.
    pub fn path(&self) -> String {
        format!("{}/{}", self.user_id, self.blob_id.to_hex())
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// Size and SHA-256 of a stored object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectDigest {
    /// Bytes stored.
    pub size: u64,
    /// SHA-256 of those bytes.
    pub sha256: Checksum,
}
