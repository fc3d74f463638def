//! What the cleanup job removes, as cutoffs the stores compare with.
//!
//! - A completed blob expires when its `time_end` is before now minus its owner's tier
//!   retention (Starter and `none` keep 183 days, Pro and Team forever): `time_end < cutoff`.
//! - A completed blob of a type for which the account chose a retention expires when its
//!   `time_end` is before now minus the chosen days ([`chosen_cutoff`]); a choice may not exceed
//!   the tier's own retention, nor be 0 days ([`check_choice`]). No choice: the tier's rule only.
//! - A pending blob is abandoned when it was first declared before now minus
//!   `abandoned_upload_after`: `created_at < cutoff` (declaring it again does not postpone it,
//!   so re-declaring cannot keep an upload pending, and reserving quota, forever). The same
//!   cutoff applies to partial upload files and to orphan objects of an S3 store.

use std::time::Duration;

use sync_core::UnixMillis;
use sync_core::wire::{RetentionPolicy, SyncTier};

use super::tiers;

const DAY_MS: i64 = 86_400_000;

/// Completed blobs of `tier` whose `time_end` is before this instant have expired at `now`;
/// `None` when the tier keeps blobs forever.
pub fn expiry_cutoff(tier: SyncTier, now: UnixMillis) -> Option<UnixMillis> {
    let days = tiers::limits(tier).retention_days?;
    Some(UnixMillis(now.0.saturating_sub(i64::from(days).saturating_mul(DAY_MS))))
}

/// Completed blobs of a type the account keeps `days` days whose `time_end` is before this
/// instant have expired at `now`.
pub fn chosen_cutoff(days: u32, now: UnixMillis) -> UnixMillis {
    UnixMillis(now.0.saturating_sub(i64::from(days).saturating_mul(DAY_MS)))
}

/// Why a chosen retention is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    /// 0 days (nothing could ever be kept).
    #[error("{0}: at least 1 day (null keeps it as long as the tier does)")]
    Zero(&'static str),
    /// Longer than the tier keeps data.
    #[error("{blob_type}: {days} days is longer than this tier keeps data ({tier_days} days)")]
    BeyondTier {
        /// The blob type.
        blob_type: &'static str,
        /// The days chosen.
        days: u32,
        /// The tier's retention.
        tier_days: u32,
    },
}

/// Checks a chosen policy against `tier`: every chosen number of days is at least 1 and at
/// most the tier's retention (any number when the tier keeps data forever).
pub fn check_choice(tier: SyncTier, policy: &RetentionPolicy) -> Result<(), ChoiceError> {
    let tier_days = tiers::limits(tier).retention_days;
    for (blob_type, days) in policy.chosen() {
        if days == 0 {
            return Err(ChoiceError::Zero(blob_type.as_str()));
        }
        if let Some(tier_days) = tier_days.filter(|t| days > *t) {
            return Err(ChoiceError::BeyondTier { blob_type: blob_type.as_str(), days, tier_days });
        }
    }
    Ok(())
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
        assert_eq!(chosen_cutoff(90, now), UnixMillis(910 * DAY_MS));
    }

    #[test]
    fn choices_within_the_tier() {
        let p = |text, frames, audio| RetentionPolicy { text, frames, audio };
        assert_eq!(check_choice(SyncTier::Pro, &p(None, Some(90), Some(36_500))), Ok(()));
        assert_eq!(check_choice(SyncTier::Starter, &p(None, Some(183), Some(7))), Ok(()));
        assert_eq!(
            check_choice(SyncTier::Starter, &p(None, Some(184), None)),
            Err(ChoiceError::BeyondTier { blob_type: "frames", days: 184, tier_days: 183 })
        );
        assert_eq!(check_choice(SyncTier::Team, &p(Some(0), None, None)), Err(ChoiceError::Zero("text")));
        assert_eq!(check_choice(SyncTier::None, &RetentionPolicy::default()), Ok(()));
    }
}
