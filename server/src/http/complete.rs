//! `POST /upload/complete`: verify uploaded objects and make their blobs visible, one blob or
//! many at once. The rules are [`crate::domain::uploads`] and [`crate::domain::quota`].
//!
//! Completing takes the staged upload out of reach of the upload URL, checks its size and
//! SHA-256 against the declaration (`400 CHECKSUM_MISMATCH`, and the bad upload is deleted so a
//! fresh `PUT` can follow) and moves it into place ([`crate::store::objects`]); then, in one
//! transaction, compares the checked object with the blob as it is now, checks its key and the
//! quota once more, and makes it visible.
//!
//! Batched: a body `{"blob_ids": [...]}` (at most `MAX_BLOBS_PER_BATCH`, duplicates once) checks
//! the objects a few at a time and completes them in order in one transaction, answering one
//! item per blob with its `error` if it did not complete, and the storage used after them all.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use serde::de::IgnoredAny;
use sync_core::BlobId;
use sync_core::wire::limits::MAX_BLOBS_PER_BATCH;
use sync_core::wire::{
    CompleteBatchItem, CompleteBatchRequest, CompleteBatchResponse, CompleteRequest, CompleteResponse,
};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiBytes, parse_json};
use crate::domain::tiers;
use crate::domain::uploads::UploadCheck;
use crate::store::ObjectKey;
use crate::store::metadata::{BlobRecord, BlobState, CompleteOutcome, User};
use crate::store::objects::ObjectDigest;

/// Objects checked at once by one batched completion.
const CHECKS_IN_FLIGHT: usize = 8;

/// `POST /upload/complete`.
pub fn router() -> Router<AppState> {
    Router::new().route("/upload/complete", post(complete))
}

/// Whether a body is the batched form: an object with a `blob_ids` member.
#[derive(Deserialize)]
struct BatchProbe {
    blob_ids: Option<IgnoredAny>,
}

/// The body of `POST /upload/complete`: one blob or a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompleteBody {
    /// One blob.
    Single(CompleteRequest),
    /// Many.
    Batch(CompleteBatchRequest),
}

/// Parses a `/upload/complete` body (`400 INVALID_REQUEST`, `413` for a batch over
/// `MAX_BLOBS_PER_BATCH`).
pub fn parse_body(body: &[u8]) -> ApiResult<CompleteBody> {
    let batch = serde_json::from_slice::<BatchProbe>(body).is_ok_and(|probe| probe.blob_ids.is_some());
    if !batch {
        return parse_json(body).map(CompleteBody::Single);
    }
    let batch: CompleteBatchRequest = parse_json(body)?;
    if batch.blob_ids.len() > MAX_BLOBS_PER_BATCH {
        return Err(ApiError::too_large(format!("more than {MAX_BLOBS_PER_BATCH} blobs in one batch")));
    }
    Ok(CompleteBody::Batch(batch))
}

/// Checks the uploaded object of `record` (when pending): what was verified, passed to the
/// completing transaction (`None` for a blob seen complete), or why it cannot complete.
async fn check_object(state: &AppState, user: &User, record: &BlobRecord) -> ApiResult<Option<ObjectDigest>> {
    if record.state != BlobState::Pending {
        return Ok(None);
    }
    let key = ObjectKey { user_id: user.id, blob_id: record.meta.blob_id };
    match state.objects.finish_upload(&key, &record.meta).await? {
        UploadCheck::NotUploaded => Err(ApiError::NotUploaded),
        UploadCheck::Mismatch { size, sha256 } => Err(ApiError::ChecksumMismatch(format!(
            "the uploaded object ({size} bytes, SHA-256 {sha256}) differs from the declared one ({} bytes, SHA-256 {}); upload it again",
            record.meta.size_bytes, record.meta.checksum
        ))),
        UploadCheck::Verified if !tiers::is_subscribed(user.tier) => Err(ApiError::NoSubscription),
        UploadCheck::Verified => Ok(Some(ObjectDigest { size: record.meta.size_bytes, sha256: record.meta.checksum })),
    }
}

