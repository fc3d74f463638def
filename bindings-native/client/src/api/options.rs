//! [`ClientOptions`] (timeouts, retries, bandwidth limit, trusted origins) and [`api_base`] (a
//! server address to the API base).

use std::time::Duration;

use sync_core::wire::BASE_PATH;
use sync_core::wire::limits::MAX_BLOB_SIZE;

use crate::error::{Result, SyncError};

/// Timeouts, retries, the bandwidth limit, and what the server's answers may point to.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Whole-request timeout of JSON routes.
    pub request_timeout: Duration,
    /// Longest silence while a transfer streams.
    pub read_timeout: Duration,
    /// Retries after the first attempt (network errors and 5xx only).
    pub max_retries: u32,
    /// First backoff; doubled at each retry, with jitter.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Bytes per second for uploads and downloads together; `None` is unlimited.
    pub bandwidth_limit: Option<u64>,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Longest `Retry-After` honoured (429, 503): a longer one fails the request at once.
    pub max_retry_after: Duration,
    /// Accept plain `http://` to a host other than a loopback address (the bearer token and
    /// every object travel in the clear). Off by default; a loud warning when on.
    pub allow_insecure_http: bool,
    /// Origins (`https://host[:port]`) besides the API's that signed object URLs may name:
    /// the S3 endpoint the server presigns for. Any other origin is refused.
    pub object_origins: Vec<String>,
    /// Largest object downloaded, in bytes, whatever size the server lists.
    pub max_object_bytes: u64,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_retries: 4,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(15),
            bandwidth_limit: None,
            user_agent: format!("screenpipe-sync/{}", env!("CARGO_PKG_VERSION")),
            max_retry_after: Duration::from_secs(60),
            allow_insecure_http: false,
            object_origins: Vec::new(),
            max_object_bytes: MAX_BLOB_SIZE,
        }
    }
}

/// Normalizes a server address into the API base (`…/api/sync`, no trailing slash).
pub fn api_base(server: &str) -> Result<String> {
    let trimmed = server.trim().trim_end_matches('/');
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(SyncError::Config(format!("the server address {trimmed:?} is not an http(s) URL")));
    }
    url::Url::parse(trimmed).map_err(|source| SyncError::ServerUrl { source })?;
    Ok(if trimmed.ends_with(BASE_PATH) { trimmed.to_owned() } else { format!("{trimmed}{BASE_PATH}") })
}
