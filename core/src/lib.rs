#![doc = include_str!("../README.md")]
//!
//! ## Public surface
//!
//! - [`error`]: [`Error`] with a stable `code()`, [`Result`].
//! - [`encoding`]: strict base64url, hex, RFC 3339 milliseconds ([`UnixMillis`]), `Tuple`.
//! - [`ids`]: [`KeyId`], [`BlobId`], [`DeviceId`], [`BlobType`].
//! - [`wire`]: JSON shapes of envelopes and of the server API, limits, error codes (no `crypto`
//!   needed: the server uses only this, [`pack`] and [`encoding`]).
//! - [`pack`]: the media pack container of `frames` blobs.
//! - With `crypto`: [`keys`] (the safe key API, `KeySet`), [`blob`] (sealing and opening blobs,
//!   [`blob::AeadBackend`]), [`search`] (terms and tokens), [`records`] (the `text` blob bundle),
//!   [`build_info`], [`OsRandom`] and [`RandomSource`].
//! - With `pairing` (default): `pairing`, linking a new device with a short code.
//! - With `hazmat`: `hazmat`, the raw primitives. With `testkit`: `testkit` (vectors, a seeded
//!   random source).

pub mod encoding;
pub mod error;
pub mod ids;
pub mod pack;
pub mod wire;

#[cfg(feature = "crypto")]
pub mod blob;
#[cfg(feature = "crypto")]
mod build;
#[cfg(feature = "crypto")]
pub mod keys;
// The primitives are fenced: the safe API above wraps them. `hazmat` exposes them for tests,
// benches, fuzzing and cross-implementation checks.
#[cfg(feature = "hazmat")]
pub mod hazmat;
#[cfg(feature = "pairing")]
pub mod pairing;
#[cfg(feature = "crypto")]
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
mod primitives;
#[cfg(feature = "crypto")]
pub mod records;
#[cfg(feature = "crypto")]
pub mod search;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use encoding::UnixMillis;
pub use error::{Error, Result};
pub use ids::{BlobId, BlobType, DeviceId, KeyId};

#[cfg(feature = "crypto")]
pub use build::{BuildInfo, build_info};
#[cfg(feature = "crypto")]
pub use primitives::random::{OsRandom, RandomSource};
