//! [`SyncManager`]: what an app's sync settings screen calls, over
//! [`SyncSession`](crate::SyncSession), [`CloudQuery`](crate::CloudQuery) and
//! [`SyncService`](crate::SyncService).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sync_core::{DeviceId, UnixMillis};

use super::{FfiResult, SyncFfiError};
use crate::config::{DataTypes, SyncConfig};
use crate::progress::{Progress, Stage};
use crate::query::{Content, SearchItem, SearchOptions};
use crate::service::{
    ProgressCounters, ServiceListener, ServiceOptions, ServiceState, ServiceStatus, SyncInterval, SyncService,
};
use crate::session::{self, InitOutcome, PullReport, PushReport, SyncSession};

/// How often the background service syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncFrequency {
    /// Only on `trigger_now` (failures are still retried with backoff).
    Manual,
    /// Every 5 minutes.
    FiveMinutes,
    /// Every 15 minutes.
    FifteenMinutes,
    /// Every hour.
    Hourly,
}

/// Everything a [`SyncManager`] needs. The password is never part of it.
#[derive(Clone, PartialEq, uniffi::Record)]
pub struct ManagerConfig {
    /// The sync server (root or `/api/sync` base), for example `https://sync.example.com`.
    pub server_url: String,
    /// The account's bearer token (from the account page or `sync-server user add`).
    pub token: String,
    /// screenpipe's database (`~/.screenpipe/db.sqlite`).
    pub db_path: String,
    /// screenpipe's media folder (`~/.screenpipe/data`).
    pub data_dir: String,
    /// This client's own folder (state file, staging folder).
    pub state_dir: String,
    /// The name shown in the device list.
    pub device_name: String,
    /// How often the background service syncs.
    pub frequency: SyncFrequency,
    /// Overrides `frequency` with a period in seconds (at least 1), for tests and power users.
    #[uniffi(default = None)]
    pub interval_override_secs: Option<u64>,
    /// Send screen recordings (`frames` blobs).
    #[uniffi(default = true)]
    pub sync_frames: bool,
    /// Send audio recordings (`audio` blobs).
    #[uniffi(default = true)]
    pub sync_audio: bool,
    /// Send the text (OCR, transcriptions, accessibility, UI events).
    #[uniffi(default = true)]
    pub sync_text: bool,
    /// Upload and download limit, Mbit/s; `None` is unlimited.
    #[uniffi(default = None)]
    pub bandwidth_limit_mbps: Option<f64>,
    /// The background service also downloads and imports other devices' data.
    #[uniffi(default = false)]
    pub pull_other_devices: bool,
    /// Upload search tokens (cloud search; DESIGN.md 3.7).
    #[uniffi(default = true)]
    pub search_tokens: bool,
    /// A media file is sent once unmodified for this many seconds.
    #[uniffi(default = 120)]
    pub media_settle_secs: u64,
    /// Retries of one request on network errors and 5xx answers.
    #[uniffi(default = 4)]
    pub request_retries: u32,
    /// First delay of the service's retries after a transient failure, milliseconds.
    #[uniffi(default = 5000)]
    pub retry_base_ms: u64,
    /// Longest delay of the service's retries, milliseconds.
    #[uniffi(default = 900000)]
    pub retry_max_ms: u64,
}

impl std::fmt::Debug for ManagerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerConfig")
            .field("server_url", &self.server_url)
            .field("token", &"<redacted>")
            .field("db_path", &self.db_path)
            .field("data_dir", &self.data_dir)
            .field("state_dir", &self.state_dir)
            .field("device_name", &self.device_name)
            .field("frequency", &self.frequency)
            .field("interval_override_secs", &self.interval_override_secs)
            .field("sync_frames", &self.sync_frames)
            .field("sync_audio", &self.sync_audio)
            .field("sync_text", &self.sync_text)
            .field("bandwidth_limit_mbps", &self.bandwidth_limit_mbps)
            .field("pull_other_devices", &self.pull_other_devices)
            .finish_non_exhaustive()
    }
}

