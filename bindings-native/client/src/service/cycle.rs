//! The service's state shared with its loop, one sync cycle (push, optional pull, the offload
//! of media older than "keep on this device" when set, then `GET /status`), and the loop that runs cycles at the interval, on a trigger, or after a
//! backoff delay.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sync_core::UnixMillis;
use tokio::sync::{Notify, watch};

use super::lock;
use super::options::ServiceOptions;
use super::progress::ServiceProgress;
use super::retry::{backoff_delay, is_transient};
use super::status::{ServiceListener, ServiceState, ServiceStatus};
use crate::archive::{ArchiveOptions, ArchiveReport, MediaKind, TextDropReport};
use crate::config::KeepLocal;
use crate::error::Result;
use crate::progress::Progress;
use crate::session::{PullReport, PushReport, SyncSession};

/// What the service and its loop share.
pub(super) struct Shared {
    pub(super) session: Mutex<SyncSession>,
    pub(super) options: Mutex<ServiceOptions>,
    pub(super) status: Mutex<ServiceStatus>,
    pub(super) listener: Mutex<Option<Arc<dyn ServiceListener>>>,
    /// Wakes the loop for a sync now.
    pub(super) trigger: Notify,
    /// Wakes the loop to recompute its schedule (options changed).
    pub(super) reschedule: Notify,
    /// One cycle at a time (the loop's and [`SyncService::sync_now`](super::SyncService::sync_now)'s).
    pub(super) cycle: tokio::sync::Mutex<()>,
}

impl Shared {
    pub(super) fn listener(&self) -> Option<Arc<dyn ServiceListener>> {
        lock(&self.listener).clone()
    }

    pub(super) fn update(&self, f: impl FnOnce(&mut ServiceStatus)) {
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
    pub(super) fn effective_session(&self) -> Result<SyncSession> {
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
    pub(super) async fn cycle(self: &Arc<Self>) -> Result<()> {
        let _one = self.cycle.lock().await;
        self.update(|s| s.state = ServiceState::Syncing { stage: None, done: 0, total: 0 });
        let result = self.cycle_inner().await;
        match &result {
            Ok((push, pull, server, archive)) => {
                let (push, pull, server, archive) = (push.clone(), pull.clone(), server.clone(), archive.clone());
                self.update(move |s| {
                    if archive.ran {
                        if archive.media.is_some() {
                            s.last_archive = archive.media;
                        }
                        if archive.text.is_some() {
                            s.last_text_drop = archive.text;
                        }
                        s.archive_error = archive.error;
                    }
                    s.state = ServiceState::Idle;
                    s.last_sync = Some(crate::os::now_ms());
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

    async fn cycle_inner(self: &Arc<Self>) -> Result<CycleOutcome> {
        let session = self.effective_session()?;
        let (pull, keep) = {
            let options = lock(&self.options);
            (options.pull, options.keep_local)
        };
        let progress: Arc<dyn Progress> = Arc::new(ServiceProgress::new(self.clone()));
        let push = session.push(progress.clone()).await?;
        let pulled = if pull { Some(session.pull(None, None, progress.clone()).await?) } else { None };
        let archived = offload_old(&session, keep, &progress).await;
        let server = session.client().status().await?;
        Ok((push, pulled, server, archived))
    }
}

/// What a cycle did: push, pull, the account's status, the offload.
type CycleOutcome = (PushReport, Option<PullReport>, sync_core::wire::StatusResponse, Offload);

/// What "keep on this device" did in a cycle: the media offload's and the text drop's reports
/// (when they ran) and the first failure.
#[derive(Clone, Debug, Default)]
pub(super) struct Offload {
    /// True when an offload was asked for (some type is not kept forever).
    ran: bool,
    /// The media offloaded, summed over the types.
    media: Option<ArchiveReport>,
    /// The text rows dropped.
    text: Option<TextDropReport>,
    /// The first failure (`message (code)`), retried at the next cycle.
    error: Option<String>,
}

/// Days ago, as a cutoff.
fn days_ago(days: u32) -> UnixMillis {
    UnixMillis(crate::os::now_ms().0.saturating_sub(i64::from(days).saturating_mul(86_400_000)))
}

/// Offloads the media older than "keep on this device", type by type, then drops the text rows
/// older than its text choice (nothing when everything is kept forever). A failure is
/// reported, never fatal to the cycle: nothing unproven is deleted.
async fn offload_old(session: &SyncSession, keep: KeepLocal, progress: &Arc<dyn Progress>) -> Offload {
    let mut out = Offload::default();
    let failed = |e: crate::error::SyncError, what: &str| {
        tracing::warn!(error = %e, "offloading old {what} failed; retried at the next cycle");
        format!("{} ({})", e, e.code())
    };
    for (kind, days) in [(MediaKind::Screen, keep.screen), (MediaKind::Audio, keep.audio)] {
        let Some(days) = days else { continue };
        out.ran = true;
        let options = ArchiveOptions { before: days_ago(days), kinds: vec![kind], dry_run: false, read_back: false };
        match session.archive(&options, progress.clone()).await {
            Ok(report) => {
                let sum = out.media.get_or_insert_with(ArchiveReport::default);
                sum.files += report.files;
                sum.bytes_freed += report.bytes_freed;
                sum.resumed += report.resumed;
                sum.already_offloaded += report.already_offloaded;
                sum.marked += report.marked;
                for (k, n) in report.by_kind {
                    *sum.by_kind.entry(k).or_default() += n;
                }
                sum.skipped.extend(report.skipped);
                sum.schema = report.schema;
                sum.wall_seconds += report.wall_seconds;
            }
            Err(e) => {
                out.error = Some(failed(e, "media"));
                return out;
            }
        }
    }
    if let Some(days) = keep.text {
        out.ran = true;
        match session.drop_text(days_ago(days), false, progress.clone()).await {
            Ok(report) => out.text = Some(report),
            Err(e) => out.error = Some(failed(e, "text")),
        }
    }
    out
}

/// The loop: waits for the interval, a trigger, a retry delay or the stop signal, then runs a
/// cycle. A stop signal during a cycle is honoured when the cycle ends.
pub(super) async fn run_loop(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
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
                UnixMillis(crate::os::now_ms().0.saturating_add(i64::try_from(left.as_millis()).unwrap_or(i64::MAX)))
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
