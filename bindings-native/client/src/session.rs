//! [`SyncSession`]: an unlocked account on this device, and everything done with it: push,
//! pull, key changes, device management. The keys live only in this value (the core zeroizes
//! them when the last clone of the [`KeySet`] drops): dropping the session is locking.
//!
//! Every long operation takes the state folder's lock ([`StateLock`]) so that two processes
//! never package or import at once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use sync_core::blob::{BlobContext, BlobOpener, open_blob};
use sync_core::keys::{KdfParams, KeySet, RecoveryPhrase};
use sync_core::records::RecordsBundle;
use sync_core::wire::{
    BlobDownload, CompleteRequest, DeviceInfo, DownloadRequest, Envelope, InitRequest, InitResponse, KeysRequest,
    StatusResponse, TimeRange, UploadRequest, codes,
};
use sync_core::{BlobId, BlobType, DeviceId, OsRandom, UnixMillis};

use crate::client::SyncClient;
use crate::config::SyncConfig;
use crate::error::{IoContext, Result, SyncError};
use crate::packager::Packager;
use crate::progress::{Progress, Stage};
use crate::state::{PendingUpload, StateDb, StateLock, StateSummary};
use crate::unpacker::{Unpacker, media_dest};

/// Largest `text` blob downloaded, in bytes of ciphertext.
pub const MAX_TEXT_BLOB: u64 = (1 << 28) + (1 << 24);
/// How long an operation waits for another process holding the state lock.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// What `init` did.
#[derive(Debug)]
pub enum InitOutcome {
    /// A new account was created: show the recovery phrase once.
    Created {
        /// The 24-word recovery phrase.
        recovery_phrase: RecoveryPhrase,
    },
    /// The account existed and the password unlocked it.
    Unlocked,
}

/// What a push did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PushReport {
    /// Blobs uploaded (text and media).
    pub uploaded_blobs: u64,
    /// Their ciphertext bytes.
    pub uploaded_bytes: u64,
    /// Text bundles made.
    pub text_bundles: u64,
    /// New rows packaged.
    pub rows: u64,
    /// Media files packaged.
    pub media_files: u64,
    /// Their plaintext bytes.
    pub media_bytes: u64,
    /// Bundle JSON bytes (before compression).
    pub text_json_bytes: u64,
    /// Media files missing on disk, reported and skipped.
    pub missing_media: Vec<String>,
    /// Rows skipped (unreadable timestamp, missing parent).
    pub skipped_rows: Vec<String>,
    /// Uploads the server already had (a resumed push).
    pub already_uploaded: u64,
    /// Media chunks still being written by screenpipe (a later push takes them).
    pub media_waiting: bool,
    /// Wall time, seconds.
    pub wall_seconds: f64,
    /// CPU time of this process during the push (user + system, all threads), seconds, where
    /// the OS tells it.
    pub cpu_seconds: Option<f64>,
}

/// One blob that could not be pulled.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PullFailure {
    /// The blob.
    pub blob_id: String,
    /// Its type.
    pub blob_type: String,
    /// The error code (`tampered`, `checksum_mismatch`, ...).
    pub code: String,
    /// The error.
    pub message: String,
}

/// What a pull did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PullReport {
    /// Text blobs of other devices listed in the range.
    pub listed: u64,
    /// Text blobs imported now.
    pub imported_blobs: u64,
    /// Text blobs imported before (skipped).
    pub already_imported: u64,
    /// Rows inserted.
    pub rows_inserted: u64,
    /// Records that were present already.
    pub rows_existing: u64,
    /// Media files written.
    pub media_written: u64,
    /// Media files not available yet (retried at the next pull).
    pub media_pending: u64,
    /// Blobs rejected (nothing of them imported).
    pub failures: Vec<PullFailure>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

