//! Progress events of a cycle: per-stage counters throttled to about ten events a second
//! ([`ProgressCounters`], shared with the uniffi bridge), forwarded to the status and the
//! listener.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cycle::Shared;
use super::lock;
use super::status::ServiceState;
use crate::progress::{Progress, Stage};

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
pub(super) struct ServiceProgress {
    shared: Arc<Shared>,
    counters: ProgressCounters,
}

impl ServiceProgress {
    pub(super) fn new(shared: Arc<Shared>) -> ServiceProgress {
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
