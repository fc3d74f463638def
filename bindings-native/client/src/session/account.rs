//! What needs no keys: the account's status with the local state, the device list, removing
//! a device, unlinking this one.

use sync_core::DeviceId;
use sync_core::wire::{DeviceInfo, RetentionPolicy, RetentionResponse, StatusResponse, codes};

use super::open_device;
use crate::api::SyncClient;
use crate::config::SyncConfig;
use crate::error::Result;
use crate::state::{StateDb, StateSummary};

/// Server status and local state, for `status`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StatusReport {
    /// This device.
    pub device_id: Option<String>,
    /// The server's answer (`null` when unreachable or not configured).
    pub server: Option<StatusResponse>,
    /// Why the server part is missing.
    pub server_error: Option<String>,
    /// The local state file.
    pub local: StateSummary,
    /// The highest key version this device has unlocked.
    pub key_version: Option<u32>,
    /// Whether cloud search tokens are uploaded.
    pub search_tokens: bool,
    /// The cloud retention chosen per data type (`null` when the server did not answer).
    pub retention: Option<RetentionResponse>,
    /// Media files offloaded from this device by `archive` (and not restored): count and bytes.
    pub offloaded_files: u64,
    /// Their bytes.
    pub offloaded_bytes: u64,
}

/// `GET /status` plus the local state (no password needed).
pub async fn status(config: &SyncConfig) -> Result<StatusReport> {
    let state = StateDb::open(&config.state_path())?;
    let device_id = state.device_id()?;
    let local = state.summary()?;
    let key_version = state.key_guard()?.key_version;
    let (offloaded_files, offloaded_bytes) = state.offloaded_totals()?;
    let mut retention = None;
    let (server, server_error) = match (&device_id, config.server(), config.token()) {
        (Some(id), Ok(server), Ok(token)) => {
            let client = SyncClient::new(server, token, id.clone(), config.client.clone())?;
            match client.status().await {
                Ok(s) => {
                    // A server without the route (older) leaves it unknown.
                    retention = client.retention().await.ok();
                    (Some(s), None)
                }
                Err(e) => (None, Some(e.to_string())),
            }
        }
        (None, _, _) => (None, Some("this device is not initialised".into())),
        (_, Err(e), _) | (_, _, Err(e)) => (None, Some(e.to_string())),
    };
    Ok(StatusReport {
        device_id: device_id.map(|d| d.to_string()),
        server,
        server_error,
        local,
        key_version,
        search_tokens: config.search_tokens,
        retention,
        offloaded_files,
        offloaded_bytes,
    })
}

/// `GET /account/retention` (no password needed).
pub async fn retention(config: &SyncConfig) -> Result<RetentionResponse> {
    let (_, client, _) = open_device(config, false)?;
    client.retention().await
}

/// `PUT /account/retention` (no password needed): replaces the account's choice.
pub async fn set_retention(config: &SyncConfig, policy: &RetentionPolicy) -> Result<RetentionResponse> {
    let (_, client, _) = open_device(config, false)?;
    client.set_retention(policy).await
}

/// `GET /devices` (no password needed).
pub async fn devices(config: &SyncConfig) -> Result<Vec<DeviceInfo>> {
    let (_, client, _) = open_device(config, false)?;
    Ok(client.devices().await?.devices)
}

/// `DELETE /devices?device_id=` (no password needed).
pub async fn remove_device(config: &SyncConfig, device: &DeviceId) -> Result<bool> {
    let (_, client, _) = open_device(config, false)?;
    Ok(client.remove_device(device).await?.removed)
}

/// Unlinks this device: removes it from the account (`DELETE /devices?device_id=` for itself;
/// already removed is fine), then forgets its local sync state ([`StateDb::forget`]: the state
/// file and the staging folder), so that signing in again starts as a new device. screenpipe's
/// data on this computer and the data in the cloud stay. Drop every session of this state
/// folder first. True when the server still had the device.
pub async fn unlink(config: &SyncConfig) -> Result<bool> {
    let (state, client, device_id) = open_device(config, false)?;
    drop(state);
    let removed = match client.remove_device(&device_id).await {
        Ok(answer) => answer.removed,
        Err(e) if e.is_api(codes::UNKNOWN_DEVICE) || e.is_api(codes::NOT_FOUND) => false,
        Err(e) => return Err(e),
    };
    StateDb::forget(config)?;
    Ok(removed)
}