/// The storage used after completing `blob_id` (of `size` bytes), or why it did not complete.
fn answer(outcome: CompleteOutcome, blob_id: BlobId, size: u64, limit: u64) -> ApiResult<u64> {
    match outcome {
        CompleteOutcome::Completed { storage_used } | CompleteOutcome::AlreadyComplete { storage_used } => {
            Ok(storage_used)
        }
        CompleteOutcome::NotFound => Err(ApiError::not_found(format!("no blob {blob_id} for this account"))),
        CompleteOutcome::QuotaExceeded { storage_used } => {
            Err(ApiError::QuotaExceeded { used: storage_used, limit, size })
        }
        CompleteOutcome::KeyRotated => Err(ApiError::KeyRotated),
        CompleteOutcome::NotVerified => Err(ApiError::ChecksumMismatch(format!(
            "blob {blob_id} was declared again while it was being completed: upload it again, then complete it"
        ))),
    }
}

fn unknown(blob_id: BlobId) -> ApiError {
    ApiError::not_found(format!("no blob {blob_id} for this account: call /upload first"))
}

/// `POST /upload/complete`: one blob or a batch.
pub async fn complete(State(state): State<AppState>, caller: Caller, ApiBytes(body): ApiBytes) -> ApiResult<Response> {
    match parse_body(&body)? {
        CompleteBody::Single(req) => single(&state, &caller, req.blob_id).await.map(|a| Json(a).into_response()),
        CompleteBody::Batch(batch) => batched(&state, &caller, batch).await.map(|a| Json(a).into_response()),
    }
}

async fn single(state: &AppState, caller: &Caller, blob_id: BlobId) -> ApiResult<CompleteResponse> {
    let user = &caller.user;
    let limit = tiers::limits(user.tier).storage_bytes;
    let record = state.metadata.blob(user.id, blob_id).await?.ok_or_else(|| unknown(blob_id))?;
    let verified = check_object(state, user, &record).await?;
    let outcome = state
        .metadata
        .complete_blob(user.id, blob_id, &caller.device_id, verified, limit, crate::time::now_ms())
        .await?;
    let storage_used = answer(outcome, blob_id, record.meta.size_bytes, limit)?;
    Ok(CompleteResponse { storage_used, storage_limit: limit })
}

async fn batched(state: &AppState, caller: &Caller, batch: CompleteBatchRequest) -> ApiResult<CompleteBatchResponse> {
    let user = &caller.user;
    let limit = tiers::limits(user.tier).storage_bytes;
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<BlobId> = batch.blob_ids.into_iter().filter(|id| seen.insert(*id)).collect();
    // Look up and check each object, a few at a time; keep the order.
    let checks = futures::stream::iter(ids.iter().copied())
        .map(|blob_id| async move {
            let record = state.metadata.blob(user.id, blob_id).await?;
            let checked = match &record {
                None => Err(unknown(blob_id)),
                Some(record) => check_object(state, user, record).await,
            };
            Ok::<_, ApiError>((blob_id, record.map(|r| r.meta.size_bytes).unwrap_or(0), checked))
        })
        .buffered(CHECKS_IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    let mut checked = Vec::with_capacity(checks.len());
    for check in checks {
        let (blob_id, size, result) = check?;
        match result {
            Err(err @ ApiError::Internal(_)) => return Err(err),
            other => checked.push((blob_id, size, other)),
        }
    }
    let to_complete: Vec<(BlobId, Option<ObjectDigest>)> =
        checked.iter().filter_map(|(id, _, r)| r.as_ref().ok().map(|v| (*id, *v))).collect();
    let mut outcomes = state
        .metadata
        .complete_blobs(user.id, to_complete, &caller.device_id, limit, crate::time::now_ms())
        .await?
        .into_iter();
    let mut results = Vec::with_capacity(checked.len());
    let mut storage_used = None;
    for (blob_id, size, check) in checked {
        let answered = match check {
            Err(err) => Err(err),
            Ok(_) => match outcomes.next() {
                Some(outcome) => answer(outcome, blob_id, size, limit),
                None => return Err(ApiError::internal("the store answered fewer completions than it was given")),
            },
        };
        match answered {
            Ok(used) => {
                storage_used = Some(used);
                results.push(CompleteBatchItem { blob_id, error: None });
            }
            Err(err) => results.push(CompleteBatchItem { blob_id, error: Some(err.body()) }),
        }
    }
    let storage_used = match storage_used {
        Some(used) => used,
        None => state.metadata.storage_used(user.id).await?,
    };
    Ok(CompleteBatchResponse { results, storage_used, storage_limit: limit })
}
