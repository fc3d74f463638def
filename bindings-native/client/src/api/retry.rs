//! Retries: exponential backoff with jitter on network errors, 5xx, `429 RATE_LIMITED` and
//! `408 TIMEOUT` answers, never on other 4xx; a `Retry-After` (429, 503) is honoured up to
//! [`ClientOptions::max_retry_after`](super::ClientOptions::max_retry_after), and a longer one
//! fails at once. The typed error of a failed answer; bounded reads of an answer's body.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use sync_core::wire::{ErrorBody, codes};

use super::SyncClient;
use crate::error::{Result, SyncError};

/// Whether a failed attempt may be retried.
pub(super) enum Attempt<T> {
    /// It worked.
    Done(T),
    /// It failed in a way that may pass (network, 5xx).
    Retry(SyncError),
    /// It failed for good (4xx, a local error, a broken promise of the server).
    Fail(SyncError),
}

/// A reqwest error as [`SyncError::Network`], naming only the host (reqwest's message may hold
/// the URL, and signed URLs carry a signature).
pub(super) fn network(err: reqwest::Error) -> SyncError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() {
        "body"
    } else {
        "request"
    };
    let host = err.url().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    SyncError::Network { what: format!("{kind} ({host})"), source: err.without_url() }
}

impl SyncClient {
    /// The wait before retry `attempt` (0 for the first): the base doubled per attempt, at most
    /// the maximum, the upper half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options.backoff_base.as_millis() as u64;
        let exp = base.saturating_mul(1u64 << attempt.min(16));
        let capped = exp.min(self.options.backoff_max.as_millis() as u64);
        Duration::from_millis(capped / 2 + crate::os::random_below(capped / 2 + 1))
    }

    /// Runs `attempt` until it is done, fails for good, or the retries are spent.
    pub(super) async fn with_retries<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Attempt<T>>,
    {
        let mut n = 0;
        loop {
            match attempt().await {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e) if n >= self.options.max_retries => return Err(e),
                Attempt::Retry(e) => {
                    let mut wait = self.backoff(n);
                    if let SyncError::RetryLater { retry_after: Some(after), .. } = &e {
                        if *after > self.options.max_retry_after {
                            return Err(e);
                        }
                        wait = wait.max(*after);
                    }
                    tracing::warn!(what, attempt = n + 1, error = %e, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    n += 1;
                }
            }
        }
    }
}

/// Reads at most `limit` bytes of a body; a larger one fails, a broken one may be retried.
pub(super) async fn read_limited<T>(
    response: &mut reqwest::Response,
    limit: usize,
) -> std::result::Result<Vec<u8>, Attempt<T>> {
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > limit {
                    return Err(Attempt::Fail(SyncError::InvalidResponse(format!(
                        "an answer larger than {limit} bytes"
                    ))));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => return Err(Attempt::Retry(network(e))),
        }
    }
}

/// The error of a redirect answer on a signed object URL (never followed: it could lead
/// anywhere).
pub(super) fn redirected(field: &'static str, status: StatusCode) -> SyncError {
    SyncError::InvalidResponse(format!("{field} answered a redirect ({status}); object URLs are never redirected"))
}

/// The error of one refused item of a batched answer (`{"error", "code"}` in the item), typed as
/// the same refusal of a single call would be. An item has no HTTP status of its own: `status`
/// is 0, or 500 for `INTERNAL` (so that it is retried like a server fault).
pub(crate) fn item_error(body: ErrorBody) -> SyncError {
    match body.code.as_str() {
        codes::KEY_ROTATED => SyncError::KeyRotated { message: body.error },
        codes::PENDING_LIMIT => SyncError::PendingLimit { message: body.error },
        codes::INTERNAL => SyncError::Api { status: 500, code: body.code, message: body.error },
        _ => SyncError::Api { status: 0, code: body.code, message: body.error },
    }
}

/// A `Retry-After` in seconds (the HTTP-date form is ignored).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The error of a non-success answer: the server's `{"error", "code"}` (or `HTTP_<status>`),
/// typed; retried on 5xx, 429 and 408, final otherwise.
pub(super) async fn error_of<T>(status: StatusCode, mut response: reqwest::Response) -> Attempt<T> {
    let after = retry_after(&response);
    let body = read_limited::<()>(&mut response, 64 * 1024).await.unwrap_or_default();
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(b) => (b.code, b.error),
        Err(_) => {
            (format!("HTTP_{}", status.as_u16()), String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned())
        }
    };
    let busy =
        matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT);
    if busy {
        let retry_after = after.filter(|_| status != StatusCode::REQUEST_TIMEOUT);
        return Attempt::Retry(SyncError::RetryLater { status: status.as_u16(), code, message, retry_after });
    }
    let err = match code.as_str() {
        codes::KEY_ROTATED => SyncError::KeyRotated { message },
        codes::PENDING_LIMIT => SyncError::PendingLimit { message },
        _ => SyncError::Api { status: status.as_u16(), code, message },
    };
    if status.is_server_error() { Attempt::Retry(err) } else { Attempt::Fail(err) }
}
