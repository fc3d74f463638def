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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sync_core::UnixMillis;
use sync_core::wire::codes;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::DataTypes;
use crate::error::{Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::session::{PullReport, PushReport, SyncSession};

/// How often the service syncs on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncInterval {
    /// Only when triggered ([`SyncService::trigger_now`]); failures are still retried.
    Manual,
    /// Every 5 minutes.
    FiveMinutes,
    /// Every 15 minutes.
    FifteenMinutes,
    /// Every hour.
    Hourly,
    /// Any other period (tests, power users); at least one second.
    Custom(Duration),
}

impl SyncInterval {
    /// The period, `None` for manual.
    pub fn period(self) -> Option<Duration> {
        match self {
            SyncInterval::Manual => None,
            SyncInterval::FiveMinutes => Some(Duration::from_secs(5 * 60)),
            SyncInterval::FifteenMinutes => Some(Duration::from_secs(15 * 60)),
            SyncInterval::Hourly => Some(Duration::from_secs(60 * 60)),
            SyncInterval::Custom(d) => Some(d.max(Duration::from_secs(1))),
        }
    }
}

/// The service's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOptions {
    /// How often to sync.
    pub interval: SyncInterval,
    /// What a push sends.
    pub data_types: DataTypes,
    /// Upload and download limit in Mbit/s (1 Mbit/s = 125,000 bytes/s); `None` is unlimited.
    pub bandwidth_limit_mbps: Option<f64>,
    /// Also pull (download and import) other devices' data at every cycle.
    pub pull: bool,
    /// First retry delay after a transient failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl Default for ServiceOptions {
    fn default() -> ServiceOptions {
        ServiceOptions {
            interval: SyncInterval::FifteenMinutes,
            data_types: DataTypes::default(),
            bandwidth_limit_mbps: None,
            pull: false,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(15 * 60),
        }
    }
}

impl ServiceOptions {
    /// The bandwidth limit in bytes per second.
    pub fn bandwidth_bytes_per_sec(&self) -> Option<u64> {
        self.bandwidth_limit_mbps.filter(|m| m.is_finite() && *m > 0.0).map(|m| ((m * 125_000.0) as u64).max(1))
    }
}

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

/// True when the error is likely to go away by itself (retry with backoff): network errors,
/// 5xx and 429 answers, local I/O and database hiccups, damaged transfers.
pub fn is_transient(error: &SyncError) -> bool {
    match error {
        SyncError::Network(_)
        | SyncError::InvalidResponse(_)
        | SyncError::ChecksumMismatch(_)
        | SyncError::Io { .. }
        | SyncError::Database { .. }
        | SyncError::State(_) => true,
        SyncError::Api { status, code, .. } => {
            *status >= 500 || *status == 429 || code == codes::NOT_UPLOADED || code == codes::CHECKSUM_MISMATCH
        }
        _ => false,
    }
}

/// The delay before retry number `failures` (1 for the first): `base * 2^(failures-1)`, at most
/// `max`, times a random factor in [0.5, 1.5), and never more than `max`.
pub fn backoff_delay(base: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exp.min(20)).min(max);
    let random = getrandom::u64().unwrap_or(u64::MAX / 2);
    let factor = 0.5 + (random >> 11) as f64 / (1u64 << 53) as f64;
    raw.mul_f64(factor).min(max)
}

struct Shared {
    session: Mutex<SyncSession>,
    options: Mutex<ServiceOptions>,
    status: Mutex<ServiceStatus>,
    listener: Mutex<Option<Arc<dyn ServiceListener>>>,
    /// Wakes the loop for a sync now.
    trigger: Notify,
    /// Wakes the loop to recompute its schedule (options changed).
    reschedule: Notify,
    /// One cycle at a time (the loop's and [`SyncService::sync_now`]'s).
    cycle: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn listener(&self) -> Option<Arc<dyn ServiceListener>> {
        lock(&self.listener).clone()
    }

    fn update(&self, f: impl FnOnce(&mut ServiceStatus)) {
        let snapshot = {
            let mut status = lock(&self.status);
            f(&mut status);
            status.clone()
        };
        if let Some(l) = self.listener() {
            l.status_changed(&snapshot);
        }
    }