impl ManagerConfig {
    /// The library's settings.
    fn sync_config(&self) -> FfiResult<SyncConfig> {
        let path = |s: &str, what: &str| {
            if s.trim().is_empty() {
                Err(SyncFfiError::new("config", format!("{what} is empty")))
            } else {
                Ok(PathBuf::from(s))
            }
        };
        let mut config = SyncConfig {
            server: Some(self.server_url.clone()),
            token: Some(self.token.clone()),
            db_path: path(&self.db_path, "db_path")?,
            data_dir: path(&self.data_dir, "data_dir")?,
            state_dir: path(&self.state_dir, "state_dir")?,
            search_tokens: self.search_tokens,
            media_settle: Duration::from_secs(self.media_settle_secs),
            data_types: self.data_types(),
            ..SyncConfig::default()
        };
        if !self.device_name.trim().is_empty() {
            config.device_name = self.device_name.clone();
        }
        config.client.max_retries = self.request_retries.min(20);
        config.client.bandwidth_limit = self.service_options().bandwidth_bytes_per_sec();
        config.server()?;
        config.token()?;
        Ok(config)
    }

    fn data_types(&self) -> DataTypes {
        DataTypes { frames: self.sync_frames, audio: self.sync_audio, text: self.sync_text }
    }

    fn service_options(&self) -> ServiceOptions {
        let interval = match (self.interval_override_secs, self.frequency) {
            (Some(s), _) => SyncInterval::Custom(Duration::from_secs(s.max(1))),
            (None, SyncFrequency::Manual) => SyncInterval::Manual,
            (None, SyncFrequency::FiveMinutes) => SyncInterval::FiveMinutes,
            (None, SyncFrequency::FifteenMinutes) => SyncInterval::FifteenMinutes,
            (None, SyncFrequency::Hourly) => SyncInterval::Hourly,
        };
        ServiceOptions {
            interval,
            data_types: self.data_types(),
            bandwidth_limit_mbps: self.bandwidth_limit_mbps,
            pull: self.pull_other_devices,
            backoff_base: Duration::from_millis(self.retry_base_ms.max(1)),
            backoff_max: Duration::from_millis(self.retry_max_ms.max(self.retry_base_ms).max(1)),
        }
    }
}

/// What `init` did.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct InitResult {
    /// True when this call created the account's keys.
    pub is_new: bool,
    /// The 24-word recovery phrase, only for a new account: show it once, never store it.
    pub recovery_phrase: Option<String>,
}

impl std::fmt::Debug for InitResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitResult").field("is_new", &self.is_new).finish_non_exhaustive()
    }
}

/// A stage of long work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ProgressStage {
    /// Reading screenpipe's database and sealing (unit: records or files).
    Packaging,
    /// Sending (unit: bytes).
    Uploading,
    /// Receiving (unit: bytes).
    Downloading,
    /// Writing rows into screenpipe's database (unit: blobs).
    Importing,
}

impl From<Stage> for ProgressStage {
    fn from(s: Stage) -> ProgressStage {
        match s {
            Stage::Packaging => ProgressStage::Packaging,
            Stage::Uploading => ProgressStage::Uploading,
            Stage::Downloading => ProgressStage::Downloading,
            Stage::Importing => ProgressStage::Importing,
        }
    }
}

/// One progress event.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ProgressEvent {
    /// The stage.
    pub stage: ProgressStage,
    /// Units done.
    pub done: u64,
    /// Units known so far (grows while work is discovered).
    pub total: u64,
    /// True when the unit is bytes.
    pub is_bytes: bool,
}

/// What the background service is doing.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Nothing running (waiting for the next cycle, or stopped).
    Idle,
    /// A cycle is running.
    Syncing {
        /// The stage last reported, if any yet.
        stage: Option<ProgressStage>,
        /// Units of that stage done.
        done: u64,
        /// Units of that stage known so far.
        total: u64,
    },
    /// The last cycle failed.
    Error {
        /// The stable code (`network`, `QUOTA_EXCEEDED`, ...).
        code: String,
        /// What happened.
        message: String,
        /// True when the service retries on its own soon (backoff with jitter).
        retrying: bool,
    },
}