/// Server status and local state, for `status`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StatusReport {
    /// This device.
    pub device_id: Option<String>,
    /// The server's answer (`null` when unreachable or not configured).
    pub server: Option<StatusResponse>,
    /// Why the server part is missing.
    pub server_error: Option<String>,
    /// The local state file.
    pub local: StateSummary,
    /// The highest key version this device has unlocked.
    pub key_version: Option<u32>,
    /// Whether cloud search tokens are uploaded.
    pub search_tokens: bool,
}

/// An unlocked account on this device.
#[derive(Clone)]
pub struct SyncSession {
    config: Arc<SyncConfig>,
    client: SyncClient,
    state: Arc<Mutex<StateDb>>,
    keys: KeySet,
    device_id: DeviceId,
    envelope: Envelope,
    revision: Arc<Mutex<u64>>,
}

impl std::fmt::Debug for SyncSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSession")
            .field("device_id", &self.device_id)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

fn lock_state(state: &Mutex<StateDb>) -> std::sync::MutexGuard<'_, StateDb> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| SyncError::State(format!("a worker thread failed: {e}")))?
}

fn os_name() -> String {
    format!("{} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// Opens the state file and the client of this device (no keys needed).
pub fn open_device(config: &SyncConfig, create: bool) -> Result<(StateDb, SyncClient, DeviceId)> {
    let state = StateDb::open(&config.state_path())?;
    let device_id =
        if create { state.device_id_or_new()? } else { state.device_id()?.ok_or(SyncError::NotInitialized)? };
    let client = SyncClient::new(config.server()?, config.token()?, device_id.clone(), config.client.clone())?;
    Ok((state, client, device_id))
}

fn init_request(config: &SyncConfig, device_id: &DeviceId) -> InitRequest {
    InitRequest {
        device_id: device_id.clone(),
        device_name: config.device_name.chars().take(128).collect(),
        device_os: os_name(),
        app_version: Some(format!("screenpipe-sync {}", env!("CARGO_PKG_VERSION"))),
        envelope: None,
        recovery_envelope: None,
    }
}

/// `GET /status` plus the local state (no password needed).
pub async fn status(config: &SyncConfig) -> Result<StatusReport> {
    let state = StateDb::open(&config.state_path())?;
    let device_id = state.device_id()?;
    let local = state.summary()?;
    let key_version = state.key_guard()?.key_version;
    let (server, server_error) = match (&device_id, config.server(), config.token()) {
        (Some(id), Ok(server), Ok(token)) => {
            let client = SyncClient::new(server, token, id.clone(), config.client.clone())?;
            match client.status().await {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e.to_string())),
            }
        }
        (None, _, _) => (None, Some("this device is not initialised".into())),
        (_, Err(e), _) | (_, _, Err(e)) => (None, Some(e.to_string())),
    };
    Ok(StatusReport {
        device_id: device_id.map(|d| d.to_string()),
        server,
        server_error,
        local,
        key_version,
        search_tokens: config.search_tokens,
    })
}

/// `GET /devices` (no password needed).
pub async fn devices(config: &SyncConfig) -> Result<Vec<DeviceInfo>> {
    let (_, client, _) = open_device(config, false)?;
    Ok(client.devices().await?.devices)
}

/// `DELETE /devices?device_id=` (no password needed).
pub async fn remove_device(config: &SyncConfig, device: &DeviceId) -> Result<bool> {
    let (_, client, _) = open_device(config, false)?;
    Ok(client.remove_device(device).await?.removed)
}

impl SyncSession {
    fn from_parts(
        config: &SyncConfig,
        client: SyncClient,
        state: StateDb,
        keys: KeySet,
        device_id: DeviceId,
        envelope: Envelope,
        revision: u64,
    ) -> SyncSession {
        SyncSession {
            config: Arc::new(config.clone()),
            client,
            state: Arc::new(Mutex::new(state)),
            keys,
            device_id,
            envelope,
            revision: Arc::new(Mutex::new(revision)),
        }
    }

