//! Limits on what one account or one client may hold or ask of the server: pending uploads per
//! account; timeouts and concurrency of requests and connections; rate limits. Each setting is a flag, a `SYNC_SERVER_*` variable and a key of the TOML file's
//! `[limits]` table ([`LimitSettings`], all optional), resolved over the defaults into
//! [`Limits`]. None of them is a secret.

use std::time::Duration;

use axum::http::HeaderName;
use clap::Args;
use serde::Deserialize;
use sync_core::wire::SyncTier;

use super::ConfigError;
use crate::domain::model::UploadLimits;
use crate::domain::quota;

/// Default [`Limits::max_pending_uploads`].
pub const DEFAULT_MAX_PENDING_UPLOADS: u64 = 4_096;
/// Default [`Limits::max_pending_bytes`]: 16 GiB.
pub const DEFAULT_MAX_PENDING_BYTES: u64 = 16 << 30;

/// The limits as given (flags and environment, or the file's `[limits]` table).
#[derive(Clone, Debug, Default, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Declared but not yet completed uploads one account may have at once. Default: 4096.
    #[arg(long, env = "SYNC_SERVER_MAX_PENDING_UPLOADS")]
    pub max_pending_uploads: Option<u64>,
    /// Bytes of declared but not yet completed uploads one account may have at once.
    /// Default: 17179869184 (16 GiB).
    #[arg(long, env = "SYNC_SERVER_MAX_PENDING_BYTES")]
    pub max_pending_bytes: Option<u64>,
    /// Seconds a client has to send a request's headers (HTTP/1.1). Default: 10.
    #[arg(long, env = "SYNC_SERVER_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// Seconds an API request (body included) may take. Default: 30.
    #[arg(long, env = "SYNC_SERVER_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Seconds an upload body may go without sending a byte. Default: 30.
    #[arg(long, env = "SYNC_SERVER_BODY_IDLE_TIMEOUT_SECS")]
    pub body_idle_timeout_secs: Option<u64>,
    /// Seconds an object transfer or `/upload/complete` may take, and a connection may stay
    /// open. Default: 3600.
    #[arg(long, env = "SYNC_SERVER_TRANSFER_TIMEOUT_SECS")]
    pub transfer_timeout_secs: Option<u64>,
    /// Requests served at once by this process; more answer 503 OVERLOADED. Default: 512.
    #[arg(long, env = "SYNC_SERVER_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<u64>,
    /// Connections open at once to this process; more wait to be accepted. Default: 4096.
    #[arg(long, env = "SYNC_SERVER_MAX_CONNECTIONS")]
    pub max_connections: Option<u64>,
    /// Failed bearer tokens per client address and minute (0: no limit). Default: 60.
    #[arg(long, env = "SYNC_SERVER_AUTH_FAILURES_PER_MINUTE")]
    pub auth_failures_per_minute: Option<u32>,
    /// `/init` calls per client address and minute (0: no limit). Default: 600.
    #[arg(long, env = "SYNC_SERVER_INIT_PER_MINUTE_PER_ADDRESS")]
    pub init_per_minute_per_address: Option<u32>,
    /// `/init` calls per account and minute (0: no limit). Default: 300.
    #[arg(long, env = "SYNC_SERVER_INIT_PER_MINUTE_PER_ACCOUNT")]
    pub init_per_minute_per_account: Option<u32>,
    /// Header a trusted reverse proxy sets to the client's address (its last value counts), for
    /// example x-forwarded-for. Default: none (the peer's address).
    #[arg(long, env = "SYNC_SERVER_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Seconds a pairing mailbox lives (docs/FORMAT.md 12.5). Default: 600. Shorter only for
    /// tests.
    #[arg(long, env = "SYNC_SERVER_PAIR_TTL_SECS")]
    pub pair_ttl_secs: Option<u64>,
    /// Pairing mailboxes opened or joined per account and minute (0: no limit); each join is
    /// one guess of a code. Default: 10.
    #[arg(long, env = "SYNC_SERVER_PAIR_STARTS_PER_MINUTE_PER_ACCOUNT")]
    pub pair_starts_per_minute_per_account: Option<u32>,
    /// Other pairing calls (post, poll, close) per account and minute (0: no limit). Default:
    /// 600.
    #[arg(long, env = "SYNC_SERVER_PAIR_CALLS_PER_MINUTE_PER_ACCOUNT")]
    pub pair_calls_per_minute_per_account: Option<u32>,
}

