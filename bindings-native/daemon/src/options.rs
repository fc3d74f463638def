//! [`DaemonOptions`]: what the daemon is started with (address, config file, how settings are
//! read, the start-up password, the keychain, the service's retry delays).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use sync_client::config::SyncConfig;
use sync_client::service::ServiceOptions;
use zeroize::Zeroizing;

use crate::keychain::Keychain;

/// The default listening address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3031";

/// Reads the settings with their precedence (flag, environment, config file, default); the
/// daemon calls it at start and again after every change it writes to the config file.
pub type ConfigLoader = Arc<dyn Fn() -> sync_client::Result<SyncConfig> + Send + Sync>;

/// How the daemon starts. `Debug` hides the password.
pub struct DaemonOptions {
    /// Where to listen: a loopback address (`127.0.0.1:3031` by default; port 0 picks one).
    pub listen: SocketAddr,
    /// The config file the page's changes are written to (`--config`, else
    /// `STATE_DIR/config.toml`).
    pub config_path: PathBuf,
    /// Reads the settings (see [`ConfigLoader`]).
    pub load_config: ConfigLoader,
    /// The password to unlock with at start (`SCREENPIPE_SYNC_PASSWORD`, `--password-file`),
    /// for headless machines. Kept only until the unlock succeeds.
    pub password: Option<Zeroizing<String>>,
    /// The OS keychain ("Remember on this device").
    pub keychain: Keychain,
    /// The service's settings before the config file's (retry delays; the interval, data
    /// types, bandwidth limit and pulling come from the configuration).
    pub service: ServiceOptions,
    /// Serve screenpipe's search API without a key (`--no-api-key`), for clients that cannot
    /// send one; said loudly in the log and on the page.
    pub no_api_key: bool,
}

impl DaemonOptions {
    /// Options with the defaults: [`DEFAULT_LISTEN`], no start-up password, the system keychain.
    pub fn new(config_path: PathBuf, load_config: ConfigLoader) -> DaemonOptions {
        DaemonOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 3031)),
            config_path,
            load_config,
            password: None,
            keychain: Keychain::system(),
            service: ServiceOptions::default(),
            no_api_key: false,
        }
    }
}

impl std::fmt::Debug for DaemonOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonOptions")
            .field("listen", &self.listen)
            .field("config_path", &self.config_path)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("keychain", &self.keychain)
            .field("service", &self.service)
            .field("no_api_key", &self.no_api_key)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let loader: ConfigLoader = Arc::new(|| Ok(SyncConfig::default()));
        let mut options = DaemonOptions::new("/x/config.toml".into(), loader);
        options.password = Some(Zeroizing::new("s3cr3t pass".into()));
        options.keychain = Keychain::unavailable("no Secret Service");
        let debug = format!("{options:?}");
        assert!(debug.contains("password: Some(\"<redacted>\")"), "{debug}");
        assert!(debug.contains("unavailable: \"no Secret Service\""), "{debug}");
        assert!(!debug.contains("s3cr3t"));
        assert_eq!(DEFAULT_LISTEN.parse::<SocketAddr>().unwrap(), options.listen);
    }
}
