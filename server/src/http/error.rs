//! Typed API errors and their one JSON form, `{"error": message, "code": CODE}`.
//!
//! Every handler returns [`ApiError`] on failure; its [`IntoResponse`] picks the HTTP status
//! and the stable code from [`sync_core::wire::api::codes`]. Internal faults keep their cause
//! as their source, are logged with it and answered with a generic message, so no server
//! detail leaks to a client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sync_core::wire::ErrorBody;
use sync_core::wire::api::codes;

use crate::domain::keys::KeyRuleError;
use crate::domain::pairing::PairRefusal;
use crate::store::StoreError;

/// The cause of an internal fault.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A failure answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, malformed or unknown bearer token (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The account's tier is `none` (403).
    #[error("no active subscription: uploads and new devices need a tier")]
    NoSubscription,
    /// Storing this blob would exceed the tier's storage (403).
    #[error("storage quota exceeded: {used} of {limit} bytes used, {size} more requested")]
    QuotaExceeded {
        /// Bytes stored now.
        used: u64,
        /// The tier's limit.
        limit: u64,
        /// Bytes requested.
        size: u64,
    },
    /// A new device would exceed the tier's device count (403).
    #[error("device limit reached: the tier allows {limit} devices")]
    DeviceLimitExceeded {
        /// The tier's device limit.
        limit: u32,
    },
    /// `expected_revision` differs from the current key revision (409).
    #[error("stale revision: the current revision is {current}")]
    StaleRevision {
        /// The current revision.
        current: u64,
    },
    /// The request is malformed or violates a rule of the route (400).
    #[error("{0}")]
    InvalidRequest(String),
    /// The body, or a list in it, is larger than the route accepts (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No such blob, device or route for this caller (404).
    #[error("{0}")]
    NotFound(String),
    /// A signed URL or webhook signature that does not verify (403 for URLs, 400 for Stripe).
    #[error("{message}")]
    BadSignature {
        /// What failed.
        message: &'static str,
        /// The HTTP status to answer.
        status: StatusCode,
    },
    /// A signed URL past its expiry (403).
    #[error("the signed URL has expired")]
    UrlExpired,
    /// The stored object's size or SHA-256 differs from the declared one (400).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// `/upload/complete` before the object was uploaded (409).
    #[error("the object has not been uploaded yet: PUT it to the upload URL first")]
    NotUploaded,
    /// A blob id reused with different metadata, or a state conflict (409).
    #[error("{0}")]
    Conflict(String),
    /// The `X-Device-Id` is not a registered device of the account (403).
    #[error("device {0} is not registered for this account: call /init first")]
    UnknownDevice(String),
    /// `/init` with keys for an account that has different keys already (409).
    #[error("the account already has keys: fetch them with /init without an envelope")]
    AccountExists,
    /// The account has as many pending uploads, or bytes of them, as it may (409).
    #[error(
        "too many uploads in progress: at most {blobs} pending uploads of {bytes} bytes in all; complete them first"
    )]
    PendingLimit {
        /// Pending uploads allowed.
        blobs: u64,
        /// Pending bytes allowed.
        bytes: u64,
    },
    /// A blob sealed under another master key than the account's current one (409).
    #[error("the account's key was rotated: fetch the keys again (/init) and seal under the current key")]
    KeyRotated,
    /// Too many failed bearer tokens or `/init` calls (429).
    #[error("too many requests: try again in {retry_after} s")]
    RateLimited {
        /// Seconds to wait (`Retry-After`).
        retry_after: u64,
    },
    /// The request took longer than allowed (408).
    #[error("the request took too long: send it again")]
    Timeout,
    /// As many requests are in flight as the server serves at once (503).
    #[error("the server is busy: try again in {retry_after} s")]
    Overloaded {
        /// Seconds to wait (`Retry-After`).
        retry_after: u64,
    },
    /// A pairing mailbox call refused by its rules ([`PairRefusal`]: 404, 410, 403 or 409).
    #[error("{0}")]
    Pair(#[from] PairRefusal),
    /// A server fault; the cause is logged, not answered (500).
    #[error("internal server error")]
    Internal(#[source] Cause),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NoSubscription
            | ApiError::QuotaExceeded { .. }
            | ApiError::DeviceLimitExceeded { .. }
            | ApiError::UrlExpired
            | ApiError::UnknownDevice(_) => StatusCode::FORBIDDEN,
            ApiError::BadSignature { status, .. } => *status,
            ApiError::StaleRevision { .. }
            | ApiError::NotUploaded
            | ApiError::Conflict(_)
            | ApiError::AccountExists
            | ApiError::KeyRotated
            | ApiError::PendingLimit { .. } => StatusCode::CONFLICT,
            ApiError::InvalidRequest(_) | ApiError::ChecksumMismatch(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Pair(refusal) => match refusal {
                PairRefusal::NotFound => StatusCode::NOT_FOUND,
                PairRefusal::Expired => StatusCode::GONE,
                PairRefusal::Forbidden => StatusCode::FORBIDDEN,
                PairRefusal::Taken | PairRefusal::Full | PairRefusal::Limit => StatusCode::CONFLICT,
            },
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => codes::UNAUTHORIZED,
            ApiError::NoSubscription => codes::NO_SUBSCRIPTION,
            ApiError::QuotaExceeded { .. } => codes::QUOTA_EXCEEDED,
            ApiError::DeviceLimitExceeded { .. } => codes::DEVICE_LIMIT_EXCEEDED,
            ApiError::StaleRevision { .. } => codes::STALE_REVISION,
            ApiError::InvalidRequest(_) => codes::INVALID_REQUEST,
            ApiError::PayloadTooLarge(_) => codes::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => codes::NOT_FOUND,
            ApiError::BadSignature { .. } => codes::BAD_SIGNATURE,
            ApiError::UrlExpired => codes::URL_EXPIRED,
            ApiError::ChecksumMismatch(_) => codes::CHECKSUM_MISMATCH,
            ApiError::NotUploaded => codes::NOT_UPLOADED,
            ApiError::Conflict(_) => codes::CONFLICT,
            ApiError::UnknownDevice(_) => codes::UNKNOWN_DEVICE,
            ApiError::AccountExists => codes::ACCOUNT_EXISTS,
            ApiError::KeyRotated => codes::KEY_ROTATED,
            ApiError::PendingLimit { .. } => codes::PENDING_LIMIT,
            ApiError::Timeout => codes::TIMEOUT,
            ApiError::RateLimited { .. } => codes::RATE_LIMITED,
            ApiError::Overloaded { .. } => codes::OVERLOADED,
            ApiError::Internal(_) => codes::INTERNAL,
            ApiError::Pair(refusal) => match refusal {
                PairRefusal::NotFound => codes::NOT_FOUND,
                PairRefusal::Expired => codes::PAIR_EXPIRED,
                PairRefusal::Forbidden => codes::PAIR_FORBIDDEN,
                PairRefusal::Taken => codes::PAIR_TAKEN,
                PairRefusal::Full => codes::PAIR_FULL,
                PairRefusal::Limit => codes::PAIR_LIMIT,
            },
        }
    }

    /// The JSON form of this error (an item of a batched answer carries it).
    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: self.to_string(), code: self.code().to_owned() }
    }

    /// Seconds the client should wait before trying again (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Overloaded { retry_after } | ApiError::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// A 400 `INVALID_REQUEST` with this message.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::InvalidRequest(message.into())
    }

    /// A 413 `PAYLOAD_TOO_LARGE` with this message.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::PayloadTooLarge(message.into())
    }

    /// A 404 `NOT_FOUND` with this message.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::NotFound(message.into())
    }

    /// A 500 `INTERNAL` caused by `cause`.
    pub fn internal(cause: impl Into<Cause>) -> ApiError {
        ApiError::Internal(cause.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        ApiError::Internal(Box::new(err))
    }
}

