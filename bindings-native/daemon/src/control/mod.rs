//! [`Daemon`]: what the control API drives. It holds the settings, the unlocked account (a
//! [`SyncService`] over a [`SyncSession`], keys in memory only), the account's last status from
//! the server, and a change signal for the live page.
//!
//! - [`settings`]: the options the page changes (sync on/off, frequency, data types, bandwidth
//!   limit), written to the config file and applied without a restart;
//! - [`account`]: connect (create or unlock), recover, unlock at start (password or keychain,
//!   retried while the server is unreachable), lock, remember, devices, delete cloud data,
//!   unlink, change password, sync now;
//! - [`status`]: the status the page shows, and the service listener that signals changes;
//! - [`link`]: linking a new device with a short code, and joining with one.

pub mod account;
pub mod link;
pub mod retention;
pub mod settings;
pub mod status;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sync_client::config::{ConfigFile, SyncConfig};
use sync_client::service::{ServiceOptions, SyncService};
use sync_client::{SyncError, SyncSession};
use sync_core::wire::StatusResponse;
use tokio::sync::{broadcast, watch};

use crate::error::{DaemonError, Result};
use crate::options::DaemonOptions;
use crate::search::api_key::ApiKey;
use crate::search::routes::{CACHE_MAX_BYTES, CACHE_MAX_ENTRIES};
use sync_client::search::BundleCache;

/// A mutex's value, whoever panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether the account is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No keys in memory; the page asks for the password. The reason, when there is one (a
    /// failed start-up unlock, not connected yet).
    Locked {
        /// Why, for people.
        reason: Option<String>,
        /// Its stable code.
        code: Option<String>,
    },
    /// Unlocking at start (password or keychain); the last error while the server is
    /// unreachable.
    Unlocking {
        /// The last transient error, if any.
        error: Option<String>,
    },
    /// The keys are in memory and the service exists.
    Unlocked,
}

/// What the daemon shares between its API handlers, its start-up unlock and its listener.
pub(crate) struct Shared {
    pub(crate) options: DaemonOptions,
    /// The per-daemon token that every state-changing request must carry.
    pub(crate) csrf_token: String,
    /// The start-up password, until the start-up unlock takes it.
    pub(crate) startup_password: Mutex<Option<zeroize::Zeroizing<String>>>,
    pub(crate) config: Mutex<SyncConfig>,
    pub(crate) phase: Mutex<Phase>,
    pub(crate) service: Mutex<Option<Arc<SyncService>>>,
    /// This device's keys are in the keychain (kept here so that a status never waits for it).
    pub(crate) remembered: Mutex<bool>,
    /// The account's last `GET /status` answer.
    pub(crate) account: Mutex<Option<StatusResponse>>,
    /// Cycles completed when the account status was last fetched.
    pub(crate) account_cycles: Mutex<u64>,
    /// Something the page shows changed.
    pub(crate) changed: broadcast::Sender<()>,
    /// One account operation at a time (connect, unlink, ...).
    pub(crate) ops: tokio::sync::Mutex<()>,
    /// True once the daemon is stopping (live streams end).
    pub(crate) closing: watch::Sender<bool>,
    /// The search API's key (`None` with `--no-api-key`).
    pub(crate) api_key: Option<ApiKey>,
    /// Bundles decrypted for searches (memory only; emptied when the account closes).
    pub(crate) search_cache: Arc<BundleCache>,
    /// The link in progress ("Link a new device").
    pub(crate) link: Mutex<link::LinkState>,
}

/// The daemon's state, cheap to clone (shared).
#[derive(Clone)]
pub struct Daemon {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("options", &self.shared.options)
            .field("phase", &*lock(&self.shared.phase))
            .finish_non_exhaustive()
    }
}

/// A random token of 32 bytes, hex.
pub(crate) fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| DaemonError::BadRequest(format!("the random number generator failed: {e}")))?;
    Ok(sync_core::encoding::hex::encode(&bytes))
}

impl Daemon {
    /// A locked daemon over the settings `options.load_config` reads (nothing runs yet: see
    /// [`Daemon::start_unlock`]).
    pub fn new(mut options: DaemonOptions) -> Result<Daemon> {
        let config = (options.load_config)()?;
        let password = options.password.take();
        let api_key = if options.no_api_key { None } else { Some(ApiKey::load_or_create(&config.state_dir)?) };
        let (changed, _) = broadcast::channel(64);
        let (closing, _) = watch::channel(false);
        Ok(Daemon {
            shared: Arc::new(Shared {
                options,
                csrf_token: random_token()?,
                startup_password: Mutex::new(password),
                config: Mutex::new(config),
                phase: Mutex::new(Phase::Locked { reason: None, code: None }),
                service: Mutex::new(None),
                remembered: Mutex::new(false),
                account: Mutex::new(None),
                account_cycles: Mutex::new(0),
                changed,
                ops: tokio::sync::Mutex::new(()),
                closing,
                api_key,
                search_cache: Arc::new(BundleCache::new(CACHE_MAX_ENTRIES, CACHE_MAX_BYTES)),
                link: Mutex::new(link::LinkState::default()),
            }),
        })
    }

