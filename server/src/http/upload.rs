//! `POST /upload`: declare a blob and get a signed upload URL, or declare many at once. The
//! rules are [`crate::domain::uploads`] and [`crate::domain::quota`]; completing is
//! [`super::complete`].
//!
//! Declaring is idempotent: the same metadata again refreshes a pending blob (new URL, tokens
//! replaced) or, for a completed blob, answers `already_uploaded: true` with an empty URL; a
//! completed blob declared with other metadata is `409 CONFLICT`. A pending blob reserves its
//! bytes against the quota (`403 QUOTA_EXCEEDED` when stored plus reserved bytes would exceed
//! it), an account may have so many pending uploads and bytes of them (`409 PENDING_LIMIT`),
//! and a pending blob is abandoned a while after it was first declared, whatever happens
//! after. Until `/upload/complete` succeeds a blob is invisible to every read.
//!
//! Batched: a body `{"blobs": [declaration, ...]}` (at most `MAX_BLOBS_PER_BATCH`) declares
//! them in order in one transaction, each decided as a single declaration would be (later ones
//! see the reservations of earlier ones), and answers `{"results": [...]}`, one item per
//! declaration, in order, each with its URL or its `error`. A request-wide refusal (no
//! subscription, too many blobs, a malformed body) answers as a single declaration would.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::IgnoredAny;
use sync_core::wire::limits::{MAX_BLOB_SIZE, MAX_BLOBS_PER_BATCH, max_tokens_for_size};
use sync_core::wire::{UploadBatchItem, UploadBatchRequest, UploadBatchResponse, UploadRequest, UploadResponse};
use sync_core::{BlobId, DeviceId};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiBytes, parse_json};
use super::validate;
use crate::domain::model::UploadLimits;
use crate::domain::tiers;
use crate::store::ObjectKey;
use crate::store::metadata::{BlobMeta, DeclareOutcome, TokenBytes};

/// `POST /upload` (the route of `/upload/complete` is [`super::complete`]'s).
pub fn router() -> Router<AppState> {
    Router::new().route("/upload", post(upload))
}

fn conflict(blob_id: BlobId) -> ApiError {
    ApiError::Conflict(format!("blob {blob_id} was uploaded before with other metadata"))
}

/// A checked declaration: the blob's metadata and its distinct search tokens.
pub type Declaration = (BlobMeta, Vec<TokenBytes>);

/// Checks a declaration sent by `device` (no I/O): the blob's metadata and its distinct search
/// tokens, or why the request is refused.
pub fn check_request(req: &UploadRequest, device: &DeviceId) -> ApiResult<Declaration> {
    if req.device_id != *device {
        return Err(ApiError::invalid("device_id differs from the X-Device-Id header"));
    }
    if req.time_start > req.time_end {
        return Err(ApiError::invalid("time_start is after time_end"));
    }
    if req.size_bytes == 0 {
        return Err(ApiError::invalid("size_bytes is 0"));
    }
    if req.size_bytes > MAX_BLOB_SIZE {
        return Err(ApiError::too_large(format!("size_bytes is over the {MAX_BLOB_SIZE}-byte limit")));
    }
    // Tokens are bounded by the blob's size (and counted against the quota by the store).
    let tokens = validate::tokens(&req.search_tokens, max_tokens_for_size(req.size_bytes))?;
    let meta = BlobMeta {
        blob_id: req.blob_id,
        blob_type: req.blob_type,
        device_id: req.device_id.clone(),
        time_start: req.time_start,
        time_end: req.time_end,
        size_bytes: req.size_bytes,
        checksum: req.checksum,
        key_id: req.key_id,
    };
    Ok((meta, tokens))
}

/// Whether a body is the batched form: an object with a `blobs` member.
#[derive(Deserialize)]
struct BatchProbe {
    blobs: Option<IgnoredAny>,
}

/// The body of `POST /upload`: one declaration or a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadBody {
    /// One declaration.
    Single(UploadRequest),
    /// Many.
    Batch(UploadBatchRequest),
}

/// Parses a `/upload` body (`400 INVALID_REQUEST` for anything else, with the message of the
/// form it looks like; `413` for a batch over `MAX_BLOBS_PER_BATCH`).
pub fn parse_body(body: &[u8]) -> ApiResult<UploadBody> {
    let batch = serde_json::from_slice::<BatchProbe>(body).is_ok_and(|probe| probe.blobs.is_some());
    if !batch {
        return parse_json(body).map(UploadBody::Single);
    }
    let batch: UploadBatchRequest = parse_json(body)?;
    if batch.blobs.len() > MAX_BLOBS_PER_BATCH {
        return Err(ApiError::too_large(format!("more than {MAX_BLOBS_PER_BATCH} blobs in one batch")));
    }
    Ok(UploadBody::Batch(batch))
}

