//! The one error type of the core, with a stable string code per variant.
//!
//! The codes cross into JavaScript, Python and Kotlin unchanged; they are part of the public
//! contract (`docs/FORMAT.md`) and never change meaning. Which failure maps to which code is
//! fixed by docs/FORMAT.md, "Reading, and which error" and "Vector files"; the verifier reproduces them exactly.

use std::fmt;

/// Every failure the core can report.
///
/// Messages never contain key material or plaintext. Match on [`Error::code`] (or the variant),
/// never on the message text.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The password (or the envelope it was checked against) does not open the envelope.
    #[error("wrong password")]
    WrongPassword,
    /// The password is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// A new password is too easy to guess (zxcvbn score below 3).
    #[error("the password is too weak (strength {score} of 4, at least 3 is needed)")]
    WeakPassword {
        /// The zxcvbn score, 0 to 4.
        score: u8,
    },
    /// Argon2id parameters or salt length outside the bounds of docs/FORMAT.md, "Password to wrap key".
    #[error("key derivation parameters out of bounds: {0}")]
    ParamsOutOfBounds(&'static str),
    /// A recovery phrase with a word not in the list, a wrong word count or a bad checksum.
    #[error("bad recovery phrase: {0}")]
    BadMnemonic(&'static str),
    /// Something older than the newest key this client has unlocked.
    #[error("rollback refused: {0}")]
    Rollback(&'static str),
    /// No unlocked key carries this id.
    #[error("unknown key {key_id}")]
    UnknownKey {
        /// The key id, lowercase hex.
        key_id: String,
    },
    /// The key commitment does not match: wrong data key, or the blob was moved to another
    /// id, type, device or time range.
    #[error("wrong key or context for this blob")]
    WrongKeyOrContext,
    /// A segment or other authenticated data failed to verify.
    #[error("the data was tampered with: {0}")]
    Tampered(&'static str),
    /// The stream ended early.
    #[error("the data is truncated: {0}")]
    Truncated(&'static str),
    /// Bytes or JSON that do not follow the format.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// A format version or algorithm this implementation does not know.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// A value too large to be handled (more than 2^32 segments, a bundle over its bound, ...).
    #[error("too large: {0}")]
    TooLarge(&'static str),
    /// The API was used out of order (for example `push` after `finish`).
    #[error("invalid state: {0}")]
    InvalidState(&'static str),
    /// An input that is not valid for this operation (not a format error).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The operating system's random generator failed.
    #[error("the random number generator failed")]
    Random,
    /// Pairing: the code is wrong, or a key confirmation failed (a party in the middle); the two
    /// cannot be told apart.
    #[error("pairing failed: the code is wrong or the messages were altered")]
    PairingFailed,
    /// Pairing: a message already received, delivered again.
    #[error("pairing: a message was replayed")]
    PairingReplayed,
    /// Pairing: a message that comes after one not yet received.
    #[error("pairing: a message arrived out of order")]
    PairingOutOfOrder,
    /// Pairing: a message of another pairing, of this side's own role, or a second message for a
    /// place already taken.
    #[error("pairing: a message not from this pairing's other device: {0}")]
    PairingForeign(&'static str),
    /// Pairing: the session's 10 minutes are over.
    #[error("pairing expired")]
    PairingExpired,
    /// Pairing: the user of the unlocked device declined.
    #[error("pairing declined on the other device")]
    PairingDenied,
}

impl Error {
    /// The stable code of this error, as it crosses into every binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongPassword => "wrong_password",
            Error::EmptyPassword => "empty_password",
            Error::WeakPassword { .. } => "weak_password",
            Error::ParamsOutOfBounds(_) => "params_out_of_bounds",
            Error::BadMnemonic(_) => "bad_mnemonic",
            Error::Rollback(_) => "rollback",
            Error::UnknownKey { .. } => "unknown_key",
            Error::WrongKeyOrContext => "wrong_key_or_context",
            Error::Tampered(_) => "tampered",
            Error::Truncated(_) => "truncated",
            Error::Malformed(_) => "malformed",
            Error::Unsupported(_) => "unsupported",
            Error::TooLarge(_) => "too_large",
            Error::InvalidState(_) => "invalid_state",
            Error::InvalidInput(_) => "invalid_input",
            Error::Random => "random_failure",
            Error::PairingFailed => "pairing_failed",
            Error::PairingReplayed => "pairing_replayed",
            Error::PairingOutOfOrder => "pairing_out_of_order",
            Error::PairingForeign(_) => "pairing_foreign",
            Error::PairingExpired => "pairing_expired",
            Error::PairingDenied => "pairing_denied",
        }
    }

    /// Every code this type can produce, for bindings that mirror them as constants.
    pub const ALL_CODES: &'static [&'static str] = &[
        "wrong_password",
        "empty_password",
        "weak_password",
        "params_out_of_bounds",
        "bad_mnemonic",
        "rollback",
        "unknown_key",
        "wrong_key_or_context",
        "tampered",
        "truncated",
        "malformed",
        "unsupported",
        "too_large",
        "invalid_state",
        "invalid_input",
        "random_failure",
        "pairing_failed",
        "pairing_replayed",
        "pairing_out_of_order",
        "pairing_foreign",
        "pairing_expired",
        "pairing_denied",
    ];
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}: {})", self.code(), self)
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_listed() {
        let samples = [
            Error::WrongPassword,
            Error::EmptyPassword,
            Error::WeakPassword { score: 1 },
            Error::ParamsOutOfBounds("x"),
            Error::BadMnemonic("x"),
            Error::Rollback("x"),
            Error::UnknownKey { key_id: String::new() },
            Error::WrongKeyOrContext,
            Error::Tampered("x"),
            Error::Truncated("x"),
            Error::Malformed("x"),
            Error::Unsupported("x"),
            Error::TooLarge("x"),
            Error::InvalidState("x"),
            Error::InvalidInput("x"),
            Error::Random,
            Error::PairingFailed,
            Error::PairingReplayed,
            Error::PairingOutOfOrder,
            Error::PairingForeign("x"),
            Error::PairingExpired,
            Error::PairingDenied,
        ];
        let codes: Vec<_> = samples.iter().map(Error::code).collect();
        assert_eq!(codes, Error::ALL_CODES);
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
    }
}
