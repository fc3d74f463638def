//! Push: package everything new since the last push ([`crate::pack`]) and upload it, after
//! resuming what a previous run left pending. Uploads go in batches ([`super::batch`]): one
//! `/upload` declares a batch (idempotent; the server answers `already_uploaded` for what it
//! has), the staged files are `PUT`, one `/upload/complete` completes them, then one state
//! transaction per blob moves it from pending to uploaded and its staged file is deleted: a push
//! killed anywhere resumes without sending anything twice.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use sync_core::wire::limits::max_tokens_for_size;
use sync_core::wire::{CompleteRequest, SearchToken, UploadRequest, codes};

use super::{LOCK_WAIT, SyncSession, blocking, lock_state};
use crate::api::TransferWindow;
use crate::error::{IoContext, Result, SyncError};
use crate::pack::Packager;
use crate::progress::{Progress, Stage};
use crate::state::{PendingUpload, StateLock};

/// Media rows of one table staged per packaging pass before they are uploaded: a pass costs two
/// round trips (one batched `/upload`, one `/upload/complete`) plus its transfers, and its
/// staged files are the push's disk bound (this many media files per table).
const MEDIA_PER_PASS: usize = 64;

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
    /// Media files packaged (chunk files and snapshots).
    pub media_files: u64,
    /// Media packs among the uploaded blobs (snapshots, many to a `frames` blob).
    pub snapshot_packs: u64,
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
    /// screenpipe's schema on this device (generation, migrations).
    pub schema: String,
    /// Wall time, seconds.
    pub wall_seconds: f64,
    /// CPU time of this process during the push (user + system, all threads), seconds, where
    /// the OS tells it.
    pub cpu_seconds: Option<f64>,
}

