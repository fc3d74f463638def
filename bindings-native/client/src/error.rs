//! [`SyncError`]: every failure of the client, each with a stable code.
//!
//! Codes: the core's (`wrong_password`, `tampered`, `rollback`, ...; see `docs/FORMAT.md` 6),
//! the server's (`QUOTA_EXCEEDED`, `DEVICE_LIMIT_EXCEEDED`, `UNAUTHORIZED`, ...; see
//! `sync_core::wire::codes`), and the client's own (`network`, `io`, `database`, `config`,
//! `invalid_response`, `checksum_mismatch`, `not_initialized`, `schema`, `media`).

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
    #[error("network error: {0}")]
    Network(String),
    /// The server's answer is not what the API promises (bad JSON, too large, wrong size).
    #[error("invalid answer from the server: {0}")]
    InvalidResponse(String),
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
    #[error("database error ({context}): {message}")]
    Database {
        /// Which database and operation.
        context: String,
        /// SQLite's message.
        message: String,
    },
    /// screenpipe's database does not have the tables or columns this client needs.
    #[error("screenpipe database: {0}")]
    Schema(String),
    /// A setting is missing or invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// This device has not run `init` yet.
    #[error("this device is not initialised: run `screenpipe-sync init` first")]
    NotInitialized,
    /// The state file belongs to another setup (another device id or server).
    #[error("state: {0}")]
    State(String),
}

/// The client's result type.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;

impl SyncError {
    /// The stable code of this error.
    pub fn code(&self) -> String {
        match self {
            SyncError::Core(e) => e.code().to_owned(),
            SyncError::Api { code, .. } => code.clone(),
            SyncError::Network(_) => "network".into(),
            SyncError::InvalidResponse(_) => "invalid_response".into(),
            SyncError::ChecksumMismatch(_) => "checksum_mismatch".into(),
            SyncError::Io { .. } => "io".into(),
            SyncError::Database { .. } => "database".into(),
            SyncError::Schema(_) => "schema".into(),
            SyncError::Config(_) => "config".into(),
            SyncError::NotInitialized => "not_initialized".into(),
            SyncError::State(_) => "state".into(),
        }
    }

    /// True for a server error with this code.
    pub fn is_api(&self, code: &str) -> bool {
        matches!(self, SyncError::Api { code: c, .. } if c == code)
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
            "weak_password" => Some("choose a longer, less guessable password"),
            _ => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> SyncError {
        SyncError::Io { context: context.into(), source }
    }

    pub(crate) fn db(context: impl Into<String>, err: rusqlite::Error) -> SyncError {
        SyncError::Database { context: context.into(), message: err.to_string() }
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
