//! [`SyncFfiError`]: the one error type of the bindings, every variant carrying the stable
//! `code` (the core's `wrong_password`, `rollback`, ...; the server's `QUOTA_EXCEEDED`, ...;
//! the client's `network`, `locked`, ...) and a human `detail`; [`error_codes`] lists them.

use sync_client::SyncError;
use sync_core::wire::codes;

/// Every failure of the bindings. Each variant carries the stable `code` (match on it, not on
/// the text) and a human `detail`. In Kotlin this is `SyncFfiException` with subclasses of the
/// same names; in Python `SyncFfiError.<Variant>` with `.code` and `.detail` attributes.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SyncFfiError {
    /// A wrong password or recovery phrase (`wrong_password`, `bad_mnemonic`).
    #[error("{code}: {detail}")]
    WrongPassword {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// A new password that is too weak or empty (`weak_password`, `empty_password`).
    #[error("{code}: {detail}")]
    WeakPassword {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The account's storage is full (`QUOTA_EXCEEDED`).
    #[error("{code}: {detail}")]
    QuotaExceeded {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The account has as many devices as its tier allows (`DEVICE_LIMIT_EXCEEDED`).
    #[error("{code}: {detail}")]
    DeviceLimitExceeded {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The token is wrong, the subscription is missing or this device was removed
    /// (`UNAUTHORIZED`, `NO_SUBSCRIPTION`, `UNKNOWN_DEVICE`).
    #[error("{code}: {detail}")]
    Unauthorized {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The server could not be reached (`network`).
    #[error("{code}: {detail}")]
    Network {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The server offered an older key than this device has seen (`rollback`): do not trust it.
    #[error("{code}: {detail}")]
    Rollback {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// Data failed verification (`tampered`, `truncated`, `checksum_mismatch`,
    /// `wrong_key_or_context`, `unknown_key`).
    #[error("{code}: {detail}")]
    Integrity {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The manager holds no unlocked keys: call `init`, `unlock` or `recover` first (`locked`),
    /// or this device never ran `init` (`not_initialized`).
    #[error("{code}: {detail}")]
    Locked {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// A bad argument or setting (`config`, `invalid_input`, `malformed`, `INVALID_REQUEST`).
    #[error("{code}: {detail}")]
    InvalidInput {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// Anything else (`io`, `database`, `schema`, `state`, `INTERNAL`, ...).
    #[error("{code}: {detail}")]
    Other {
        /// The stable code.
        code: String,
        /// What happened.
        detail: String,
    },
}

impl SyncFfiError {
    /// An error of the bindings themselves, classified by its code like the library's.
    pub fn new(code: &str, detail: impl Into<String>) -> SyncFfiError {
        let (code, detail) = (code.to_owned(), detail.into());
        match code.as_str() {
            "wrong_password" | "bad_mnemonic" => SyncFfiError::WrongPassword { code, detail },
            "weak_password" | "empty_password" => SyncFfiError::WeakPassword { code, detail },
            codes::QUOTA_EXCEEDED => SyncFfiError::QuotaExceeded { code, detail },
            codes::DEVICE_LIMIT_EXCEEDED => SyncFfiError::DeviceLimitExceeded { code, detail },
            codes::UNAUTHORIZED | codes::NO_SUBSCRIPTION | codes::UNKNOWN_DEVICE => {
                SyncFfiError::Unauthorized { code, detail }
            }
            "network" => SyncFfiError::Network { code, detail },
            "rollback" => SyncFfiError::Rollback { code, detail },
            "tampered" | "truncated" | "checksum_mismatch" | "wrong_key_or_context" | "unknown_key" => {
                SyncFfiError::Integrity { code, detail }
            }
            "locked" | "not_initialized" => SyncFfiError::Locked { code, detail },
            "config" | "invalid_input" | "malformed" | "params_out_of_bounds" | codes::INVALID_REQUEST => {
                SyncFfiError::InvalidInput { code, detail }
            }
            _ => SyncFfiError::Other { code, detail },
        }
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            SyncFfiError::WrongPassword { code, .. }
            | SyncFfiError::WeakPassword { code, .. }
            | SyncFfiError::QuotaExceeded { code, .. }
            | SyncFfiError::DeviceLimitExceeded { code, .. }
            | SyncFfiError::Unauthorized { code, .. }
            | SyncFfiError::Network { code, .. }
            | SyncFfiError::Rollback { code, .. }
            | SyncFfiError::Integrity { code, .. }
            | SyncFfiError::Locked { code, .. }
            | SyncFfiError::InvalidInput { code, .. }
            | SyncFfiError::Other { code, .. } => code,
        }
    }

    /// No unlocked keys.
    pub(crate) fn locked() -> SyncFfiError {
        SyncFfiError::new("locked", "no unlocked account: call init, unlock or recover first")
    }
}

impl From<SyncError> for SyncFfiError {
    fn from(e: SyncError) -> SyncFfiError {
        let detail = match e.hint() {
            Some(hint) => format!("{e} ({hint})"),
            None => e.to_string(),
        };
        SyncFfiError::new(&e.code(), detail)
    }
}

impl From<sync_core::Error> for SyncFfiError {
    fn from(e: sync_core::Error) -> SyncFfiError {
        SyncFfiError::new(e.code(), e.to_string())
    }
}

/// The result type of the bindings.
pub type FfiResult<T> = std::result::Result<T, SyncFfiError>;

/// Every stable error code the bindings may carry, for apps that map codes to messages.
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    let own = [
        "network",
        "io",
        "database",
        "schema",
        "config",
        "invalid_response",
        "checksum_mismatch",
        "locked",
        "untrusted_url",
        "insecure_http",
    ];
    // The core's codes come from the core; "not_initialized", "state" and "keys_outdated" are
    // this client's.
    let native = ["not_initialized", "state", "keys_outdated"];
    let server = [
        codes::UNAUTHORIZED,
        codes::NO_SUBSCRIPTION,
        codes::QUOTA_EXCEEDED,
        codes::DEVICE_LIMIT_EXCEEDED,
        codes::STALE_REVISION,
        codes::INVALID_REQUEST,
        codes::PAYLOAD_TOO_LARGE,
        codes::NOT_FOUND,
        codes::BAD_SIGNATURE,
        codes::URL_EXPIRED,
        codes::CHECKSUM_MISMATCH,
        codes::NOT_UPLOADED,
        codes::CONFLICT,
        codes::UNKNOWN_DEVICE,
        codes::ACCOUNT_EXISTS,
        codes::RATE_LIMITED,
        codes::KEY_ROTATED,
        codes::PENDING_LIMIT,
        codes::TIMEOUT,
        codes::OVERLOADED,
        codes::INTERNAL,
        codes::PAIR_EXPIRED,
        codes::PAIR_TAKEN,
        codes::PAIR_FULL,
        codes::PAIR_LIMIT,
        codes::PAIR_FORBIDDEN,
    ];
    own.iter()
        .chain(sync_core::Error::ALL_CODES)
        .chain(native.iter())
        .chain(server.iter())
        .map(|s| (*s).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_pick_variants() {
        let e: SyncFfiError = SyncError::Core(sync_core::Error::WrongPassword).into();
        assert!(matches!(e, SyncFfiError::WrongPassword { .. }));
        assert_eq!(e.code(), "wrong_password");
        let e: SyncFfiError =
            SyncError::Api { status: 403, code: codes::QUOTA_EXCEEDED.into(), message: "full".into() }.into();
        assert!(matches!(e, SyncFfiError::QuotaExceeded { .. }));
        assert_eq!(e.code(), "QUOTA_EXCEEDED");
        assert!(matches!(SyncFfiError::new("io", "x"), SyncFfiError::Other { .. }));
        assert!(matches!(SyncFfiError::locked(), SyncFfiError::Locked { .. }));
        assert!(error_codes().contains(&"QUOTA_EXCEEDED".to_owned()));
    }
}
