//! Strict encodings shared by every part of the format (docs/FORMAT.md, "Encodings").
//!
//! Anything that does not match exactly is [`Error::Malformed`](crate::Error::Malformed):
//! base64url without padding and with zero trailing bits, lowercase hex ids, RFC 3339 times with
//! exactly three fractional digits and `Z`, and the length-prefixed `tuple` used in every AAD and
//! HKDF input.

pub mod base64url;
pub mod hex;
pub mod time;
pub mod tuple;

pub use self::time::UnixMillis;
pub use tuple::Tuple;
