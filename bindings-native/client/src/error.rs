//! [`SyncError`]: every failure of the client, typed, with a stable [`code`](SyncError::code):
//! the core's codes (`wrong_password`, `tampered`, `rollback`, ...), the server's
//! (`QUOTA_EXCEEDED`, `DEVICE_LIMIT_EXCEEDED`, ...; see `sync_core::wire::codes`), and the
//! client's own (`network`, `io`, `database`, `config`, `invalid_response`,
//! `checksum_mismatch`, `not_initialized`, `schema`, `unsupported_schema`, `state`,
//! `untrusted_url`, `insecure_http`, `keys_outdated`).
//!
//! A variant made from another error keeps it as its [`source`](std::error::Error::source);
//! its message repeats the source's, so that one line (`error: {e}`) says everything.

use std::path::PathBuf;

use sync_core::wire::codes;

/// Every failure the client reports. Match on [`SyncError::code`], not on the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A failure of the core (keys, blobs, bundles, tokens).
    #[error(transparent)]
    Core(#[from] sync_core::Error),
    /// The server answered with an error body `{"error", "code"}`.
    #[error("server refused ({status} {code}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The server's stable code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server could not be reached, or kept failing (after the retries).
    #[error("network error: {what}: {source}")]
    Network {
        /// What failed and where: `timed out (host)`, `cannot connect (host)`, ... (never the
        /// whole URL: signed URLs carry a signature).
        what: String,
        /// reqwest's error, without its URL.
        source: reqwest::Error,
    },
    /// The server's answer is not what the API promises (too large, wrong size, missing).
    #[error("invalid answer from the server: {0}")]
    InvalidResponse(String),
    /// The server's JSON answer does not decode as the route's answer.
    #[error("invalid answer from the server: {route}: {source}")]
    UndecodableResponse {
        /// The route (`/status`, ...).
        route: String,
        /// serde's error.
        source: serde_json::Error,
    },
    /// A URL in the server's answer (a signed upload or download URL) does not parse.
    #[error("invalid answer from the server: {field} is not a URL: {source}")]
    InvalidUrl {
        /// Which field (`upload_url`, `download_url`).
        field: &'static str,
        /// The URL parser's error.
        source: url::ParseError,
    },
    /// A signed object URL of the server's answer names an origin other than the API's and the
    /// configured object stores' (a hostile or misconfigured server).
    #[error(
        "invalid answer from the server: {field} points to {origin}, which is neither the server nor a configured object store (object_origins)"
    )]
    UntrustedUrl {
        /// Which field (`upload_url`, `download_url`).
        field: &'static str,
        /// The origin it names.
        origin: String,
    },
    /// Plain `http://` to a host other than a loopback address, without the override.
    #[error(
        "configuration: {what} uses plain http:// to {host}, which would send the bearer token in the clear: use https://, or allow_insecure_http (--allow-insecure-http) if you must"
    )]
    InsecureHttp {
        /// Which address (`the server address`, `an object-store origin`).
        what: &'static str,
        /// Its host.
        host: String,
    },
    /// `409 KEY_ROTATED`: the blob is sealed under a key that is no longer the account's current
    /// one (the key was rotated elsewhere).
    #[error("server refused (409 KEY_ROTATED): {message}")]
    KeyRotated {
        /// The server's message.
        message: String,
    },
    /// `409 PENDING_LIMIT`: the account has as many declared but incomplete uploads as it may.
    #[error("server refused (409 PENDING_LIMIT): {message}")]
    PendingLimit {
        /// The server's message.
        message: String,
    },
    /// `429 RATE_LIMITED`, `503` or `408 TIMEOUT`, still failing after the retries (or asking
    /// to wait longer than the client waits).
    #[error("server busy ({status} {code}){}: {message}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RetryLater {
        /// HTTP status.
        status: u16,
        /// The server's code (`RATE_LIMITED`, `OVERLOADED`, `TIMEOUT`, or `HTTP_503`).
        code: String,
        /// The server's message.
        message: String,
        /// Its `Retry-After`, if any.
        retry_after: Option<std::time::Duration>,
    },
    /// A downloaded object's size or SHA-256 differs from its metadata.
    #[error("checksum mismatch: {0}")]
    ChecksumMismatch(String),
    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A SQLite operation failed (state file or screenpipe database).
    #[error("database error ({context}): {source}")]
    Database {
        /// Which database and operation.
        context: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// screenpipe's database does not have the tables or columns this client needs.
    #[error("screenpipe database: {0}")]
    Schema(String),
    /// screenpipe's database is of a schema no adapter of this client fully understands:
    /// refused before anything is uploaded or written.
    #[error(
        "screenpipe database not supported ({migrations}): read as {generation}, it lacks {}; nothing was uploaded or written",
        missing.join(", ")
    )]
    UnsupportedSchema {
        /// The adapter its shape called for.
        generation: &'static str,
        /// Its `_sqlx_migrations` (count, last version).
        migrations: String,
        /// Every missing `table` or `table.column`.
        missing: Vec<String>,
    },
    /// A setting is missing or invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The config file is not valid TOML for [`ConfigFile`](crate::config::ConfigFile).
    #[error("configuration: {}: {source}", path.display())]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The TOML parser's error.
        source: toml::de::Error,
    },
    /// The server address does not parse as a URL.
    #[error("configuration: the server address is not a URL: {source}")]
    ServerUrl {
        /// The URL parser's error.
        source: url::ParseError,
    },
    /// A setting cannot go into an HTTP header (the token, the device id).
    #[error("configuration: {what}")]
    Header {
        /// Which setting, and why.
        what: &'static str,
        /// The header's error.
        source: reqwest::header::InvalidHeaderValue,
    },
    /// The HTTP client cannot be built (TLS backend, ...).
    #[error("configuration: cannot build the HTTP client: {source}")]
    HttpClient {
        /// reqwest's error.
        source: reqwest::Error,
    },
    /// A request body cannot be encoded as JSON.
    #[error("configuration: cannot encode the request: {source}")]
    Encode {
        /// serde's error.
        source: serde_json::Error,
    },
    /// The config file cannot be written as TOML.
    #[error("configuration: cannot write the config file: {source}")]
    ConfigWrite {
        /// The TOML serializer's error.
        source: toml::ser::Error,
    },
    /// The keys of this device (remembered exported keys, or those of a running session) are
    /// older than the account's current key (it was rotated elsewhere since): unlock with the
    /// password. Nothing is sealed under the old key.
    #[error("the keys remembered on this device are older than the account's current key: unlock with the password")]
    KeysOutdated,
    /// The background service was started outside a tokio runtime.
    #[error("configuration: the sync service needs a tokio runtime")]
    NoRuntime {
        /// tokio's error.
        source: tokio::runtime::TryCurrentError,
    },
    /// This device has not run `init` yet.
    #[error("this device is not initialised: run `screenpipe-sync init` first")]
    NotInitialized,
    /// The state file belongs to another setup, or the client's own bookkeeping failed.
    #[error("state: {0}")]
    State(String),
    /// The state file holds a value that does not parse.
    #[error("state: the state file holds a bad {what}: {source}")]
    CorruptState {
        /// Which value.
        what: String,
        /// The parser's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Another process holds the state folder's lock.
    #[error("state: another screenpipe-sync process is working on this state folder ({source})")]
    Locked {
        /// SQLite's error (busy).
        source: rusqlite::Error,
    },
    /// A worker thread (blocking work: SQLite, the KDF, sealing) panicked or was cancelled.
    #[error("state: a worker thread failed: {source}")]
    Worker {
        /// tokio's error.
        source: tokio::task::JoinError,
    },
}

