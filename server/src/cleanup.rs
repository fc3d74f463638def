//! The background cleanup job: tier retention and abandoned uploads (what expires is
//! [`crate::domain::retention`]).
//!
//! Every `cleanup_interval` (and once at start) it removes
//! - completed blobs older than their owner's tier retention (`time_end` before now minus the
//!   retention; Starter keeps 183 days, Pro and Team forever), with their objects;
//! - completed blobs of a type older than the retention the account chose for that type
//!   (`PUT /account/retention`), with their objects;
//! - pending blobs first declared more than `abandoned_upload_after` ago (declaring them again
//!   does not postpone it), with any object uploaded for them (they were never visible);
//! - partial uploads (interrupted `PUT`s) older than `abandoned_upload_after`;
//! - orphan objects of a store with presigned URLs (S3): objects older than
//!   `abandoned_upload_after` without a blob row, written through a URL whose blob was removed
//!   while the URL was still valid (the local store checks the row before writing);
//! - staged uploads older than `abandoned_upload_after` whose blob is gone or complete: a `PUT`
//!   through a still-valid upload URL after completion or removal (counted as orphans);
//! - pairing mailboxes past their deadline, with their messages.
//!
//! Metadata rows go first, objects after: a blob is never visible without its object.

use std::future::Future;

use sync_core::UnixMillis;

use crate::domain::{retention, tiers};
use crate::http::AppState;
use crate::store::StoreResult;
use crate::store::metadata::{BlobState, RemovedBlobs};

/// Rows removed per transaction.
const BATCH: u32 = 500;

/// What one cleanup pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Completed blobs past their retention.
    pub expired_blobs: u64,
    /// Pending blobs abandoned.
    pub abandoned_uploads: u64,
    /// Partial upload files.
    pub partial_files: u64,
    /// Objects without a blob row.
    pub orphan_objects: u64,
    /// Pairing mailboxes past their deadline, with their messages.
    pub expired_mailboxes: u64,
}

/// Objects listed per page by the orphan sweep.
const LIST_PAGE: usize = 1000;

async fn sweep_orphans(state: &AppState, older_than: std::time::SystemTime) -> StoreResult<u64> {
    let mut removed = 0;
    let mut offset = None;
    loop {
        let (keys, next) = state.objects.list_objects_before(older_than, offset, LIST_PAGE).await?;
        for key in state.metadata.missing_blobs(keys).await? {
            // Checked once more right before deleting: a blob declared again since the listing
            // keeps its object.
            if state.metadata.blob(key.user_id, key.blob_id).await?.is_some() {
                continue;
            }
            state.objects.delete(&key).await?;
            tracing::info!(object = %key, "orphan object deleted");
            removed += 1;
        }
        match next {
            Some(next) => offset = Some(next),
            None => return Ok(removed),
        }
    }
}

/// Staged uploads of completed or removed blobs (a `PUT` after completion, or after the blob was
/// removed, through a URL that was still valid).
async fn sweep_staged(state: &AppState, older_than: std::time::SystemTime) -> StoreResult<u64> {
    let mut removed = 0;
    let mut offset = None;
    loop {
        let (keys, next) = state.objects.list_staged_before(older_than, offset, LIST_PAGE).await?;
        for key in keys {
            let record = state.metadata.blob(key.user_id, key.blob_id).await?;
            if record.is_some_and(|r| r.state == BlobState::Pending) {
                continue;
            }
            state.objects.delete_staged(&key).await?;
            tracing::info!(object = %key, "staged leftover deleted");
            removed += 1;
        }
        match next {
            Some(next) => offset = Some(next),
            None => return Ok(removed),
        }
    }
}

async fn delete_objects(state: &AppState, removed: &RemovedBlobs) {
    for key in &removed.objects {
        if let Err(err) = state.objects.delete(key).await {
            tracing::warn!(object = %key, error = %err, "cannot delete object");
        }
    }
}

/// One cleanup pass as of `now`.
pub async fn run_once(state: &AppState, now: UnixMillis) -> StoreResult<CleanupReport> {
    let mut report = CleanupReport::default();
    for tier in tiers::ALL {
        let Some(cutoff) = retention::expiry_cutoff(tier, now) else { continue };
        loop {
            let removed = state.metadata.remove_expired_blobs(tier, cutoff, BATCH).await?;
            delete_objects(state, &removed).await;
            let n = removed.objects.len() as u64;
            report.expired_blobs += n;
            if n < u64::from(BATCH) {
                break;
            }
        }
    }
    // Retention chosen per type by each account (within its tier's, checked when chosen).
    for (user_id, blob_type, days) in state.metadata.retention_choices().await? {
        let cutoff = retention::chosen_cutoff(days, now);
        loop {
            let removed = state.metadata.remove_expired_of_type(user_id, blob_type, cutoff, BATCH).await?;
            delete_objects(state, &removed).await;
            let n = removed.objects.len() as u64;
            report.expired_blobs += n;
            if n < u64::from(BATCH) {
                break;
            }
        }
    }
    let cutoff = retention::abandoned_cutoff(now, state.config.abandoned_upload_after);
    loop {
        let removed = state.metadata.remove_abandoned_uploads(cutoff, BATCH).await?;
        delete_objects(state, &removed).await;
        let n = removed.objects.len() as u64;
        report.abandoned_uploads += n;
        if n < u64::from(BATCH) {
            break;
        }
    }
    report.partial_files = state.objects.sweep_partial_uploads(crate::time::to_system_time(cutoff)).await?;
    report.orphan_objects = sweep_orphans(state, crate::time::to_system_time(cutoff)).await?
        + sweep_staged(state, crate::time::to_system_time(cutoff)).await?;
    report.expired_mailboxes = state.metadata.remove_expired_mailboxes(now).await?;
    Ok(report)
}

/// Runs [`run_once`] now and every `cleanup_interval` until `stop` resolves.
pub async fn run_periodically(state: AppState, stop: impl Future<Output = ()>) {
    let mut ticker = tokio::time::interval(state.config.cleanup_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = ticker.tick() => {
                match run_once(&state, crate::time::now_ms()).await {
                    Ok(report) if report != CleanupReport::default() => {
                        tracing::info!(
                            expired_blobs = report.expired_blobs,
                            abandoned_uploads = report.abandoned_uploads,
                            partial_files = report.partial_files,
                            orphan_objects = report.orphan_objects,
                            expired_mailboxes = report.expired_mailboxes,
                            "cleanup"
                        );
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!(error = %err, "cleanup failed"),
                }
            }
        }
    }
}
