//! The life of a blob: declared at `/upload` (pending, invisible), its object `PUT` to the
//! upload URL, checked and completed at `/upload/complete` (visible, counted in the quota).
//!
//! - Declaring is idempotent: the same blob id declared again while pending refreshes it (new
//!   metadata, tokens replaced); a completed blob declared again with the same metadata is
//!   "already uploaded", with other metadata a conflict.
//! - Completing checks the stored object's size and SHA-256 against the declaration, then the
//!   quota once more; only then does the blob become visible.
//! - Once the account has keys, a blob is declared and completed only under the account's
//!   current master key ([`key_accepted`]): after a rotation, a device still sealing under the
//!   old key (which the thief of a stolen device holds) is refused with `KEY_ROTATED`.

use sync_core::KeyId;
use sync_core::wire::Checksum;

use super::model::{
    AccountUsage, BlobMeta, BlobRecord, BlobState, CompleteOutcome, DeclareOutcome, ObjectDigest, UploadLimits,
};
use super::quota::{self, Admission};

/// What declaring a blob does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclareDecision {
    /// No blob with this id: insert it, pending.
    Insert,
    /// A pending blob with this id: replace its metadata and tokens (it stays pending).
    Refresh,
    /// A completed blob with the same metadata: nothing to upload.
    AlreadyComplete,
    /// A completed blob with other metadata: refused, nothing changes.
    Conflict,
    /// Sealed under another key than the account's current one: refused, nothing changes.
    KeyRotated,
    /// It does not fit the storage with the other pending uploads: refused, nothing changes.
    QuotaExceeded {
        /// Bytes stored and reserved now.
        used: u64,
    },
    /// The account has as many pending uploads as it may: refused, nothing changes.
    PendingLimit,
}

impl DeclareDecision {
    /// The outcome the store reports once the decision is applied.
    pub fn outcome(self) -> DeclareOutcome {
        match self {
            DeclareDecision::Insert | DeclareDecision::Refresh => DeclareOutcome::Pending,
            DeclareDecision::AlreadyComplete => DeclareOutcome::AlreadyComplete,
            DeclareDecision::Conflict => DeclareOutcome::Conflict,
            DeclareDecision::KeyRotated => DeclareOutcome::KeyRotated,
            DeclareDecision::QuotaExceeded { used } => DeclareOutcome::QuotaExceeded { used },
            DeclareDecision::PendingLimit => DeclareOutcome::PendingLimit,
        }
    }
}

/// Whether a blob sealed under `key_id` may be declared or completed when the account's current
/// master key is `current` (`None`: the account has no keys yet, so nothing to compare with).
pub fn key_accepted(current: Option<KeyId>, key_id: KeyId) -> bool {
    current.is_none_or(|current| current == key_id)
}

/// What a declaring transaction reads about the account before it decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountFacts {
    /// The account's current master key (`None`: no keys yet).
    pub current_key: Option<KeyId>,
    /// Its stored bytes and its other pending uploads.
    pub usage: AccountUsage,
}

/// Declaring `declared` with `tokens` search tokens where the user's blob of that id is
/// `existing` (its state and metadata), for an account of `facts` under `limits`. A completed blob answers first (its key and bytes
/// were accepted when it was stored); a new or pending one must be under the current key and
/// fit ([`quota::admit`]; a pending blob declared again replaces its own reservation, and keeps
/// its creation time, so declaring again never postpones its abandonment).
pub fn declare(
    existing: Option<(BlobState, &BlobMeta)>,
    declared: &BlobMeta,
    tokens: u64,
    facts: &AccountFacts,
    limits: &UploadLimits,
) -> DeclareDecision {
    match existing {
        Some((BlobState::Complete, meta)) if meta == declared => return DeclareDecision::AlreadyComplete,
        Some((BlobState::Complete, _)) => return DeclareDecision::Conflict,
        _ if !key_accepted(facts.current_key, declared.key_id) => return DeclareDecision::KeyRotated,
        _ => {}
    }
    match quota::admit(&facts.usage, declared.size_bytes, tokens, limits) {
        Admission::QuotaExceeded { used } => DeclareDecision::QuotaExceeded { used },
        Admission::PendingLimit => DeclareDecision::PendingLimit,
        Admission::Fits if existing.is_none() => DeclareDecision::Insert,
        Admission::Fits => DeclareDecision::Refresh,
    }
}