/// The client's result type.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;

impl SyncError {
    /// The stable code of this error.
    pub fn code(&self) -> String {
        match self {
            SyncError::Core(e) => e.code().to_owned(),
            SyncError::Api { code, .. } | SyncError::RetryLater { code, .. } => code.clone(),
            SyncError::KeyRotated { .. } => codes::KEY_ROTATED.into(),
            SyncError::PendingLimit { .. } => codes::PENDING_LIMIT.into(),
            SyncError::UntrustedUrl { .. } => "untrusted_url".into(),
            SyncError::InsecureHttp { .. } => "insecure_http".into(),
            SyncError::Network { .. } => "network".into(),
            SyncError::InvalidResponse(_) | SyncError::UndecodableResponse { .. } | SyncError::InvalidUrl { .. } => {
                "invalid_response".into()
            }
            SyncError::ChecksumMismatch(_) => "checksum_mismatch".into(),
            SyncError::Io { .. } => "io".into(),
            SyncError::Database { .. } => "database".into(),
            SyncError::Schema(_) => "schema".into(),
            SyncError::UnsupportedSchema { .. } => "unsupported_schema".into(),
            SyncError::Config(_)
            | SyncError::ConfigFile { .. }
            | SyncError::ServerUrl { .. }
            | SyncError::Header { .. }
            | SyncError::HttpClient { .. }
            | SyncError::Encode { .. }
            | SyncError::ConfigWrite { .. }
            | SyncError::NoRuntime { .. } => "config".into(),
            SyncError::KeysOutdated => "keys_outdated".into(),
            SyncError::NotInitialized => "not_initialized".into(),
            SyncError::State(_)
            | SyncError::CorruptState { .. }
            | SyncError::Locked { .. }
            | SyncError::Worker { .. } => "state".into(),
        }
    }

    /// True for a server error with this code.
    pub fn is_api(&self, code: &str) -> bool {
        match self {
            SyncError::Api { code: c, .. } | SyncError::RetryLater { code: c, .. } => c == code,
            SyncError::KeyRotated { .. } | SyncError::PendingLimit { .. } => self.code() == code,
            _ => false,
        }
    }

    /// True when the storage quota is used up (`403 QUOTA_EXCEEDED`).
    pub fn is_quota_exceeded(&self) -> bool {
        self.is_api(codes::QUOTA_EXCEEDED)
    }

