//! What the cleanup job removes, as cutoffs the stores compare with.
//!
//! - A completed blob expires when its `time_end` is before now minus its owner's tier
//!   retention (Starter and `none` keep 183 days, Pro and Team forever): `time_end < cutoff`.
//! - A pending blob is abandoned when it was first declared before now minus
//!   `abandoned_upload_after`: `created_at < cutoff` (declaring it again does not postpone it,
//!   so re-declaring cannot keep an upload pending, and reserving quota, forever). The same
//!   cutoff applies to partial upload files and to orphan objects of an S3 store.

use std::time::Duration;

use sync_core::UnixMillis;
use sync_core::wire::SyncTier;

use super::tiers;

const DAY_MS: i64 = 86_400_000;

/// Completed blobs of `tier` whose `time_end` is before this instant have expired at `now`;
/// `None` when the tier keeps blobs forever.
pub fn expiry_cutoff(tier: SyncTier, now: UnixMillis) -> Option<UnixMillis> {
    let days = tiers::limits(tier).retention_days?;
    Some(UnixMillis(now.0.saturating_sub(i64::from(days).saturating_mul(DAY_MS))))
}

/// Pending blobs (and partial or orphan objects) last touched before this instant are
/// abandoned at `now`.
pub fn abandoned_cutoff(now: UnixMillis, abandoned_after: Duration) -> UnixMillis {
    let after = i64::try_from(abandoned_after.as_millis()).unwrap_or(i64::MAX);
    UnixMillis(now.0.saturating_sub(after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoffs() {
        let now = UnixMillis(1_000 * DAY_MS);
        assert_eq!(expiry_cutoff(SyncTier::Starter, now), Some(UnixMillis(817 * DAY_MS)));
        assert_eq!(expiry_cutoff(SyncTier::None, now), Some(UnixMillis(817 * DAY_MS)));
        assert_eq!(expiry_cutoff(SyncTier::Pro, now), None);
        assert_eq!(expiry_cutoff(SyncTier::Team, now), None);
        assert_eq!(abandoned_cutoff(now, Duration::from_secs(86_400)), UnixMillis(999 * DAY_MS));
        assert_eq!(abandoned_cutoff(UnixMillis(i64::MIN), Duration::from_secs(1)), UnixMillis(i64::MIN));
    }
}