/// What the object store holds for a pending blob, compared with its declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadCheck {
    /// Nothing was uploaded yet.
    NotUploaded,
    /// The object's size or SHA-256 differs from the declaration: delete it, upload again.
    Mismatch {
        /// Bytes stored.
        size: u64,
        /// Their SHA-256.
        sha256: Checksum,
    },
    /// The object is exactly the declared one.
    Verified,
}

/// Checks the stored object (`None`: nothing stored) against the declared metadata.
pub fn check_upload(declared: &BlobMeta, stored: Option<ObjectDigest>) -> UploadCheck {
    match stored {
        None => UploadCheck::NotUploaded,
        Some(digest) if digest.size != declared.size_bytes || digest.sha256 != declared.checksum => {
            UploadCheck::Mismatch { size: digest.size, sha256: digest.sha256 }
        }
        Some(_) => UploadCheck::Verified,
    }
}

/// A blob as the completing transaction reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    /// Pending or complete.
    pub state: BlobState,
    /// Its declared size.
    pub size: u64,
    /// How many search tokens it carries.
    pub tokens: u64,
    /// The key it is sealed under.
    pub key_id: KeyId,
    /// Its declared SHA-256.
    pub checksum: Checksum,
}

/// Completing the user's `blob` (`None`: no such blob) whose object was checked to be `verified`
/// (`None`: not checked, the caller saw the blob complete already), for an account of `facts`
/// under the storage `limit`. A pending blob completes only if the checked object is of its
/// size and SHA-256 as the completing transaction reads them (it may have been declared again
/// between the check and the transaction), it is under the current key, and its bytes and
/// tokens fit with what the account stores ([`quota::charge`]). [`CompleteOutcome::Completed`] is the one
/// decision that changes anything: the store marks the blob complete, indexes its tokens and
/// stores the new usage (the storage it reports is bytes of blobs).
pub fn complete(
    blob: Option<&StoredBlob>,
    verified: Option<&ObjectDigest>,
    facts: &AccountFacts,
    limit: u64,
) -> CompleteOutcome {
    let stored = facts.usage.stored_bytes;
    match blob {
        None => CompleteOutcome::NotFound,
        Some(blob) if blob.state == BlobState::Complete => CompleteOutcome::AlreadyComplete { storage_used: stored },
        Some(blob) if verified.is_none_or(|v| v.size != blob.size || v.sha256 != blob.checksum) => {
            CompleteOutcome::NotVerified
        }
        Some(blob) if !key_accepted(facts.current_key, blob.key_id) => CompleteOutcome::KeyRotated,
        Some(blob) => {
            match quota::storage_after(quota::stored_charge(&facts.usage), quota::charge(blob.size, blob.tokens), limit)
            {
                Some(_) => CompleteOutcome::Completed { storage_used: stored.saturating_add(blob.size) },
                None => CompleteOutcome::QuotaExceeded { storage_used: stored },
            }
        }
    }
}

/// Whether a signed upload URL for `signed_size` bytes may write the object of `blob`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectWrite {
    /// A pending blob of that size: write it.
    Accept,
    /// The blob is gone (removed, abandoned, its data deleted).
    NoBlob,
    /// The blob is complete: its object is final.
    Completed,
    /// The blob was declared again with another size since the URL was signed.
    SizeChanged,
}

/// Decides a write through a local signed upload URL.
pub fn object_write(blob: Option<&BlobRecord>, signed_size: u64) -> ObjectWrite {
    match blob {
        None => ObjectWrite::NoBlob,
        Some(record) if record.state == BlobState::Complete => ObjectWrite::Completed,
        Some(record) if record.meta.size_bytes != signed_size => ObjectWrite::SizeChanged,
        Some(_) => ObjectWrite::Accept,
    }
}

/// Whether a local signed download URL for `signed_size` bytes may read the object of `blob`:
/// only a completed blob of that size is visible.
pub fn object_readable(blob: Option<&BlobRecord>, signed_size: u64) -> bool {
    blob.is_some_and(|record| record.state == BlobState::Complete && record.meta.size_bytes == signed_size)
}

#[cfg(test)]
mod tests {
    use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

    use super::*;

    fn meta(size: u64) -> BlobMeta {
        BlobMeta {
            blob_id: BlobId([1; 16]),
            blob_type: BlobType::Text,
            device_id: DeviceId::new("d1").unwrap(),
            time_start: UnixMillis(1),
            time_end: UnixMillis(2),
            size_bytes: size,
            checksum: Checksum([3; 32]),
            key_id: KeyId([4; 16]),
        }
    }

    fn keyed(current_key: Option<KeyId>) -> AccountFacts {
        AccountFacts { current_key, usage: AccountUsage::default() }
    }

