//! `POST /download`: completed blobs with signed download URLs, by ids or by time range.
//!
//! - By `blob_ids` (at most `MAX_IDS_PER_DOWNLOAD`, duplicates ignored): every id must name a
//!   completed blob of the caller, else `404 NOT_FOUND` naming the first missing id (another
//!   user's id is missing too). No other field may accompany `blob_ids`.
//! - By `time_range` (blobs overlapping it), optionally only `blob_types` / `device_ids`, in
//!   `(time_start, blob_id)` order, `limit` per page (default 100, at most 1000), continued with
//!   the opaque `next_cursor` (`null` on the last page).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use sync_core::wire::limits::MAX_IDS_PER_DOWNLOAD;
use sync_core::wire::{BlobDownload, DownloadRequest, DownloadResponse};
use sync_core::{BlobId, UnixMillis};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use super::validate;
use crate::store::ObjectKey;
use crate::store::metadata::{BlobFilter, BlobMeta, ListCursor};

/// `POST /download`.
pub fn router() -> Router<AppState> {
    Router::new().route("/download", post(download))
}

fn encode_cursor(meta: &BlobMeta) -> String {
    format!("{}.{}", meta.time_start.0, meta.blob_id.to_hex())
}

fn decode_cursor(text: &str) -> ApiResult<ListCursor> {
    let bad = || ApiError::invalid("cursor is not one returned by /download");
    let (time, id) = text.split_once('.').ok_or_else(bad)?;
    Ok(ListCursor {
        time_start: UnixMillis(time.parse::<i64>().map_err(|_| bad())?),
        blob_id: BlobId::from_hex(id).map_err(|_| bad())?,
    })
}

async fn with_urls(state: &AppState, user_id: i64, blobs: Vec<BlobMeta>) -> ApiResult<Vec<BlobDownload>> {
    let ttl = i64::try_from(state.config.download_url_ttl.as_secs()).unwrap_or(i64::MAX);
    let expires = crate::time::now_secs().saturating_add(ttl);
    let mut out = Vec::with_capacity(blobs.len());
    for meta in blobs {
        let key = ObjectKey { user_id, blob_id: meta.blob_id };
        let download_url = state.objects.download_url(&key, meta.size_bytes, expires).await?;
        out.push(BlobDownload {
            blob_id: meta.blob_id,
            blob_type: meta.blob_type,
            device_id: meta.device_id,
            time_start: meta.time_start,
            time_end: meta.time_end,
            size_bytes: meta.size_bytes,
            checksum: meta.checksum,
            key_id: meta.key_id,
            download_url,
        });
    }
    Ok(out)
}

/// What a download asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownloadQuery {
    /// These blobs (distinct, in the order asked).
    ByIds(Vec<BlobId>),
    /// A page of blobs by time.
    ByRange {
        /// The filter (its time range is set).
        filter: BlobFilter,
        /// Where the page starts.
        after: Option<ListCursor>,
        /// Its size.
        limit: u32,
    },
}

/// Checks a download (no I/O): by ids or a page by time range.
pub fn check_request(req: DownloadRequest) -> ApiResult<DownloadQuery> {
    if let Some(ids) = req.blob_ids {
        if req.time_range.is_some()
            || req.blob_types.is_some()
            || req.device_ids.is_some()
            || req.limit.is_some()
            || req.cursor.is_some()
        {
            return Err(ApiError::invalid(
                "blob_ids cannot be combined with time_range, blob_types, device_ids, limit or cursor",
            ));
        }
        if ids.len() > MAX_IDS_PER_DOWNLOAD {
            return Err(ApiError::too_large(format!("more than {MAX_IDS_PER_DOWNLOAD} blob_ids")));
        }
        let mut seen = std::collections::HashSet::new();
        return Ok(DownloadQuery::ByIds(ids.into_iter().filter(|id| seen.insert(*id)).collect()));
    }
    let Some(range) = req.time_range else {
        return Err(ApiError::invalid("send blob_ids or time_range"));
    };
    let limit = validate::page_limit(req.limit)?;
    let filter = validate::filter(Some(range), req.blob_types, req.device_ids)?;
    let after = req.cursor.as_deref().map(decode_cursor).transpose()?;
    Ok(DownloadQuery::ByRange { filter, after, limit })
}

/// The handler.
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<DownloadRequest>,
) -> ApiResult<Json<DownloadResponse>> {
    let user_id = caller.user.id;
    let (filter, after, limit) = match check_request(req)? {
        DownloadQuery::ByRange { filter, after, limit } => (filter, after, limit),
        DownloadQuery::ByIds(ids) => {
            let found = state.metadata.blobs_by_ids(user_id, ids.clone()).await?;
            if found.len() != ids.len() {
                let present: std::collections::HashSet<BlobId> = found.iter().map(|m| m.blob_id).collect();
                if let Some(missing) = ids.iter().find(|id| !present.contains(id)) {
                    return Err(ApiError::not_found(format!("no blob {missing} for this account")));
                }
            }
            let blobs = with_urls(&state, user_id, found).await?;
            return Ok(Json(DownloadResponse { blobs, next_cursor: None }));
        }
    };
    let mut page = state.metadata.list_blobs(user_id, filter, after, limit.saturating_add(1)).await?;
    let next_cursor = if page.len() > limit as usize {
        page.truncate(limit as usize);
        page.last().map(encode_cursor)
    } else {
        None
    };
    let blobs = with_urls(&state, user_id, page).await?;
    Ok(Json(DownloadResponse { blobs, next_cursor }))
}