    /// True when the account has as many devices as its tier allows.
    pub fn is_device_limit(&self) -> bool {
        self.is_api(codes::DEVICE_LIMIT_EXCEEDED)
    }

    /// True for a wrong password or recovery phrase.
    pub fn is_wrong_password(&self) -> bool {
        matches!(self, SyncError::Core(sync_core::Error::WrongPassword))
    }

    /// A message for people: what happened and what to do.
    pub fn hint(&self) -> Option<&'static str> {
        match self.code().as_str() {
            "wrong_password" => Some("check the password (or use `screenpipe-sync recover` with the recovery phrase)"),
            codes::QUOTA_EXCEEDED => Some("the account's storage is full: delete data or move to a larger tier"),
            codes::DEVICE_LIMIT_EXCEEDED => Some(
                "the account has as many devices as its tier allows: remove one with `screenpipe-sync devices remove ID`",
            ),
            codes::NO_SUBSCRIPTION => Some("the account has no active subscription"),
            codes::UNAUTHORIZED => Some("the bearer token is missing or wrong (--token / SCREENPIPE_SYNC_TOKEN)"),
            codes::UNKNOWN_DEVICE => Some("this device was removed from the account: run `screenpipe-sync init` again"),
            "rollback" => Some("the server offered an older key than this device has seen: do not trust it"),
            "network" => Some("the server could not be reached (--server / SCREENPIPE_SYNC_SERVER)"),
            "not_initialized" => Some("run `screenpipe-sync init` first"),
            "unsupported_schema" => Some(
                "this screenpipe version is newer (or older) than this screenpipe-sync understands: update screenpipe-sync",
            ),
            "weak_password" => Some("choose a longer, less guessable password"),
            "keys_outdated" => Some("the account's key was rotated on another device: unlock with the password"),
            codes::PENDING_LIMIT => Some("too many uploads are declared but not completed: push again later"),
            codes::RATE_LIMITED | codes::OVERLOADED | codes::TIMEOUT => Some("the server is busy: try again later"),
            "insecure_http" => Some("use an https:// server address (plain http:// is for loopback addresses only)"),
            "untrusted_url" => Some(
                "the server handed out a URL on another host: add its object store to object_origins if you trust it",
            ),
            "pairing_failed" => Some(
                "the code was wrong, or someone interfered: start a new `screenpipe-sync link` and type its new code",
            ),
            "pairing_denied" => Some("the other device refused this one: no key was sent"),
            "pairing_expired" | codes::PAIR_EXPIRED => {
                Some("the code expired (10 minutes): start a new `screenpipe-sync link`")
            }
            codes::PAIR_TAKEN => Some("this code was already used by a device: start a new `screenpipe-sync link`"),
            "pairing_replayed" | "pairing_out_of_order" | "pairing_foreign" => {
                Some("a pairing message was replayed, reordered or injected on the way: start a new link")
            }
            _ => None,
        }
    }

    /// A file system error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> SyncError {
        SyncError::Io { context: context.into(), source }
    }

    /// A SQLite error with which database and operation.
    pub fn db(context: impl Into<String>, source: rusqlite::Error) -> SyncError {
        SyncError::Database { context: context.into(), source }
    }

    /// A value of the state file that does not parse.
    pub(crate) fn corrupt(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> SyncError {
        SyncError::CorruptState { what: what.into(), source: Box::new(source) }
    }
}

impl From<tokio::task::JoinError> for SyncError {
    fn from(source: tokio::task::JoinError) -> SyncError {
        SyncError::Worker { source }
    }
}

/// Adds context to rusqlite results.
pub(crate) trait DbContext<T> {
    /// Maps the error to [`SyncError::Database`] with `context`.
    fn ctx(self, context: &str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, rusqlite::Error> {
    fn ctx(self, context: &str) -> Result<T> {
        self.map_err(|e| SyncError::db(context, e))
    }
}

/// Adds context to I/O results.
pub(crate) trait IoContext<T> {
    /// Maps the error to [`SyncError::Io`] with a lazily built context.
    fn io_ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io_ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| SyncError::io(context(), e))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn wrapped_errors_keep_their_source_and_code() {
        let sqlite = rusqlite::Connection::open_in_memory().unwrap().execute_batch("NOT SQL").unwrap_err();
        let e = SyncError::db("state meta", sqlite);
        assert_eq!(e.code(), "database");
        assert!(e.source().is_some_and(|s| s.is::<rusqlite::Error>()));
        assert!(e.to_string().starts_with("database error (state meta): "), "{e}");

        let toml_err = toml::from_str::<crate::config::ConfigFile>("password = 1").unwrap_err();
        let e = SyncError::ConfigFile { path: "/x/config.toml".into(), source: toml_err };
        assert_eq!(e.code(), "config");
        assert!(e.to_string().starts_with("configuration: /x/config.toml: "), "{e}");
        assert!(e.source().is_some_and(|s| s.is::<toml::de::Error>()));

        let e = SyncError::corrupt("blob id", sync_core::Error::Malformed("x"));
        assert_eq!(e.code(), "state");
        assert!(e.source().is_some());
    }
}
