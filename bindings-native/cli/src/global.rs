//! The global options (flags, environment variables) and what they make: the configuration
//! (flag, then environment, then config file, then default), the progress sink, an unlocked
//! session.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use sync_client::api::parse_rate;
use sync_client::config::{ConfigFile, SyncConfig};
use sync_client::{Progress, SyncError, SyncSession};

use crate::progress_bars;
use crate::secrets::{secret, secret_if_given};

/// Options every command takes.
#[derive(Args, Clone)]
pub(crate) struct Global {
    /// Sync server (its root or its /api/sync base).
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_SERVER")]
    pub(crate) server: Option<String>,
    /// The account's bearer token.
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// screenpipe's database [default: ~/.screenpipe/db.sqlite].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_DB")]
    pub(crate) db: Option<PathBuf>,
    /// screenpipe's media folder [default: ~/.screenpipe/data].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// This client's state folder [default: ~/.screenpipe/sync].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_STATE_DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Name of this device in the account's device list [default: the host name].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_DEVICE_NAME")]
    pub(crate) device_name: Option<String>,
    /// Config file (TOML) [default: STATE_DIR/config.toml when it exists].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Read the password from this file (first line) instead of the prompt.
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_PASSWORD_FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// Upload search tokens (true/false) [default: true].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_SEARCH_TOKENS")]
    pub(crate) search_tokens: Option<bool>,
    /// Bandwidth limit for transfers, bytes per second (e.g. 500K, 2M).
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_BANDWIDTH_LIMIT")]
    pub(crate) bandwidth_limit: Option<String>,
    /// Seconds a media file must be unmodified before it is uploaded [default: 120].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_MEDIA_SETTLE_SECS")]
    pub(crate) media_settle_secs: Option<u64>,
    /// Accept plain http:// to a host that is not a loopback address: the bearer token and every
    /// object travel in the clear (a warning is printed). Only for a trusted network.
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_ALLOW_INSECURE_HTTP")]
    pub(crate) allow_insecure_http: bool,
    /// An origin (https://host[:port]) of the object store the server presigns URLs for (its
    /// S3 endpoint), trusted besides the server's own; repeat or separate with commas.
    #[arg(long = "object-origin", global = true, env = "SCREENPIPE_SYNC_OBJECT_ORIGINS", value_delimiter = ',')]
    pub(crate) object_origins: Vec<String>,
    /// Machine-readable output: one JSON object on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// No progress bars.
    #[arg(long, global = true)]
    pub(crate) quiet: bool,
}

impl std::fmt::Debug for Global {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Global")
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("db", &self.db)
            .field("data_dir", &self.data_dir)
            .field("state_dir", &self.state_dir)
            .field("device_name", &self.device_name)
            .field("config", &self.config)
            .field("password_file", &self.password_file)
            .field("search_tokens", &self.search_tokens)
            .field("bandwidth_limit", &self.bandwidth_limit)
            .field("media_settle_secs", &self.media_settle_secs)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("object_origins", &self.object_origins)
            .field("json", &self.json)
            .field("quiet", &self.quiet)
            .finish()
    }
}

impl Global {
    /// The settings: flags and environment over the config file over the defaults.
    pub(crate) fn config(&self) -> Result<SyncConfig, SyncError> {
        let mut config = SyncConfig::default();
        let state_dir = self.state_dir.clone().unwrap_or_else(|| config.state_dir.clone());
        let file_path = self.config.clone().or_else(|| Some(state_dir.join("config.toml")).filter(|p| p.exists()));
        if let Some(path) = file_path {
            config.apply_file(&ConfigFile::read(&path)?);
        }
        if let Some(v) = &self.server {
            config.server = Some(v.clone());
        }
        if let Some(v) = &self.token {
            config.token = Some(v.clone());
        }
        if let Some(v) = &self.db {
            config.db_path = v.clone();
        }
        if let Some(v) = &self.data_dir {
            config.data_dir = v.clone();
        }
        if let Some(v) = &self.state_dir {
            config.state_dir = v.clone();
        }
        if let Some(v) = &self.device_name {
            config.device_name = v.clone();
        }
        if let Some(v) = self.search_tokens {
            config.search_tokens = v;
        }
        if let Some(v) = &self.bandwidth_limit {
            config.client.bandwidth_limit = Some(parse_rate(v).ok_or_else(|| {
                SyncError::Config(format!("--bandwidth-limit {v:?} is not a rate such as 500K or 2M"))
            })?);
        }
        if let Some(v) = self.media_settle_secs {
            config.media_settle = std::time::Duration::from_secs(v);
        }
        if self.allow_insecure_http {
            config.client.allow_insecure_http = true;
        }
        let origins: Vec<String> = self.object_origins.iter().filter(|o| !o.trim().is_empty()).cloned().collect();
        if !origins.is_empty() {
            config.client.object_origins = origins;
        }
        if let Some(warning) = config.insecure_http_warning() {
            eprintln!("{warning}");
        }
        Ok(config)
    }

    /// Progress bars on a terminal; plain warnings otherwise (none with `--json`).
    pub(crate) fn progress(&self) -> Arc<dyn Progress> {
        if self.json || self.quiet || !std::io::stderr().is_terminal() {
            Arc::new(progress_bars::Plain { warnings: !self.json })
        } else {
            Arc::new(progress_bars::Bars::new())
        }
    }

    /// The account's password (`SCREENPIPE_SYNC_PASSWORD`, `--password-file`, or a prompt).
    pub(crate) fn password(&self) -> Result<zeroize::Zeroizing<String>, SyncError> {
        secret("SCREENPIPE_SYNC_PASSWORD", self.password_file.as_deref(), "Password: ", false)
    }

    /// The account unlocked: with the password when one is given (`SCREENPIPE_SYNC_PASSWORD`,
    /// `--password-file`), else with the keys remembered for this device in the OS keychain (a
    /// device linked with `join`, or remembered by the daemon), else with the password asked
    /// on the terminal.
    pub(crate) async fn unlock(&self, config: &SyncConfig) -> Result<SyncSession, SyncError> {
        if let Some(password) = secret_if_given("SCREENPIPE_SYNC_PASSWORD", self.password_file.as_deref())? {
            return SyncSession::unlock(config, &password).await;
        }
        if let Some(session) = crate::remembered::resume(config).await? {
            return Ok(session);
        }
        SyncSession::unlock(config, &self.password()?).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::Parser;

    use crate::Cli;

    #[test]
    fn debug_hides_the_token() {
        let cli =
            Cli::try_parse_from(["screenpipe-sync", "--token", "s3cr3t-token", "--server", "http://h:1", "status"])
                .unwrap();
        let debug = format!("{:?}", cli.global);
        assert_eq!(
            debug,
            "Global { server: Some(\"http://h:1\"), token: Some(\"<redacted>\"), db: None, data_dir: None, \
             state_dir: None, device_name: None, config: None, password_file: None, search_tokens: None, \
             bandwidth_limit: None, media_settle_secs: None, allow_insecure_http: false, object_origins: [], \
             json: false, quiet: false }"
        );
        assert!(!format!("{cli:?}").contains("s3cr3t"));
    }
}
