//! Extractors of request values, with errors in the one error shape.
//!
//! A body over the route's limit is `413 PAYLOAD_TOO_LARGE`; anything that is not JSON of the
//! route's shape (including ids, tokens and times that the wire types refuse) is
//! `400 INVALID_REQUEST` with serde's message. The `Content-Type` is not required. A missing or
//! malformed `X-Device-Id` is `400 INVALID_REQUEST`.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use sync_core::DeviceId;
use sync_core::wire::DEVICE_ID_HEADER;

use super::error::ApiError;

/// The `X-Device-Id` header, checked.
pub fn device_header(parts: &Parts) -> Result<DeviceId, ApiError> {
    let value = parts
        .headers
        .get(DEVICE_ID_HEADER)
        .ok_or_else(|| ApiError::invalid(format!("missing {DEVICE_ID_HEADER} header")))?;
    let text = value.to_str().map_err(|_| ApiError::invalid(format!("invalid {DEVICE_ID_HEADER} header")))?;
    DeviceId::new(text).map_err(|e| ApiError::invalid(format!("invalid {DEVICE_ID_HEADER} header: {e}")))
}

/// The `X-Device-Id` header, registered or not (`/init` registers it).
pub struct DeviceHeader(pub DeviceId);

impl<S: Send + Sync> FromRequestParts<S> for DeviceHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        device_header(parts).map(DeviceHeader)
    }
}

/// A raw request body within the route's limit.
#[derive(Clone, Debug)]
pub struct ApiBytes(pub Bytes);

impl<S> FromRequest<S> for ApiBytes
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state).await.map(ApiBytes).map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large(format!("the body is larger than {} bytes", sync_core::wire::limits::MAX_JSON_BODY))
            } else {
                ApiError::invalid(format!("cannot read the body: {}", rejection.body_text()))
            }
        })
    }
}

/// A JSON request body of type `T`.
#[derive(Clone, Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiBytes(bytes) = ApiBytes::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body of type `T`, as every JSON route reads it (`400 INVALID_REQUEST` otherwise).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
}
