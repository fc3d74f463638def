//! [`SyncConfig`]: every setting of the client, and its TOML file form ([`ConfigFile`]).
//!
//! Precedence (the CLI applies it): command-line flag, then environment variable, then the
//! config file, then the defaults below. The password is never a setting.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::ClientOptions;
use crate::error::{IoContext, Result, SyncError};
use crate::redact::redacted;

/// Every setting of a sync client on one device. Its `Debug` redacts the token.
#[derive(Clone)]
pub struct SyncConfig {
    /// The server (root or `/api/sync` base).
    pub server: Option<String>,
    /// The account's bearer token.
    pub token: Option<String>,
    /// screenpipe's database (`~/.screenpipe/db.sqlite`).
    pub db_path: PathBuf,
    /// screenpipe's media folder (`~/.screenpipe/data`): media paths are resolved against it,
    /// pulled media are written under it.
    pub data_dir: PathBuf,
    /// This client's own folder: `state.sqlite3`, the staging folder, `config.toml`.
    pub state_dir: PathBuf,
    /// The name shown in the device list.
    pub device_name: String,
    /// Upload search tokens with `text` blobs (docs/FORMAT.md, Search tokens; on by default).
    pub search_tokens: bool,
    /// Length of the time window of one `text` bundle.
    pub window: Duration,
    /// Most uploads in flight at once: the adaptive window (`api/window.rs`) starts at 4 and
    /// grows up to this while throughput grows.
    pub upload_concurrency: usize,
    /// Most downloads in flight at once during a pull (the same adaptive window).
    pub download_concurrency: usize,
    /// A media file is packaged once it has not been modified for this long (screenpipe is
    /// done writing it).
    pub media_settle: Duration,
    /// Most rows of one table read in one packaging pass (bounds memory).
    pub max_rows_per_pass: u32,
    /// HTTP timeouts, retries, bandwidth limit.
    pub client: ClientOptions,
    /// Which kinds of data a push sends (all by default).
    pub data_types: DataTypes,
}

/// Which kinds of data a push packages and uploads: screen recordings (`frames` blobs),
/// audio recordings (`audio` blobs), and the text rows (`text` bundles: OCR, transcriptions,
/// accessibility, UI events). A kind left out stays where it is (its cursor does not move) and
/// is sent by a later push that includes it.
///
/// In the config file: `data_types = { frames = true, audio = false, text = true }` (a kind left
/// out of the table is on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataTypes {
    /// Video chunks (`frames` blobs).
    pub frames: bool,
    /// Audio chunks (`audio` blobs).
    pub audio: bool,
    /// The text rows (`text` bundles).
    pub text: bool,
}

impl Default for DataTypes {
    fn default() -> DataTypes {
        DataTypes { frames: true, audio: true, text: true }
    }
}

impl DataTypes {
    /// True when blobs of `blob_type` are sent.
    pub fn allows(&self, blob_type: sync_core::BlobType) -> bool {
        match blob_type {
            sync_core::BlobType::Frames => self.frames,
            sync_core::BlobType::Audio => self.audio,
            sync_core::BlobType::Text => self.text,
        }
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."))
}

/// A default device name: the host name.
pub fn default_device_name() -> String {
    let from_file = std::fs::read_to_string("/etc/hostname").ok().map(|s| s.trim().to_owned());
    from_file
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "desktop".to_owned())
        .chars()
        .take(64)
        .collect()
}

impl Default for SyncConfig {
    fn default() -> SyncConfig {
        let screenpipe = home().join(".screenpipe");
        SyncConfig {
            server: None,
            token: None,
            db_path: screenpipe.join("db.sqlite"),
            data_dir: screenpipe.join("data"),
            state_dir: screenpipe.join("sync"),
            device_name: default_device_name(),
            search_tokens: true,
            window: Duration::from_secs(5 * 60),
            upload_concurrency: 16,
            download_concurrency: 16,
            media_settle: Duration::from_secs(120),
            max_rows_per_pass: 50_000,
            client: ClientOptions::default(),
            data_types: DataTypes::default(),
        }
    }
}

impl SyncConfig {
    /// A configuration for a screenpipe folder laid out as screenpipe does (`DIR/db.sqlite`,
    /// `DIR/data/`), with the state in `DIR/sync/`.
    pub fn for_screenpipe_dir(dir: &Path) -> SyncConfig {
        SyncConfig {
            db_path: dir.join("db.sqlite"),
            data_dir: dir.join("data"),
            state_dir: dir.join("sync"),
            ..SyncConfig::default()
        }
    }