    fn stored(bytes: u64, tokens: u64, current_key: Option<KeyId>) -> AccountFacts {
        AccountFacts {
            current_key,
            usage: AccountUsage { stored_bytes: bytes, index_tokens: tokens, ..AccountUsage::default() },
        }
    }

    fn blob(state: BlobState, size: u64, tokens: u64) -> StoredBlob {
        StoredBlob { state, size, tokens, key_id: KeyId([4; 16]), checksum: Checksum([3; 32]) }
    }

    fn digest_of(blob: &StoredBlob) -> ObjectDigest {
        ObjectDigest { size: blob.size, sha256: blob.checksum }
    }

    #[test]
    fn only_the_checked_object_completes() {
        let pending = blob(BlobState::Pending, 10, 0);
        let facts = stored(0, 0, None);
        let checked = digest_of(&pending);
        assert_eq!(
            complete(Some(&pending), Some(&checked), &facts, 100),
            CompleteOutcome::Completed { storage_used: 10 }
        );
        // Declared again between the check and the transaction: the checked object is another one.
        let other_sum = ObjectDigest { sha256: Checksum([9; 32]), ..checked };
        let other_size = ObjectDigest { size: 11, ..checked };
        for verified in [Some(&other_sum), Some(&other_size), None] {
            assert_eq!(complete(Some(&pending), verified, &facts, 100), CompleteOutcome::NotVerified);
        }
        // A completed blob needs no check.
        let done = blob(BlobState::Complete, 10, 0);
        assert_eq!(complete(Some(&done), None, &facts, 100), CompleteOutcome::AlreadyComplete { storage_used: 0 });
    }

    const ANY: UploadLimits = UploadLimits::UNLIMITED;

    #[test]
    fn declaring() {
        let m = meta(10);
        let none = keyed(None);
        assert_eq!(declare(None, &m, 0, &none, &ANY), DeclareDecision::Insert);
        assert_eq!(declare(Some((BlobState::Pending, &meta(99))), &m, 0, &none, &ANY), DeclareDecision::Refresh);
        assert_eq!(declare(Some((BlobState::Complete, &m)), &m, 0, &none, &ANY), DeclareDecision::AlreadyComplete);
        assert_eq!(declare(Some((BlobState::Complete, &meta(11))), &m, 0, &none, &ANY), DeclareDecision::Conflict);
        assert_eq!(DeclareDecision::Refresh.outcome(), DeclareOutcome::Pending);
        assert_eq!(DeclareDecision::Conflict.outcome(), DeclareOutcome::Conflict);
    }

    #[test]
    fn declaring_reserves_quota() {
        let m = meta(10);
        let limits = UploadLimits { storage_bytes: 100, pending_blobs: 5, pending_bytes: 50 };
        let facts = |stored, pending_blobs, pending_bytes| AccountFacts {
            current_key: None,
            usage: AccountUsage { stored_bytes: stored, pending_blobs, pending_bytes, ..AccountUsage::default() },
        };
        assert_eq!(declare(None, &m, 0, &facts(60, 1, 30), &limits), DeclareDecision::Insert);
        assert_eq!(declare(None, &m, 0, &facts(61, 1, 30), &limits), DeclareDecision::QuotaExceeded { used: 91 });
        assert_eq!(declare(None, &m, 0, &facts(0, 5, 30), &limits), DeclareDecision::PendingLimit);
        assert_eq!(declare(None, &m, 0, &facts(0, 1, 41), &limits), DeclareDecision::PendingLimit);
        // A completed blob answers whatever the usage.
        assert_eq!(
            declare(Some((BlobState::Complete, &m)), &m, 0, &facts(100, 9, 99), &limits),
            DeclareDecision::AlreadyComplete
        );
        assert_eq!(DeclareDecision::PendingLimit.outcome(), DeclareOutcome::PendingLimit);
        assert_eq!(DeclareDecision::QuotaExceeded { used: 3 }.outcome(), DeclareOutcome::QuotaExceeded { used: 3 });
    }

