//! [`SyncListener`], the callback interface a foreign app implements, and the bridges that
//! forward the library's events to it: the background service's ([`ServiceBridge`]) and an
//! explicit push's or pull's progress, throttled ([`ProgressBridge`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sync_client::progress::{Progress, Stage};
use sync_client::service::{ProgressCounters, ServiceListener, ServiceState, ServiceStatus};

use crate::records::{ProgressEvent, ProgressStage, SyncState, SyncStatus};

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

/// A mutex's value, whoever panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The listener the manager and its bridges share (set or cleared at any time).
pub(crate) type SharedListener = Arc<Mutex<Option<Arc<dyn SyncListener>>>>;

/// The listener now, if any.
fn current(listener: &SharedListener) -> Option<Arc<dyn SyncListener>> {
    lock(listener).clone()
}

/// The service's status as the bindings' record (device and local fields filled by the
/// caller).
pub(crate) fn ffi_status(s: &ServiceStatus, unlocked: bool) -> SyncStatus {
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
pub(crate) struct ServiceBridge(pub(crate) SharedListener);

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
pub(crate) struct ProgressBridge {
    pub(crate) listener: SharedListener,
    pub(crate) counters: ProgressCounters,
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
