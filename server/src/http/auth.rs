//! The extractors that authenticate a request.
//!
//! The bearer token is looked up by its SHA-256 ([`crate::domain::accounts`]). Failed tokens
//! are counted per client address and limited ([`super::rate_limit`]). [`AuthUser`]
//! checks the token only (used by `/init`); [`Caller`] also requires an `X-Device-Id` naming a
//! device registered through `/init` (every other route), and answers `403 UNKNOWN_DEVICE`
//! otherwise.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sync_core::DeviceId;

use super::AppState;
use super::error::ApiError;
use super::extract::device_header;
use super::rate_limit::retry_after_secs;
use crate::domain::accounts::hash_token;
use crate::store::metadata::User;

/// Longest `Authorization` value looked at.
const MAX_AUTH_HEADER: usize = 256;

/// The account of a valid bearer token.
#[derive(Clone, Debug)]
pub struct AuthUser(pub User);

/// An authenticated account calling from one of its registered devices.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The account.
    pub user: User,
    /// The registered device named by `X-Device-Id`.
    pub device_id: DeviceId,
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value =
        parts.headers.get(AUTHORIZATION).ok_or(ApiError::Unauthorized("missing Authorization: Bearer token"))?;
    if value.len() > MAX_AUTH_HEADER {
        return Err(ApiError::Unauthorized("invalid bearer token"));
    }
    let text = value.to_str().map_err(|_| ApiError::Unauthorized("invalid bearer token"))?;
    let (scheme, token) = text.split_once(' ').ok_or(ApiError::Unauthorized("invalid Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized("invalid Authorization header"));
    }
    Ok(token.trim())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // A client that failed too often is refused before its token is looked at.
        let limits = &state.rate_limits;
        let client = limits.client(parts);
        let now = std::time::Instant::now();
        if let Some(client) = client
            && let Err(wait) = limits.auth_failures.check(&client, now)
        {
            return Err(ApiError::RateLimited { retry_after: retry_after_secs(wait) });
        }
        let found = match bearer(parts) {
            Ok(token) => state
                .metadata
                .user_by_token_hash(hash_token(token))
                .await?
                .ok_or(ApiError::Unauthorized("unknown bearer token")),
            Err(err) => Err(err),
        };
        if found.is_err()
            && let Some(client) = client
            && let Err(wait) = limits.auth_failures.take(&client, now)
        {
            return Err(ApiError::RateLimited { retry_after: retry_after_secs(wait) });
        }
        Ok(AuthUser(found?))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        let device_id = device_header(parts)?;
        if state.metadata.device(user.id, &device_id).await?.is_none() {
            return Err(ApiError::UnknownDevice(device_id.to_string()));
        }
        Ok(Caller { user, device_id })
    }
}
