//! The account operations of the control API: connect (create the account's keys or unlock
//! them), recover, the start-up unlock (password or keychain, retried while the server cannot
//! be reached), lock, remember on this device, sync now, devices, delete cloud data, unlink,
//! change password. Passwords and phrases pass through `Zeroizing` strings and are never
//! logged or written.

use serde::Serialize;
use sync_client::config::SyncConfig;
use sync_client::service::{backoff_delay, is_transient};
use sync_client::{InitOutcome, StateDb, SyncSession, session};
use sync_core::DeviceId;
use zeroize::Zeroizing;

use super::{Daemon, Phase, lock};
use crate::error::{DaemonError, Result};

/// Where the account is: the sign-in form's server and token (empty keeps the saved ones).
/// `Debug` hides the token.
#[derive(Clone, Default)]
pub struct AccountPlace {
    /// The server address.
    pub server: Option<String>,
    /// The bearer token.
    pub token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for AccountPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountPlace")
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What connecting did.
#[derive(Clone, Debug, Serialize)]
pub struct Connected {
    /// True when the account's keys were created now.
    pub created: bool,
    /// The recovery phrase of a new account, shown once.
    pub recovery_phrase: Option<String>,
    /// This device.
    pub device_id: String,
    /// The keys are remembered in the keychain.
    pub remembered: bool,
}

/// One device of the account, for the page.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceView {
    /// Its id.
    pub device_id: String,
    /// Its name.
    pub name: String,
    /// Its operating system.
    pub os: String,
    /// Its last completed upload (Unix ms).
    pub last_sync: Option<i64>,
    /// True for this device.
    pub this_device: bool,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// This device's id from the state file, when it has one (never creates the file).
pub(crate) fn device_of(config: &SyncConfig) -> Option<DeviceId> {
    if !config.state_path().exists() {
        return None;
    }
    StateDb::open(&config.state_path()).ok()?.device_id().ok().flatten()
}

impl Daemon {
    /// The settings with the sign-in form's server and token over them.
    pub(crate) fn config_with(&self, place: &AccountPlace) -> SyncConfig {
        let mut config = self.config();
        if let Some(server) = non_empty(&place.server) {
            config.server = Some(server.to_owned());
        }
        if let Some(token) = place.token.as_ref().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            config.token = Some(token.to_owned());
        }
        config
    }