/// The manager's status: the service's state, the last sync, the account's storage and
/// devices, and this device's local state.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncStatus {
    /// True when keys are unlocked.
    pub unlocked: bool,
    /// True while the background service runs.
    pub running: bool,
    /// Idle, syncing (with progress) or error (with code and message).
    pub state: SyncState,
    /// End of the last successful sync (or the last completed upload), Unix milliseconds.
    pub last_sync_ms: Option<i64>,
    /// When the next automatic sync is due, Unix milliseconds.
    pub next_sync_ms: Option<i64>,
    /// Failed cycles since the last success.
    pub consecutive_failures: u32,
    /// Successful cycles of the service.
    pub completed_cycles: u64,
    /// Bytes the account stores.
    pub storage_used: Option<u64>,
    /// Bytes the account may store.
    pub storage_limit: Option<u64>,
    /// Devices on the account.
    pub device_count: Option<u32>,
    /// This device's id (none before `init`).
    pub device_id: Option<String>,
    /// Blobs sealed and waiting for upload.
    pub pending_uploads: u64,
    /// Blobs this device uploaded.
    pub uploaded_blobs: u64,
}

/// What a push did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PushResult {
    /// Blobs uploaded (text and media).
    pub uploaded_blobs: u64,
    /// Their bytes.
    pub uploaded_bytes: u64,
    /// New rows packaged.
    pub rows: u64,
    /// Text bundles made.
    pub text_bundles: u64,
    /// Media files packaged.
    pub media_files: u64,
    /// Uploads the server already had (a resumed push).
    pub already_uploaded: u64,
    /// Media files missing on disk, reported and skipped.
    pub missing_media: Vec<String>,
}

impl From<PushReport> for PushResult {
    fn from(r: PushReport) -> PushResult {
        PushResult {
            uploaded_blobs: r.uploaded_blobs,
            uploaded_bytes: r.uploaded_bytes,
            rows: r.rows,
            text_bundles: r.text_bundles,
            media_files: r.media_files,
            already_uploaded: r.already_uploaded,
            missing_media: r.missing_media,
        }
    }
}

/// What a pull did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PullResult {
    /// Text blobs of other devices listed.
    pub listed: u64,
    /// Text blobs imported now.
    pub imported_blobs: u64,
    /// Text blobs imported before.
    pub already_imported: u64,
    /// Rows inserted.
    pub rows_inserted: u64,
    /// Media files written.
    pub media_written: u64,
    /// Media files not available yet.
    pub media_pending: u64,
    /// `blob_id: code: message` of every blob rejected (nothing of it imported).
    pub failures: Vec<String>,
}

impl From<PullReport> for PullResult {
    fn from(r: PullReport) -> PullResult {
        PullResult {
            listed: r.listed,
            imported_blobs: r.imported_blobs,
            already_imported: r.already_imported,
            rows_inserted: r.rows_inserted,
            media_written: r.media_written,
            media_pending: r.media_pending,
            failures: r.failures.into_iter().map(|f| format!("{}: {}: {}", f.blob_id, f.code, f.message)).collect(),
        }
    }
}

/// One device of the account.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DeviceRecord {
    /// Its id.
    pub device_id: String,
    /// Its name.
    pub device_name: String,
    /// Its operating system.
    pub device_os: String,
    /// Its last completed upload, Unix milliseconds.
    pub last_sync_ms: Option<i64>,
    /// When it was registered, Unix milliseconds.
    pub created_ms: i64,
    /// True for the device this manager runs on.
    pub is_this_device: bool,
}

/// One search result (screenpipe's OCR or audio item, flattened).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SearchHit {
    /// `OCR` or `Audio`.
    pub kind: String,
    /// The OCR text or the transcription.
    pub text: String,
    /// Unix milliseconds.
    pub timestamp_ms: i64,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// App name (OCR).
    pub app_name: Option<String>,
    /// Window name (OCR).
    pub window_name: Option<String>,
    /// The video or audio file.
    pub file_path: String,
    /// `local` or `cloud`.
    pub source: String,
    /// The device the record comes from.
    pub device_id: String,
    /// The whole item as screenpipe's `/search` returns it (JSON), plus `source` and `device_id`.
    pub json: String,
}

impl From<SearchItem> for SearchHit {
    fn from(item: SearchItem) -> SearchHit {
        let json = serde_json::to_string(&item).unwrap_or_default();
        let (kind, text, timestamp, app_name, window_name, file_path) = match &item.content {
            Content::Ocr(o) => (
                "OCR",
                o.text.clone(),
                o.timestamp.clone(),
                Some(o.app_name.clone()),
                Some(o.window_name.clone()),
                o.file_path.clone(),
            ),
            Content::Audio(a) => {
                ("Audio", a.transcription.clone(), a.timestamp.clone(), None, None, a.file_path.clone())
            }
        };
        SearchHit {
            kind: kind.to_owned(),
            text,
            timestamp_ms: item.time.0,
            timestamp,
            app_name,
            window_name,
            file_path,
            source: item.source.to_owned(),
            device_id: item.device_id.clone(),
            json,
        }
    }
}

