//! [`DaemonError`]: every failure of the daemon, typed, with a stable [`code`](DaemonError::code)
//! (the client's codes for what the library reports, and the daemon's own) and the HTTP status
//! the control API answers with.

use std::net::SocketAddr;
use std::path::PathBuf;

use sync_client::SyncError;

/// Every failure of the daemon. Match on [`DaemonError::code`], not on the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// A failure of the sync library (its code is kept).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The listening address is not a loopback address.
    #[error("the daemon listens on a loopback address only (127.0.0.1, ::1), not {0}")]
    NotLoopback(SocketAddr),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("the HTTP server failed: {source}")]
    Serve {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The OS keychain refused an operation.
    #[error("keychain: {what}: {source}")]
    Keychain {
        /// What was being done.
        what: &'static str,
        /// keyring's error.
        source: keyring_core::Error,
    },
    /// No keychain on this machine (the option is unavailable).
    #[error("no keychain on this machine: {0}")]
    NoKeychain(String),
    /// The keys in the keychain do not parse.
    #[error("keychain: the remembered keys are unreadable: {source}")]
    KeychainData {
        /// The core's error.
        source: sync_core::Error,
    },
    /// The account is locked: connect (or unlock) first.
    #[error("locked: connect with the password first")]
    Locked,
    /// A request the API cannot accept (a bad value, a missing confirmation).
    #[error("{0}")]
    BadRequest(String),
    /// This request is not allowed here (this device through `remove`, for example).
    #[error("{0}")]
    Conflict(String),
    /// A file of the service setup (unit file, plist, task XML) could not be written or removed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A command of the service setup (`systemctl`, `launchctl`, `schtasks`) failed.
    #[error("{command} failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// What it printed on stderr (trimmed).
        stderr: String,
    },
    /// Where the service file goes is unknown (no home folder).
    #[error("no home folder ({0} is not set)")]
    NoHome(&'static str),
    /// The path of this executable is unknown.
    #[error("cannot find this executable's path: {source}")]
    CurrentExe {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A path that is not UTF-8 cannot go into a service file.
    #[error("the path {} is not UTF-8", .0.display())]
    NonUtf8Path(PathBuf),
}

impl DaemonError {
    /// The stable code of this error.
    pub fn code(&self) -> String {
        match self {
            DaemonError::Sync(e) => e.code(),
            DaemonError::NotLoopback(_) => "not_loopback".into(),
            DaemonError::Bind { .. } | DaemonError::Serve { .. } => "listen".into(),
            DaemonError::Keychain { .. } | DaemonError::KeychainData { .. } => "keychain".into(),
            DaemonError::NoKeychain(_) => "no_keychain".into(),
            DaemonError::Locked => "locked".into(),
            DaemonError::BadRequest(_) => "bad_request".into(),
            DaemonError::Conflict(_) => "conflict".into(),
            DaemonError::Io { .. } => "io".into(),
            DaemonError::Command { .. } => "command".into(),
            DaemonError::NoHome(_) | DaemonError::CurrentExe { .. } | DaemonError::NonUtf8Path(_) => "config".into(),
        }
    }

    /// What to do about it, for people.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            DaemonError::Sync(e) => e.hint(),
            DaemonError::Locked => Some("enter the password and press Connect"),
            DaemonError::NoKeychain(_) => {
                Some("this machine has no keychain service: the daemon unlocks with the password at each start")
            }
            DaemonError::Bind { .. } => Some("another program uses this address: choose another with --listen"),
            _ => None,
        }
    }

    /// The HTTP status of the control API's answer.
    pub fn http_status(&self) -> u16 {
        match self.code().as_str() {
            "wrong_password" | "bad_mnemonic" | "UNAUTHORIZED" => 401,
            "weak_password" | "empty_password" | "bad_request" | "config" | "invalid_input" | "INVALID_REQUEST" => 400,
            "locked" | "not_initialized" | "keys_outdated" => 423,
            "conflict" => 409,
            "QUOTA_EXCEEDED" | "DEVICE_LIMIT_EXCEEDED" | "NO_SUBSCRIPTION" | "UNKNOWN_DEVICE" | "rollback" => 403,
            "no_keychain" => 503,
            "network" => 502,
            _ => 500,
        }
    }
}

/// The daemon's result type.
pub type Result<T, E = DaemonError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::error::Error as _;

    use super::*;

    #[test]
    fn codes_statuses_and_sources() {
        let wrong = DaemonError::from(SyncError::Core(sync_core::Error::WrongPassword));
        assert_eq!((wrong.code().as_str(), wrong.http_status()), ("wrong_password", 401));
        assert!(wrong.hint().is_some());
        assert_eq!(DaemonError::Locked.http_status(), 423);
        let io = DaemonError::Io { context: "write unit".into(), source: std::io::Error::other("disk full") };
        assert_eq!(io.code(), "io");
        assert!(io.source().is_some_and(|s| s.is::<std::io::Error>()));
        let bind = DaemonError::Bind { addr: "127.0.0.1:1".parse().unwrap(), source: std::io::Error::other("in use") };
        assert_eq!(bind.code(), "listen");
        assert!(bind.source().is_some());
        assert_eq!(DaemonError::NotLoopback("10.0.0.1:80".parse().unwrap()).code(), "not_loopback");
    }
}