    #[test]
    fn only_the_current_key_is_accepted() {
        let m = meta(10);
        let (current, old) = (Some(KeyId([4; 16])), Some(KeyId([5; 16])));
        assert!(key_accepted(None, m.key_id));
        assert!(key_accepted(current, m.key_id));
        assert!(!key_accepted(old, m.key_id));
        assert_eq!(declare(None, &m, 0, &keyed(current), &ANY), DeclareDecision::Insert);
        assert_eq!(declare(None, &m, 0, &keyed(old), &ANY), DeclareDecision::KeyRotated);
        assert_eq!(declare(Some((BlobState::Pending, &m)), &m, 0, &keyed(old), &ANY), DeclareDecision::KeyRotated);
        // A completed blob was accepted when it was stored: declaring it again is a no-op.
        assert_eq!(
            declare(Some((BlobState::Complete, &m)), &m, 0, &keyed(old), &ANY),
            DeclareDecision::AlreadyComplete
        );
        assert_eq!(DeclareDecision::KeyRotated.outcome(), DeclareOutcome::KeyRotated);
        let pending = blob(BlobState::Pending, 10, 0);
        assert_eq!(
            complete(Some(&pending), Some(&digest_of(&pending)), &stored(0, 0, old), 100),
            CompleteOutcome::KeyRotated
        );
        assert_eq!(
            complete(Some(&pending), Some(&digest_of(&pending)), &stored(0, 0, current), 100),
            CompleteOutcome::Completed { storage_used: 10 }
        );
        let done = blob(BlobState::Complete, 10, 0);
        assert_eq!(
            complete(Some(&done), Some(&digest_of(&done)), &stored(10, 0, old), 100),
            CompleteOutcome::AlreadyComplete { storage_used: 10 }
        );
    }

    #[test]
    fn checking_and_completing() {
        let m = meta(10);
        assert_eq!(check_upload(&m, None), UploadCheck::NotUploaded);
        let good = ObjectDigest { size: 10, sha256: Checksum([3; 32]) };
        assert_eq!(check_upload(&m, Some(good)), UploadCheck::Verified);
        let short = ObjectDigest { size: 9, ..good };
        assert_eq!(check_upload(&m, Some(short)), UploadCheck::Mismatch { size: 9, sha256: Checksum([3; 32]) });
        let other = ObjectDigest { sha256: Checksum([0; 32]), ..good };
        assert!(matches!(check_upload(&m, Some(other)), UploadCheck::Mismatch { .. }));

        let pending = blob(BlobState::Pending, 10, 0);
        assert_eq!(complete(None, None, &stored(5, 0, None), 100), CompleteOutcome::NotFound);
        assert_eq!(
            complete(Some(&pending), Some(&digest_of(&pending)), &stored(90, 0, None), 100),
            CompleteOutcome::Completed { storage_used: 100 }
        );
        assert_eq!(
            complete(Some(&pending), Some(&digest_of(&pending)), &stored(91, 0, None), 100),
            CompleteOutcome::QuotaExceeded { storage_used: 91 }
        );
        assert_eq!(
            complete(
                Some(&blob(BlobState::Complete, 10, 0)),
                Some(&digest_of(&blob(BlobState::Complete, 10, 0))),
                &stored(500, 0, None),
                100
            ),
            CompleteOutcome::AlreadyComplete { storage_used: 500 }
        );
        // Tokens count: 16 quota bytes each, the blob's and those stored.
        let tokened = blob(BlobState::Pending, 10, 1);
        assert_eq!(
            complete(Some(&tokened), Some(&digest_of(&tokened)), &stored(74, 0, None), 100),
            CompleteOutcome::Completed { storage_used: 84 }
        );
        assert_eq!(
            complete(Some(&tokened), Some(&digest_of(&tokened)), &stored(75, 0, None), 100),
            CompleteOutcome::QuotaExceeded { storage_used: 75 }
        );
        assert_eq!(
            complete(Some(&pending), Some(&digest_of(&pending)), &stored(10, 5, None), 100),
            CompleteOutcome::Completed { storage_used: 20 }
        );
        assert_eq!(
            complete(Some(&pending), Some(&digest_of(&pending)), &stored(10, 6, None), 100),
            CompleteOutcome::QuotaExceeded { storage_used: 10 }
        );
    }

    #[test]
    fn local_object_access() {
        let pending = BlobRecord { meta: meta(10), state: BlobState::Pending };
        let done = BlobRecord { meta: meta(10), state: BlobState::Complete };
        assert_eq!(object_write(None, 10), ObjectWrite::NoBlob);
        assert_eq!(object_write(Some(&pending), 10), ObjectWrite::Accept);
        assert_eq!(object_write(Some(&pending), 11), ObjectWrite::SizeChanged);
        assert_eq!(object_write(Some(&done), 10), ObjectWrite::Completed);
        assert!(object_readable(Some(&done), 10));
        assert!(!object_readable(Some(&done), 11));
        assert!(!object_readable(Some(&pending), 10));
        assert!(!object_readable(None, 10));
    }
}
