//! [`ManagerConfig`]: everything a [`SyncManager`](crate::SyncManager) needs (never the
//! password), and its translation into the library's [`SyncConfig`] and [`ServiceOptions`].

use std::path::PathBuf;
use std::time::Duration;

use sync_client::config::{DataTypes, SyncConfig};
use sync_client::service::{ServiceOptions, SyncInterval};

use crate::error::{FfiResult, SyncFfiError};

/// How often the background service syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncFrequency {
    /// Only on `trigger_now` (failures are still retried with backoff).
    Manual,
    /// Every 5 minutes.
    FiveMinutes,
    /// Every 15 minutes.
    FifteenMinutes,
    /// Every hour.
    Hourly,
}

/// Everything a [`SyncManager`] needs. The password is never part of it.
#[derive(Clone, PartialEq, uniffi::Record)]
pub struct ManagerConfig {
    /// The sync server (root or `/api/sync` base), for example `https://sync.example.com`.
    pub server_url: String,
    /// The account's bearer token (from the account page or `sync-server user add`).
    pub token: String,
    /// screenpipe's database (`~/.screenpipe/db.sqlite`).
    pub db_path: String,
    /// screenpipe's media folder (`~/.screenpipe/data`).
    pub data_dir: String,
    /// This client's own folder (state file, staging folder).
    pub state_dir: String,
    /// The name shown in the device list.
    pub device_name: String,
    /// How often the background service syncs.
    pub frequency: SyncFrequency,
    /// Overrides `frequency` with a period in seconds (at least 1), for tests and power users.
    #[uniffi(default = None)]
    pub interval_override_secs: Option<u64>,
    /// Send screen recordings (`frames` blobs).
    #[uniffi(default = true)]
    pub sync_frames: bool,
    /// Send audio recordings (`audio` blobs).
    #[uniffi(default = true)]
    pub sync_audio: bool,
    /// Send the text (OCR, transcriptions, accessibility, UI events).
    #[uniffi(default = true)]
    pub sync_text: bool,
    /// Upload and download limit, Mbit/s; `None` is unlimited.
    #[uniffi(default = None)]
    pub bandwidth_limit_mbps: Option<f64>,
    /// The background service also downloads and imports other devices' data.
    #[uniffi(default = false)]
    pub pull_other_devices: bool,
    /// Upload search tokens (cloud search; docs/FORMAT.md, Search tokens).
    #[uniffi(default = true)]
    pub search_tokens: bool,
    /// A media file is sent once unmodified for this many seconds.
    #[uniffi(default = 120)]
    pub media_settle_secs: u64,
    /// Retries of one request on network errors and 5xx answers.
    #[uniffi(default = 4)]
    pub request_retries: u32,
    /// First delay of the service's retries after a transient failure, milliseconds.
    #[uniffi(default = 5000)]
    pub retry_base_ms: u64,
    /// Longest delay of the service's retries, milliseconds.
    #[uniffi(default = 900000)]
    pub retry_max_ms: u64,
}

impl std::fmt::Debug for ManagerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerConfig")
            .field("server_url", &self.server_url)
            .field("token", &"<redacted>")
            .field("db_path", &self.db_path)
            .field("data_dir", &self.data_dir)
            .field("state_dir", &self.state_dir)
            .field("device_name", &self.device_name)
            .field("frequency", &self.frequency)
            .field("interval_override_secs", &self.interval_override_secs)
            .field("sync_frames", &self.sync_frames)
            .field("sync_audio", &self.sync_audio)
            .field("sync_text", &self.sync_text)
            .field("bandwidth_limit_mbps", &self.bandwidth_limit_mbps)
            .field("pull_other_devices", &self.pull_other_devices)
            .finish_non_exhaustive()
    }
}

impl ManagerConfig {
    /// The library's settings.
    pub(crate) fn sync_config(&self) -> FfiResult<SyncConfig> {
        let path = |s: &str, what: &str| {
            if s.trim().is_empty() {
                Err(SyncFfiError::new("config", format!("{what} is empty")))
            } else {
                Ok(PathBuf::from(s))
            }
        };
        let mut config = SyncConfig {
            server: Some(self.server_url.clone()),
            token: Some(self.token.clone()),
            db_path: path(&self.db_path, "db_path")?,
            data_dir: path(&self.data_dir, "data_dir")?,
            state_dir: path(&self.state_dir, "state_dir")?,
            search_tokens: self.search_tokens,
            media_settle: Duration::from_secs(self.media_settle_secs),
            data_types: self.data_types(),
            ..SyncConfig::default()
        };
        if !self.device_name.trim().is_empty() {
            config.device_name = self.device_name.clone();
        }
        config.client.max_retries = self.request_retries.min(20);
        config.client.bandwidth_limit = self.service_options().bandwidth_bytes_per_sec();
        config.server()?;
        config.token()?;
        Ok(config)
    }

    fn data_types(&self) -> DataTypes {
        DataTypes { frames: self.sync_frames, audio: self.sync_audio, text: self.sync_text }
    }

    pub(crate) fn service_options(&self) -> ServiceOptions {
        let interval = match (self.interval_override_secs, self.frequency) {
            (Some(s), _) => SyncInterval::Custom(Duration::from_secs(s.max(1))),
            (None, SyncFrequency::Manual) => SyncInterval::Manual,
            (None, SyncFrequency::FiveMinutes) => SyncInterval::FiveMinutes,
            (None, SyncFrequency::FifteenMinutes) => SyncInterval::FifteenMinutes,
            (None, SyncFrequency::Hourly) => SyncInterval::Hourly,
        };
        ServiceOptions {
            interval,
            data_types: self.data_types(),
            bandwidth_limit_mbps: self.bandwidth_limit_mbps,
            pull: self.pull_other_devices,
            backoff_base: Duration::from_millis(self.retry_base_ms.max(1)),
            backoff_max: Duration::from_millis(self.retry_max_ms.max(self.retry_base_ms).max(1)),
            keep_local: sync_client::KeepLocal::default(),
        }
    }
}