    /// Registers this device; creates the account's keys when it has none (the recovery phrase
    /// is returned once), else unlocks them with `password`.
    pub async fn init(config: &SyncConfig, password: &str) -> Result<(SyncSession, InitOutcome)> {
        let (state, client, device_id) = open_device(config, true)?;
        let _lock = StateLock::acquire(&config.state_dir, LOCK_WAIT)?;
        state.set_meta("device_name", &config.device_name)?;
        let answer = client.init(&init_request(config, &device_id)).await?;
        if answer.envelope.is_some() {
            let session = Self::unlock_with_answer(config, state, client, device_id, answer, password).await?;
            return Ok((session, InitOutcome::Unlocked));
        }
        let mut guard = state.key_guard()?;
        guard.check_new_user()?;
        let password_owned = zeroize::Zeroizing::new(password.to_owned());
        let account =
            blocking(move || Ok(KeySet::create_account(password_owned.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?))
                .await?;
        let mut req = init_request(config, &device_id);
        req.envelope = Some(account.envelope.clone());
        req.recovery_envelope = Some(account.recovery_envelope.clone());
        let created = match client.init(&req).await {
            Ok(a) => a,
            Err(e) if e.is_api(codes::ACCOUNT_EXISTS) => {
                // Another device created the account meanwhile: unlock that one.
                let answer = client.init(&init_request(config, &device_id)).await?;
                let session = Self::unlock_with_answer(config, state, client, device_id, answer, password).await?;
                return Ok((session, InitOutcome::Unlocked));
            }
            Err(e) => return Err(e),
        };
        if created.envelope.as_ref() != Some(&account.envelope) {
            return Err(SyncError::InvalidResponse("the server did not store the new account's envelope".into()));
        }
        guard.observe(account.keys.current_version(), &account.keys.current_key_id());
        state.save_key_guard(&guard)?;
        state.set_meta("revision", &created.revision.to_string())?;
        let session =
            Self::from_parts(config, client, state, account.keys, device_id, account.envelope, created.revision);
        Ok((session, InitOutcome::Created { recovery_phrase: account.recovery_phrase }))
    }

    /// Unlocks the account on an initialised device.
    pub async fn unlock(config: &SyncConfig, password: &str) -> Result<SyncSession> {
        let (state, client, device_id) = open_device(config, false)?;
        let answer = client.init(&init_request(config, &device_id)).await?;
        Self::unlock_with_answer(config, state, client, device_id, answer, password).await
    }

    async fn unlock_with_answer(
        config: &SyncConfig,
        state: StateDb,
        client: SyncClient,
        device_id: DeviceId,
        answer: InitResponse,
        password: &str,
    ) -> Result<SyncSession> {
        let mut guard = state.key_guard()?;
        let Some(envelope) = answer.envelope.clone() else {
            guard.check_new_user()?;
            return Err(SyncError::Config("the account has no keys yet: run `screenpipe-sync init`".into()));
        };
        // The rollback check runs before the slow KDF.
        guard.check(envelope.key_version, &envelope.key_id)?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        let keyring = answer.keyring.clone();
        let env = envelope.clone();
        let (keys, guard) = blocking(move || {
            let keys = KeySet::unlock(&env, password.as_str(), &keyring, &mut guard)?;
            Ok((keys, guard))
        })
        .await?;
        state.save_key_guard(&guard)?;
        state.set_meta("revision", &answer.revision.to_string())?;
        Ok(Self::from_parts(config, client, state, keys, device_id, envelope, answer.revision))
    }

    /// Unlocks with the recovery phrase and sets `new_password` (a new envelope for the same
    /// master key).
    pub async fn recover(config: &SyncConfig, phrase: &str, new_password: &str) -> Result<SyncSession> {
        let (state, client, device_id) = open_device(config, true)?;
        let _lock = StateLock::acquire(&config.state_dir, LOCK_WAIT)?;
        let answer = client.init(&init_request(config, &device_id)).await?;
        let recovery = answer
            .recovery_envelope
            .clone()
            .ok_or_else(|| SyncError::Config("the account has no recovery envelope".into()))?;
        let mut guard = state.key_guard()?;
        let phrase = zeroize::Zeroizing::new(phrase.to_owned());
        let new_password = zeroize::Zeroizing::new(new_password.to_owned());
        let keyring = answer.keyring.clone();
        let (keys, guard, envelope) = blocking(move || {
            let keys = KeySet::unlock_with_recovery(&recovery, phrase.as_str(), &keyring, &mut guard)?;
            let envelope = keys.change_password(new_password.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?;
            Ok((keys, guard, envelope))
        })
        .await?;
        state.save_key_guard(&guard)?;
        let revision = client
            .keys(&KeysRequest {
                expected_revision: answer.revision,
                envelope: envelope.clone(),
                keyring: None,
                recovery_envelope: None,
            })
            .await?
            .revision;
        state.set_meta("revision", &revision.to_string())?;
        Ok(Self::from_parts(config, client, state, keys, device_id, envelope, revision))
    }

    /// A new password for the same keys (`POST /keys` with the revision last seen).
    pub async fn change_password(&mut self, new_password: &str) -> Result<()> {
        let keys = self.keys.clone();
        let new_password = zeroize::Zeroizing::new(new_password.to_owned());
        let envelope =
            blocking(move || Ok(keys.change_password(new_password.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?))
                .await?;
        let expected = *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let revision = self
            .client
            .keys(&KeysRequest {
                expected_revision: expected,
                envelope: envelope.clone(),
                keyring: None,
                recovery_envelope: None,
            })
            .await?
            .revision;
        *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = revision;
        lock_state(&self.state).set_meta("revision", &revision.to_string())?;
        self.envelope = envelope;
        Ok(())
    }

    /// Rotates the master key (DESIGN.md 3.5): new key, new envelope under the same password,
    /// new recovery phrase (returned once), keyring of every older key. New blobs use the new
    /// key; the guard moves to the new version.
    pub async fn rotate_key(&mut self, password: &str) -> Result<RecoveryPhrase> {
        let keys = self.keys.clone();
        let envelope = self.envelope.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        let rotation =
            blocking(move || Ok(keys.rotate(&envelope, password.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?))
                .await?;
        let expected = *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let revision = self
            .client
            .keys(&KeysRequest {
                expected_revision: expected,
                envelope: rotation.envelope.clone(),
                keyring: Some(rotation.keyring.clone()),
                recovery_envelope: Some(rotation.recovery_envelope.clone()),
            })
            .await?
            .revision;
        {
            let state = lock_state(&self.state);
            let mut guard = state.key_guard()?;
            guard.observe(rotation.keys.current_version(), &rotation.keys.current_key_id());
            state.save_key_guard(&guard)?;
            state.set_meta("revision", &revision.to_string())?;
        }
        *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = revision;
        self.keys = rotation.keys;
        self.envelope = rotation.envelope;
        Ok(rotation.recovery_phrase)
    }

    /// The same unlocked account with other settings (bandwidth limit, data types, search
    /// tokens, timeouts, server address or token): a new HTTP client over the same keys and
    /// state file. The state folder cannot change (another folder is another device).
    pub fn with_config(&self, config: SyncConfig) -> Result<SyncSession> {
        if config.state_dir != self.config.state_dir {
            return Err(SyncError::Config(
                "the state folder of an unlocked session cannot change: lock, then unlock with the new settings".into(),
            ));
        }
        let client = SyncClient::new(config.server()?, config.token()?, self.device_id.clone(), config.client.clone())?;
        Ok(SyncSession {
            config: Arc::new(config),
            client,
            state: self.state.clone(),
            keys: self.keys.clone(),
            device_id: self.device_id.clone(),
            envelope: self.envelope.clone(),
            revision: self.revision.clone(),
        })
    }

    /// The unlocked keys.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// This device.
    pub fn device_id(&self) -> &DeviceId {
        &self.device_id
    }

    /// The configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The HTTP client.
    pub fn client(&self) -> &SyncClient {
        &self.client
    }

    /// Runs `f` with the state file.
    pub fn with_state<T>(&self, f: impl FnOnce(&mut StateDb) -> Result<T>) -> Result<T> {
        f(&mut lock_state(&self.state))
    }

    /// Cloud search over this session.
    pub fn query(&self) -> crate::query::CloudQuery<'_> {
        crate::query::CloudQuery::new(self)
    }

    /// Deletes staging files that no pending upload names (left by a crash before a commit).
    fn clean_staging(&self) -> Result<()> {
        let dir = self.config.staging_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
        let keep: std::collections::HashSet<PathBuf> = lock_state(&self.state).pending_files()?.into_iter().collect();
        for entry in entries.flatten() {
            let path = entry.path();
            if !keep.contains(&path) {
                std::fs::remove_file(&path).io_ctx(|| format!("remove {}", path.display()))?;
            }
        }
        Ok(())
    }

    /// Packages everything new since the last push and uploads it; resumes what a previous
    /// run left pending first.
    pub async fn push(&self, progress: Arc<dyn Progress>) -> Result<PushReport> {
        let started = Instant::now();
        let cpu_before = crate::util::process_cpu_seconds();
        let state_dir = self.config.state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, LOCK_WAIT)).await?;
        self.clean_staging()?;
        let mut report = PushReport::default();
        self.upload_pending(&progress, &mut report).await?;
        loop {
            let (config, keys, device, state, p) =
                (self.config.clone(), self.keys.clone(), self.device_id.clone(), self.state.clone(), progress.clone());
            let pass = blocking(move || {
                let packager = Packager::new(&config, &keys, &device)?;
                packager.plan_media(&mut lock_state(&state), 16, p.as_ref())
            })
            .await?;
            report.media_files += pass.staged;
            report.media_bytes += pass.bytes;
            report.media_waiting = pass.waiting;
            let done = pass.staged == 0 && pass.missing.is_empty() && pass.skipped.is_empty();
            report.missing_media.extend(pass.missing);
            report.missing_media.extend(pass.skipped);
            self.upload_pending(&progress, &mut report).await?;
            if done {
                break;
            }
        }
        // The text pass, unless text is left out; it repeats while rows remain.
        let mut text = self.config.data_types.text;
        while text {
            let (config, keys, device, state, p) =
                (self.config.clone(), self.keys.clone(), self.device_id.clone(), self.state.clone(), progress.clone());
            let pass = blocking(move || {
                let packager = Packager::new(&config, &keys, &device)?;
                packager.plan_text(&mut lock_state(&state), p.as_ref())
            })
            .await?;
            report.text_bundles += pass.bundles;
            report.rows += pass.rows;
            report.text_json_bytes += pass.json_bytes;
            report.skipped_rows.extend(pass.bad_rows);
            self.upload_pending(&progress, &mut report).await?;
            text = pass.more;
        }
        progress.finish(Stage::Packaging);
        progress.finish(Stage::Uploading);
        report.wall_seconds = started.elapsed().as_secs_f64();
        report.cpu_seconds = cpu_before.zip(crate::util::process_cpu_seconds()).map(|(a, b)| b - a);
        Ok(report)
    }

    /// Uploads every pending blob, `upload_concurrency` at a time. Fails with the first error
    /// after the others have had their chance (they stay pending for the next run).
    async fn upload_pending(&self, progress: &Arc<dyn Progress>, report: &mut PushReport) -> Result<()> {
        let pending = lock_state(&self.state).pending()?;
        if pending.is_empty() {
            return Ok(());
        }
        progress.add_total(Stage::Uploading, pending.iter().map(|p| p.size_bytes).sum());
        let concurrency = self.config.upload_concurrency.max(1);
        let mut results = futures::stream::iter(pending.into_iter().map(|p| {
            let progress = progress.clone();
            async move {
                let outcome = self.upload_one(&p, progress.as_ref()).await;
                (p, outcome)
            }
        }))
        .buffer_unordered(concurrency);
        let mut first_error: Option<SyncError> = None;
        while let Some((p, outcome)) = results.next().await {
            match outcome {
                Ok(already) => {
                    report.uploaded_blobs += 1;
                    report.uploaded_bytes += p.size_bytes;
                    report.already_uploaded += u64::from(already);
                }
                Err(e) => {
                    let _ = lock_state(&self.state).note_upload_error(&p.blob_id, &e.to_string());
                    let fatal = e.is_quota_exceeded()
                        || e.is_api(codes::NO_SUBSCRIPTION)
                        || e.is_api(codes::UNAUTHORIZED)
                        || e.is_api(codes::UNKNOWN_DEVICE);
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                    if fatal {
                        break;
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// One upload: declare, `PUT`, complete, then record it (one state transaction) and drop
    /// the staged file. Returns true when the server already had it.
    async fn upload_one(&self, p: &PendingUpload, progress: &dyn Progress) -> Result<bool> {
        let req = UploadRequest {
            blob_id: p.blob_id,
            blob_type: p.blob_type,
            device_id: self.device_id.clone(),
            time_start: p.time_start,
            time_end: p.time_end,
            size_bytes: p.size_bytes,
            checksum: p.checksum,
            key_id: p.key_id,
            search_tokens: p.tokens.clone(),
        };
        let mut already = false;
        for attempt in 0..2 {
            let declared = self.client.upload(&req).await?;
            if declared.already_uploaded {
                already = true;
                progress.advance(Stage::Uploading, p.size_bytes);
                break;
            }
            self.client.put_file(&declared.upload_url, &p.staging_file, p.size_bytes, progress).await?;
            match self.client.complete(&CompleteRequest { blob_id: p.blob_id }).await {
                Ok(_) => break,
                // The object arrived damaged or not at all: send it once more.
                Err(e) if attempt == 0 && (e.is_api(codes::CHECKSUM_MISMATCH) || e.is_api(codes::NOT_UPLOADED)) => {
                    tracing::warn!(blob = %p.blob_id, error = %e, "upload not accepted; sending it again");
                }
                Err(e) => return Err(e),
            }
        }
        lock_state(&self.state).finish_upload(p)?;
        match std::fs::remove_file(&p.staging_file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SyncError::io(format!("remove {}", p.staging_file.display()), e)),
        }
        Ok(already)
    }

    /// Downloads, decrypts and imports the `text` blobs of other devices in `[since, until]`
    /// (default: everything), with their media files. Blobs imported before are skipped;
    /// a blob that fails to verify is reported and nothing of it is imported.
    pub async fn pull(
        &self,
        since: Option<UnixMillis>,
        until: Option<UnixMillis>,
        progress: Arc<dyn Progress>,
    ) -> Result<PullReport> {
        let started = Instant::now();
        let state_dir = self.config.state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, LOCK_WAIT)).await?;
        let (db, data) = (self.config.db_path.clone(), self.config.data_dir.clone());
        let unpacker = Arc::new(Mutex::new(blocking(move || Unpacker::open(&db, &data)).await?));
        let mut report = PullReport::default();

        // Media that earlier pulls could not fetch yet.
        let waiting = lock_state(&self.state).pending_media()?;
        for (blob_id, dest) in waiting {
            match self.fetch_media_by_id(&blob_id, &dest, progress.as_ref()).await {
                Ok(()) => {
                    lock_state(&self.state).done_pending_media(&blob_id)?;
                    report.media_written += 1;
                }
                Err(e) => self.media_failed(&mut report, &blob_id, &dest, None, e, progress.as_ref())?,
            }
        }

        let range = TimeRange {
            start: since.unwrap_or(UnixMillis(0)),
            end: until.unwrap_or(UnixMillis(crate::util::now_ms().0.saturating_add(366 * 86_400_000))),
        };
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .client
                .download(&DownloadRequest {
                    time_range: Some(range),
                    blob_types: Some(vec![BlobType::Text]),
                    limit: Some(200),
                    cursor: cursor.clone(),
                    ..DownloadRequest::default()
                })
                .await?;
            for blob in page.blobs {
                if blob.device_id == self.device_id || blob.blob_type != BlobType::Text {
                    continue;
                }
                report.listed += 1;
                if lock_state(&self.state).pulled_status(&blob.blob_id)?.as_deref() == Some("imported") {
                    report.already_imported += 1;
                    continue;
                }
                progress.add_total(Stage::Downloading, blob.size_bytes);
                if let Err(e) = self.pull_text_blob(&blob, &unpacker, &mut report, progress.as_ref()).await {
                    if matches!(e, SyncError::Network(_) | SyncError::Io { .. } | SyncError::Database { .. }) {
                        return Err(e);
                    }
                    progress.warn(&format!("blob {} rejected: {e}", blob.blob_id));
                    tracing::warn!(blob = %blob.blob_id, error = %e, "blob rejected; nothing of it imported");
                    lock_state(&self.state).mark_pulled(
                        &blob.blob_id,
                        blob.blob_type,
                        &blob.device_id,
                        blob.time_start,
                        blob.time_end,
                        "failed",
                        0,
                        Some(&e.to_string()),
                    )?;
                    report.failures.push(PullFailure {
                        blob_id: blob.blob_id.to_hex(),
                        blob_type: blob.blob_type.to_string(),
                        code: e.code(),
                        message: e.to_string(),
                    });
                }
            }
            match page.next_cursor {
                Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                _ => break,
            }
        }
        progress.finish(Stage::Downloading);
        progress.finish(Stage::Importing);
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    fn media_failed(
        &self,
        report: &mut PullReport,
        blob_id: &BlobId,
        dest: &Path,
        origin: Option<&DeviceId>,
        e: SyncError,
        progress: &dyn Progress,
    ) -> Result<()> {
        if !e.is_api(codes::NOT_FOUND) {
            progress.warn(&format!("media blob {blob_id} not written: {e}"));
            report.failures.push(PullFailure {
                blob_id: blob_id.to_hex(),
                blob_type: "media".into(),
                code: e.code(),
                message: e.to_string(),
            });
        }
        report.media_pending += 1;
        if let Some(origin) = origin {
            lock_state(&self.state).add_pending_media(blob_id, dest, origin, Some(&e.to_string()))?;
        }
        Ok(())
    }

    /// Downloads a blob into memory, checks it, and opens it (the whole payload verified).
    pub async fn open_text_blob(&self, blob: &BlobDownload, progress: &dyn Progress) -> Result<RecordsBundle> {
        let bytes = self
            .client
            .download_to_vec(&blob.download_url, blob.size_bytes, &blob.checksum, MAX_TEXT_BLOB, progress)
            .await?;
        let ctx = BlobContext {
            blob_id: blob.blob_id,
            blob_type: blob.blob_type,
            device_id: blob.device_id.clone(),
            time_start: blob.time_start,
            time_end: blob.time_end,
        };
        let keys = self.keys.data_keys();
        let device = blob.device_id.clone();
        blocking(move || {
            let plain = open_blob(&keys, &ctx, &bytes)?;
            let bundle = RecordsBundle::from_json(&plain)?;
            if bundle.device_id != device {
                return Err(SyncError::Core(sync_core::Error::Malformed(
                    "the bundle names another device than its blob",
                )));
            }
            Ok(bundle)
        })
        .await
    }

    async fn pull_text_blob(
        &self,
        blob: &BlobDownload,
        unpacker: &Arc<Mutex<Unpacker>>,
        report: &mut PullReport,
        progress: &dyn Progress,
    ) -> Result<()> {
        let bundle = self.open_text_blob(blob, progress).await?;
        // Media first: rows never point at a file that a crash left half written.
        let chunks: Vec<(BlobId, String)> = bundle
            .video_chunks
            .iter()
            .filter_map(|c| c.blob_id.map(|id| (id, c.file_name.clone())))
            .chain(bundle.audio_chunks.iter().filter_map(|c| c.blob_id.map(|id| (id, c.file_name.clone()))))
            .collect();
        for (blob_id, file_name) in chunks {
            let dest = media_dest(&self.config.data_dir, &bundle.device_id, &file_name, &blob_id);
            if dest.exists() {
                continue;
            }
            match self.fetch_media_by_id(&blob_id, &dest, progress).await {
                Ok(()) => report.media_written += 1,
                Err(e @ (SyncError::Network(_) | SyncError::Io { .. })) => return Err(e),
                Err(e) => self.media_failed(report, &blob_id, &dest, Some(&bundle.device_id), e, progress)?,
            }
        }
        let unpacker = unpacker.clone();
        let blob_id = blob.blob_id;
        let counts = blocking(move || {
            let mut u = unpacker.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            u.import(&bundle, &blob_id)
        })
        .await?;
        progress.advance(Stage::Importing, 1);
        report.imported_blobs += 1;
        report.rows_inserted += counts.total_inserted();
        report.rows_existing += counts.existing;
        lock_state(&self.state).mark_pulled(
            &blob.blob_id,
            blob.blob_type,
            &blob.device_id,
            blob.time_start,
            blob.time_end,
            "imported",
            counts.total_inserted(),
            None,
        )?;
        Ok(())
    }

    /// Fetches one media blob by id and writes its plaintext to `dest` atomically.
    async fn fetch_media_by_id(&self, blob_id: &BlobId, dest: &Path, progress: &dyn Progress) -> Result<()> {
        let listed =
            self.client.download(&DownloadRequest { blob_ids: Some(vec![*blob_id]), ..Default::default() }).await?;
        let blob = listed
            .blobs
            .into_iter()
            .find(|b| b.blob_id == *blob_id)
            .ok_or_else(|| SyncError::InvalidResponse(format!("/download did not list blob {blob_id}")))?;
        if blob.blob_type == BlobType::Text {
            return Err(SyncError::Core(sync_core::Error::Malformed("a media reference names a text blob")));
        }
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).io_ctx(|| format!("create {}", dir.display()))?;
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let cipher = dir.join(format!(".{name}.{blob_id}.sealed"));
        let plain = dir.join(format!(".{name}.{blob_id}.part"));
        progress.add_total(Stage::Downloading, blob.size_bytes);
        let result = async {
            self.client
                .download_to_file(&blob.download_url, blob.size_bytes, &blob.checksum, &cipher, progress)
                .await?;
            let ctx = BlobContext {
                blob_id: blob.blob_id,
                blob_type: blob.blob_type,
                device_id: blob.device_id.clone(),
                time_start: blob.time_start,
                time_end: blob.time_end,
            };
            let keys = self.keys.data_keys();
            let (cipher2, plain2, dest2, dir2) = (cipher.clone(), plain.clone(), dest.to_path_buf(), dir.clone());
            blocking(move || decrypt_file(keys, ctx, &cipher2, &plain2, &dest2, &dir2)).await
        }
        .await;
        let _ = std::fs::remove_file(&cipher);
        if result.is_err() {
            let _ = std::fs::remove_file(&plain);
        }
        result
    }
}

/// Decrypts the sealed file `cipher` into `plain`, then renames it to `dest` (only after the
/// final segment verified).
fn decrypt_file(
    keys: sync_core::keys::DataKeys,
    ctx: BlobContext,
    cipher: &Path,
    plain: &Path,
    dest: &Path,
    dir: &Path,
) -> Result<()> {
    let input = std::fs::File::open(cipher).io_ctx(|| format!("open {}", cipher.display()))?;
    let mut output = std::fs::File::create(plain).io_ctx(|| format!("create {}", plain.display()))?;
    crate::segments::open_stream(BlobOpener::new(keys, ctx), input, &mut output, &cipher.display().to_string())?;
    output.sync_all().io_ctx(|| format!("sync {}", plain.display()))?;
    drop(output);
    std::fs::rename(plain, dest).io_ctx(|| format!("rename to {}", dest.display()))?;
    crate::util::sync_dir(dir)
}
