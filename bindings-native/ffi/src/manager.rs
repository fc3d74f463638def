//! [`SyncManager`]: what an app's sync settings screen calls, over the library's
//! [`SyncSession`], [`CloudQuery`] and [`SyncService`].

use std::sync::{Arc, Mutex};

use sync_client::config::SyncConfig;
use sync_client::progress::Progress;
use sync_client::search::{CloudQuery, SearchOptions};
use sync_client::service::{ProgressCounters, ServiceStatus, SyncService};
use sync_client::session::{self, InitOutcome, SyncSession};
use sync_client::state::StateDb;
use sync_core::{DeviceId, UnixMillis};

use crate::config::ManagerConfig;
use crate::error::{FfiResult, SyncFfiError};
use crate::listener::{ProgressBridge, ServiceBridge, SharedListener, SyncListener, ffi_status, lock};
use crate::records::{DeleteResult, DeviceRecord, InitResult, PullResult, PushResult, SearchHit, SyncStatus};

/// One account on one device: the object an app keeps for its sync settings screen.
///
/// Locked until `init`, `unlock` or `recover` succeeds; `lock` (or freeing the object) stops
/// the background service and drops the keys (zeroized). Every method that talks to the
/// server is async (a Kotlin `suspend fun`, a Swift `async func`, a Python coroutine) and runs
/// on uniffi's tokio runtime.
#[derive(uniffi::Object)]
pub struct SyncManager {
    config: Mutex<ManagerConfig>,
    /// The unlocked account, inside its (maybe stopped) background service.
    service: Mutex<Option<Arc<SyncService>>>,
    listener: SharedListener,
}

impl std::fmt::Debug for SyncManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncManager")
            .field("config", &*lock(&self.config))
            .field("unlocked", &lock(&self.service).is_some())
            .finish_non_exhaustive()
    }
}

impl SyncManager {
    pub(crate) fn sync_config(&self) -> FfiResult<SyncConfig> {
        lock(&self.config).sync_config()
    }

    /// The unlocked session (`locked` otherwise).
    pub(crate) fn unlocked_session(&self) -> FfiResult<SyncSession> {
        Ok(self.service()?.session())
    }

    /// Installs an unlocked session (`join`, `resume`).
    pub(crate) async fn install_session(&self, session: SyncSession) {
        self.install(session).await;
    }

    fn service(&self) -> FfiResult<Arc<SyncService>> {
        lock(&self.service).clone().ok_or_else(SyncFfiError::locked)
    }

    /// Installs an unlocked session (stopping and replacing any previous service).
    async fn install(&self, session: SyncSession) {
        let options = lock(&self.config).service_options();
        let service = Arc::new(SyncService::new(session, options));
        service.set_listener(Some(Arc::new(ServiceBridge(self.listener.clone()))));
        let old = lock(&self.service).replace(service);
        if let Some(old) = old {
            old.stop().await;
        }
    }