/// What `delete_cloud_data` removed.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DeleteResult {
    /// Blobs removed.
    pub deleted_blobs: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
}

/// Receives the manager's events; implement it in Kotlin, Swift or Python and pass it to
/// [`SyncManager::set_listener`]. Called from background threads: hand the events to the UI
/// thread, and return quickly.
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// Progress of a push, pull or background cycle (at most about ten events a second per
    /// stage, and one when a stage finishes).
    fn on_progress(&self, event: ProgressEvent);
    /// The status changed (a cycle started, ended or failed; the service started or stopped).
    fn on_status(&self, status: SyncStatus);
    /// A warning worth showing (a missing media file, a rejected blob).
    fn on_warning(&self, message: String);
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

type SharedListener = Arc<Mutex<Option<Arc<dyn SyncListener>>>>;

fn current(listener: &SharedListener) -> Option<Arc<dyn SyncListener>> {
    lock(listener).clone()
}

fn ffi_status(s: &ServiceStatus, unlocked: bool) -> SyncStatus {
    SyncStatus {
        unlocked,
        running: s.running,
        state: match &s.state {
            ServiceState::Idle => SyncState::Idle,
            ServiceState::Syncing { stage, done, total } => {
                SyncState::Syncing { stage: stage.map(ProgressStage::from), done: *done, total: *total }
            }
            ServiceState::Error { code, message, retrying } => {
                SyncState::Error { code: code.clone(), message: message.clone(), retrying: *retrying }
            }
        },
        last_sync_ms: s.last_sync.map(|t| t.0),
        next_sync_ms: s.next_sync.map(|t| t.0),
        consecutive_failures: s.consecutive_failures,
        completed_cycles: s.completed_cycles,
        storage_used: s.storage_used,
        storage_limit: s.storage_limit,
        device_count: s.device_count,
        device_id: None,
        pending_uploads: 0,
        uploaded_blobs: 0,
    }
}

/// Forwards the service's events to the foreign listener.
struct ServiceBridge(SharedListener);

impl ServiceListener for ServiceBridge {
    fn status_changed(&self, status: &ServiceStatus) {
        if let Some(l) = current(&self.0) {
            l.on_status(ffi_status(status, true));
        }
    }

    fn progress(&self, stage: Stage, done: u64, total: u64) {
        if let Some(l) = current(&self.0) {
            l.on_progress(ProgressEvent { stage: stage.into(), done, total, is_bytes: stage.is_bytes() });
        }
    }

    fn warning(&self, message: &str) {
        if let Some(l) = current(&self.0) {
            l.on_warning(message.to_owned());
        }
    }
}

/// Forwards the progress of an explicit push or pull to the foreign listener, throttled.
struct ProgressBridge {
    listener: SharedListener,
    counters: ProgressCounters,
}

impl ProgressBridge {
    fn bump(&self, stage: Stage, add_done: u64, add_total: u64, force: bool) {
        if let (Some((done, total)), Some(l)) =
            (self.counters.bump(stage, add_done, add_total, force), current(&self.listener))
        {
            l.on_progress(ProgressEvent { stage: stage.into(), done, total, is_bytes: stage.is_bytes() });
        }
    }
}

impl Progress for ProgressBridge {
    fn add_total(&self, stage: Stage, total: u64) {
        self.bump(stage, 0, total, false);
    }
    fn advance(&self, stage: Stage, n: u64) {
        self.bump(stage, n, 0, false);
    }
    fn warn(&self, message: &str) {
        if let Some(l) = current(&self.listener) {
            l.on_warning(message.to_owned());
        }
    }
    fn finish(&self, stage: Stage) {
        if self.counters.seen(stage) {
            self.bump(stage, 0, 0, true);
        }
    }
}

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
    fn sync_config(&self) -> FfiResult<SyncConfig> {
        lock(&self.config).sync_config()
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

    fn progress(&self) -> Arc<dyn Progress> {
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
        let own = crate::state::StateDb::open(&config.state_path())?.device_id()?;
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
        let items = session.query().query_all(&query, &options).await?;
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
