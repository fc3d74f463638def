//! The TOML configuration file: its shape (every setting optional, unknown keys refused) and
//! reading it. `Debug` of its parts hides the secrets they may hold.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;
use crate::redact;

/// The TOML file's shape.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
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
    /// Stripe webhook.
    pub stripe: Option<FileStripe>,
    /// See [`Config::database_url`](super::Config::database_url).
    pub database_url: Option<String>,
    /// See [`Config::database_pool_size`](super::Config::database_pool_size).
    pub database_pool_size: Option<usize>,
    /// S3-compatible object storage.
    pub s3: Option<FileS3>,
    /// The `[limits]` table.
    pub limits: Option<super::LimitSettings>,
}

/// The `[s3]` table of the TOML file.
#[derive(Clone, Default, Deserialize)]
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
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStripe {
    /// Signing secret.
    pub webhook_secret: Option<String>,
    /// Price id to tier name.
    pub prices: Option<HashMap<String, String>>,
}

/// Reads a TOML configuration file.
pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    parse(&text).map_err(|message| ConfigError::Parse { path: path.to_owned(), message })
}

/// Parses the file's text; a failure is described without echoing the file: toml's own
/// message quotes the offending line and serde's quotes string values, and that line or value
/// may be a secret (a database password, a webhook secret). So the error is the position, and
/// the message with every quoted string replaced by `"<redacted>"`; the toml error itself is
/// not kept as a source, for the same reason.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|err| {
        let message = redact_quoted(err.message());
        match err.span().map(|span| line_and_column(text, span.start)) {
            Some((line, column)) => format!("line {line}, column {column}: {message}"),
            None => message,
        }
    })
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `message` with the content of every double-quoted string replaced by `<redacted>`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"<redacted>");
            } else {
                out.push('"');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

impl fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileConfig")
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
            .field("stripe", &self.stripe)
            .field("database_url", &redact::url(&self.database_url))
            .field("database_pool_size", &self.database_pool_size)
            .field("s3", &self.s3)
            .field("limits", &self.limits)
            .finish()
    }
}

impl fmt::Debug for FileS3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileS3")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redact::secret(&self.secret_access_key))
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl fmt::Debug for FileStripe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStripe")
            .field("webhook_secret", &redact::secret(&self.webhook_secret))
            .field("prices", &self.prices)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file whose broken line holds a secret, or a secret where a value of another type
    /// belongs: the error names the place and the problem, never the secret.
    #[test]
    fn parse_errors_do_not_echo_the_file() {
        let broken = "bind = \"0.0.0.0:1\"\n[stripe]\nwebhook_secret = \"whsec_live_123\" trailing\n";
        let message = parse(broken).err().unwrap();
        assert!(!message.contains("whsec_live_123"), "{message}");
        assert!(message.starts_with("line 3, column "), "{message}");
        let misplaced = "database_pool_size = \"postgres://u:hunter2@db/x\"\n";
        let message = parse(misplaced).err().unwrap();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains("<redacted>") && message.starts_with("line 1, column "), "{message}");
        let unknown = parse("datbase_url = \"postgres://u:hunter2@db/x\"\n").err().unwrap();
        assert!(!unknown.contains("hunter2") && unknown.contains("datbase_url"), "{unknown}");
        // Through load_file, as the command line reports it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.toml");
        std::fs::write(&path, broken).unwrap();
        let err = load_file(&path).err().unwrap();
        assert!(!format!("{err} {err:?}").contains("whsec_live_123"), "{err}");
    }

    #[test]
    fn debug_hides_secrets_read_from_the_file() {
        let file: FileConfig = toml::from_str(
            r#"
            database_url = "postgres://sync:hunter2@db/sync"
            [s3]
            bucket = "b"
            secret_access_key = "s3cret"
            [stripe]
            webhook_secret = "whsec_file"
            "#,
        )
        .unwrap();
        let debug = format!("{file:?}");
        for secret in ["hunter2", "s3cret", "whsec_file"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("postgres://sync:***@db/sync"), "{debug}");
        assert!(debug.contains("FileStripe { webhook_secret: Some(<redacted>), prices: None }"), "{debug}");
    }
}