    /// The listener's progress bridge for one explicit operation.
    pub(crate) fn progress(&self) -> Arc<dyn Progress> {
        Arc::new(ProgressBridge { listener: self.listener.clone(), counters: ProgressCounters::default() })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncManager {
    /// A locked manager for `config` (nothing is read or sent yet).
    #[uniffi::constructor]
    pub fn new(config: ManagerConfig) -> FfiResult<Arc<SyncManager>> {
        config.sync_config()?;
        Ok(Arc::new(SyncManager {
            config: Mutex::new(config),
            service: Mutex::new(None),
            listener: Arc::new(Mutex::new(None)),
        }))
    }

    /// Sets (or clears, with `None`) the listener of progress, status and warning events.
    pub fn set_listener(&self, listener: Option<Arc<dyn SyncListener>>) {
        *lock(&self.listener) = listener;
    }

    /// Registers this device; creates the account's keys when it has none (`is_new`, with the
    /// recovery phrase, shown once), else unlocks them with `password`. Errors:
    /// `wrong_password`, `weak_password` (new account), `DEVICE_LIMIT_EXCEEDED`, `UNAUTHORIZED`,
    /// `network`, `rollback`.
    pub async fn init(&self, password: String) -> FfiResult<InitResult> {
        let password = zeroize::Zeroizing::new(password);
        let config = self.sync_config()?;
        let (session, outcome) = SyncSession::init(&config, &password).await?;
        self.install(session).await;
        Ok(match outcome {
            InitOutcome::Created { recovery_phrase } => {
                InitResult { is_new: true, recovery_phrase: Some(recovery_phrase.expose().to_owned()) }
            }
            InitOutcome::Unlocked => InitResult { is_new: false, recovery_phrase: None },
        })
    }

    /// Unlocks the account on an initialised device (`wrong_password`, `not_initialized`, ...).
    pub async fn unlock(&self, password: String) -> FfiResult<()> {
        let password = zeroize::Zeroizing::new(password);
        let config = self.sync_config()?;
        let session = SyncSession::unlock(&config, &password).await?;
        self.install(session).await;
        Ok(())
    }

    /// Stops the background service and drops the keys.
    pub async fn lock(&self) {
        let service = lock(&self.service).take();
        if let Some(service) = service {
            service.stop().await;
        }
    }

    /// True when keys are unlocked.
    pub fn is_unlocked(&self) -> bool {
        lock(&self.service).is_some()
    }

    /// The status: the service's state, last sync, storage and devices (from the last cycle,
    /// or asked from the server when no cycle has run yet), and the local state. Works locked.
    pub async fn status(&self) -> FfiResult<SyncStatus> {
        let config = self.sync_config()?;
        let service = lock(&self.service).clone();
        let mut status = match &service {
            Some(s) => ffi_status(&s.status(), true),
            None => ffi_status(&ServiceStatus::default(), false),
        };
        let need_server = status.storage_used.is_none();
        let report = if need_server {
            session::status(&config).await?
        } else {
            let mut offline = config.clone();
            offline.server = None;
            session::status(&offline).await?
        };
        if let Some(server) = &report.server {
            status.storage_used = Some(server.quota.storage_used);
            status.storage_limit = Some(server.quota.storage_limit);
            status.device_count = Some(server.quota.device_count);
        }
        status.device_id = report.device_id;
        status.pending_uploads = report.local.pending_uploads;
        status.uploaded_blobs = report.local.uploaded_blobs;
        if status.last_sync_ms.is_none() {
            status.last_sync_ms = report.local.last_upload.map(|t| t.0);
        }
        Ok(status)
    }

    /// Packages and uploads everything new now (resumes what an interrupted push left),
    /// with the configured data types and bandwidth limit; progress goes to the listener.
    pub async fn push(&self) -> FfiResult<PushResult> {
        let session = self.service()?.effective_session()?;
        Ok(session.push(self.progress()).await?.into())
    }

    /// Downloads, decrypts and imports other devices' data in `[since_ms, until_ms]` (default
    /// everything) into screenpipe's database; progress goes to the listener.
    pub async fn pull(&self, since_ms: Option<i64>, until_ms: Option<i64>) -> FfiResult<PullResult> {
        let session = self.service()?.effective_session()?;
        Ok(session.pull(since_ms.map(UnixMillis), until_ms.map(UnixMillis), self.progress()).await?.into())
    }

    /// Starts the background service (a no-op when running). It syncs at once unless the
    /// frequency is manual, then at every interval.
    pub async fn start(&self) -> FfiResult<()> {
        Ok(self.service()?.start()?)
    }

    /// Stops the background service (after the cycle in progress, if any). Keys stay unlocked.
    pub async fn stop(&self) {
        let service = lock(&self.service).clone();
        if let Some(s) = service {
            s.stop().await;
        }
    }

    /// Syncs now: wakes the running service, or, when it is stopped, runs one cycle and waits
    /// for it (its error is returned then).
    pub async fn trigger_now(&self) -> FfiResult<()> {
        let service = self.service()?;
        if service.trigger_now() {
            return Ok(());
        }
        Ok(service.sync_now().await?)
    }

    /// Changes the settings. Interval, data types, bandwidth limit, pulling and retries apply
    /// at once to the running service; the folders cannot change while unlocked.
    pub async fn set_config(&self, config: ManagerConfig) -> FfiResult<()> {
        let sync_config = config.sync_config()?;
        let service = lock(&self.service).clone();
        if let Some(service) = service {
            let session = service.session().with_config(sync_config)?;
            service.set_session(session);
            service.set_options(config.service_options());
        }
        *lock(&self.config) = config;
        Ok(())
    }

    /// The settings.
    pub fn config(&self) -> ManagerConfig {
        lock(&self.config).clone()
    }

    /// The account's devices (no password needed; this device must have run `init`).
    pub async fn list_devices(&self) -> FfiResult<Vec<DeviceRecord>> {
        let config = self.sync_config()?;
        let own = StateDb::open(&config.state_path())?.device_id()?;
        let devices = session::devices(&config).await?;
        Ok(devices
            .into_iter()
            .map(|d| DeviceRecord {
                is_this_device: own.as_ref() == Some(&d.device_id),
                device_id: d.device_id.to_string(),
                device_name: d.device_name,
                device_os: d.device_os,
                last_sync_ms: d.last_sync_at.map(|t| t.0),
                created_ms: d.created_at.0,
            })
            .collect())
    }

    /// Unregisters a device (its data stays). Returns whether it was registered.
    pub async fn remove_device(&self, device_id: String) -> FfiResult<bool> {
        let config = self.sync_config()?;
        let id = DeviceId::new(device_id).map_err(SyncFfiError::from)?;
        Ok(session::remove_device(&config, &id).await?)
    }

    /// Searches screenpipe's local database and the cloud for records holding every word of
    /// `query` in `[start_ms, end_ms]` (defaults: everything), merged and deduplicated (local
    /// wins), newest first, at most `limit` (default 50).
    pub async fn search(
        &self,
        query: String,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        limit: Option<u32>,
    ) -> FfiResult<Vec<SearchHit>> {
        let session = self.service()?.session();
        let options = SearchOptions {
            start: start_ms.map(UnixMillis),
            end: end_ms.map(UnixMillis),
            limit: limit.map_or(50, |l| l.max(1) as usize),
            ..SearchOptions::default()
        };
        let items = CloudQuery::new(&session).query_all(&query, &options).await?;
        Ok(items.into_iter().map(SearchHit::from).collect())
    }

    /// A new password for the same keys: `old_password` must unlock them (`wrong_password`
    /// otherwise). Leaves the manager unlocked.
    pub async fn change_password(&self, old_password: String, new_password: String) -> FfiResult<()> {
        let (old, new) = (zeroize::Zeroizing::new(old_password), zeroize::Zeroizing::new(new_password));
        if new.is_empty() {
            return Err(SyncFfiError::new("empty_password", "the new password is empty"));
        }
        let config = self.sync_config()?;
        let mut session = SyncSession::unlock(&config, &old).await?;
        session.change_password(&new).await?;
        self.install_or_replace(session).await;
        Ok(())
    }

    /// Unlocks with the 24-word recovery phrase and sets `new_password` (`bad_mnemonic` or
    /// `wrong_password` for a wrong phrase). Leaves the manager unlocked.
    pub async fn recover(&self, phrase: String, new_password: String) -> FfiResult<()> {
        let (phrase, new) = (zeroize::Zeroizing::new(phrase), zeroize::Zeroizing::new(new_password));
        let config = self.sync_config()?;
        let session = SyncSession::recover(&config, &phrase, &new).await?;
        self.install_or_replace(session).await;
        Ok(())
    }

    /// Deletes every blob of the account on the server (all devices' data; the keys and the
    /// devices stay). This device's record of what it uploaded is kept, so its old data is not
    /// sent again.
    pub async fn delete_cloud_data(&self) -> FfiResult<DeleteResult> {
        let config = self.sync_config()?;
        let (_, client, _) = session::open_device(&config, false)?;
        let answer = client.delete_data().await?;
        Ok(DeleteResult { deleted_blobs: answer.deleted_blobs, freed_bytes: answer.freed_bytes })
    }
}

impl SyncManager {
    /// Gives a running service the new session, or installs one.
    async fn install_or_replace(&self, session: SyncSession) {
        let service = lock(&self.service).clone();
        match service {
            Some(s) => s.set_session(session),
            None => self.install(session).await,
        }
    }
}
