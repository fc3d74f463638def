//! The service's settings: [`SyncInterval`] and [`ServiceOptions`] (data types, bandwidth
//! limit, pulling, retry delays).

use std::time::Duration;

use crate::config::{ConfigFile, DataTypes, KeepLocal, SyncConfig};
use crate::error::{Result, SyncError};

/// Bytes per second in one Mbit/s.
pub const BYTES_PER_MBIT: f64 = 125_000.0;

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
    /// The names of the config file and the daemon's API: `5m`, `15m`, `1h`, `manual`.
    pub fn parse(text: &str) -> Option<SyncInterval> {
        match text.trim() {
            "5m" => Some(SyncInterval::FiveMinutes),
            "15m" => Some(SyncInterval::FifteenMinutes),
            "1h" => Some(SyncInterval::Hourly),
            "manual" => Some(SyncInterval::Manual),
            _ => None,
        }
    }

    /// The name of a named interval (`None` for a custom period).
    pub fn name(self) -> Option<&'static str> {
        match self {
            SyncInterval::FiveMinutes => Some("5m"),
            SyncInterval::FifteenMinutes => Some("15m"),
            SyncInterval::Hourly => Some("1h"),
            SyncInterval::Manual => Some("manual"),
            SyncInterval::Custom(_) => None,
        }
    }

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
    /// How long media stay on this device: after each cycle, older media proven in the cloud
    /// are offloaded ([`SyncSession::archive`](crate::session::SyncSession::archive)).
    pub keep_local: KeepLocal,
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
            keep_local: KeepLocal::default(),
        }
    }
}

impl ServiceOptions {
    /// The settings of a configuration and its file: the interval and pulling the file sets
    /// (`config` error for an unknown interval), the data types and the bandwidth limit the
    /// configuration holds (so the service keeps them), the rest as in `self`.
    pub fn with_settings(mut self, config: &SyncConfig, file: &ConfigFile) -> Result<ServiceOptions> {
        if let Some(name) = &file.sync_interval {
            self.interval = SyncInterval::parse(name).ok_or_else(|| {
                SyncError::Config(format!("sync_interval {name:?} is not one of 5m, 15m, 1h, manual"))
            })?;
        }
        if let Some(pull) = file.pull {
            self.pull = pull;
        }
        if let Some(keep) = file.keep_local {
            self.keep_local = keep;
        }
        self.data_types = config.data_types;
        self.bandwidth_limit_mbps = config.client.bandwidth_limit.map(|b| b as f64 / BYTES_PER_MBIT);
        Ok(self)
    }

    /// The bandwidth limit in bytes per second.
    pub fn bandwidth_bytes_per_sec(&self) -> Option<u64> {
        self.bandwidth_limit_mbps.filter(|m| m.is_finite() && *m > 0.0).map(|m| ((m * BYTES_PER_MBIT) as u64).max(1))
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

    #[test]
    fn settings_from_the_config_file() {
        let file: ConfigFile = toml::from_str(
            "sync_interval = \"1h\"\npull = true\nbandwidth_limit = 250000\ndata_types = { audio = false }\nkeep_local = { screen = 30 }\n",
        )
        .unwrap();
        let mut config = SyncConfig::default();
        config.apply_file(&file);
        let options = ServiceOptions::default().with_settings(&config, &file).unwrap();
        assert_eq!(options.interval, SyncInterval::Hourly);
        assert!(options.pull);
        assert_eq!(options.bandwidth_limit_mbps, Some(2.0));
        assert_eq!(options.bandwidth_bytes_per_sec(), Some(250_000));
        assert_eq!(options.data_types, DataTypes { frames: true, audio: false, text: true });
        assert_eq!(options.keep_local, KeepLocal { screen: Some(30), audio: None, text: None });
        let bad = ConfigFile { sync_interval: Some("2h".into()), ..ConfigFile::default() };
        assert_eq!(ServiceOptions::default().with_settings(&config, &bad).unwrap_err().code(), "config");
        for name in ["5m", "15m", "1h", "manual"] {
            assert_eq!(SyncInterval::parse(name).and_then(SyncInterval::name), Some(name));
        }
        assert_eq!(SyncInterval::Custom(Duration::from_secs(9)).name(), None);
    }
}
