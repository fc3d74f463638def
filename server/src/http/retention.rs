//! `GET` and `PUT /account/retention`: the cloud retention the account chooses per blob type,
//! within its tier's (the rule: [`crate::domain::retention::check_choice`]); the cleanup job
//! enforces it.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use sync_core::wire::{RetentionPolicy, RetentionResponse};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::domain::{retention, tiers};

/// `GET` and `PUT /account/retention`.
pub fn router() -> Router<AppState> {
    Router::new().route("/account/retention", get(get_retention).put(put_retention))
}

/// `GET /account/retention`.
pub async fn get_retention(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<RetentionResponse>> {
    let policy = state.metadata.retention_policy(caller.user.id).await?;
    Ok(Json(RetentionResponse { policy, tier_retention_days: tiers::limits(caller.user.tier).retention_days }))
}

/// `PUT /account/retention`: replaces the choice (`400 INVALID_REQUEST` beyond the tier's).
pub async fn put_retention(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(policy): ApiJson<RetentionPolicy>,
) -> ApiResult<Json<RetentionResponse>> {
    retention::check_choice(caller.user.tier, &policy).map_err(|e| ApiError::invalid(e.to_string()))?;
    state.metadata.set_retention_policy(caller.user.id, policy).await?;
    Ok(Json(RetentionResponse { policy, tier_retention_days: tiers::limits(caller.user.tier).retention_days }))
}
