//! Bearer tokens and the extractors that authenticate a request.
//!
//! A token is `sps_` followed by 64 hex digits (32 random bytes). The server stores only its
//! SHA-256 and finds the account by that hash, so a database leak yields no usable token, and
//! the lookup compares hashes of a secret the caller cannot steer (no timing oracle on the
//! token itself).
//!
//! [`AuthUser`] checks the token only (used by `/init`); [`Caller`] also requires an
//! `X-Device-Id` naming a device registered through `/init` (every other route), and answers
//! `403 UNKNOWN_DEVICE` otherwise.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use sync_core::DeviceId;
use sync_core::encoding::hex;
use sync_core::wire::DEVICE_ID_HEADER;

use crate::app::AppState;
use crate::errors::ApiError;
use crate::store::metadata::{TokenHash, User};

/// Prefix of every bearer token.
pub const TOKEN_PREFIX: &str = "sps_";
/// Longest `Authorization` value looked at.
const MAX_AUTH_HEADER: usize = 256;

/// A fresh bearer token.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(&bytes)))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Normalises and checks an account e-mail: trimmed, lowercase, one `@` with text on both
/// sides, no white space or control characters, at most 254 bytes.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

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

/// The `X-Device-Id` header, checked.
pub fn device_header(parts: &Parts) -> Result<DeviceId, ApiError> {
    let value = parts
        .headers
        .get(DEVICE_ID_HEADER)
        .ok_or_else(|| ApiError::invalid(format!("missing {DEVICE_ID_HEADER} header")))?;
    let text = value.to_str().map_err(|_| ApiError::invalid(format!("invalid {DEVICE_ID_HEADER} header")))?;
    DeviceId::new(text).map_err(|e| ApiError::invalid(format!("invalid {DEVICE_ID_HEADER} header: {e}")))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let user = state
            .metadata
            .user_by_token_hash(hash_token(token))
            .await?
            .ok_or(ApiError::Unauthorized("unknown bearer token"))?;
        Ok(AuthUser(user))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_emails() {
        let a = new_token().unwrap();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), 4 + 64);
        assert_ne!(a, new_token().unwrap());
        assert_ne!(hash_token(&a), hash_token(&new_token().unwrap()));
        assert_eq!(normalize_email(" Alice@Example.COM ").as_deref(), Some("alice@example.com"));
        for bad in ["", "alice", "@x", "a@", "a@b@c", "a b@c"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