/// The resolved limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Pending (declared, not completed) uploads per account; more is `409 PENDING_LIMIT`.
    pub max_pending_uploads: u64,
    /// Bytes of pending uploads per account; more is `409 PENDING_LIMIT`.
    pub max_pending_bytes: u64,
    /// Time a client has to send a request's headers; the connection is closed after it.
    pub header_read_timeout: Duration,
    /// Time an API request may take, body included (`408 TIMEOUT`).
    pub request_timeout: Duration,
    /// Time an upload body may go without a byte (`408 TIMEOUT`).
    pub body_idle_timeout: Duration,
    /// Time an object transfer or `/upload/complete` may take, and a connection may stay open
    /// (then it is closed gracefully).
    pub transfer_timeout: Duration,
    /// Requests served at once; more answer `503 OVERLOADED` with `Retry-After`.
    pub max_concurrent_requests: usize,
    /// Connections open at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Failed bearer tokens per client address and minute (0: no limit).
    pub auth_failures_per_minute: u32,
    /// `/init` calls per client address and minute (0: no limit).
    pub init_per_minute_per_address: u32,
    /// `/init` calls per account and minute (0: no limit).
    pub init_per_minute_per_account: u32,
    /// The header naming the client's address (set by a trusted reverse proxy).
    pub client_ip_header: Option<HeaderName>,
    /// Seconds a pairing mailbox lives.
    pub pair_ttl_secs: u64,
    /// Pairing mailboxes opened or joined per account and minute (0: no limit).
    pub pair_starts_per_minute_per_account: u32,
    /// Pairing posts, polls and closes per account and minute (0: no limit).
    pub pair_calls_per_minute_per_account: u32,
}

impl Limits {
    /// What a declaration of an account of `tier` is checked against.
    pub fn upload_limits(&self, tier: SyncTier) -> UploadLimits {
        quota::upload_limits(tier, self.max_pending_uploads, self.max_pending_bytes)
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_pending_uploads: DEFAULT_MAX_PENDING_UPLOADS,
            max_pending_bytes: DEFAULT_MAX_PENDING_BYTES,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
            transfer_timeout: Duration::from_secs(3600),
            max_concurrent_requests: 512,
            max_connections: 4096,
            auth_failures_per_minute: 60,
            init_per_minute_per_address: 600,
            init_per_minute_per_account: 300,
            client_ip_header: None,
            pair_ttl_secs: crate::domain::pairing::DEFAULT_TTL_SECS,
            pair_starts_per_minute_per_account: 10,
            pair_calls_per_minute_per_account: 600,
        }
    }
}

fn at_least_one(name: &'static str, value: Option<u64>, default: u64) -> Result<u64, ConfigError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ConfigError::Invalid { name, message: "must be at least 1".into() }),
        Some(n) => Ok(n),
    }
}

fn secs(name: &'static str, value: Option<u64>, default: Duration) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(at_least_one(name, value, default.as_secs())?))
}

fn count(name: &'static str, value: Option<u64>, default: usize) -> Result<usize, ConfigError> {
    let n = at_least_one(name, value, default as u64)?;
    usize::try_from(n).map_err(|_| ConfigError::Invalid { name, message: format!("{n} is too large") })
}

