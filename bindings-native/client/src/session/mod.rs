//! [`SyncSession`]: an unlocked account on this device, and everything done with it:
//! - [`keys`]: init (create or unlock), unlock, recover, change password, rotate key;
//! - [`push`]: package what is new and upload it (resuming what a previous run left pending);
//! - [`pull`]: download, decrypt and import other devices' data (with the snapshots of their
//!   frames, from media packs: `snapshots`);
//! - [`account`]: status, devices, device removal, unlinking this device (no keys needed);
//! - [`link`]: linking a new device with a short code (`link_start` here, `join` there);
//! - `refresh`: the account's keys fetched again when a push starts or the server answers
//!   `KEY_ROTATED` (a rotation elsewhere asks for an unlock, never seals under the old key).
//!
//! The keys live only in this value (the core zeroizes them when the last clone of the
//! [`KeySet`] drops): dropping the session is locking. Every long operation takes the state
//! folder's lock ([`StateLock`](crate::state::StateLock)) so that two processes never package
//! or import at once.

pub mod account;
mod batch;
pub mod keys;
pub mod link;
pub mod pull;
pub mod push;
mod refresh;
mod reseal;
mod snapshots;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sync_core::DeviceId;
use sync_core::keys::KeySet;
use sync_core::wire::{Envelope, InitRequest};

pub use account::{StatusReport, devices, remove_device, retention, set_retention, status, unlink};
pub use keys::InitOutcome;
pub use link::{JoinStep, Linking};
pub use pull::{MAX_TEXT_BLOB, PullFailure, PullReport};
pub use push::PushReport;

use crate::api::SyncClient;
use crate::config::SyncConfig;
use crate::error::{Result, SyncError};
use crate::state::StateDb;

/// How long an operation waits for another process holding the state lock.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// An unlocked account on this device.
#[derive(Clone)]
pub struct SyncSession {
    config: Arc<SyncConfig>,
    client: SyncClient,
    state: Arc<Mutex<StateDb>>,
    keys: KeySet,
    device_id: DeviceId,
    envelope: Arc<Mutex<Envelope>>,
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

/// The state file, whoever panicked while holding it (its transactions keep it consistent).
fn lock_state(state: &Mutex<StateDb>) -> std::sync::MutexGuard<'_, StateDb> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs blocking work (SQLite, the KDF, sealing) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await?
}

/// Opens the state file and the client of this device (no keys needed). With `create`, a
/// device without an id gets one; without, it is [`SyncError::NotInitialized`].
pub fn open_device(config: &SyncConfig, create: bool) -> Result<(StateDb, SyncClient, DeviceId)> {
    let state = StateDb::open(&config.state_path())?;
    let device_id =
        if create { state.device_id_or_new()? } else { state.device_id()?.ok_or(SyncError::NotInitialized)? };
    let client = SyncClient::new(config.server()?, config.token()?, device_id.clone(), config.client.clone())?;
    Ok((state, client, device_id))
}

/// The `POST /init` request that registers this device (without keys).
/// The context a listed blob was sealed under (its id, type, device and time range).
pub(crate) fn context_of(blob: &sync_core::wire::BlobDownload) -> sync_core::blob::BlobContext {
    sync_core::blob::BlobContext {
        blob_id: blob.blob_id,
        blob_type: blob.blob_type,
        device_id: blob.device_id.clone(),
        time_start: blob.time_start,
        time_end: blob.time_end,
    }
}

fn init_request(config: &SyncConfig, device_id: &DeviceId) -> InitRequest {
    InitRequest {
        device_id: device_id.clone(),
        device_name: config.device_name.chars().take(128).collect(),
        device_os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        app_version: Some(format!("screenpipe-sync {}", env!("CARGO_PKG_VERSION"))),
        envelope: None,
        recovery_envelope: None,
    }
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
            envelope: Arc::new(Mutex::new(envelope)),
            revision: Arc::new(Mutex::new(revision)),
        }
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
}
