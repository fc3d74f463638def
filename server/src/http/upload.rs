//! `POST /upload` (declare a blob, get a signed upload URL) and `POST /upload/complete`
//! (verify the uploaded object, make the blob visible). The rules are
//! [`crate::domain::uploads`] and [`crate::domain::quota`].
//!
//! Declaring is idempotent: the same metadata again refreshes a pending blob (new URL, tokens
//! replaced) or, for a completed blob, answers `already_uploaded: true` with an empty URL; a
//! completed blob declared with other metadata is `409 CONFLICT`. A pending blob reserves its
//! bytes against the quota (`403 QUOTA_EXCEEDED` when stored plus reserved bytes would exceed
//! it), an account may have so many pending uploads and bytes of them (`409 PENDING_LIMIT`),
//! and a pending blob is abandoned a while after it was first declared, whatever happens after. Until `/upload/complete`
//! succeeds a blob is invisible to every read. Completing checks the stored object's size and
//! SHA-256 against the declaration (`400 CHECKSUM_MISMATCH`, and the bad object is deleted so a
//! fresh `PUT` can follow), then the quota once more, atomically.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use sync_core::wire::limits::{MAX_BLOB_SIZE, max_tokens_for_size};
use sync_core::wire::{CompleteRequest, CompleteResponse, UploadRequest, UploadResponse};
use sync_core::{BlobId, DeviceId};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use super::validate;
use crate::domain::tiers;
use crate::domain::uploads::UploadCheck;
use crate::store::ObjectKey;
use crate::store::metadata::{BlobMeta, BlobState, CompleteOutcome, DeclareOutcome, TokenBytes};
use crate::store::objects::ObjectDigest;

/// `POST /upload` and `POST /upload/complete`.
pub fn router() -> Router<AppState> {
    Router::new().route("/upload", post(upload)).route("/upload/complete", post(complete))
}

fn already_uploaded(req: &UploadRequest) -> Json<UploadResponse> {
    Json(UploadResponse { blob_id: req.blob_id, upload_url: String::new(), expires_in: 0, already_uploaded: true })
}

fn conflict(blob_id: BlobId) -> ApiError {
    ApiError::Conflict(format!("blob {blob_id} was uploaded before with other metadata"))
}

/// Checks a declaration sent by `device` (no I/O): the blob's metadata and its distinct search
/// tokens, or why the request is refused.
pub fn check_request(req: &UploadRequest, device: &DeviceId) -> ApiResult<(BlobMeta, Vec<TokenBytes>)> {
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

/// `POST /upload`.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<UploadRequest>,
) -> ApiResult<Json<UploadResponse>> {
    let (meta, tokens) = check_request(&req, &caller.device_id)?;
    let user = &caller.user;
    if !tiers::is_subscribed(user.tier) {
        return Err(ApiError::NoSubscription);
    }
    let limits = state.config.limits.upload_limits(user.tier);
    match state.metadata.declare_blob(user.id, meta, tokens, limits, crate::time::now_ms()).await? {
        DeclareOutcome::Pending => {}
        DeclareOutcome::AlreadyComplete => return Ok(already_uploaded(&req)),
        DeclareOutcome::Conflict => return Err(conflict(req.blob_id)),
        DeclareOutcome::KeyRotated => return Err(ApiError::KeyRotated),
        DeclareOutcome::QuotaExceeded { used } => {
            return Err(ApiError::QuotaExceeded { used, limit: limits.storage_bytes, size: req.size_bytes });
        }
        DeclareOutcome::PendingLimit => {
            return Err(ApiError::PendingLimit { blobs: limits.pending_blobs, bytes: limits.pending_bytes });
        }
    }
    let ttl = state.config.upload_url_ttl.as_secs();
    let expires = crate::time::now_secs().saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
    let key = ObjectKey { user_id: user.id, blob_id: req.blob_id };
    let upload_url = state.objects.upload_url(&key, req.size_bytes, expires).await?;
    Ok(Json(UploadResponse { blob_id: req.blob_id, upload_url, expires_in: ttl, already_uploaded: false }))
}

/// `POST /upload/complete`.
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CompleteRequest>,
) -> ApiResult<Json<CompleteResponse>> {
    let user = &caller.user;
    let limit = tiers::limits(user.tier).storage_bytes;
    let record =
        state.metadata.blob(user.id, req.blob_id).await?.ok_or_else(|| {
            ApiError::not_found(format!("no blob {} for this account: call /upload first", req.blob_id))
        })?;
    // What was checked, passed to the completing transaction, which compares it with the blob
    // as it reads it (the blob may have been declared again since `record` was read).
    let mut verified = None;
    if record.state == BlobState::Pending {
        let key = ObjectKey { user_id: user.id, blob_id: req.blob_id };
        match state.objects.finish_upload(&key, &record.meta).await? {
            UploadCheck::NotUploaded => return Err(ApiError::NotUploaded),
            UploadCheck::Mismatch { size, sha256 } => {
                return Err(ApiError::ChecksumMismatch(format!(
                    "the uploaded object ({size} bytes, SHA-256 {sha256}) differs from the declared one ({} bytes, SHA-256 {}); upload it again",
                    record.meta.size_bytes, record.meta.checksum
                )));
            }
            UploadCheck::Verified => {
                verified = Some(ObjectDigest { size: record.meta.size_bytes, sha256: record.meta.checksum });
            }
        }
        if !tiers::is_subscribed(user.tier) {
            return Err(ApiError::NoSubscription);
        }
    }
    let outcome = state
        .metadata
        .complete_blob(user.id, req.blob_id, &caller.device_id, verified, limit, crate::time::now_ms())
        .await?;
    match outcome {
        CompleteOutcome::Completed { storage_used } | CompleteOutcome::AlreadyComplete { storage_used } => {
            Ok(Json(CompleteResponse { storage_used, storage_limit: limit }))
        }
        CompleteOutcome::NotFound => Err(ApiError::not_found(format!("no blob {} for this account", req.blob_id))),
        CompleteOutcome::QuotaExceeded { storage_used } => {
            Err(ApiError::QuotaExceeded { used: storage_used, limit, size: record.meta.size_bytes })
        }
        CompleteOutcome::KeyRotated => Err(ApiError::KeyRotated),
        CompleteOutcome::NotVerified => Err(ApiError::ChecksumMismatch(format!(
            "blob {} was declared again while it was being completed: upload it again, then complete it",
            req.blob_id
        ))),
    }
}
