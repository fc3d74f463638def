//! Storage quota: an account's completed blobs, with their search tokens, may hold at most its
//! tier's storage limit. Each search token counts [`TOKEN_BYTES`] (its 16 bytes in the index),
//! so the index an account makes the server keep is paid for like its blobs ([`charge`]);
//! `storage_used` in answers stays the bytes of blobs, `/status` adds `index_bytes`.
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

/// Quota bytes one search token costs: its 16 bytes in the index.
pub const TOKEN_BYTES: u64 = 16;

/// Quota bytes of `bytes` of ciphertext indexed under `tokens` search tokens.
pub fn charge(bytes: u64, tokens: u64) -> u64 {
    bytes.saturating_add(tokens.saturating_mul(TOKEN_BYTES))
}

/// Quota bytes an account's completed blobs and their tokens use.
pub fn stored_charge(usage: &AccountUsage) -> u64 {
    charge(usage.stored_bytes, usage.index_tokens)
}

/// Whether a declaration of `size` bytes fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It fits: declare it.
    Fits,
    /// Stored and reserved bytes (tokens included) plus the blob's exceed the storage limit.
    QuotaExceeded {
        /// Quota bytes stored and reserved now.
        used: u64,
    },
    /// The account has as many pending uploads, or bytes of them, as it may.
    PendingLimit,
}

/// Whether declaring a blob of `size` bytes with `tokens` search tokens fits the account's
/// `usage` under `limits`.
pub fn admit(usage: &AccountUsage, size: u64, tokens: u64, limits: &UploadLimits) -> Admission {
    let used = stored_charge(usage).saturating_add(charge(usage.pending_bytes, usage.pending_tokens));
    if storage_after(used, charge(size, tokens), limits.storage_bytes).is_none() {
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

/// Whether an account of `tier` with `used` quota bytes stored ([`stored_charge`]) can upload
/// anything (`/status`'s `can_sync`).
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
    fn search_tokens_count_against_the_quota() {
        let limits = UploadLimits { storage_bytes: 1000, pending_blobs: 10, pending_bytes: 10_000 };
        assert_eq!(charge(100, 2), 132);
        assert_eq!(charge(u64::MAX, 1), u64::MAX);
        // 500 bytes with 10 tokens stored (660), a pending 100 bytes with 5 tokens (180).
        let usage = AccountUsage {
            stored_bytes: 500,
            index_tokens: 10,
            pending_blobs: 1,
            pending_bytes: 100,
            pending_tokens: 5,
        };
        assert_eq!(stored_charge(&usage), 660);
        assert_eq!(admit(&usage, 160, 0, &limits), Admission::Fits);
        assert_eq!(admit(&usage, 144, 1, &limits), Admission::Fits);
        assert_eq!(admit(&usage, 145, 1, &limits), Admission::QuotaExceeded { used: 840 });
        assert_eq!(admit(&usage, 1, 10, &limits), Admission::QuotaExceeded { used: 840 });
    }

    #[test]
    fn pending_uploads_reserve_quota_under_caps() {
        let limits = UploadLimits { storage_bytes: 1000, pending_blobs: 2, pending_bytes: 800 };
        let usage = |stored, pending_blobs, pending_bytes| AccountUsage {
            stored_bytes: stored,
            pending_blobs,
            pending_bytes,
            ..AccountUsage::default()
        };
        assert_eq!(admit(&usage(0, 0, 0), 800, 0, &limits), Admission::Fits);
        assert_eq!(admit(&usage(300, 1, 600), 100, 0, &limits), Admission::Fits);
        assert_eq!(admit(&usage(300, 1, 600), 101, 0, &limits), Admission::QuotaExceeded { used: 900 });
        assert_eq!(admit(&usage(0, 1, 700), 101, 0, &limits), Admission::PendingLimit);
        assert_eq!(admit(&usage(0, 2, 2), 1, 0, &limits), Admission::PendingLimit);
        assert_eq!(admit(&usage(u64::MAX, 0, 5), 1, 0, &UploadLimits::UNLIMITED), Admission::Fits);
        assert_eq!(
            upload_limits(SyncTier::Pro, 3, 4),
            UploadLimits { storage_bytes: 100_000_000_000, pending_blobs: 3, pending_bytes: 4 }
        );
    }
}
