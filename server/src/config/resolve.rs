//! Flags and environment variables ([`Overrides`]) merged over the TOML file over the defaults
//! ([`resolve`]), every value checked.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sync_core::wire::SyncTier;

use super::{Config, ConfigError, DEFAULT_BIND, DEFAULT_DATA_DIR, FileConfig, LogFormat, StripeConfig};
use crate::redact;
use crate::store::objects::s3::S3Config;

/// Settings given on the command line or in the environment (they win over the file). `Debug`
/// hides the secrets.
#[derive(Clone, Default)]
pub struct Overrides {
    /// See [`Config::data_dir`](super::Config::data_dir).
    pub data_dir: Option<PathBuf>,
    /// See [`Config::bind`](super::Config::bind).
    pub bind: Option<String>,
    /// See [`Config::public_url`](super::Config::public_url).
    pub public_url: Option<String>,
    /// See [`Config::static_dir`](super::Config::static_dir).
    pub static_dir: Option<PathBuf>,
    /// Space-separated origins; see
    /// [`Config::viewer_connect_src`](super::Config::viewer_connect_src).
    pub viewer_connect_src: Option<String>,
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
    /// See [`Config::database_url`](super::Config::database_url).
    pub database_url: Option<String>,
    /// See [`Config::database_pool_size`](super::Config::database_pool_size).
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
    /// See [`Config::limits`](super::Config::limits).
    pub limits: super::LimitSettings,
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
    let mut viewer_connect_src = Vec::new();
    for item in over.viewer_connect_src.or(file.viewer_connect_src).unwrap_or_default().split_whitespace() {
        match crate::http::headers::origin(item) {
            Some(origin) if origin == item.trim_end_matches('/') => viewer_connect_src.push(origin),
            _ => {
                return Err(ConfigError::Invalid {
                    name: "viewer_connect_src",
                    message: format!("{item:?} is not an http(s) origin (scheme://host[:port])"),
                });
            }
        }
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
        viewer_connect_src,
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
        limits: super::limits::resolve(over.limits, file.limits.unwrap_or_default())?,
    })
}

impl fmt::Debug for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overrides")
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("static_dir", &self.static_dir)
            .field("viewer_connect_src", &self.viewer_connect_src)
            .field("log_format", &self.log_format)
            .field("upload_url_ttl_secs", &self.upload_url_ttl_secs)
            .field("download_url_ttl_secs", &self.download_url_ttl_secs)
            .field("abandoned_upload_secs", &self.abandoned_upload_secs)
            .field("cleanup_interval_secs", &self.cleanup_interval_secs)
            .field("stripe_webhook_secret", &redact::secret(&self.stripe_webhook_secret))
            .field("stripe_prices", &self.stripe_prices)
            .field("database_url", &redact::url(&self.database_url))
            .field("database_pool_size", &self.database_pool_size)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field("s3_secret_access_key", &redact::secret(&self.s3_secret_access_key))
            .field("s3_prefix", &self.s3_prefix)
            .field("limits", &self.limits)
            .finish()
    }
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
        let origins = Overrides {
            viewer_connect_src: Some(" https://a.example.com  http://127.0.0.1:9000/ ".into()),
            ..Overrides::default()
        };
        let config = resolve(FileConfig::default(), origins).unwrap();
        assert_eq!(config.viewer_connect_src, vec!["https://a.example.com", "http://127.0.0.1:9000"]);
        for bad in ["https://a.example.com/path", "*", "https://a.com;script-src", "'unsafe-inline'"] {
            let over = Overrides { viewer_connect_src: Some(bad.into()), ..Overrides::default() };
            assert!(resolve(FileConfig::default(), over).is_err(), "{bad}");
        }
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