    /// Saves the server and token that just worked.
    pub(crate) fn save_place(&self, place: &AccountPlace) -> Result<()> {
        let mut file = self.read_file()?;
        let before = file.clone();
        if let Some(server) = non_empty(&place.server) {
            file.server = Some(server.to_owned());
        }
        if let Some(token) = place.token.as_ref().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            file.token = Some(token.to_owned());
        }
        if file != before {
            self.write_file(&file)?;
        }
        Ok(())
    }

    /// Remembers the session's keys in the keychain, or forgets them.
    pub(crate) fn remember(&self, session: &SyncSession, remember: bool) -> Result<bool> {
        let keychain = &self.shared.options.keychain;
        if remember {
            keychain.save(session.device_id(), &session.keys().export())?;
        } else {
            keychain.forget(session.device_id())?;
        }
        *lock(&self.shared.remembered) = remember;
        Ok(remember)
    }

    /// Connects: registers this device, creates the account's keys (a new account: the
    /// recovery phrase is returned once) or unlocks them with the password, saves the server
    /// and token, opens the account and starts syncing when sync is on.
    pub async fn connect(&self, place: &AccountPlace, password: &str, remember: bool) -> Result<Connected> {
        let _one = self.shared.ops.lock().await;
        if self.service().is_some() {
            return Err(DaemonError::Conflict("already connected: lock or unlink first".into()));
        }
        let config = self.config_with(place);
        let (session, outcome) = SyncSession::init(&config, password).await?;
        self.save_place(place)?;
        let remembered = self.remember(&session, remember).unwrap_or_else(|e| {
            tracing::warn!(code = %e.code(), error = %e, "the keys could not be remembered");
            false
        });
        let device_id = session.device_id().to_string();
        let recovery_phrase = match outcome {
            InitOutcome::Created { recovery_phrase } => Some(recovery_phrase.expose().to_owned()),
            InitOutcome::Unlocked => None,
        };
        self.install(session)?;
        tracing::info!(device = %device_id, created = recovery_phrase.is_some(), "connected");
        Ok(Connected { created: recovery_phrase.is_some(), recovery_phrase, device_id, remembered })
    }

    /// Recovers: the recovery phrase sets a new password, then the account opens.
    pub async fn recover(
        &self,
        place: &AccountPlace,
        phrase: &str,
        new_password: &str,
        remember: bool,
    ) -> Result<Connected> {
        let _one = self.shared.ops.lock().await;
        if self.service().is_some() {
            return Err(DaemonError::Conflict("already connected: lock or unlink first".into()));
        }
        let config = self.config_with(place);
        let session = SyncSession::recover(&config, phrase, new_password).await?;
        self.save_place(place)?;
        let remembered = self.remember(&session, remember).unwrap_or_else(|e| {
            tracing::warn!(code = %e.code(), error = %e, "the keys could not be remembered");
            false
        });
        let device_id = session.device_id().to_string();
        self.install(session)?;
        tracing::info!(device = %device_id, "recovered with the recovery phrase");
        Ok(Connected { created: false, recovery_phrase: None, device_id, remembered })
    }

    /// Unlocks at start, in the background: with the start-up password, else with the keys
    /// remembered in the keychain, else stays locked. Transient failures (the server cannot be
    /// reached) are retried with the service's backoff until the unlock succeeds or fails for
    /// good.
    pub fn start_unlock(&self) {
        let password = lock(&self.shared.startup_password).take();
        let config = self.config();
        let device = device_of(&config);
        let exported = match &device {
            Some(d) if password.is_none() => match self.shared.options.keychain.load(d) {
                Ok(keys) => keys,
                Err(e) => {
                    tracing::warn!(code = %e.code(), error = %e, "the keychain could not be read");
                    None
                }
            },
            _ => None,
        };
        *lock(&self.shared.remembered) = exported.is_some();
        if password.is_none() && exported.is_none() {
            let reason = device.is_some().then(|| "enter the password and press Connect".to_owned());
            self.set_phase(Phase::Locked { reason, code: None });
            return;
        }
        self.set_phase(Phase::Unlocking { error: None });
        let daemon = self.clone();
        let mut closing = self.closing();
        tokio::spawn(async move {
            let options = daemon.shared.options.service.clone();
            let mut failures = 0u32;
            loop {
                let result = match (&password, &exported) {
                    (Some(p), _) => SyncSession::unlock(&config, p).await,
                    (None, Some(keys)) => SyncSession::resume(&config, keys).await,
                    (None, None) => return,
                };
                let error = match result {
                    Ok(session) => {
                        let _one = daemon.shared.ops.lock().await;
                        if daemon.service().is_none()
                            && let Err(e) = daemon.install(session)
                        {
                            daemon.set_phase(Phase::Locked { reason: Some(e.to_string()), code: Some(e.code()) });
                        }
                        return;
                    }
                    Err(e) => e,
                };
                if !is_transient(&error) {
                    tracing::warn!(code = %error.code(), error = %error, "unlock at start failed");
                    daemon.set_phase(Phase::from(error));
                    return;
                }
                failures = failures.saturating_add(1);
                daemon.set_phase(Phase::Unlocking { error: Some(error.to_string()) });
                let wait = backoff_delay(options.backoff_base, options.backoff_max, failures);
                tokio::select! {
                    _ = closing.changed() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                if daemon.service().is_some() {
                    return;
                }
            }
        });
    }

    /// Locks: stops the service and drops the keys (the keychain keeps what it holds).
    pub async fn lock(&self) {
        let _one = self.shared.ops.lock().await;
        self.uninstall().await;
        self.set_phase(Phase::Locked { reason: None, code: None });
    }

    /// Remembers this device's keys in the keychain, or forgets them.
    pub async fn set_remember(&self, remember: bool) -> Result<bool> {
        let service = self.unlocked()?;
        let remembered = self.remember(&service.session(), remember)?;
        self.notify();
        Ok(remembered)
    }

    /// A cycle now: wakes the running loop, or runs one in the background when sync is off.
    pub fn sync_now(&self) -> Result<()> {
        let service = self.unlocked()?;
        if !service.trigger_now() {
            tokio::spawn(async move {
                if let Err(e) = service.sync_now().await {
                    tracing::debug!(code = %e.code(), "sync now failed");
                }
            });
        }
        Ok(())
    }

    /// The account's devices, this one marked.
    pub async fn devices(&self) -> Result<Vec<DeviceView>> {
        let config = self.config();
        let this = device_of(&config);
        let devices = session::devices(&config).await?;
        Ok(devices
            .into_iter()
            .map(|d| DeviceView {
                this_device: this.as_ref() == Some(&d.device_id),
                device_id: d.device_id.to_string(),
                name: d.device_name,
                os: d.device_os,
                last_sync: d.last_sync_at.map(|t| t.0),
            })
            .collect())
    }

    /// Removes another device from the account (its data stays). This device is unlinked
    /// instead.
    pub async fn remove_device(&self, id: &str) -> Result<bool> {
        let device = DeviceId::new(id.to_owned()).map_err(|e| DaemonError::BadRequest(e.to_string()))?;
        let config = self.config();
        if device_of(&config).as_ref() == Some(&device) {
            return Err(DaemonError::Conflict("this is this device: use Unlink this device".into()));
        }
        let removed = session::remove_device(&config, &device).await?;
        tracing::info!(device = %device, removed, "device removed");
        self.refresh_account();
        Ok(removed)
    }

    /// Deletes every blob of the account in the cloud (`DELETE /data`): every device's synced
    /// data. Keys, devices and local recordings stay.
    pub async fn delete_cloud_data(&self) -> Result<u64> {
        let service = self.unlocked()?;
        let _one = self.shared.ops.lock().await;
        let answer = service.session().client().delete_data().await?;
        tracing::info!(blobs = answer.deleted_blobs, "cloud data deleted");
        self.shared.search_cache.clear();
        self.refresh_account();
        self.notify();
        Ok(answer.deleted_blobs)
    }

    /// Unlinks this device: stops syncing, forgets the remembered keys, removes the device from
    /// the account and forgets its sync state and the saved token. Recordings on this computer
    /// and the data in the cloud stay.
    pub async fn unlink(&self) -> Result<()> {
        let _one = self.shared.ops.lock().await;
        let config = self.config();
        let device = device_of(&config).ok_or_else(|| DaemonError::Conflict("this device is not linked".into()))?;
        self.uninstall().await;
        self.shared.options.keychain.forget(&device)?;
        *lock(&self.shared.remembered) = false;
        session::unlink(&config).await?;
        let mut file = self.read_file()?;
        file.token = None;
        self.write_file(&file)?;
        tracing::info!(device = %device, "unlinked");
        self.set_phase(Phase::Locked { reason: None, code: None });
        Ok(())
    }

    /// A new password for the same keys, after checking the current one.
    pub async fn change_password(&self, current: &str, new_password: &str) -> Result<()> {
        let service = self.unlocked()?;
        let _one = self.shared.ops.lock().await;
        let mut session = SyncSession::unlock(service.session().config(), current).await?;
        session.change_password(new_password).await?;
        service.set_session(session);
        tracing::info!("password changed");
        Ok(())
    }
}