    /// The session with the service's data types and bandwidth limit applied.
    fn effective_session(&self) -> Result<SyncSession> {
        let session = lock(&self.session).clone();
        let options = lock(&self.options).clone();
        let mut config = session.config().clone();
        config.data_types = options.data_types;
        config.client.bandwidth_limit = options.bandwidth_bytes_per_sec();
        if config.data_types == session.config().data_types
            && config.client.bandwidth_limit == session.config().client.bandwidth_limit
        {
            return Ok(session);
        }
        session.with_config(config)
    }

    /// One cycle: push, optionally pull, then the account's status.
    async fn cycle(self: &Arc<Self>) -> Result<()> {
        let _one = self.cycle.lock().await;
        self.update(|s| s.state = ServiceState::Syncing { stage: None, done: 0, total: 0 });
        let result = self.cycle_inner().await;
        match &result {
            Ok((push, pull, server)) => {
                let (push, pull, server) = (push.clone(), pull.clone(), server.clone());
                self.update(move |s| {
                    s.state = ServiceState::Idle;
                    s.last_sync = Some(crate::util::now_ms());
                    s.consecutive_failures = 0;
                    s.completed_cycles += 1;
                    s.storage_used = Some(server.quota.storage_used);
                    s.storage_limit = Some(server.quota.storage_limit);
                    s.device_count = Some(server.quota.device_count);
                    s.last_push = Some(push);
                    if pull.is_some() {
                        s.last_pull = pull;
                    }
                });
            }
            Err(e) => {
                let (code, message, retrying) = (e.code(), e.to_string(), is_transient(e));
                tracing::warn!(code = %code, error = %message, retrying, "sync cycle failed");
                self.update(move |s| {
                    s.state = ServiceState::Error { code, message, retrying };
                    s.consecutive_failures = s.consecutive_failures.saturating_add(1);
                });
            }
        }
        result.map(|_| ())
    }

    async fn cycle_inner(
        self: &Arc<Self>,
    ) -> Result<(PushReport, Option<PullReport>, sync_core::wire::StatusResponse)> {
        let session = self.effective_session()?;
        let pull = lock(&self.options).pull;
        let progress: Arc<dyn Progress> = Arc::new(ServiceProgress::new(self.clone()));
        let push = session.push(progress.clone()).await?;
        let pulled = if pull { Some(session.pull(None, None, progress.clone()).await?) } else { None };
        let server = session.client().status().await?;
        Ok((push, pulled, server))
    }
}

/// Least time between two progress events of one stage.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// One stage's counters: done, total, when an event was last emitted.
#[derive(Clone, Copy, Debug, Default)]
struct StageCount {
    done: u64,
    total: u64,
    last_emit: Option<Instant>,
}

/// Progress counters per stage, throttled to one event per [`PROGRESS_EVERY`] and stage (and
/// always one when a stage finishes). Shared by the service and the uniffi bridge.
#[derive(Debug, Default)]
pub struct ProgressCounters {
    stages: Mutex<HashMap<Stage, StageCount>>,
}

impl ProgressCounters {
    /// Adds to a stage's counters; returns `(done, total)` when an event is due.
    pub fn bump(&self, stage: Stage, add_done: u64, add_total: u64, force: bool) -> Option<(u64, u64)> {
        let mut stages = lock(&self.stages);
        let entry = stages.entry(stage).or_default();
        entry.done = entry.done.saturating_add(add_done);
        entry.total = entry.total.saturating_add(add_total).max(entry.done);
        let now = Instant::now();
        let due = force || entry.last_emit.is_none_or(|last| now.duration_since(last) >= PROGRESS_EVERY);
        if due {
            entry.last_emit = Some(now);
        }
        due.then_some((entry.done, entry.total))
    }

    /// True when the stage has had any event.
    pub fn seen(&self, stage: Stage) -> bool {
        lock(&self.stages).contains_key(&stage)
    }
}

/// Forwards the session's progress to the status and the listener, throttled.
struct ServiceProgress {
    shared: Arc<Shared>,
    counters: ProgressCounters,
}

impl ServiceProgress {
    fn new(shared: Arc<Shared>) -> ServiceProgress {
        ServiceProgress { shared, counters: ProgressCounters::default() }
    }

