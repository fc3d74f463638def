//! What each tier allows. The figures themselves are part of the wire contract (clients show
//! them; `docs/openapi.yaml`, `Quota`) and live on [`SyncTier`] in `sync-core`; this module is
//! where the server reads them, and adds the one rule of its own: tier `none` is not a
//! subscription, so it refuses uploads and new devices but still serves reads and deletes.
//!
//! | tier | storage | devices | retention |
//! | --- | --- | --- | --- |
//! | `none` | 0 | 0 | 183 days |
//! | `starter` | 20 GB | 3 | 183 days |
//! | `pro` | 100 GB | 10 | forever |
//! | `team` | 500 GB | unlimited | forever |

use sync_core::wire::SyncTier;

/// Every tier, in the order the cleanup job visits them.
pub const ALL: [SyncTier; 4] = [SyncTier::None, SyncTier::Starter, SyncTier::Pro, SyncTier::Team];

/// What one tier allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierLimits {
    /// Bytes of completed blobs an account may store.
    pub storage_bytes: u64,
    /// Registered devices (`None`: unlimited).
    pub devices: Option<u32>,
    /// Days a completed blob is kept after its `time_end` (`None`: forever).
    pub retention_days: Option<u32>,
}

/// The limits of `tier`.
pub fn limits(tier: SyncTier) -> TierLimits {
    TierLimits {
        storage_bytes: tier.storage_limit(),
        devices: tier.device_limit(),
        retention_days: tier.retention_days(),
    }
}

/// Whether `tier` is a subscription: uploads and new devices need one.
pub fn is_subscribed(tier: SyncTier) -> bool {
    tier != SyncTier::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_tier() {
        assert_eq!(
            limits(SyncTier::Starter),
            TierLimits { storage_bytes: 20_000_000_000, devices: Some(3), retention_days: Some(183) }
        );
        assert_eq!(
            limits(SyncTier::Pro),
            TierLimits { storage_bytes: 100_000_000_000, devices: Some(10), retention_days: None }
        );
        assert_eq!(
            limits(SyncTier::Team),
            TierLimits { storage_bytes: 500_000_000_000, devices: None, retention_days: None }
        );
        assert_eq!(
            limits(SyncTier::None),
            TierLimits { storage_bytes: 0, devices: Some(0), retention_days: Some(183) }
        );
        assert!(!is_subscribed(SyncTier::None));
        assert!(ALL.iter().filter(|t| is_subscribed(**t)).count() == 3);
    }
}