/// `over` (flags, environment) wins over `file`, which wins over the defaults.
pub fn resolve(over: LimitSettings, file: LimitSettings) -> Result<Limits, ConfigError> {
    let defaults = Limits::default();
    Ok(Limits {
        header_read_timeout: secs(
            "header_read_timeout_secs",
            over.header_read_timeout_secs.or(file.header_read_timeout_secs),
            defaults.header_read_timeout,
        )?,
        request_timeout: secs(
            "request_timeout_secs",
            over.request_timeout_secs.or(file.request_timeout_secs),
            defaults.request_timeout,
        )?,
        body_idle_timeout: secs(
            "body_idle_timeout_secs",
            over.body_idle_timeout_secs.or(file.body_idle_timeout_secs),
            defaults.body_idle_timeout,
        )?,
        transfer_timeout: secs(
            "transfer_timeout_secs",
            over.transfer_timeout_secs.or(file.transfer_timeout_secs),
            defaults.transfer_timeout,
        )?,
        max_concurrent_requests: count(
            "max_concurrent_requests",
            over.max_concurrent_requests.or(file.max_concurrent_requests),
            defaults.max_concurrent_requests,
        )?,
        max_connections: count(
            "max_connections",
            over.max_connections.or(file.max_connections),
            defaults.max_connections,
        )?,
        max_pending_uploads: at_least_one(
            "max_pending_uploads",
            over.max_pending_uploads.or(file.max_pending_uploads),
            defaults.max_pending_uploads,
        )?,
        max_pending_bytes: at_least_one(
            "max_pending_bytes",
            over.max_pending_bytes.or(file.max_pending_bytes),
            defaults.max_pending_bytes,
        )?,
        auth_failures_per_minute: over
            .auth_failures_per_minute
            .or(file.auth_failures_per_minute)
            .unwrap_or(defaults.auth_failures_per_minute),
        init_per_minute_per_address: over
            .init_per_minute_per_address
            .or(file.init_per_minute_per_address)
            .unwrap_or(defaults.init_per_minute_per_address),
        init_per_minute_per_account: over
            .init_per_minute_per_account
            .or(file.init_per_minute_per_account)
            .unwrap_or(defaults.init_per_minute_per_account),
        client_ip_header: match over.client_ip_header.or(file.client_ip_header).filter(|h| !h.trim().is_empty()) {
            None => None,
            Some(name) => Some(HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()).map_err(|e| {
                ConfigError::Invalid {
                    name: "client_ip_header",
                    message: format!("{name:?} is not a header name: {e}"),
                }
            })?),
        },
        pair_ttl_secs: at_least_one(
            "pair_ttl_secs",
            over.pair_ttl_secs.or(file.pair_ttl_secs),
            defaults.pair_ttl_secs,
        )?,
        pair_starts_per_minute_per_account: over
            .pair_starts_per_minute_per_account
            .or(file.pair_starts_per_minute_per_account)
            .unwrap_or(defaults.pair_starts_per_minute_per_account),
        pair_calls_per_minute_per_account: over
            .pair_calls_per_minute_per_account
            .or(file.pair_calls_per_minute_per_account)
            .unwrap_or(defaults.pair_calls_per_minute_per_account),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_over_file_over_defaults() {
        let file: LimitSettings =
            toml::from_str("max_pending_uploads = 10\nmax_pending_bytes = 20\nrequest_timeout_secs = 7").unwrap();
        let over = LimitSettings { max_pending_uploads: Some(5), max_connections: Some(3), ..LimitSettings::default() };
        let limits = resolve(over, file).unwrap();
        assert_eq!((limits.max_pending_uploads, limits.max_pending_bytes), (5, 20));
        assert_eq!((limits.request_timeout, limits.max_connections), (Duration::from_secs(7), 3));
        assert_eq!(limits.transfer_timeout, Duration::from_secs(3600));
        let proxied = LimitSettings {
            client_ip_header: Some("X-Forwarded-For".into()),
            auth_failures_per_minute: Some(0),
            ..LimitSettings::default()
        };
        let limits = resolve(proxied, LimitSettings::default()).unwrap();
        assert_eq!(limits.client_ip_header.unwrap().as_str(), "x-forwarded-for");
        assert_eq!(limits.auth_failures_per_minute, 0);
        let bad = LimitSettings { client_ip_header: Some("not a header".into()), ..LimitSettings::default() };
        assert!(resolve(bad, LimitSettings::default()).is_err());
        assert_eq!(resolve(LimitSettings::default(), LimitSettings::default()).unwrap(), Limits::default());
        let zero = LimitSettings { max_pending_bytes: Some(0), ..LimitSettings::default() };
        assert!(resolve(zero, LimitSettings::default()).is_err());
        assert!(toml::from_str::<LimitSettings>("max_pending = 1").is_err());
        let pairing: LimitSettings =
            toml::from_str("pair_ttl_secs = 3\npair_starts_per_minute_per_account = 0").unwrap();
        let limits = resolve(LimitSettings::default(), pairing).unwrap();
        assert_eq!((limits.pair_ttl_secs, limits.pair_starts_per_minute_per_account), (3, 0));
        assert_eq!(Limits::default().pair_ttl_secs, 600);
        let zero_ttl = LimitSettings { pair_ttl_secs: Some(0), ..LimitSettings::default() };
        assert!(resolve(zero_ttl, LimitSettings::default()).is_err());
    }
}
