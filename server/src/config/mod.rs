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
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sync_core::wire::SyncTier;

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

/// Stripe webhook settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StripeConfig {
    /// The endpoint's signing secret (`whsec_...`); `None` disables the webhook.
    pub webhook_secret: Option<String>,
    /// Stripe price id to tier.
    pub prices: HashMap<String, SyncTier>,
}

/// The resolved configuration of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where the SQLite file and the objects live.
    pub data_dir: PathBuf,
    /// Listening address.
    pub bind: SocketAddr,
    /// Base of signed URLs (scheme, host, port; no trailing slash); `None`: `http://<bound address>`.
    pub public_url: Option<String>,
    /// A directory served at `/` (the web viewer).
    pub static_dir: Option<PathBuf>,
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
}

impl Config {
    /// The defaults, with data in `data_dir`.
    pub fn with_data_dir(data_dir: &Path) -> Config {
        Config {
            data_dir: data_dir.to_owned(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8787)),
            public_url: None,
            static_dir: None,
            log_format: LogFormat::Text,
            upload_url_ttl: Duration::from_secs(3600),
            download_url_ttl: Duration::from_secs(3600),
            abandoned_upload_after: Duration::from_secs(24 * 3600),
            cleanup_interval: Duration::from_secs(3600),
            stripe: StripeConfig::default(),
            database_url: None,
            database_pool_size: crate::store::metadata::postgres::DEFAULT_POOL_SIZE,
            s3: None,
        }
    }
}

/// The TOML file's shape.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See [`Config::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Config::bind`].
    pub bind: Option<String>,
    /// See [`Config::public_url`].
    pub public_url: Option<String>,
    /// See [`Config::static_dir`].
    pub static_dir: Option<PathBuf>,
    /// `text` or `json`.
    pub log_format: Option<String>,
    /// Seconds.
    pub upload_url_ttl_secs: Option<u64>,
    /// Seconds.
    pub download_url_ttl_secs: Option<u64>,
    /// Seconds.
    pub abandoned_upload_secs: Option<u64>,
    /// Seconds.
    pub cleanup_interval_secs: Option<u64>,
    /// Stripe webhook.
    pub stripe: Option<FileStripe>,
    /// See [`Config::database_url`].
    pub database_url: Option<String>,
    /// See [`Config::database_pool_size`].
    pub database_pool_size: Option<usize>,
    /// S3-compatible object storage.
    pub s3: Option<FileS3>,
}

/// The `[s3]` table of the TOML file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileS3 {
    /// Endpoint URL.
    pub endpoint: Option<String>,
    /// Bucket.
    pub bucket: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Key prefix.
    pub prefix: Option<String>,
}

/// The `[stripe]` table of the TOML file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStripe {
    /// Signing secret.
    pub webhook_secret: Option<String>,
    /// Price id to tier name.
    pub prices: Option<HashMap<String, String>>,
}

/// Settings given on the command line or in the environment (they win over the file).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// See [`Config::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Config::bind`].
    pub bind: Option<String>,
    /// See [`Config::public_url`].
    pub public_url: Option<String>,
    /// See [`Config::static_dir`].
    pub static_dir: Option<PathBuf>,
    /// `text` or `json`.
    pub log_format: Option<String>,
    /// Seconds.
    pub upload_url_ttl_secs: Option<u64>,
    /// Seconds.
    pub download_url_ttl_secs: Option<u64>,
    /// Seconds.
    pub abandoned_upload_secs: Option<u64>,
    /// Seconds.
    pub cleanup_interval_secs: Option<u64>,
    /// Stripe signing secret.
    pub stripe_webhook_secret: Option<String>,
    /// `price_a=starter,price_b=pro`.
    pub stripe_prices: Option<String>,
    /// See [`Config::database_url`].
    pub database_url: Option<String>,
    /// See [`Config::database_pool_size`].
    pub database_pool_size: Option<usize>,
    /// S3 endpoint URL.
    pub s3_endpoint: Option<String>,
    /// S3 bucket.
    pub s3_bucket: Option<String>,
    /// S3 region.
    pub s3_region: Option<String>,
    /// S3 access key id.
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    pub s3_secret_access_key: Option<String>,
    /// Key prefix inside the bucket.
    pub s3_prefix: Option<String>,
}

