//! Server configuration: command-line flags, environment variables (`SYNC_SERVER_*`) and an
//! optional TOML file, in that order of precedence, over built-in defaults.
//!
//! Defaults: data in `./sync-data`, listening on `127.0.0.1:8787`, public URL `http://<bind>`,
//! upload and download URLs valid for one hour, uploads abandoned after 24 hours, cleanup and
//! retention every hour, no Stripe webhook (the route answers 404 until a secret is set).
//!
//! A TOML file names the same settings (all optional):
//! ```toml
//! data_dir = "/var/lib/sync-server"
//! bind = "0.0.0.0:8787"
//! public_url = "https://sync.example.com"
//! static_dir = "/srv/viewer"
//! viewer_connect_src = "https://other.example.com"   # origins the viewer may fetch from
//! log_format = "json"            # or "text"
//! upload_url_ttl_secs = 3600
//! download_url_ttl_secs = 3600
//! abandoned_upload_secs = 86400
//! cleanup_interval_secs = 3600
//! # At scale (both optional, independent): PostgreSQL metadata, S3-compatible objects.
//! database_url = "postgres://sync:PASSWORD@db.internal:5432/sync?sslmode=require"
//! database_pool_size = 16
//! [s3]
//! endpoint = "https://ACCOUNT.r2.cloudflarestorage.com"
//! bucket = "screenpipe-sync"
//! region = "auto"
//! access_key_id = "..."          # or AWS_ACCESS_KEY_ID
//! secret_access_key = "..."      # or AWS_SECRET_ACCESS_KEY
//! prefix = "prod"                # optional key prefix inside the bucket
//! [stripe]
//! webhook_secret = "whsec_..."
//! prices = { price_1Starter = "starter", price_1Pro = "pro", price_1Team = "team" }
//! [limits]                       # see `limits` (all optional)
//! max_pending_uploads = 4096
//! max_pending_bytes = 17179869184
//! ```

//!
//! | module | holds |
//! | --- | --- |
//! | `mod.rs` | the resolved [`Config`], its defaults, errors, and its secret-hiding `Debug` |
//! | `file` | the TOML file's shape ([`FileConfig`]) and [`load_file`] |
//! | `resolve` | flags and environment ([`Overrides`]) merged over the file ([`resolve`]) |
//! | `limits` | what one account or client may hold or ask ([`Limits`]), from [`LimitSettings`] |

mod file;
pub mod limits;
mod resolve;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sync_core::wire::SyncTier;

pub use file::{FileConfig, FileS3, FileStripe, load_file};
pub use limits::{LimitSettings, Limits};
pub use resolve::{Overrides, parse_price_map, resolve};

use crate::redact;
use crate::store::objects::s3::S3Config;

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./sync-data";
/// Default listening address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8787";

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML file is not valid.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A setting has an invalid value.
    #[error("invalid setting {name}: {message}")]
    Invalid {
        /// The setting.
        name: &'static str,
        /// Why.
        message: String,
    },
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Stripe webhook settings. `Debug` shows the secret as `<redacted>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StripeConfig {
    /// The endpoint's signing secret (`whsec_...`); `None` disables the webhook.
    pub webhook_secret: Option<String>,
    /// Stripe price id to tier.
    pub prices: HashMap<String, SyncTier>,
}

/// The resolved configuration of the server. `Debug` hides the secrets: the database URL's
/// password (`***`), the Stripe webhook secret and the S3 secret access key (`<redacted>`).
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the SQLite file and the objects live.
    pub data_dir: PathBuf,
    /// Listening address.
    pub bind: SocketAddr,
    /// Base of signed URLs (scheme, host, port; no trailing slash); `None`: `http://<bound address>`.
    pub public_url: Option<String>,
    /// A directory served at `/` (the web viewer).
    pub static_dir: Option<PathBuf>,
    /// Origins (`https://host[:port]`) the viewer's pages may fetch from besides this server
    /// and the S3 endpoint (its `Content-Security-Policy` `connect-src`).
    pub viewer_connect_src: Vec<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// Validity of upload URLs.
    pub upload_url_ttl: Duration,
    /// Validity of download URLs.
    pub download_url_ttl: Duration,
    /// A pending upload untouched this long is removed with its object.
    pub abandoned_upload_after: Duration,
    /// How often the cleanup and retention job runs.
    pub cleanup_interval: Duration,
    /// Stripe webhook.
    pub stripe: StripeConfig,
    /// PostgreSQL connection string; `None`: the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Connections per process in the PostgreSQL pool.
    pub database_pool_size: usize,
    /// S3-compatible object storage; `None`: the objects directory in `data_dir`.
    pub s3: Option<S3Config>,
    /// What one account or client may hold or ask.
    pub limits: Limits,
}

