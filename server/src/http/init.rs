//! `POST /init`: register the calling device and return the account's keys, or create them.
//!
//! - The `X-Device-Id` header must equal the body's `device_id`.
//! - A device new to the account counts against the tier's device limit
//!   (`403 DEVICE_LIMIT_EXCEEDED`); with tier `none` a new device is `403 NO_SUBSCRIPTION`.
//!   A registered device re-initialising refreshes its name, OS and version.
//! - With `envelope` and `recovery_envelope` on an account without keys, they become the
//!   account's keys (revision 1, `is_new_user: true`). Sending the same pair again is a retry
//!   and answers the stored keys; a different pair is `409 ACCOUNT_EXISTS`.
//! - Without an envelope on an account without keys: `is_new_user: true`, `envelope: null`,
//!   revision 0.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::post;
use axum::{Json, Router};
use sync_core::DeviceId;
use sync_core::wire::limits::{MAX_APP_VERSION_LEN, MAX_DEVICE_NAME_LEN};
use sync_core::wire::{Envelope, InitRequest, InitResponse, RecoveryEnvelope};

use super::AppState;
use super::auth::AuthUser;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, DeviceHeader};
use super::rate_limit::retry_after_secs;
use super::validate;
use crate::domain::{keys, tiers};
use crate::store::metadata::{AccountKeys, CreateKeysOutcome, NewDevice, RegisterOutcome};

/// `POST /init`, limited per client address and per account ([`super::rate_limit`]).
pub fn router() -> Router<AppState> {
    Router::new().route("/init", post(init))
}

/// One `/init` of the client's address, spent before the token is looked at (an extractor
/// that runs first).
pub struct InitAllowance;

impl FromRequestParts<AppState> for InitAllowance {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let limits = &state.rate_limits;
        if let Some(client) = limits.client(parts) {
            limits
                .init_per_address
                .take(&client, std::time::Instant::now())
                .map_err(|wait| ApiError::RateLimited { retry_after: retry_after_secs(wait) })?;
        }
        Ok(InitAllowance)
    }
}

fn answer(keys: Option<AccountKeys>, is_new_user: bool) -> InitResponse {
    match keys {
        Some(keys) => InitResponse {
            is_new_user,
            envelope: Some(keys.envelope),
            recovery_envelope: keys.recovery_envelope,
            keyring: keys.keyring,
            revision: keys.revision,
        },
        None => InitResponse {
            is_new_user: true,
            envelope: None,
            recovery_envelope: None,
            keyring: Vec::new(),
            revision: 0,
        },
    }
}

/// Keys an `/init` asks to create: the password and recovery envelopes.
pub type NewKeys = (Envelope, RecoveryEnvelope);

/// Checks an `/init` body sent with `header_device` (no I/O): the device to register and the
/// keys to create, if any, or why the request is refused.
pub fn check_request(req: InitRequest, header_device: &DeviceId) -> ApiResult<(NewDevice, Option<NewKeys>)> {
    if req.device_id != *header_device {
        return Err(ApiError::invalid("device_id differs from the X-Device-Id header"));
    }
    validate::text("device_name", &req.device_name, MAX_DEVICE_NAME_LEN)?;
    validate::text("device_os", &req.device_os, MAX_DEVICE_NAME_LEN)?;
    if let Some(version) = &req.app_version {
        validate::text("app_version", version, MAX_APP_VERSION_LEN)?;
    }
    let new_keys = match (req.envelope, req.recovery_envelope) {
        (None, None) => None,
        (Some(envelope), Some(recovery)) => {
            envelope.check_version().map_err(|e| ApiError::invalid(format!("envelope: {e}")))?;
            recovery.check_version().map_err(|e| ApiError::invalid(format!("recovery_envelope: {e}")))?;
            keys::check_pair(&envelope, &recovery)?;
            Some((envelope, recovery))
        }
        _ => return Err(ApiError::invalid("a new account sends envelope and recovery_envelope together")),
    };
    let device = NewDevice {
        device_id: req.device_id,
        device_name: req.device_name,
        device_os: req.device_os,
        app_version: req.app_version,
    };
    Ok((device, new_keys))
}

/// The handler.
pub async fn init(
    State(state): State<AppState>,
    _allowance: InitAllowance,
    AuthUser(user): AuthUser,
    DeviceHeader(header_device): DeviceHeader,
    ApiJson(req): ApiJson<InitRequest>,
) -> ApiResult<Json<InitResponse>> {
    state
        .rate_limits
        .init_per_account
        .take(&user.id, std::time::Instant::now())
        .map_err(|wait| ApiError::RateLimited { retry_after: retry_after_secs(wait) })?;
    let (device, new_keys) = check_request(req, &header_device)?;

    let existing = state.metadata.keys(user.id).await?;
    if let (Some(stored), Some((envelope, recovery))) = (&existing, &new_keys)
        && !keys::same_keys(stored, envelope, recovery)
    {
        return Err(ApiError::AccountExists);
    }

    let known = state.metadata.device(user.id, &device.device_id).await?.is_some();
    if !known && !tiers::is_subscribed(user.tier) {
        return Err(ApiError::NoSubscription);
    }
    let device_id = device.device_id.clone();
    let limit = tiers::limits(user.tier).devices;
    match state.metadata.register_device(user.id, device, limit, crate::time::now_ms()).await? {
        RegisterOutcome::LimitExceeded => {
            return Err(ApiError::DeviceLimitExceeded { limit: limit.unwrap_or(u32::MAX) });
        }
        RegisterOutcome::Registered => tracing::info!(user = user.id, device = %device_id, "device registered"),
        RegisterOutcome::AlreadyRegistered => {}
    }

    let response = match (existing, new_keys) {
        (Some(stored), _) => answer(Some(stored), false),
        (None, None) => answer(None, true),
        (None, Some((envelope, recovery))) => {
            match state.metadata.create_keys(user.id, envelope.clone(), recovery.clone()).await? {
                CreateKeysOutcome::Created(created) => {
                    tracing::info!(user = user.id, "account keys created");
                    answer(Some(created), true)
                }
                CreateKeysOutcome::Exists(stored) if keys::same_keys(&stored, &envelope, &recovery) => {
                    answer(Some(stored), false)
                }
                CreateKeysOutcome::Exists(_) => return Err(ApiError::AccountExists),
            }
        }
    };
    Ok(Json(response))
}
