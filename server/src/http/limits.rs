//! Limits on requests (settings in [`crate::config::Limits`]):
//!
//! - [`concurrency`]: at most `max_concurrent_requests` requests are served at once by this
//!   process; one more answers `503 OVERLOADED` with `Retry-After` at once (load shedding,
//!   rather than a queue that only grows);
//! - [`deadline`]: an API request, reading its body included, has `request_timeout`
//!   (`/upload/complete`, which reads the whole object, has `transfer_timeout`), else
//!   `408 TIMEOUT`. The object routes stream and time their bodies themselves
//!   (`body_idle_timeout` without a byte, `transfer_timeout` in all).
//!
//! The connection-level limits (header read timeout, connections at once, connection lifetime)
//! are in [`crate::serve`].

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::AppState;
use super::error::ApiError;

/// Seconds a client is asked to wait when the server is overloaded.
pub const OVERLOADED_RETRY_SECS: u64 = 1;

/// Permits of requests served at once.
#[derive(Clone, Debug)]
pub struct Concurrency(pub Arc<Semaphore>);

/// Serves the request if a permit is free (held until the response is returned), else
/// `503 OVERLOADED`.
pub async fn concurrency(State(permits): State<Concurrency>, request: Request, next: Next) -> Response {
    match permits.0.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::Overloaded { retry_after: OVERLOADED_RETRY_SECS }.into_response(),
    }
}

/// Answers `408 TIMEOUT` when the request takes longer than its deadline.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = &state.config.limits;
    let long = request.uri().path().ends_with("/upload/complete");
    let limit = if long { limits.transfer_timeout } else { limits.request_timeout };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