impl Config {
    /// The defaults, with data in `data_dir`.
    pub fn with_data_dir(data_dir: &Path) -> Config {
        Config {
            data_dir: data_dir.to_owned(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8787)),
            public_url: None,
            static_dir: None,
            viewer_connect_src: Vec::new(),
            log_format: LogFormat::Text,
            upload_url_ttl: Duration::from_secs(3600),
            download_url_ttl: Duration::from_secs(3600),
            abandoned_upload_after: Duration::from_secs(24 * 3600),
            cleanup_interval: Duration::from_secs(3600),
            stripe: StripeConfig::default(),
            database_url: None,
            database_pool_size: crate::store::metadata::postgres::DEFAULT_POOL_SIZE,
            s3: None,
            limits: Limits::default(),
        }
    }
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut prices: Vec<(&String, &SyncTier)> = self.prices.iter().collect();
        prices.sort_by(|a, b| a.0.cmp(b.0));
        f.debug_struct("StripeConfig")
            .field("webhook_secret", &redact::secret(&self.webhook_secret))
            .field("prices", &prices)
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("static_dir", &self.static_dir)
            .field("viewer_connect_src", &self.viewer_connect_src)
            .field("log_format", &self.log_format)
            .field("upload_url_ttl", &self.upload_url_ttl)
            .field("download_url_ttl", &self.download_url_ttl)
            .field("abandoned_upload_after", &self.abandoned_upload_after)
            .field("cleanup_interval", &self.cleanup_interval)
            .field("stripe", &self.stripe)
            .field("database_url", &redact::url(&self.database_url))
            .field("database_pool_size", &self.database_pool_size)
            .field("s3", &self.s3)
            .field("limits", &self.limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact `Debug` of a configuration holding every secret: none of them shows.
    #[test]
    fn debug_hides_every_secret() {
        let mut config = Config::with_data_dir(Path::new("/var/lib/sync"));
        config.public_url = Some("https://sync.example.com".into());
        config.stripe = StripeConfig {
            webhook_secret: Some("whsec_live_123".into()),
            prices: [("price_b".to_owned(), SyncTier::Team), ("price_a".to_owned(), SyncTier::Pro)].into(),
        };
        config.database_url = Some("postgres://sync:hunter2@db.internal:5432/sync?sslmode=require".into());
        config.s3 = Some(S3Config {
            endpoint: Some("https://s3.example.com".into()),
            bucket: "bucket".into(),
            region: Some("auto".into()),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some("wJalrXUtnFEMI".into()),
            prefix: None,
        });
        let expected = concat!(
            "Config { data_dir: \"/var/lib/sync\", bind: 127.0.0.1:8787, ",
            "public_url: Some(\"https://sync.example.com\"), static_dir: None, viewer_connect_src: [], log_format: Text, ",
            "upload_url_ttl: 3600s, download_url_ttl: 3600s, abandoned_upload_after: 86400s, cleanup_interval: 3600s, ",
            "stripe: StripeConfig { webhook_secret: Some(<redacted>), prices: [(\"price_a\", Pro), (\"price_b\", Team)] }, ",
            "database_url: Some(\"postgres://sync:***@db.internal:5432/sync?sslmode=require\"), database_pool_size: 16, ",
            "s3: Some(S3Config { endpoint: Some(\"https://s3.example.com\"), bucket: \"bucket\", region: Some(\"auto\"), ",
            "access_key_id: Some(\"AKIDEXAMPLE\"), secret_access_key: Some(<redacted>), prefix: None }), ",
        );
        // The limits hold no secret: their own `Debug` (derived) ends the line.
        let expected = format!("{expected}limits: {:?} }}", config.limits);
        assert_eq!(format!("{config:?}"), expected);
        let pretty = format!("{config:#?}");
        for secret in ["hunter2", "whsec_live_123", "wJalrXUtnFEMI"] {
            assert!(!pretty.contains(secret), "{secret} shows in {pretty}");
        }
    }
}
