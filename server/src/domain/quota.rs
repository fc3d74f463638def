//! Storage quota: an account's completed blobs may hold at most its tier's storage limit.
//!
//! Checked twice for every blob: when it is declared at `/upload` ([`admit`]: the bytes stored,
//! plus the bytes reserved by the account's other pending uploads, plus this blob must fit, so
//! uploads that are declared but never completed cost quota too; and the account may have at
//! most so many pending uploads and bytes of them) and again, atomically with the state
//! change, at `/upload/complete` ([`storage_after`]: other uploads may have completed in
//! between; a blob that no longer fits stays pending and invisible).

use sync_core::wire::SyncTier;

use super::model::{AccountUsage, UploadLimits};
use super::tiers;

/// Whether a declaration of `size` bytes fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It fits: declare it.
    Fits,
    /// Stored and reserved bytes plus `size` exceed the storage limit.
    QuotaExceeded {
        /// Bytes stored and reserved now.
        used: u64,
    },
    /// The account has as many pending uploads, or bytes of them, as it may.
    PendingLimit,
}

/// Whether declaring a blob of `size` bytes fits the account's `usage` under `limits`.
pub fn admit(usage: &AccountUsage, size: u64, limits: &UploadLimits) -> Admission {
    let used = usage.stored_bytes.saturating_add(usage.pending_bytes);
    if storage_after(used, size, limits.storage_bytes).is_none() {
        return Admission::QuotaExceeded { used };
    }
    if usage.pending_blobs >= limits.pending_blobs || usage.pending_bytes.saturating_add(size) > limits.pending_bytes {
        return Admission::PendingLimit;
    }
    Admission::Fits
}

/// The limits of an account of `tier` with at most `pending_blobs` pending uploads of
/// `pending_bytes` bytes in all.
pub fn upload_limits(tier: SyncTier, pending_blobs: u64, pending_bytes: u64) -> UploadLimits {
    UploadLimits { storage_bytes: tiers::limits(tier).storage_bytes, pending_blobs, pending_bytes }
}

/// Bytes stored after adding `size` bytes to `used`, or `None` when that exceeds `limit`.
pub fn storage_after(used: u64, size: u64, limit: u64) -> Option<u64> {
    let after = used.saturating_add(size);
    (after <= limit).then_some(after)
}

/// Whether an account of `tier` with `used` bytes stored can upload anything (`/status`'s
/// `can_sync`).
pub fn can_sync(tier: SyncTier, used: u64) -> bool {
    tiers::is_subscribed(tier) && used < tiers::limits(tier).storage_bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_up_to_the_limit() {
        assert_eq!(storage_after(0, 10, 10), Some(10));
        assert_eq!(storage_after(1, 10, 10), None);
        assert_eq!(storage_after(u64::MAX, 1, u64::MAX), Some(u64::MAX));
        assert_eq!(storage_after(5, 0, 4), None);
        assert!(can_sync(SyncTier::Starter, 0));
        assert!(!can_sync(SyncTier::Starter, 20_000_000_000));
        assert!(!can_sync(SyncTier::None, 0));
    }

    #[test]
    fn pending_uploads_reserve_quota_under_caps() {
        let limits = UploadLimits { storage_bytes: 1000, pending_blobs: 2, pending_bytes: 800 };
        let usage =
            |stored, pending_blobs, pending_bytes| AccountUsage { stored_bytes: stored, pending_blobs, pending_bytes };
        assert_eq!(admit(&usage(0, 0, 0), 800, &limits), Admission::Fits);
        assert_eq!(admit(&usage(300, 1, 600), 100, &limits), Admission::Fits);
        assert_eq!(admit(&usage(300, 1, 600), 101, &limits), Admission::QuotaExceeded { used: 900 });
        assert_eq!(admit(&usage(0, 1, 700), 101, &limits), Admission::PendingLimit);
        assert_eq!(admit(&usage(0, 2, 2), 1, &limits), Admission::PendingLimit);
        assert_eq!(admit(&usage(u64::MAX, 0, 5), 1, &UploadLimits::UNLIMITED), Admission::Fits);
        assert_eq!(
            upload_limits(SyncTier::Pro, 3, 4),
            UploadLimits { storage_bytes: 100_000_000_000, pending_blobs: 3, pending_bytes: 4 }
        );
    }
}