/// Reads a TOML configuration file.
pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })
}

fn parse_tier(name: &'static str, text: &str) -> Result<SyncTier, ConfigError> {
    text.trim()
        .parse::<SyncTier>()
        .map_err(|_| ConfigError::Invalid { name, message: format!("{text:?} is not none, starter, pro or team") })
}

/// Parses `price_a=starter,price_b=pro`.
pub fn parse_price_map(text: &str) -> Result<HashMap<String, SyncTier>, ConfigError> {
    let mut map = HashMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (price, tier) = pair.split_once('=').ok_or_else(|| ConfigError::Invalid {
            name: "stripe_prices",
            message: format!("{pair:?} is not PRICE_ID=TIER"),
        })?;
        map.insert(price.trim().to_owned(), parse_tier("stripe_prices", tier)?);
    }
    Ok(map)
}

fn secs(name: &'static str, value: Option<u64>, default: Duration) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ConfigError::Invalid { name, message: "must be at least 1 second".into() }),
        Some(n) => Ok(Duration::from_secs(n)),
    }
}

/// Merges overrides over the file over the defaults.
pub fn resolve(file: FileConfig, over: Overrides) -> Result<Config, ConfigError> {
    let data_dir = over.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let defaults = Config::with_data_dir(&data_dir);
    let bind_text = over.bind.or(file.bind).unwrap_or_else(|| DEFAULT_BIND.to_owned());
    let bind = bind_text
        .parse::<SocketAddr>()
        .map_err(|e| ConfigError::Invalid { name: "bind", message: format!("{bind_text:?}: {e}") })?;
    let public_url = over.public_url.or(file.public_url).map(|u| u.trim_end_matches('/').to_owned());
    if let Some(url) = &public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ConfigError::Invalid { name: "public_url", message: format!("{url:?} is not an http(s) URL") });
    }
    let log_format = match over.log_format.or(file.log_format).as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            return Err(ConfigError::Invalid { name: "log_format", message: format!("{other:?} is not text or json") });
        }
    };
    let file_stripe = file.stripe.unwrap_or_default();
    let prices = match over.stripe_prices {
        Some(text) => parse_price_map(&text)?,
        None => {
            let mut map = HashMap::new();
            for (price, tier) in file_stripe.prices.unwrap_or_default() {
                map.insert(price, parse_tier("stripe.prices", &tier)?);
            }
            map
        }
    };
    let webhook_secret = over.stripe_webhook_secret.or(file_stripe.webhook_secret).filter(|s| !s.is_empty());
    let database_url = over.database_url.or(file.database_url).filter(|u| !u.is_empty());
    if let Some(url) = &database_url
        && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        return Err(ConfigError::Invalid {
            name: "database_url",
            message: "must be a postgres:// or postgresql:// URL".into(),
        });
    }
    let database_pool_size = over.database_pool_size.or(file.database_pool_size).unwrap_or(defaults.database_pool_size);
    if database_pool_size == 0 {
        return Err(ConfigError::Invalid { name: "database_pool_size", message: "must be at least 1".into() });
    }
    let file_s3 = file.s3.unwrap_or_default();
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let endpoint = nonempty(over.s3_endpoint.or(file_s3.endpoint)).map(|e| e.trim_end_matches('/').to_owned());
    let bucket = nonempty(over.s3_bucket.or(file_s3.bucket));
    let region = nonempty(over.s3_region.or(file_s3.region));
    let access_key_id = nonempty(over.s3_access_key_id.or(file_s3.access_key_id));
    let secret_access_key = nonempty(over.s3_secret_access_key.or(file_s3.secret_access_key));
    let prefix = nonempty(over.s3_prefix.or(file_s3.prefix));
    if let Some(url) = &endpoint
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ConfigError::Invalid { name: "s3_endpoint", message: format!("{url:?} is not an http(s) URL") });
    }
    let s3 = match bucket {
        Some(bucket) => Some(S3Config { endpoint, bucket, region, access_key_id, secret_access_key, prefix }),
        None if endpoint.is_some()
            || region.is_some()
            || access_key_id.is_some()
            || secret_access_key.is_some()
            || prefix.is_some() =>
        {
            return Err(ConfigError::Invalid {
                name: "s3_bucket",
                message: "S3 settings were given without a bucket".into(),
            });
        }
        None => None,
    };
    Ok(Config {
        data_dir,
        bind,
        public_url,
        static_dir: over.static_dir.or(file.static_dir),
        log_format,
        upload_url_ttl: secs(
            "upload_url_ttl_secs",
            over.upload_url_ttl_secs.or(file.upload_url_ttl_secs),
            defaults.upload_url_ttl,
        )?,
        download_url_ttl: secs(
            "download_url_ttl_secs",
            over.download_url_ttl_secs.or(file.download_url_ttl_secs),
            defaults.download_url_ttl,
        )?,
        abandoned_upload_after: secs(
            "abandoned_upload_secs",
            over.abandoned_upload_secs.or(file.abandoned_upload_secs),
            defaults.abandoned_upload_after,
        )?,
        cleanup_interval: secs(
            "cleanup_interval_secs",
            over.cleanup_interval_secs.or(file.cleanup_interval_secs),
            defaults.cleanup_interval,
        )?,
        stripe: StripeConfig { webhook_secret, prices },
        database_url,
        database_pool_size,
        s3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_flags_over_file_over_defaults() {
        let file: FileConfig = toml::from_str(
            r#"
            data_dir = "/from-file"
            bind = "0.0.0.0:9000"
            log_format = "json"
            [stripe]
            webhook_secret = "whsec_file"
            prices = { price_a = "pro" }
            "#,
        )
        .unwrap();
        let config = resolve(
            file.clone(),
            Overrides { bind: Some("127.0.0.1:1234".into()), stripe_prices: None, ..Overrides::default() },
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/from-file"));
        assert_eq!(config.bind.to_string(), "127.0.0.1:1234");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.stripe.webhook_secret.as_deref(), Some("whsec_file"));
        assert_eq!(config.stripe.prices.get("price_a"), Some(&SyncTier::Pro));
        let defaults = resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!(defaults.data_dir, PathBuf::from("./sync-data"));
        assert_eq!(defaults.bind.to_string(), "127.0.0.1:8787");
        assert_eq!(defaults.public_url, None);
        assert!(toml::from_str::<FileConfig>("nope = 1").is_err());
    }

    #[test]
    fn price_maps_and_bad_values() {
        let map = parse_price_map("price_a=starter, price_b = team").unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["price_b"], SyncTier::Team);
        assert!(parse_price_map("price_a").is_err());
        assert!(parse_price_map("price_a=gold").is_err());
        let bad = Overrides { bind: Some("nowhere".into()), ..Overrides::default() };
        assert!(resolve(FileConfig::default(), bad).is_err());
        let zero = Overrides { upload_url_ttl_secs: Some(0), ..Overrides::default() };
        assert!(resolve(FileConfig::default(), zero).is_err());
        let mysql = Overrides { database_url: Some("mysql://x".into()), ..Overrides::default() };
        assert!(resolve(FileConfig::default(), mysql).is_err());
        let no_bucket = Overrides { s3_endpoint: Some("http://127.0.0.1:1".into()), ..Overrides::default() };
        assert!(resolve(FileConfig::default(), no_bucket).is_err());
    }

    #[test]
    fn scale_settings_from_file_and_flags() {
        let file: FileConfig = toml::from_str(
            r#"
            database_url = "postgres://u@h/db"
            database_pool_size = 4
            [s3]
            endpoint = "https://s3.example.com/"
            bucket = "b"
            region = "auto"
            prefix = "p"
            "#,
        )
        .unwrap();
        let config = resolve(
            file,
            Overrides {
                s3_bucket: Some("flag-bucket".into()),
                s3_access_key_id: Some("AK".into()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(config.database_url.as_deref(), Some("postgres://u@h/db"));
        assert_eq!(config.database_pool_size, 4);
        let s3 = config.s3.unwrap();
        assert_eq!(s3.bucket, "flag-bucket");
        assert_eq!(s3.endpoint.as_deref(), Some("https://s3.example.com"));
        assert_eq!(s3.region.as_deref(), Some("auto"));
        assert_eq!(s3.access_key_id.as_deref(), Some("AK"));
        assert_eq!(s3.prefix.as_deref(), Some("p"));
        let defaults = resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!(defaults.database_url, None);
        assert_eq!(defaults.s3, None);
    }
}
