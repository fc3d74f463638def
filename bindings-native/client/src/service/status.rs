//! What the service shows: [`ServiceState`], [`ServiceStatus`], and the [`ServiceListener`]
//! that receives its events.

use sync_core::UnixMillis;

use crate::progress::Stage;
use crate::session::{PullReport, PushReport};

/// What the service is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceState {
    /// Waiting for the next cycle (or stopped: see [`ServiceStatus::running`]).
    Idle,
    /// A cycle is running.
    Syncing {
        /// The stage last reported, if any yet.
        stage: Option<Stage>,
        /// Units of that stage done (bytes for uploading and downloading).
        done: u64,
        /// Units of that stage known so far.
        total: u64,
    },
    /// The last cycle failed.
    Error {
        /// The stable code ([`SyncError::code`]: `network`, `QUOTA_EXCEEDED`, `wrong_password`, ...).
        code: String,
        /// What happened.
        message: String,
        /// True when the service retries on its own soon (with backoff).
        retrying: bool,
    },
}

/// A snapshot of the service.
#[derive(Clone, Debug)]
pub struct ServiceStatus {
    /// True between [`SyncService::start`] and [`SyncService::stop`].
    pub running: bool,
    /// Idle, syncing (with progress) or error (with code and message).
    pub state: ServiceState,
    /// When the last successful cycle ended.
    pub last_sync: Option<UnixMillis>,
    /// When the next cycle is due (none in manual mode without a pending retry, or stopped).
    pub next_sync: Option<UnixMillis>,
    /// Failed cycles since the last success.
    pub consecutive_failures: u32,
    /// Successful cycles since the service was made.
    pub completed_cycles: u64,
    /// Bytes the account stores (from the last `GET /status`).
    pub storage_used: Option<u64>,
    /// Bytes the account may store.
    pub storage_limit: Option<u64>,
    /// Devices registered on the account.
    pub device_count: Option<u32>,
    /// What the last successful push did.
    pub last_push: Option<PushReport>,
    /// What the last successful pull did (when pulling is on).
    pub last_pull: Option<PullReport>,
    /// What the last offload of media older than "keep on this device" did (when set).
    pub last_archive: Option<crate::archive::ArchiveReport>,
    /// What the last drop of text rows older than "keep on this device" did (when set).
    pub last_text_drop: Option<crate::archive::TextDropReport>,
    /// The last offload's failure, if it failed (the sync cycle itself still succeeded).
    pub archive_error: Option<String>,
}

impl Default for ServiceStatus {
    fn default() -> ServiceStatus {
        ServiceStatus {
            running: false,
            state: ServiceState::Idle,
            last_sync: None,
            next_sync: None,
            consecutive_failures: 0,
            completed_cycles: 0,
            storage_used: None,
            storage_limit: None,
            device_count: None,
            last_push: None,
            last_pull: None,
            last_archive: None,
            last_text_drop: None,
            archive_error: None,
        }
    }
}

/// Receives the service's events. Called from tokio worker threads; keep it quick.
pub trait ServiceListener: Send + Sync {
    /// The status changed (a cycle started, ended or failed; the service started or stopped).
    fn status_changed(&self, _status: &ServiceStatus) {}
    /// Progress within a cycle: `done` of `total` units of `stage` (at most about ten events a
    /// second per stage, and always one when a stage finishes).
    fn progress(&self, _stage: Stage, _done: u64, _total: u64) {}
    /// A warning worth showing (a missing media file, a rejected blob).
    fn warning(&self, _message: &str) {}
}
