//! [`SyncClient`]: every route of the server API v1 (`docs/openapi.yaml`) over reqwest.
//!
//! - [`routes`]: the JSON routes under the `/api/sync` base, with `Authorization: Bearer` and
//!   `X-Device-Id`, and a whole-request timeout.
//! - [`transfer`]: uploads to and downloads from the signed object URLs, streamed from and to
//!   disk with progress, with a read timeout (a transfer may take long, but never stalls
//!   silently), sizes and SHA-256 checked.
//! - [`retry`]: retries with exponential backoff and jitter on network errors and 5xx answers
//!   only; a 4xx answer is final and becomes [`SyncError::Api`] with the server's code. Every
//!   answer is bounded.
//! - [`throttle`]: the optional bandwidth limit shared by every transfer.
//! - [`options`]: timeouts, retries, bandwidth limit, trusted origins; the API base of a server
//!   address.
//! - [`pages`]: following `next_cursor`, never in a cycle.
//! - [`pair`]: the pairing mailbox (`/pair/*`).
//! - [`window`]: the adaptive in-flight window of object transfers (push and pull).
//! - [`origins`]: HTTPS except to loopback addresses; object URLs only on the API's origin and
//!   the configured object-store origins, never redirected.

pub mod options;
pub mod origins;
pub mod pages;
pub mod pair;
mod retry;
pub mod routes;
pub mod throttle;
pub mod transfer;
pub mod window;

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use sync_core::DeviceId;
use sync_core::wire::DEVICE_ID_HEADER;

pub use options::{ClientOptions, api_base};
pub use origins::{insecure_warning, is_loopback};
pub(crate) use retry::item_error;
pub use routes::MAX_JSON_RESPONSE;
pub use throttle::{RateLimiter, parse_rate};
pub use window::{Signal, TransferWindow};

use crate::error::{Result, SyncError};
use crate::redact::Redacted;

/// The HTTP client of one device. Its `Debug` shows the base and the device, never the token.
#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    /// The client of signed object URLs: it never follows a redirect.
    objects: reqwest::Client,
    origins: origins::Origins,
    base: String,
    token: String,
    device_id: DeviceId,
    options: ClientOptions,
    limiter: Option<Arc<RateLimiter>>,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base", &self.base)
            .field("token", &Redacted)
            .field("device_id", &self.device_id)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl SyncClient {
    /// A client for the server at `server` (its root or its `/api/sync` base). Plain `http://`
    /// is refused ([`SyncError::InsecureHttp`]) unless the host is a loopback address or
    /// [`ClientOptions::allow_insecure_http`] is on.
    pub fn new(server: &str, token: &str, device_id: DeviceId, options: ClientOptions) -> Result<SyncClient> {
        let base = api_base(server)?;
        let origins = origins::Origins::new(&base, &options)?;
        if token.trim().is_empty() {
            return Err(SyncError::Config("no bearer token (--token or SCREENPIPE_SYNC_TOKEN)".into()));
        }
        HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|source| SyncError::Header {
            what: "the bearer token holds characters a header cannot",
            source,
        })?;
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(options.connect_timeout)
                .read_timeout(options.read_timeout)
                .user_agent(options.user_agent.clone())
        };
        let http = builder().build().map_err(|source| SyncError::HttpClient { source })?;
        let objects = builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| SyncError::HttpClient { source })?;
        let limiter = options.bandwidth_limit.map(|rate| Arc::new(RateLimiter::new(rate)));
        Ok(SyncClient { http, objects, origins, base, token: token.trim().to_owned(), device_id, options, limiter })
    }

    /// The API base (`…/api/sync`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The calling device.
    pub fn device_id(&self) -> &DeviceId {
        &self.device_id
    }

    /// The headers of every JSON route: the bearer token and the device id.
    fn headers(&self) -> Result<HeaderMap> {
        let mut h = HeaderMap::new();
        let auth = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|source| SyncError::Header { what: "bad token", source })?;
        h.insert(AUTHORIZATION, auth);
        let device = HeaderValue::from_str(self.device_id.as_str())
            .map_err(|source| SyncError::Header { what: "bad device id", source })?;
        h.insert(DEVICE_ID_HEADER, device);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let options = ClientOptions { user_agent: "ua".into(), allow_insecure_http: true, ..ClientOptions::default() };
        let client = SyncClient::new("http://h:1", "s3cr3t-token", DeviceId::new("dev-1").unwrap(), options).unwrap();
        let debug = format!("{client:?}");
        assert_eq!(
            debug,
            "SyncClient { base: \"http://h:1/api/sync\", token: <redacted>, device_id: DeviceId(dev-1), \
             options: ClientOptions { connect_timeout: 10s, request_timeout: 60s, read_timeout: 60s, max_retries: 4, \
             backoff_base: 250ms, backoff_max: 15s, bandwidth_limit: None, user_agent: \"ua\", max_retry_after: 60s, \
             allow_insecure_http: true, object_origins: [], max_object_bytes: 1090519040 }, .. }"
        );
        assert!(!debug.contains("s3cr3t"));
    }
}
