//! `POST /search`: completed blobs holding any of the query tokens, with match counts.
//!
//! At most `MAX_TOKENS_PER_SEARCH` tokens (`413 PAYLOAD_TOO_LARGE` beyond); duplicates count
//! once; an empty list matches nothing. Optional `time_range` (overlap) and `blob_types`
//! filters; `limit` (default 100, at most 1000). Matches come most tokens first, then newest
//! `time_end` first; `total_matches` counts every match before the limit
//! ([`crate::domain::search`]).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use sync_core::wire::limits::MAX_TOKENS_PER_SEARCH;
use sync_core::wire::{SearchMatch, SearchRequest, SearchResponse};

use super::AppState;
use super::auth::Caller;
use super::error::ApiResult;
use super::extract::ApiJson;
use super::validate;
use crate::store::metadata::{BlobFilter, TokenBytes};

/// `POST /search`.
pub fn router() -> Router<AppState> {
    Router::new().route("/search", post(search))
}

/// Checks a search (no I/O): its distinct tokens, filter and page size.
pub fn check_request(req: SearchRequest) -> ApiResult<(Vec<TokenBytes>, BlobFilter, u32)> {
    let tokens = validate::tokens(&req.search_tokens, MAX_TOKENS_PER_SEARCH)?;
    let limit = validate::page_limit(req.limit)?;
    let filter = validate::filter(req.time_range, req.blob_types, None)?;
    Ok((tokens, filter, limit))
}

/// The handler.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SearchRequest>,
) -> ApiResult<Json<SearchResponse>> {
    let (tokens, filter, limit) = check_request(req)?;
    let (hits, total) = state.metadata.search(caller.user.id, tokens, filter, limit).await?;
    let matches = hits
        .into_iter()
        .map(|hit| SearchMatch {
            blob_id: hit.meta.blob_id,
            blob_type: hit.meta.blob_type,
            device_id: hit.meta.device_id,
            time_start: hit.meta.time_start,
            time_end: hit.meta.time_end,
            match_count: hit.match_count,
        })
        .collect();
    Ok(Json(SearchResponse { matches, total_matches: total }))
}