/// A broken key rule is a 400 `INVALID_REQUEST` naming the rule.
impl From<KeyRuleError> for ApiError {
    fn from(err: KeyRuleError) -> ApiError {
        ApiError::InvalidRequest(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %cause, "internal error");
        } else {
            tracing::debug!(status = status.as_u16(), code = self.code(), message = %self, "request refused");
        }
        let retry_after = self.retry_after();
        let body = self.body();
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        response
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        assert_eq!(ApiError::StaleRevision { current: 3 }.status(), StatusCode::CONFLICT);
        assert_eq!(ApiError::StaleRevision { current: 3 }.code(), "STALE_REVISION");
        assert_eq!(ApiError::Internal("disk".into()).to_string(), "internal server error");
        assert_eq!(ApiError::DeviceLimitExceeded { limit: 3 }.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn internal_faults_keep_their_source() {
        use std::error::Error as _;
        let err = ApiError::from(StoreError::from(std::io::Error::other("disk full")));
        assert_eq!((err.status(), err.code()), (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"));
        assert_eq!(err.to_string(), "internal server error");
        let source = err.source().and_then(|s| s.downcast_ref::<StoreError>());
        assert!(matches!(source, Some(StoreError::Io(_))));
        let rule = ApiError::from(KeyRuleError::RotationKeepsVersion);
        assert_eq!(
            (rule.status(), rule.to_string().as_str()),
            (StatusCode::BAD_REQUEST, "a rotation raises key_version")
        );
    }
}