    /// The state file.
    pub fn state_path(&self) -> PathBuf {
        self.state_dir.join("state.sqlite3")
    }

    /// The staging folder (sealed blobs waiting for upload).
    pub fn staging_dir(&self) -> PathBuf {
        self.state_dir.join("staging")
    }

    /// The server, or a configuration error naming the flag.
    pub fn server(&self) -> Result<&str> {
        self.server
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| SyncError::Config("no server address (--server or SCREENPIPE_SYNC_SERVER)".into()))
    }

    /// The token, or a configuration error naming the flag.
    pub fn token(&self) -> Result<&str> {
        self.token
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| SyncError::Config("no bearer token (--token or SCREENPIPE_SYNC_TOKEN)".into()))
    }

    /// The warning to print (loudly: on stderr, in the log) when plain `http://` to a host other
    /// than a loopback address is allowed by `allow_insecure_http` and the server is such a
    /// host; `None` otherwise.
    pub fn insecure_http_warning(&self) -> Option<String> {
        if !self.client.allow_insecure_http {
            return None;
        }
        let base = crate::api::api_base(self.server().ok()?).ok()?;
        crate::api::insecure_warning(&url::Url::parse(&base).ok()?)
    }

    /// Applies the values a config file sets.
    pub fn apply_file(&mut self, file: &ConfigFile) {
        if let Some(v) = &file.server {
            self.server = Some(v.clone());
        }
        if let Some(v) = &file.token {
            self.token = Some(v.clone());
        }
        if let Some(v) = &file.db {
            self.db_path = v.clone();
        }
        if let Some(v) = &file.data_dir {
            self.data_dir = v.clone();
        }
        if let Some(v) = &file.state_dir {
            self.state_dir = v.clone();
        }
        if let Some(v) = &file.device_name {
            self.device_name = v.clone();
        }
        if let Some(v) = file.search_tokens {
            self.search_tokens = v;
        }
        if let Some(v) = file.window_minutes {
            self.window = Duration::from_secs(u64::from(v.clamp(1, 24 * 60)) * 60);
        }
        if let Some(v) = file.upload_concurrency {
            self.upload_concurrency = v.clamp(1, 64);
        }
        if let Some(v) = file.download_concurrency {
            self.download_concurrency = v.clamp(1, 64);
        }
        if let Some(v) = file.media_settle_secs {
            self.media_settle = Duration::from_secs(v);
        }
        if let Some(v) = file.bandwidth_limit {
            self.client.bandwidth_limit = Some(v.max(1));
        }
        if let Some(v) = file.retries {
            self.client.max_retries = v.min(20);
        }
        if let Some(v) = file.timeout_secs {
            self.client.request_timeout = Duration::from_secs(v.max(1));
            self.client.read_timeout = Duration::from_secs(v.max(1));
        }
        if let Some(v) = file.allow_insecure_http {
            self.client.allow_insecure_http = v;
        }
        if let Some(v) = &file.object_origins {
            self.client.object_origins = v.clone();
        }
        if let Some(v) = file.data_types {
            self.data_types = v;
        }
    }
}

/// The TOML config file (`--config`, `SCREENPIPE_SYNC_CONFIG`, or `STATE_DIR/config.toml`).
/// Every key is optional; unknown keys are an error. Its `Debug` redacts the token.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Server address.
    pub server: Option<String>,
    /// Bearer token.
    pub token: Option<String>,
    /// screenpipe's database.
    pub db: Option<PathBuf>,
    /// screenpipe's media folder.
    pub data_dir: Option<PathBuf>,
    /// This client's folder.
    pub state_dir: Option<PathBuf>,
    /// Device name.
    pub device_name: Option<String>,
    /// Upload search tokens.
    pub search_tokens: Option<bool>,
    /// Bundle window, minutes (1 to 1440).
    pub window_minutes: Option<u32>,
    /// Most uploads in flight (1 to 64; default 16).
    pub upload_concurrency: Option<usize>,
    /// Most downloads in flight during a pull (1 to 64; default 16).
    pub download_concurrency: Option<usize>,
    /// Seconds a media file must be unmodified before it is packaged.
    pub media_settle_secs: Option<u64>,
    /// Bytes per second.
    pub bandwidth_limit: Option<u64>,
    /// Retries of a failed request (network errors and 5xx).
    pub retries: Option<u32>,
    /// Request and read timeout, seconds.
    pub timeout_secs: Option<u64>,
    /// Background sync on (the daemon starts its service; `false`: it only serves the page).
    pub sync_enabled: Option<bool>,
    /// How often the background service syncs: `5m`, `15m`, `1h` or `manual`
    /// ([`SyncInterval`](crate::service::SyncInterval)).
    pub sync_interval: Option<String>,
    /// The background service also pulls other devices' data.
    pub pull: Option<bool>,
    /// Accept plain `http://` to a host other than a loopback address (sends the token in the
    /// clear; a warning is printed).
    pub allow_insecure_http: Option<bool>,
    /// Origins (`https://host[:port]`) of the object store the server presigns URLs for (its
    /// S3 endpoint), besides the server's own.
    pub object_origins: Option<Vec<String>>,
    /// Which kinds of data a push sends (a table, last in the file).
    pub data_types: Option<DataTypes>,
    /// How long media (and, if chosen, text rows) stay on this device before the background
    /// service offloads them to the cloud (`archive`; a table, last in the file).
    pub keep_local: Option<KeepLocal>,
}

