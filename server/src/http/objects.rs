//! The local object store's signed URLs: `PUT` and `GET /api/sync/objects/{user_id}/{blob_id}`
//! with `?size=&expires=&sig=` (see [`crate::store::objects::signed_url`]). No bearer token: the
//! signature is the credential. With an S3 store these routes answer `404` (clients use the
//! store's presigned URLs).
//!
//! `PUT` streams the body to disk (never whole in memory), to the blob's staging place (never
//! the object itself, which only `/upload/complete` writes), and only for a pending blob of
//! that size: a body longer than the signed size is `413 PAYLOAD_TOO_LARGE`, a shorter one
//! `400 CHECKSUM_MISMATCH`, a completed blob `409 CONFLICT` ([`crate::domain::uploads`]). `GET`
//! serves completed blobs only.
//! A bad signature is `403 BAD_SIGNATURE`, an expired URL `403 URL_EXPIRED`.

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use bytes::Bytes;
use sync_core::BlobId;
use tokio::io::AsyncReadExt;

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::domain::uploads::{self, ObjectWrite};
use crate::store::ObjectKey;
use crate::store::objects::local::{LocalObjects, WriteError};
use crate::store::objects::signed_url::{SignedParams, UrlError, UrlMethod};

const READ_CHUNK: usize = 256 * 1024;

/// `PUT` and `GET /objects/{user_id}/{blob_id}`, without the JSON body limit (bodies stream).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/objects/{user_id}/{blob_id}", put(put_object).get(get_object).layer(DefaultBodyLimit::disable()))
}

fn bad_signature(message: &'static str) -> ApiError {
    ApiError::BadSignature { message, status: StatusCode::FORBIDDEN }
}

/// Checks the URL and returns the local store, the object and the signed size.
fn check(
    state: &AppState,
    method: UrlMethod,
    (user_id, blob_id): (String, String),
    query: Result<Query<SignedParams>, QueryRejection>,
) -> ApiResult<(std::sync::Arc<LocalObjects>, ObjectKey, u64)> {
    let local = state.local_objects.clone().ok_or_else(|| ApiError::not_found("no such route"))?;
    let Query(params) = query.map_err(|_| bad_signature("missing or malformed signature parameters"))?;
    let user_id = user_id.parse::<i64>().map_err(|_| bad_signature("malformed object path"))?;
    let blob_id = BlobId::from_hex(&blob_id).map_err(|_| bad_signature("malformed object path"))?;
    let key = ObjectKey { user_id, blob_id };
    match local.verify(method, &key, &params, crate::time::now_secs()) {
        Ok(()) => Ok((local, key, params.size)),
        Err(UrlError::BadSignature) => Err(bad_signature("the URL signature does not verify")),
        Err(UrlError::Expired) => Err(ApiError::UrlExpired),
    }
}

/// Whether the blob of `key` takes a body of `size` bytes now ([`uploads::object_write`]).
async fn writable(state: &AppState, key: &ObjectKey, size: u64) -> ApiResult<()> {
    let record = state.metadata.blob(key.user_id, key.blob_id).await?;
    match uploads::object_write(record.as_ref(), size) {
        ObjectWrite::Accept => Ok(()),
        ObjectWrite::NoBlob => Err(ApiError::not_found("the blob of this URL no longer exists: call /upload again")),
        ObjectWrite::Completed => Err(ApiError::Conflict("the blob is complete already".into())),
        ObjectWrite::SizeChanged => {
            Err(ApiError::Conflict("the blob was declared again with another size: use the newer URL".into()))
        }
    }
}

/// `PUT` of a signed upload URL.
pub async fn put_object(
    State(state): State<AppState>,
    path: Path<(String, String)>,
    query: Result<Query<SignedParams>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (local, key, size) = check(&state, UrlMethod::Put, path.0, query)?;
    if let Some(length) = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok()) {
        if length > size {
            return Err(ApiError::too_large(format!(
                "the body is longer than the {size} bytes the URL was signed for"
            )));
        }
        if length < size {
            return Err(ApiError::ChecksumMismatch(format!(
                "the body has {length} bytes, the URL was signed for {size}"
            )));
        }
    }
    writable(&state, &key, size).await?;
    let limits = &state.config.limits;
    let stream = body.into_data_stream();
    let upload = match local.receive(size, stream, limits.body_idle_timeout, limits.transfer_timeout).await {
        Ok(upload) => upload,
        Err(WriteError::TooLong(size)) => {
            return Err(ApiError::too_large(format!(
                "the body is longer than the {size} bytes the URL was signed for"
            )));
        }
        Err(err @ WriteError::TooShort { .. }) => return Err(ApiError::ChecksumMismatch(err.to_string())),
        Err(WriteError::Body(err)) => return Err(ApiError::invalid(format!("the request body failed: {err}"))),
        Err(WriteError::Timeout) => return Err(ApiError::Timeout),
        Err(WriteError::Store(err)) => return Err(err.into()),
    };
    // Checked again once the body is in: the blob may have been completed (or removed, or
    // declared again) while a slow body arrived. Refused, the received file is removed.
    writable(&state, &key, size).await?;
    local.stage(&key, upload).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET` of a signed download URL.
pub async fn get_object(
    State(state): State<AppState>,
    path: Path<(String, String)>,
    query: Result<Query<SignedParams>, QueryRejection>,
) -> ApiResult<Response> {
    let (local, key, size) = check(&state, UrlMethod::Get, path.0, query)?;
    let record = state.metadata.blob(key.user_id, key.blob_id).await?;
    if !uploads::object_readable(record.as_ref(), size) {
        return Err(ApiError::not_found("no such blob"));
    }
    let (file, len) = local.open(&key).await?.ok_or_else(|| ApiError::not_found("no such blob"))?;
    if len != size {
        return Err(ApiError::internal(format!("object {key} has {len} bytes, its blob {size}")));
    }
    let stream = futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; READ_CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), Some(file)))
            }
            Err(err) => Some((Err(err), None)),
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    super::headers::add_object_headers(headers);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(response)
}