    /// The token the page sends with every change (`X-CSRF-Token`).
    pub fn csrf_token(&self) -> &str {
        &self.shared.csrf_token
    }

    /// The search API's key; `None` when the daemon runs with `--no-api-key`.
    pub fn api_key(&self) -> Option<&ApiKey> {
        self.shared.api_key.as_ref()
    }

    /// The cache of bundles decrypted for searches.
    pub fn search_cache(&self) -> &BundleCache {
        &self.shared.search_cache
    }

    /// The current settings.
    pub fn config(&self) -> SyncConfig {
        lock(&self.shared.config).clone()
    }

    /// Whether the account is open.
    pub fn phase(&self) -> Phase {
        lock(&self.shared.phase).clone()
    }

    /// The service, when unlocked.
    pub fn service(&self) -> Option<Arc<SyncService>> {
        lock(&self.shared.service).clone()
    }

    /// The unlocked service, or `locked`.
    pub(crate) fn unlocked(&self) -> Result<Arc<SyncService>> {
        self.service().ok_or(DaemonError::Locked)
    }

    /// A receiver of change signals (one per live page).
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.shared.changed.subscribe()
    }

    /// A receiver that turns true when the daemon stops.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.shared.closing.subscribe()
    }

    /// Tells the live pages that something changed.
    pub(crate) fn notify(&self) {
        let _ = self.shared.changed.send(());
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        *lock(&self.shared.phase) = phase;
        self.notify();
    }

    /// The config file as it is on disk (empty when there is none yet).
    pub(crate) fn read_file(&self) -> Result<ConfigFile> {
        Ok(ConfigFile::read_or_default(&self.shared.options.config_path)?)
    }

    /// Writes the config file, then reads the settings again (their precedence applies).
    pub(crate) fn write_file(&self, file: &ConfigFile) -> Result<SyncConfig> {
        file.write(&self.shared.options.config_path)?;
        let config = (self.shared.options.load_config)()?;
        *lock(&self.shared.config) = config.clone();
        Ok(config)
    }

    /// The service's options from the settings and the file.
    pub(crate) fn service_options(&self, config: &SyncConfig, file: &ConfigFile) -> Result<ServiceOptions> {
        Ok(self.shared.options.service.clone().with_settings(config, file)?)
    }

    /// True when sync is on (the file's `sync_enabled`, on by default).
    pub(crate) fn enabled(file: &ConfigFile) -> bool {
        file.sync_enabled.unwrap_or(true)
    }

    /// Makes `session` the open account: a service with the file's options and the listener,
    /// started when sync is on.
    pub(crate) fn install(&self, session: SyncSession) -> Result<()> {
        let file = self.read_file()?;
        let options = self.service_options(session.config(), &file)?;
        let service = Arc::new(SyncService::new(session, options));
        service.set_listener(Some(Arc::new(status::Notifier::new(self))));
        if Daemon::enabled(&file) {
            service.start().map_err(DaemonError::from)?;
        }
        *lock(&self.shared.account_cycles) = 0;
        *lock(&self.shared.service) = Some(service);
        self.set_phase(Phase::Unlocked);
        self.refresh_account();
        Ok(())
    }

    /// Stops and drops the service (the keys leave memory once no cycle holds them).
    pub(crate) async fn uninstall(&self) {
        let service = lock(&self.shared.service).take();
        if let Some(service) = service {
            service.stop().await;
            service.set_listener(None);
        }
        *lock(&self.shared.account) = None;
        // Plaintext decrypted for searches leaves memory with the keys, and so does a link in
        // progress (it holds a copy of the keys).
        self.shared.search_cache.clear();
        self.link_cancel().await;
    }

    /// Fetches the account's status (storage, tier, devices) in the background.
    pub(crate) fn refresh_account(&self) {
        let Some(service) = self.service() else { return };
        let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
        let daemon = self.clone();
        handle.spawn(async move {
            match service.session().client().status().await {
                Ok(answer) => {
                    *lock(&daemon.shared.account) = Some(answer);
                    daemon.notify();
                }
                Err(e) => tracing::debug!(code = %e.code(), "account status not fetched"),
            }
        });
    }

    /// Stops the service (after the cycle in progress) and ends the live streams.
    pub async fn shutdown(&self) {
        let _ = self.shared.closing.send(true);
        self.uninstall().await;
    }
}

impl From<SyncError> for Phase {
    fn from(e: SyncError) -> Phase {
        Phase::Locked { reason: Some(e.to_string()), code: Some(e.code()) }
    }
}