/// The answer to one declaration, from the store's outcome: a signed URL for a pending blob.
async fn answer(
    state: &AppState,
    user_id: i64,
    meta: &BlobMeta,
    outcome: DeclareOutcome,
    limits: &UploadLimits,
) -> ApiResult<UploadResponse> {
    match outcome {
        DeclareOutcome::Pending => {}
        DeclareOutcome::AlreadyComplete => {
            return Ok(UploadResponse {
                blob_id: meta.blob_id,
                upload_url: String::new(),
                expires_in: 0,
                already_uploaded: true,
            });
        }
        DeclareOutcome::Conflict => return Err(conflict(meta.blob_id)),
        DeclareOutcome::KeyRotated => return Err(ApiError::KeyRotated),
        DeclareOutcome::QuotaExceeded { used } => {
            return Err(ApiError::QuotaExceeded { used, limit: limits.storage_bytes, size: meta.size_bytes });
        }
        DeclareOutcome::PendingLimit => {
            return Err(ApiError::PendingLimit { blobs: limits.pending_blobs, bytes: limits.pending_bytes });
        }
    }
    let ttl = state.config.upload_url_ttl.as_secs();
    let expires = crate::time::now_secs().saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
    let key = ObjectKey { user_id, blob_id: meta.blob_id };
    let upload_url = state.objects.upload_url(&key, meta.size_bytes, expires).await?;
    Ok(UploadResponse { blob_id: meta.blob_id, upload_url, expires_in: ttl, already_uploaded: false })
}

/// `POST /upload`: one declaration or a batch.
pub async fn upload(State(state): State<AppState>, caller: Caller, ApiBytes(body): ApiBytes) -> ApiResult<Response> {
    match parse_body(&body)? {
        UploadBody::Single(req) => single(&state, &caller, req).await.map(|answer| Json(answer).into_response()),
        UploadBody::Batch(batch) => batched(&state, &caller, batch).await.map(|answer| Json(answer).into_response()),
    }
}

async fn single(state: &AppState, caller: &Caller, req: UploadRequest) -> ApiResult<UploadResponse> {
    let (meta, tokens) = check_request(&req, &caller.device_id)?;
    let user = &caller.user;
    if !tiers::is_subscribed(user.tier) {
        return Err(ApiError::NoSubscription);
    }
    let limits = state.config.limits.upload_limits(user.tier);
    let outcome = state.metadata.declare_blob(user.id, meta.clone(), tokens, limits, crate::time::now_ms()).await?;
    answer(state, user.id, &meta, outcome, &limits).await
}

async fn batched(state: &AppState, caller: &Caller, batch: UploadBatchRequest) -> ApiResult<UploadBatchResponse> {
    let user = &caller.user;
    if !tiers::is_subscribed(user.tier) {
        return Err(ApiError::NoSubscription);
    }
    let limits = state.config.limits.upload_limits(user.tier);
    let checked: Vec<(BlobId, ApiResult<Declaration>)> =
        batch.blobs.iter().map(|req| (req.blob_id, check_request(req, &caller.device_id))).collect();
    let valid: Vec<Declaration> = checked.iter().filter_map(|(_, c)| c.as_ref().ok().cloned()).collect();
    let metas: Vec<BlobMeta> = valid.iter().map(|(meta, _)| meta.clone()).collect();
    let mut outcomes = state.metadata.declare_blobs(user.id, valid, limits, crate::time::now_ms()).await?.into_iter();
    let mut metas = metas.into_iter();
    let mut results = Vec::with_capacity(checked.len());
    for (blob_id, check) in checked {
        let answered = match check {
            Err(err) => Err(err),
            Ok(_) => match (metas.next(), outcomes.next()) {
                (Some(meta), Some(outcome)) => answer(state, user.id, &meta, outcome, &limits).await,
                _ => Err(ApiError::internal("the store answered fewer declarations than it was given")),
            },
        };
        results.push(match answered {
            Ok(ok) => UploadBatchItem {
                blob_id: ok.blob_id,
                upload_url: ok.upload_url,
                expires_in: ok.expires_in,
                already_uploaded: ok.already_uploaded,
                error: None,
            },
            Err(err @ ApiError::Internal(_)) => return Err(err),
            Err(err) => UploadBatchItem {
                blob_id,
                upload_url: String::new(),
                expires_in: 0,
                already_uploaded: false,
                error: Some(err.body()),
            },
        });
    }
    Ok(UploadBatchResponse { results })
}
