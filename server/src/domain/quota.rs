//! Storage quota: an account's completed blobs may hold at most its tier's storage limit.
//!
//! Checked twice for every blob: up front at `/upload` (nothing is declared when it cannot
//! fit) and again, atomically with the state change, at `/upload/complete` (other uploads may
//! have completed in between; a blob that no longer fits stays pending and invisible).

use sync_core::wire::SyncTier;

use super::tiers;

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
}
