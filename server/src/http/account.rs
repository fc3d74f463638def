//! The account's own view: `GET /status`, `GET /devices`, `DELETE /devices?device_id=`,
//! `DELETE /data`, `GET /billing/reference` (what a checkout passes to Stripe so the
//! subscription sets this account's tier: [`crate::domain::subscriptions`]).
//!
//! Removing a device unregisters it (its requests then answer `403 UNKNOWN_DEVICE` until it
//! calls `/init` again) and keeps its blobs. Deleting data removes every blob of the account,
//! pending or complete, with its objects; the account, its keys and devices stay.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use sync_core::DeviceId;
use sync_core::wire::{
    BillingReferenceResponse, DeleteDataResponse, DeviceInfo, DevicesResponse, Quota, RemoveDeviceResponse, Stats,
    StatusResponse, StorageBreakdown,
};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::domain::{quota, tiers};

/// `GET /status`, `GET /devices`, `DELETE /devices`, `DELETE /data`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(status))
        .route("/devices", get(devices).delete(remove_device))
        .route("/data", delete(delete_data))
        .route("/billing/reference", get(billing_reference))
}

/// `GET /billing/reference`.
pub async fn billing_reference(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<BillingReferenceResponse>> {
    Ok(Json(BillingReferenceResponse { reference: state.billing.reference(caller.user.id) }))
}

/// `GET /status`.
pub async fn status(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<StatusResponse>> {
    let tier = caller.user.tier;
    let usage = state.metadata.usage(caller.user.id).await?;
    let used = usage.storage_used();
    let index_bytes = quota::charge(0, usage.index_tokens);
    let limits = tiers::limits(tier);
    Ok(Json(StatusResponse {
        quota: Quota {
            storage_used: used,
            storage_limit: limits.storage_bytes,
            device_count: usage.device_count,
            device_limit: limits.devices,
            can_sync: quota::can_sync(tier, used.saturating_add(index_bytes)),
            sync_tier: tier,
            index_bytes,
        },
        stats: Stats {
            total_blobs: usage.total_blobs,
            last_sync: usage.last_sync,
            oldest_data: usage.oldest_data,
            newest_data: usage.newest_data,
        },
        storage_breakdown: StorageBreakdown {
            text: usage.text_bytes,
            frames: usage.frames_bytes,
            audio: usage.audio_bytes,
        },
    }))
}

/// `GET /devices`.
pub async fn devices(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<DevicesResponse>> {
    let devices = state
        .metadata
        .list_devices(caller.user.id)
        .await?
        .into_iter()
        .map(|d| DeviceInfo {
            device_id: d.device_id,
            device_name: d.device_name,
            device_os: d.device_os,
            last_sync_at: d.last_sync_at,
            created_at: d.created_at,
        })
        .collect();
    Ok(Json(DevicesResponse { devices }))
}

/// Query of `DELETE /devices`.
#[derive(Debug, Deserialize)]
pub struct RemoveDeviceQuery {
    /// The device to remove.
    pub device_id: String,
}

/// `DELETE /devices?device_id=`.
pub async fn remove_device(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<RemoveDeviceQuery>, QueryRejection>,
) -> ApiResult<Json<RemoveDeviceResponse>> {
    let Query(query) = query.map_err(|_| ApiError::invalid("missing device_id query parameter"))?;
    let device_id = DeviceId::new(query.device_id).map_err(|e| ApiError::invalid(format!("invalid device_id: {e}")))?;
    let removed = state.metadata.remove_device(caller.user.id, &device_id).await?;
    if removed {
        tracing::info!(user = caller.user.id, device = %device_id, by = %caller.device_id, "device removed");
    }
    Ok(Json(RemoveDeviceResponse { removed }))
}

/// `DELETE /data`.
pub async fn delete_data(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<DeleteDataResponse>> {
    let removed = state.metadata.delete_all_blobs(caller.user.id).await?;
    for key in &removed.objects {
        if let Err(err) = state.objects.delete(key).await {
            tracing::warn!(object = %key, error = %err, "cannot delete object");
        }
    }
    tracing::info!(user = caller.user.id, blobs = removed.completed, bytes = removed.freed_bytes, "data deleted");
    Ok(Json(DeleteDataResponse { deleted_blobs: removed.completed, freed_bytes: removed.freed_bytes }))
}
