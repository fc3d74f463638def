//! Batched uploads: many pending blobs declared in one `/upload` and completed in one
//! `/upload/complete` ({"blobs": [...]} and {"blob_ids": [...]}, docs/openapi.yaml), their files
//! sent in between through the push's adaptive window (`api/window.rs`: from 4 up to
//! `upload_concurrency` in flight). Round trips, not bytes, set the pace of small
//! blobs (snapshot packs, text bundles) over a slow link: a batch costs two round trips plus its
//! transfers instead of three round trips per blob.
//!
//! A batch is bounded by [`BATCH_BLOBS`] and by the search tokens it carries
//! ([`BATCH_TOKENS`], so that its JSON stays well under the API's body limit). A server that
//! refuses the batched body (an older one: 400, 404, 405, 413, 415, 422) gets the batch one blob
//! at a time. An item refused inside a batch fails that blob only, with the code a single call
//! would have answered; an object the server found damaged or missing at completion is sent
//! again on its own (the single path's one retry). The state commits each blob as before.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use sync_core::BlobId;
use sync_core::wire::{CompleteBatchRequest, ErrorBody, UploadBatchItem, UploadBatchRequest, codes};

use super::SyncSession;
use crate::api::{Signal, TransferWindow, item_error};
use crate::error::{Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::state::PendingUpload;

/// Most blobs in one batch.
pub(super) const BATCH_BLOBS: usize = 256;
/// Most search tokens in one batch (about 25 bytes of JSON each: 2.5 MB, under the 4 MiB body
/// limit with the declarations' other fields).
pub(super) const BATCH_TOKENS: usize = 100_000;

/// `pending` cut into batches, in order, each within [`BATCH_BLOBS`] and [`BATCH_TOKENS`] (a blob
/// with more tokens than that goes alone).
pub(super) fn batches(pending: Vec<PendingUpload>) -> Vec<Vec<PendingUpload>> {
    let mut out: Vec<Vec<PendingUpload>> = Vec::new();
    let mut tokens = 0usize;
    for p in pending {
        let n = p.tokens.len();
        let fits = out.last().is_some_and(|b| b.len() < BATCH_BLOBS && tokens + n <= BATCH_TOKENS);
        if !fits {
            out.push(Vec::new());
            tokens = 0;
        }
        tokens += n;
        if let Some(last) = out.last_mut() {
            last.push(p);
        }
    }
    out
}

/// What became of one blob of a batch before completion.
enum Sent {
    /// The server had it complete already.
    Already,
    /// Its file was sent: to be completed.
    Put,
}

impl SyncSession {
    /// Uploads one batch; one outcome per blob (true: the server already had it).
    pub(super) async fn upload_batch(
        &self,
        batch: Vec<PendingUpload>,
        progress: &Arc<dyn Progress>,
        window: &TransferWindow,
    ) -> Vec<(PendingUpload, Result<bool>)> {
        let request = UploadBatchRequest { blobs: batch.iter().map(|p| self.upload_request(p)).collect() };
        let declared = match self.client.upload_batch(&request).await {
            Ok(answer) if answer.results.len() == batch.len() => answer.results,
            Ok(answer) => {
                let message = format!("{} answers to {} declarations", answer.results.len(), batch.len());
                return fail_all(batch, &SyncError::InvalidResponse(message));
            }
            Err(e) if batches_refused(&e) => {
                tracing::info!(error = %e, "the server refused a batched /upload: one blob at a time");
                return self.one_by_one(batch, progress, window).await;
            }
            Err(e) => return fail_all(batch, &e),
        };

        // The files, through the window.
        let sent: Vec<(PendingUpload, Result<Sent>)> = window
            .unordered(batch.into_iter().zip(declared), |(p, item)| {
                let progress = progress.clone();
                async move {
                    let outcome = self.send(&p, item, progress.as_ref()).await;
                    let signal = match &outcome {
                        Ok(Sent::Put) => Signal::Done(p.size_bytes),
                        Ok(Sent::Already) => Signal::Neutral,
                        Err(_) => Signal::of(&outcome, 0),
                    };
                    ((p, outcome), signal)
                }
            })
            .collect()
            .await;

        // One completion for every file sent.
        let to_complete: Vec<BlobId> =
            sent.iter().filter(|(_, s)| matches!(s, Ok(Sent::Put))).map(|(p, _)| p.blob_id).collect();
        let completed: Result<HashMap<BlobId, Option<ErrorBody>>> = if to_complete.is_empty() {
            Ok(HashMap::new())
        } else {
            self.client
                .complete_batch(&CompleteBatchRequest { blob_ids: to_complete })
                .await
                .map(|answer| answer.results.into_iter().map(|item| (item.blob_id, item.error)).collect())
        };

        let mut out = Vec::with_capacity(sent.len());
        for (p, outcome) in sent {
            let result = match (outcome, &completed) {
                (Err(e), _) => Err(e),
                (Ok(Sent::Already), _) => self.record_uploaded(&p).map(|()| true),
                (Ok(Sent::Put), Err(e)) => Err(copy_of(e)),
                (Ok(Sent::Put), Ok(answers)) => match answers.get(&p.blob_id) {
                    Some(None) => self.record_uploaded(&p).map(|()| false),
                    // Damaged or missing on arrival: once more on its own (declare, PUT, complete).
                    Some(Some(e)) if e.code == codes::CHECKSUM_MISMATCH || e.code == codes::NOT_UPLOADED => {
                        tracing::warn!(blob = %p.blob_id, code = %e.code, "upload not accepted; sending it again");
                        self.upload_one(&p, progress.as_ref()).await
                    }
                    Some(Some(e)) => Err(item_error(e.clone())),
                    None => Err(SyncError::InvalidResponse(format!("no completion answer for blob {}", p.blob_id))),
                },
            };
            out.push((p, result));
        }
        out
    }

    /// One declared blob: nothing to send when the server has it, its refusal, or its file sent.
    async fn send(&self, p: &PendingUpload, item: UploadBatchItem, progress: &dyn Progress) -> Result<Sent> {
        if item.blob_id != p.blob_id {
            return Err(SyncError::InvalidResponse(format!(
                "answer for blob {} where {} was declared",
                item.blob_id, p.blob_id
            )));
        }
        if let Some(e) = item.error {
            return Err(item_error(e));
        }
        if item.already_uploaded {
            progress.advance(Stage::Uploading, p.size_bytes);
            return Ok(Sent::Already);
        }
        self.client.put_file(&item.upload_url, &p.staging_file, p.size_bytes, progress).await?;
        Ok(Sent::Put)
    }

    /// The batch one blob at a time (a server without batched calls).
    async fn one_by_one(
        &self,
        batch: Vec<PendingUpload>,
        progress: &Arc<dyn Progress>,
        window: &TransferWindow,
    ) -> Vec<(PendingUpload, Result<bool>)> {
        window
            .unordered(batch, |p| {
                let progress = progress.clone();
                async move {
                    let outcome = self.upload_one(&p, progress.as_ref()).await;
                    let signal = Signal::of(&outcome, p.size_bytes);
                    ((p, outcome), signal)
                }
            })
            .collect()
            .await
    }
}

/// True when the server refused the batched body as such (a server that predates batches).
fn batches_refused(e: &SyncError) -> bool {
    matches!(e, SyncError::Api { status: 400 | 404 | 405 | 413 | 415 | 422, .. })
}

/// Every blob of `batch` failed with `e`.
fn fail_all(batch: Vec<PendingUpload>, e: &SyncError) -> Vec<(PendingUpload, Result<bool>)> {
    batch.into_iter().map(|p| (p, Err(copy_of(e)))).collect()
}

/// The same failure for another blob of the batch: the typed error where it can be copied
/// (API refusals, the hardening codes), else its code and message.
fn copy_of(e: &SyncError) -> SyncError {
    match e {
        SyncError::Api { status, code, message } => {
            SyncError::Api { status: *status, code: code.clone(), message: message.clone() }
        }
        SyncError::KeyRotated { message } => SyncError::KeyRotated { message: message.clone() },
        SyncError::PendingLimit { message } => SyncError::PendingLimit { message: message.clone() },
        SyncError::RetryLater { status, code, message, retry_after } => SyncError::RetryLater {
            status: *status,
            code: code.clone(),
            message: message.clone(),
            retry_after: *retry_after,
        },
        other => SyncError::InvalidResponse(format!("the batch failed: {other} ({})", other.code())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::PathBuf;

    use sync_core::wire::{Checksum, SearchToken};
    use sync_core::{BlobType, KeyId, UnixMillis};

    use super::*;

    fn pending(i: u8, tokens: usize) -> PendingUpload {
        PendingUpload {
            blob_id: BlobId([i; 16]),
            blob_type: BlobType::Text,
            time_start: UnixMillis(0),
            time_end: UnixMillis(1),
            size_bytes: 1,
            checksum: Checksum([0; 32]),
            key_id: KeyId([1; 16]),
            tokens: vec![SearchToken::from_bytes(&[0; 16]); tokens],
            staging_file: PathBuf::from(format!("{i}.blob")),
            records: 1,
            media: None,
        }
    }

    #[test]
    fn batches_keep_the_order_within_both_bounds() {
        assert!(batches(Vec::new()).is_empty());
        let many: Vec<_> = (0..=255u8).chain(0..=44).map(|i| pending(i, 1)).collect();
        let cut = batches(many);
        assert_eq!(cut.iter().map(Vec::len).collect::<Vec<_>>(), vec![BATCH_BLOBS, 301 - BATCH_BLOBS]);
        assert_eq!(cut[1][0].blob_id, BlobId([0; 16]));

        let heavy = vec![pending(1, BATCH_TOKENS - 10), pending(2, 10), pending(3, 1), pending(4, BATCH_TOKENS + 5)];
        let cut = batches(heavy);
        let ids: Vec<Vec<u8>> = cut.iter().map(|b| b.iter().map(|p| p.blob_id.0[0]).collect()).collect();
        assert_eq!(
            ids,
            vec![vec![1, 2], vec![3], vec![4]],
            "a batch never passes the token bound; an oversized blob goes alone"
        );
    }

    #[test]
    fn refused_batches_and_copies() {
        let api = |status| SyncError::Api { status, code: "INVALID_REQUEST".into(), message: "m".into() };
        assert!(batches_refused(&api(400)) && batches_refused(&api(413)) && batches_refused(&api(404)));
        assert!(!batches_refused(&api(403)) && !batches_refused(&api(500)));
        assert_eq!(copy_of(&SyncError::KeyRotated { message: "x".into() }).code(), codes::KEY_ROTATED);
        assert_eq!(copy_of(&api(409)).code(), "INVALID_REQUEST");
        let item = item_error(ErrorBody { error: "full".into(), code: codes::QUOTA_EXCEEDED.into() });
        assert!(item.is_quota_exceeded());
        assert_eq!(
            item_error(ErrorBody { error: "e".into(), code: codes::PENDING_LIMIT.into() }).code(),
            codes::PENDING_LIMIT
        );
    }
}
