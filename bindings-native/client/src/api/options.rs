//! [`ClientOptions`] (timeouts, retries, bandwidth limit) and [`api_base`] (a server address
//! to the API base).

use std::time::Duration;

use sync_core::wire::BASE_PATH;

use crate::error::{Result, SyncError};

/// Timeouts, retries and the bandwidth limit.
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
