//! The service's settings: [`SyncInterval`] and [`ServiceOptions`] (data types, bandwidth
//! limit, pulling, retry delays).

use std::time::Duration;

use crate::config::DataTypes;

/// How often the service syncs on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncInterval {
    /// Only when triggered ([`SyncService::trigger_now`]); failures are still retried.
    Manual,
    /// Every 5 minutes.
    FiveMinutes,
    /// Every 15 minutes.
    FifteenMinutes,
    /// Every hour.
    Hourly,
    /// Any other period (tests, power users); at least one second.
    Custom(Duration),
}

impl SyncInterval {
    /// The period, `None` for manual.
    pub fn period(self) -> Option<Duration> {
        match self {
            SyncInterval::Manual => None,
            SyncInterval::FiveMinutes => Some(Duration::from_secs(5 * 60)),
            SyncInterval::FifteenMinutes => Some(Duration::from_secs(15 * 60)),
            SyncInterval::Hourly => Some(Duration::from_secs(60 * 60)),
            SyncInterval::Custom(d) => Some(d.max(Duration::from_secs(1))),
        }
    }
}

/// The service's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOptions {
    /// How often to sync.
    pub interval: SyncInterval,
    /// What a push sends.
    pub data_types: DataTypes,
    /// Upload and download limit in Mbit/s (1 Mbit/s = 125,000 bytes/s); `None` is unlimited.
    pub bandwidth_limit_mbps: Option<f64>,
    /// Also pull (download and import) other devices' data at every cycle.
    pub pull: bool,
    /// First retry delay after a transient failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl Default for ServiceOptions {
    fn default() -> ServiceOptions {
        ServiceOptions {
            interval: SyncInterval::FifteenMinutes,
            data_types: DataTypes::default(),
            bandwidth_limit_mbps: None,
            pull: false,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(15 * 60),
        }
    }
}

impl ServiceOptions {
    /// The bandwidth limit in bytes per second.
    pub fn bandwidth_bytes_per_sec(&self) -> Option<u64> {
        self.bandwidth_limit_mbps.filter(|m| m.is_finite() && *m > 0.0).map(|m| ((m * 125_000.0) as u64).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_bandwidth() {
        assert_eq!(SyncInterval::Manual.period(), None);
        assert_eq!(SyncInterval::FiveMinutes.period(), Some(Duration::from_secs(300)));
        assert_eq!(SyncInterval::Hourly.period(), Some(Duration::from_secs(3600)));
        assert_eq!(SyncInterval::Custom(Duration::ZERO).period(), Some(Duration::from_secs(1)));
        let options = ServiceOptions { bandwidth_limit_mbps: Some(8.0), ..ServiceOptions::default() };
        assert_eq!(options.bandwidth_bytes_per_sec(), Some(1_000_000));
        assert_eq!(ServiceOptions::default().bandwidth_bytes_per_sec(), None);
    }
}
