//! The options the page changes: sync on or off, frequency, data types, bandwidth limit,
//! pulling, how long recordings stay on this device ("Keep on this device").
//! [`Daemon::set_settings`] writes them to the config file (so they persist, with the
//! file's place in the precedence of flags, environment and file), reads the settings again,
//! and applies them to the running service without a restart.

use serde::{Deserialize, Serialize};
use sync_client::config::{ConfigFile, DataTypes, KeepLocal};
use sync_client::service::SyncInterval;
use sync_client::service::options::BYTES_PER_MBIT;

use super::{Daemon, lock};
use crate::error::{DaemonError, Result};

/// The kinds of data, with the page's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTypeSettings {
    /// Screen recordings (video chunks).
    pub screen: bool,
    /// Audio recordings.
    pub audio: bool,
    /// Text: OCR, transcriptions, accessibility, UI events.
    pub text: bool,
}

/// What the page shows and changes (`GET` / `PUT /api/config`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Background sync on.
    pub enabled: bool,
    /// `5m`, `15m`, `1h` or `manual`.
    pub interval: String,
    /// What a push sends.
    pub data_types: DataTypeSettings,
    /// Upload and download limit in Mbit/s; `null` is none.
    pub bandwidth_limit_mbps: Option<f64>,
    /// Also pull other devices' data at every cycle.
    pub pull: bool,
    /// Days each type (`screen`, `audio`, `text`) stays on this device before it is offloaded
    /// to the cloud (once proven there): 7, 30, 90, or `null` (forever, the default).
    #[serde(default)]
    pub keep_on_device: KeepLocal,
}

/// The choices the page offers.
const KEEP_CHOICES: [u32; 3] = [7, 30, 90];

/// The rest of the page's configuration view: where the account is (read-only here; the
/// sign-in form changes it).
#[derive(Clone, Debug, Serialize)]
pub struct ConfigView {
    /// The options.
    #[serde(flatten)]
    pub settings: Settings,
    /// The server address, if set.
    pub server: Option<String>,
    /// True when a token is saved (the token itself never leaves the daemon).
    pub token_saved: bool,
    /// This device's name.
    pub device_name: String,
    /// The config file.
    pub config_path: String,
}

impl Daemon {
    /// The options as they apply now.
    pub fn settings(&self) -> Result<Settings> {
        let file = self.read_file()?;
        let config = self.config();
        let options = self.service_options(&config, &file)?;
        Ok(Settings {
            enabled: Daemon::enabled(&file),
            interval: options.interval.name().unwrap_or("15m").to_owned(),
            data_types: DataTypeSettings {
                screen: config.data_types.frames,
                audio: config.data_types.audio,
                text: config.data_types.text,
            },
            bandwidth_limit_mbps: options.bandwidth_limit_mbps,
            pull: options.pull,
            keep_on_device: options.keep_local,
        })
    }

    /// The configuration view of the page.
    pub fn config_view(&self) -> Result<ConfigView> {
        let config = self.config();
        Ok(ConfigView {
            settings: self.settings()?,
            server: config.server.clone().filter(|s| !s.trim().is_empty()),
            token_saved: config.token.as_deref().is_some_and(|t| !t.trim().is_empty()),
            device_name: config.device_name.clone(),
            config_path: self.shared.options.config_path.display().to_string(),
        })
    }

    /// Writes the options to the config file and applies them now: the service reschedules,
    /// starts or stops; the next cycle uses the data types and the bandwidth limit.
    pub async fn set_settings(&self, settings: &Settings) -> Result<Settings> {
        let interval = SyncInterval::parse(&settings.interval)
            .ok_or_else(|| DaemonError::BadRequest(format!("{:?} is not 5m, 15m, 1h or manual", settings.interval)))?;
        let bandwidth = match settings.bandwidth_limit_mbps {
            None => None,
            Some(m) if m.is_finite() && m > 0.0 && m <= 100_000.0 => Some(((m * BYTES_PER_MBIT).round() as u64).max(1)),
            Some(m) => {
                return Err(DaemonError::BadRequest(format!(
                    "the bandwidth limit {m} is not a number of Mbit/s between 0 and 100000"
                )));
            }
        };
        let keep = settings.keep_on_device;
        for days in [keep.screen, keep.audio, keep.text].into_iter().flatten() {
            if !KEEP_CHOICES.contains(&days) {
                return Err(DaemonError::BadRequest(format!(
                    "keep on this device: {days} days is not 7, 30, 90 or forever (null)"
                )));
            }
        }
        let _one = self.shared.ops.lock().await;
        let mut file: ConfigFile = self.read_file()?;
        file.sync_enabled = Some(settings.enabled);
        file.sync_interval = interval.name().map(str::to_owned);
        file.pull = Some(settings.pull);
        file.bandwidth_limit = bandwidth;
        file.data_types = Some(DataTypes {
            frames: settings.data_types.screen,
            audio: settings.data_types.audio,
            text: settings.data_types.text,
        });
        file.keep_local = (keep != KeepLocal::default()).then_some(keep);
        let config = self.write_file(&file)?;
        if let Some(service) = self.service() {
            service.set_options(self.service_options(&config, &file)?);
            if settings.enabled {
                service.start()?;
            } else {
                service.stop().await;
            }
        }
        drop(_one);
        lock(&self.shared.config).clone_from(&config);
        self.notify();
        self.settings()
    }
}