    fn bump(&self, stage: Stage, add_done: u64, add_total: u64, force: bool) {
        if let Some((done, total)) = self.counters.bump(stage, add_done, add_total, force) {
            {
                let mut status = lock(&self.shared.status);
                if matches!(status.state, ServiceState::Syncing { .. }) {
                    status.state = ServiceState::Syncing { stage: Some(stage), done, total };
                }
            }
            if let Some(l) = self.shared.listener() {
                l.progress(stage, done, total);
            }
        }
    }
}

impl Progress for ServiceProgress {
    fn add_total(&self, stage: Stage, total: u64) {
        self.bump(stage, 0, total, false);
    }

    fn advance(&self, stage: Stage, n: u64) {
        self.bump(stage, n, 0, false);
    }

    fn warn(&self, message: &str) {
        if let Some(l) = self.shared.listener() {
            l.warning(message);
        }
    }

    fn finish(&self, stage: Stage) {
        if self.counters.seen(stage) {
            self.bump(stage, 0, 0, true);
        }
    }
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
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| SyncError::Config("the sync service needs a tokio runtime".into()))?;
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

/// The loop: waits for the interval, a trigger, a retry delay or the stop signal, then runs a
/// cycle. A stop signal during a cycle is honoured when the cycle ends.
async fn run_loop(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    // (when the last cycle ended, whether it failed transiently)
    let mut last_end: Option<Instant> = None;
    let mut retry = false;
    let mut first = true;
    loop {
        let options = lock(&shared.options).clone();
        let failures = lock(&shared.status).consecutive_failures;
        let wait = if first {
            options.interval.period().map(|_| Duration::ZERO)
        } else if retry && failures > 0 {
            Some(backoff_delay(options.backoff_base, options.backoff_max, failures))
        } else {
            options.interval.period()
        };
        let deadline = wait.map(|w| last_end.unwrap_or_else(Instant::now) + w);
        shared.update(|s| {
            s.next_sync = deadline.map(|d| {
                let left = d.saturating_duration_since(Instant::now());
                UnixMillis(crate::util::now_ms().0.saturating_add(i64::try_from(left.as_millis()).unwrap_or(i64::MAX)))
            })
        });
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        let go = tokio::select! {
            _ = stop.changed() => break,
            _ = shared.trigger.notified() => true,
            _ = shared.reschedule.notified() => false,
            () = sleep => true,
        };
        if *stop.borrow() {
            break;
        }
        if !go {
            // Options changed: the next wait is computed from the same last end.
            continue;
        }
        first = false;
        let result = shared.cycle().await;
        retry = matches!(&result, Err(e) if is_transient(e));
        last_end = Some(Instant::now());
        if *stop.borrow() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_stays_bounded() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(10);
        for failures in 1..40 {
            let d = backoff_delay(base, max, failures);
            let raw = base.saturating_mul(1 << (failures - 1).min(20)).min(max);
            assert!(d >= raw.mul_f64(0.5) && d <= max, "{failures}: {d:?}");
        }
        let samples: std::collections::HashSet<Duration> = (0..20).map(|_| backoff_delay(base, max, 3)).collect();
        assert!(samples.len() > 1, "jitter");
    }

    #[test]
    fn transient_errors() {
        assert!(is_transient(&SyncError::Network("refused".into())));
        let api = |status: u16, code: &str| SyncError::Api { status, code: code.into(), message: String::new() };
        assert!(is_transient(&api(503, "UNAVAILABLE")));
        assert!(!is_transient(&api(403, codes::QUOTA_EXCEEDED)));
        assert!(!is_transient(&api(401, codes::UNAUTHORIZED)));
        assert!(!is_transient(&SyncError::Core(sync_core::Error::WrongPassword)));
    }

    #[test]
    fn intervals_and_bandwidth() {
        assert_eq!(SyncInterval::Manual.period(), None);
        assert_eq!(SyncInterval::FiveMinutes.period(), Some(Duration::from_secs(300)));
        assert_eq!(SyncInterval::Hourly.period(), Some(Duration::from_secs(3600)));
        assert_eq!(SyncInterval::Custom(Duration::ZERO).period(), Some(Duration::from_secs(1)));
        let options = ServiceOptions { bandwidth_limit_mbps: Some(8.0), ..ServiceOptions::default() };
        assert_eq!(options.bandwidth_bytes_per_sec(), Some(1_000_000));
        assert_eq!(ServiceOptions::default().bandwidth_bytes_per_sec(), None);
    }
}