impl SyncSession {
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
        let cpu_before = crate::os::process_cpu_seconds();
        let state_dir = self.config.state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, LOCK_WAIT)).await?;
        // A schema no adapter fully understands is refused before anything is uploaded (even
        // what an earlier push left pending).
        let db = self.config.db_path.clone();
        let schema = blocking(move || {
            let conn = crate::screenpipe::open_read_only(&db)?;
            Ok(crate::screenpipe::detect(&conn)?.summary())
        })
        .await?;
        // A key rotated elsewhere stops the push before anything is sealed under the old key.
        self.refresh_keys().await?;
        self.clean_staging()?;
        // Blobs staged under an older key before a rotation was learnt: sealed again first.
        self.reseal_pending().await?;
        let mut report = PushReport { schema, ..PushReport::default() };
        // One adaptive window for every transfer of this push (api/window.rs).
        let window = TransferWindow::new(self.config.upload_concurrency);
        self.upload_pending(&progress, &mut report, &window).await?;
        loop {
            let (config, keys, device, state, p) =
                (self.config.clone(), self.keys.clone(), self.device_id.clone(), self.state.clone(), progress.clone());
            let pass = blocking(move || {
                let packager = Packager::new(&config, &keys, &device)?;
                packager.plan_media(&mut lock_state(&state), MEDIA_PER_PASS, p.as_ref())
            })
            .await?;
            report.media_files += pass.files;
            report.media_bytes += pass.bytes;
            report.snapshot_packs += pass.packs;
            report.media_waiting = pass.waiting;
            let done = pass.staged == 0 && pass.missing.is_empty() && pass.skipped.is_empty();
            report.missing_media.extend(pass.missing);
            report.missing_media.extend(pass.skipped);
            self.upload_pending(&progress, &mut report, &window).await?;
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
            self.upload_pending(&progress, &mut report, &window).await?;
            text = pass.more;
        }
        progress.finish(Stage::Packaging);
        progress.finish(Stage::Uploading);
        report.wall_seconds = started.elapsed().as_secs_f64();
        report.cpu_seconds = cpu_before.zip(crate::os::process_cpu_seconds()).map(|(a, b)| b - a);
        Ok(report)
    }

    /// Uploads every pending blob, in batches (one `/upload` and one `/upload/complete` per batch,
    /// transfers through the push's adaptive `window`). Fails with the first error after the
    /// others have had their chance (they stay pending for the next run).
    async fn upload_pending(
        &self,
        progress: &Arc<dyn Progress>,
        report: &mut PushReport,
        window: &TransferWindow,
    ) -> Result<()> {
        let pending = lock_state(&self.state).pending()?;
        if pending.is_empty() {
            return Ok(());
        }
        progress.add_total(Stage::Uploading, pending.iter().map(|p| p.size_bytes).sum());
        let mut first_error: Option<SyncError> = None;
        'batches: for batch in super::batch::batches(pending) {
            for (p, outcome) in self.upload_batch(batch, progress, window).await {
                match outcome {
                    Ok(already) => {
                        report.uploaded_blobs += 1;
                        report.uploaded_bytes += p.size_bytes;
                        report.already_uploaded += u64::from(already);
                    }
                    Err(e) => {
                        let _ = lock_state(&self.state).note_upload_error(&p.blob_id, &e.to_string());
                        let fatal = e.is_quota_exceeded()
                            || matches!(
                                e,
                                SyncError::KeyRotated { .. }
                                    | SyncError::PendingLimit { .. }
                                    | SyncError::RetryLater { .. }
                            )
                            || e.is_api(codes::NO_SUBSCRIPTION)
                            || e.is_api(codes::UNAUTHORIZED)
                            || e.is_api(codes::UNKNOWN_DEVICE);
                        if first_error.is_none() {
                            first_error = Some(e);
                        }
                        if fatal {
                            break 'batches;
                        }
                    }
                }
            }
        }
        match first_error {
            // Rotated meanwhile: `keys_outdated` when the key version rose (unlock needed).
            Some(e @ SyncError::KeyRotated { .. }) => {
                self.refresh_keys().await?;
                Err(e)
            }
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// One upload on its own: declare, `PUT`, complete (sent once more when the object arrived
    /// damaged or not at all), then [`Self::record_uploaded`]. Returns true when the server
    /// already had it.
    pub(super) async fn upload_one(&self, p: &PendingUpload, progress: &dyn Progress) -> Result<bool> {
        let req = self.upload_request(p);
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
        self.record_uploaded(p)?;
        Ok(already)
    }

    /// A blob the server holds complete: moved from pending to uploaded (one state transaction),
    /// then its staged file deleted.
    pub(super) fn record_uploaded(&self, p: &PendingUpload) -> Result<()> {
        lock_state(&self.state).finish_upload(p)?;
        match std::fs::remove_file(&p.staging_file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SyncError::io(format!("remove {}", p.staging_file.display()), e)),
        }
    }

    /// The declaration of a pending blob.
    pub(super) fn upload_request(&self, p: &PendingUpload) -> UploadRequest {
        UploadRequest {
            blob_id: p.blob_id,
            blob_type: p.blob_type,
            device_id: self.device_id.clone(),
            time_start: p.time_start,
            time_end: p.time_end,
            size_bytes: p.size_bytes,
            checksum: p.checksum,
            key_id: p.key_id,
            search_tokens: bounded_tokens(&p.tokens, p.size_bytes).to_vec(),
        }
    }
}

/// The search tokens one upload of `size_bytes` bytes carries: at most the API's
/// [`max_tokens_for_size`] (the server refuses more with `413`). A genuine `text` blob never
/// holds more terms than that bound; the rest of an oversized list is dropped (those terms are
/// then found by listing blobs by time, not by token).
fn bounded_tokens(tokens: &[SearchToken], size_bytes: u64) -> &[SearchToken] {
    let max = max_tokens_for_size(size_bytes);
    if tokens.len() > max {
        tracing::warn!(tokens = tokens.len(), max, size_bytes, "more search tokens than the blob's size allows");
    }
    &tokens[..tokens.len().min(max)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bounded_by_the_blobs_size() {
        let tokens: Vec<SearchToken> = (0..200u8).map(|i| SearchToken::from_bytes(&[i; 16])).collect();
        assert_eq!(bounded_tokens(&tokens, 10).len(), 64);
        assert_eq!(bounded_tokens(&tokens, 150).len(), 150);
        assert_eq!(bounded_tokens(&tokens, 1 << 20).len(), 200);
        assert_eq!(bounded_tokens(&tokens, 150), &tokens[..150]);
    }
}
