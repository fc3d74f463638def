//! [`SyncService`]: background sync on tokio, what a desktop or mobile app's settings screen
//! drives (enable, status, trigger now, configure).
//!
//! The service owns an unlocked [`SyncSession`] and runs sync cycles on the current tokio
//! runtime: every [`SyncInterval`] (5 min, 15 min, 1 h, or manual only), at [`SyncService::trigger_now`],
//! and right after [`SyncService::start`] (unless the interval is manual). A cycle is
//! [`SyncSession::push`] (crash-safe and resumable: what a failed cycle sealed stays pending and
//! is sent by the next one, never twice), then optionally [`SyncSession::pull`], then
//! `GET /status` for the storage used and limit and the device count.
//!
//! Failures: a transient one (network lost, server restarting, 5xx, a busy database) makes the
//! service retry with exponential backoff and jitter (`backoff_base` doubled per failure, at
//! most `backoff_max`, times a random factor in [0.5, 1.5)), also in manual mode, until a cycle
//! succeeds. A permanent one (wrong password, `QUOTA_EXCEEDED`, `UNAUTHORIZED`,
//! `NO_SUBSCRIPTION`, `DEVICE_LIMIT_EXCEEDED`, `UNKNOWN_DEVICE`, a bad setting) is shown in the
//! status and retried only at the next regular interval or trigger. Either way the status
//! carries the error's message and stable code ([`SyncError::code`]).
//!
//! [`SyncService::stop`] returns once the cycle in progress, if any, has finished (a push
//! commits its progress blob by blob; stopping never cuts a packaging step in half).

mod cycle;
pub mod options;
pub mod progress;
pub mod retry;
pub mod status;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use options::{ServiceOptions, SyncInterval};
pub use progress::ProgressCounters;
pub use retry::{backoff_delay, is_transient};
pub use status::{ServiceListener, ServiceState, ServiceStatus};

use crate::error::{Result, SyncError};
use crate::session::SyncSession;
use cycle::{Shared, run_loop};

/// A mutex's value, whoever panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Background sync of one unlocked account. Cheap to share behind an `Arc`.
pub struct SyncService {
    shared: Arc<Shared>,
    running: Mutex<Option<Running>>,
}

impl std::fmt::Debug for SyncService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncService")
            .field("options", &*lock(&self.shared.options))
            .field("status", &*lock(&self.shared.status))
            .finish_non_exhaustive()
    }
}

impl SyncService {
    /// A stopped service over `session`. The last sync time starts as the state file's last
    /// completed upload.
    pub fn new(session: SyncSession, options: ServiceOptions) -> SyncService {
        let last_upload = session.with_state(|s| Ok(s.summary()?.last_upload)).ok().flatten();
        let status = ServiceStatus { last_sync: last_upload, ..ServiceStatus::default() };
        SyncService {
            shared: Arc::new(Shared {
                session: Mutex::new(session),
                options: Mutex::new(options),
                status: Mutex::new(status),
                listener: Mutex::new(None),
                trigger: Notify::new(),
                reschedule: Notify::new(),
                cycle: tokio::sync::Mutex::new(()),
            }),
            running: Mutex::new(None),
        }
    }

    /// Sets (or clears) the event listener.
    pub fn set_listener(&self, listener: Option<Arc<dyn ServiceListener>>) {
        *lock(&self.shared.listener) = listener;
    }

    /// Replaces the session (after a password change or a recovery, for example); the next
    /// cycle uses it.
    pub fn set_session(&self, session: SyncSession) {
        *lock(&self.shared.session) = session;
    }

    /// The session cycles run with (before the service's data types and bandwidth limit).
    pub fn session(&self) -> SyncSession {
        lock(&self.shared.session).clone()
    }

    /// The session with the service's data types and bandwidth limit applied (what a cycle
    /// pushes with).
    pub fn effective_session(&self) -> Result<SyncSession> {
        self.shared.effective_session()
    }

    /// The settings.
    pub fn options(&self) -> ServiceOptions {
        lock(&self.shared.options).clone()
    }

    /// Changes the settings; a running service reschedules (without syncing now).
    pub fn set_options(&self, options: ServiceOptions) {
        *lock(&self.shared.options) = options;
        self.shared.reschedule.notify_one();
    }

    /// A snapshot of the status.
    pub fn status(&self) -> ServiceStatus {
        lock(&self.shared.status).clone()
    }

    /// True while started.
    pub fn is_running(&self) -> bool {
        lock(&self.running).as_ref().is_some_and(|r| !r.task.is_finished())
    }

    /// Starts the background loop on the current tokio runtime (a no-op when running). The
    /// first cycle runs at once unless the interval is manual.
    pub fn start(&self) -> Result<()> {
        let handle = tokio::runtime::Handle::try_current().map_err(|source| SyncError::NoRuntime { source })?;
        let mut running = lock(&self.running);
        if running.as_ref().is_some_and(|r| !r.task.is_finished()) {
            return Ok(());
        }
        let (stop, stop_rx) = watch::channel(false);
        let task = handle.spawn(run_loop(self.shared.clone(), stop_rx));
        *running = Some(Running { stop, task });
        drop(running);
        self.shared.update(|s| s.running = true);
        Ok(())
    }

    /// Stops the loop: at once when it is waiting, after the cycle in progress otherwise.
    pub async fn stop(&self) {
        let running = lock(&self.running).take();
        if let Some(r) = running {
            let _ = r.stop.send(true);
            if let Err(e) = r.task.await {
                tracing::warn!(error = %e, "the sync loop ended abnormally");
            }
        }
        self.shared.update(|s| {
            s.running = false;
            s.next_sync = None;
            if matches!(s.state, ServiceState::Syncing { .. }) {
                s.state = ServiceState::Idle;
            }
        });
    }

    /// Asks the running loop for a cycle now (coalesced with one already asked for). Returns
    /// false when the service is not running (use [`SyncService::sync_now`] then).
    pub fn trigger_now(&self) -> bool {
        if !self.is_running() {
            return false;
        }
        self.shared.trigger.notify_one();
        true
    }

    /// Runs one cycle now and waits for it (after the cycle in progress, if any), whether or
    /// not the loop runs.
    pub async fn sync_now(&self) -> Result<()> {
        self.shared.cycle().await
    }
}

impl Drop for SyncService {
    fn drop(&mut self) {
        if let Some(r) = lock(&self.running).take() {
            let _ = r.stop.send(true);
        }
    }
}