/// Days recordings stay on this device before the background service offloads them once proven
/// in the cloud (`screenpipe-sync archive` after each cycle, `--drop-text` for text); `None`:
/// kept forever (the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepLocal {
    /// Screen recordings (video chunks, snapshots).
    #[serde(default)]
    pub screen: Option<u32>,
    /// Audio recordings.
    #[serde(default)]
    pub audio: Option<u32>,
    /// Text rows (screen text, elements, transcriptions; `archive --drop-text`): local search
    /// then finds only the newer text, cloud search all of it.
    #[serde(default)]
    pub text: Option<u32>,
}

impl ConfigFile {
    /// Reads a config file (at most 1 MiB).
    pub fn read(path: &Path) -> Result<ConfigFile> {
        let meta = std::fs::metadata(path).io_ctx(|| format!("config file {}", path.display()))?;
        if meta.len() > 1 << 20 {
            return Err(SyncError::Config(format!("{} is larger than 1 MiB", path.display())));
        }
        let text = std::fs::read_to_string(path).io_ctx(|| format!("read {}", path.display()))?;
        toml::from_str(&text).map_err(|source| SyncError::ConfigFile { path: path.to_owned(), source })
    }

    /// Reads the file at `path`, or an empty one when it does not exist.
    pub fn read_or_default(path: &Path) -> Result<ConfigFile> {
        if path.exists() { ConfigFile::read(path) } else { Ok(ConfigFile::default()) }
    }

    /// Writes the file atomically (a temporary file in the same folder, synced, then renamed),
    /// readable by its owner only on Unix (it may hold the token). Creates the folder.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = toml::to_string(self).map_err(|source| SyncError::ConfigWrite { source })?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).io_ctx(|| format!("create {}", dir.display()))?;
        let tmp = path.with_extension("toml.tmp");
        {
            use std::io::Write as _;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp).io_ctx(|| format!("create {}", tmp.display()))?;
            file.write_all(text.as_bytes()).io_ctx(|| format!("write {}", tmp.display()))?;
            file.sync_all().io_ctx(|| format!("sync {}", tmp.display()))?;
        }
        std::fs::rename(&tmp, path).io_ctx(|| format!("rename {} to {}", tmp.display(), path.display()))
    }
}

impl std::fmt::Debug for SyncConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncConfig")
            .field("server", &self.server)
            .field("token", &redacted(&self.token))
            .field("db_path", &self.db_path)
            .field("data_dir", &self.data_dir)
            .field("state_dir", &self.state_dir)
            .field("device_name", &self.device_name)
            .field("search_tokens", &self.search_tokens)
            .field("window", &self.window)
            .field("upload_concurrency", &self.upload_concurrency)
            .field("download_concurrency", &self.download_concurrency)
            .field("media_settle", &self.media_settle)
            .field("max_rows_per_pass", &self.max_rows_per_pass)
            .field("client", &self.client)
            .field("data_types", &self.data_types)
            .finish()
    }
}

impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("server", &self.server)
            .field("token", &redacted(&self.token))
            .field("db", &self.db)
            .field("data_dir", &self.data_dir)
            .field("state_dir", &self.state_dir)
            .field("device_name", &self.device_name)
            .field("search_tokens", &self.search_tokens)
            .field("window_minutes", &self.window_minutes)
            .field("upload_concurrency", &self.upload_concurrency)
            .field("download_concurrency", &self.download_concurrency)
            .field("media_settle_secs", &self.media_settle_secs)
            .field("bandwidth_limit", &self.bandwidth_limit)
            .field("retries", &self.retries)
            .field("timeout_secs", &self.timeout_secs)
            .field("sync_enabled", &self.sync_enabled)
            .field("sync_interval", &self.sync_interval)
            .field("pull", &self.pull)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("object_origins", &self.object_origins)
            .field("data_types", &self.data_types)
            .field("keep_local", &self.keep_local)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_defaults() {
        let file: ConfigFile = toml::from_str(
            "server = \"http://127.0.0.1:1\"\nsearch_tokens = false\nwindow_minutes = 10\nbandwidth_limit = 1000\n",
        )
        .unwrap();
        let mut config = SyncConfig::default();
        config.apply_file(&file);
        assert_eq!(config.server().unwrap(), "http://127.0.0.1:1");
        assert!(!config.search_tokens);
        assert_eq!(config.window, Duration::from_secs(600));
        assert_eq!(config.client.bandwidth_limit, Some(1000));
        assert!(toml::from_str::<ConfigFile>("password = \"x\"").is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let file: ConfigFile =
            toml::from_str("server = \"http://127.0.0.1:1\"\ntoken = \"s3cr3t-token\"\nretries = 2\n").unwrap();
        let debug = format!("{file:?}");
        assert_eq!(
            debug,
            "ConfigFile { server: Some(\"http://127.0.0.1:1\"), token: Some(<redacted>), db: None, data_dir: None, \
             state_dir: None, device_name: None, search_tokens: None, window_minutes: None, upload_concurrency: None, \
             download_concurrency: None, media_settle_secs: None, bandwidth_limit: None, retries: Some(2), timeout_secs: None, sync_enabled: None, \
             sync_interval: None, pull: None, allow_insecure_http: None, object_origins: None, data_types: None, keep_local: None }"
        );

        let mut config = SyncConfig::for_screenpipe_dir(Path::new("/sp"));
        config.apply_file(&file);
        config.device_name = "laptop".into();
        config.client.user_agent = "ua".into();
        let debug = format!("{config:?}");
        assert_eq!(
            debug,
            "SyncConfig { server: Some(\"http://127.0.0.1:1\"), token: Some(<redacted>), db_path: \"/sp/db.sqlite\", \
             data_dir: \"/sp/data\", state_dir: \"/sp/sync\", device_name: \"laptop\", search_tokens: true, \
             window: 300s, upload_concurrency: 16, download_concurrency: 16, media_settle: 120s, max_rows_per_pass: 50000, \
             client: ClientOptions { connect_timeout: 10s, request_timeout: 60s, read_timeout: 60s, max_retries: 2, \
             backoff_base: 250ms, backoff_max: 15s, bandwidth_limit: None, user_agent: \"ua\", max_retry_after: 60s, \
             allow_insecure_http: false, object_origins: [], max_object_bytes: 1090519040 }, \
             data_types: DataTypes { frames: true, audio: true, text: true } }"
        );
        assert!(!debug.contains("s3cr3t"));
        config.token = None;
        assert!(format!("{config:?}").contains("token: None"));
    }

    #[test]
    fn write_then_read_keeps_every_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        assert_eq!(ConfigFile::read_or_default(&path).unwrap(), ConfigFile::default());
        let file = ConfigFile {
            server: Some("http://127.0.0.1:1".into()),
            token: Some("t0ken".into()),
            bandwidth_limit: Some(1_250_000),
            sync_enabled: Some(false),
            sync_interval: Some("1h".into()),
            pull: Some(true),
            allow_insecure_http: Some(true),
            object_origins: Some(vec!["https://s3.example.com".into()]),
            data_types: Some(DataTypes { frames: false, audio: true, text: true }),
            ..ConfigFile::default()
        };
        file.write(&path).unwrap();
        assert_eq!(ConfigFile::read(&path).unwrap(), file);
        assert!(!path.with_extension("toml.tmp").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let mut config = SyncConfig::default();
        config.apply_file(&ConfigFile::read(&path).unwrap());
        assert_eq!(config.data_types, DataTypes { frames: false, audio: true, text: true });
        assert!(config.client.allow_insecure_http);
        assert_eq!(config.client.object_origins, vec!["https://s3.example.com".to_owned()]);
        // A kind left out of the table is on; an unknown kind is an error.
        let partial: ConfigFile = toml::from_str("data_types = { frames = false }").unwrap();
        assert_eq!(partial.data_types, Some(DataTypes { frames: false, audio: true, text: true }));
        assert!(toml::from_str::<ConfigFile>("data_types = { video = false }").is_err());
    }
}
