//! `daemon`: background sync with the settings page and control API on 127.0.0.1 (the
//! `sync-daemon` crate). Unlocks at start with `SCREENPIPE_SYNC_PASSWORD` or `--password-file`
//! when given, else with keys remembered in the OS keychain, else the page asks; runs until
//! SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use sync_client::SyncError;
use sync_client::config::SyncConfig;
use sync_daemon::{ConfigLoader, DEFAULT_LISTEN, DaemonError, DaemonOptions};

use crate::global::Global;
use crate::output::{Out, exit};
use crate::secrets::secret_if_given;

/// `daemon` options.
#[derive(Args, Debug)]
pub(crate) struct DaemonArgs {
    /// Address of the settings page and control API (loopback only).
    #[arg(long, env = "SCREENPIPE_SYNC_LISTEN", default_value = DEFAULT_LISTEN)]
    pub(crate) listen: SocketAddr,
    /// First retry delay after a failed cycle or start-up unlock, seconds.
    #[arg(long, default_value_t = 5.0)]
    retry_base_secs: f64,
    /// Longest retry delay, seconds.
    #[arg(long, default_value_t = 900.0)]
    retry_max_secs: f64,
    /// Serve screenpipe's search API (`/search`) without `Authorization: Bearer KEY`, for
    /// clients that cannot send one (screenpipe-mcp of February 2026). Any program on this
    /// computer can then read the history.
    #[arg(long)]
    no_api_key: bool,
}

/// Where the page's changes are written: `--config`, else `STATE_DIR/config.toml`.
pub(crate) fn config_path(g: &Global) -> PathBuf {
    g.config
        .clone()
        .unwrap_or_else(|| g.state_dir.clone().unwrap_or_else(|| SyncConfig::default().state_dir).join("config.toml"))
}

/// What the daemon prints when it is ready.
#[derive(Serialize)]
struct Listening<'a> {
    url: &'a str,
    config: &'a str,
}

fn secs(v: f64, what: &str) -> Result<Duration, SyncError> {
    Duration::try_from_secs_f64(v).map_err(|_| SyncError::Config(format!("--{what} {v} is not a number of seconds")))
}

/// A daemon failure as the CLI reports errors (the library's own errors keep their code).
fn daemon_error(e: DaemonError) -> SyncError {
    match e {
        DaemonError::Sync(e) => e,
        other => SyncError::Config(other.to_string()),
    }
}

/// Runs the daemon until a signal.
pub(crate) async fn run(args: &DaemonArgs, g: &Global, out: Out) -> Result<u8, SyncError> {
    g.config()?;
    let global = g.clone();
    let load_config: ConfigLoader = Arc::new(move || global.config());
    let mut options = DaemonOptions::new(config_path(g), load_config);
    options.listen = args.listen;
    options.no_api_key = args.no_api_key;
    options.password = secret_if_given("SCREENPIPE_SYNC_PASSWORD", g.password_file.as_deref())?;
    options.service.backoff_base = secs(args.retry_base_secs, "retry-base-secs")?;
    options.service.backoff_max = secs(args.retry_max_secs, "retry-max-secs")?.max(options.service.backoff_base);
    let config_file = options.config_path.display().to_string();
    let running = sync_daemon::start(options).await.map_err(daemon_error)?;
    let url = running.url();
    out.emit(&Listening { url: &url, config: &config_file }, || {
        println!("screenpipe sync: settings at {url}/ (config {config_file})");
    });
    running.run_until_signal().await.map_err(daemon_error)?;
    Ok(exit::OK)
}
