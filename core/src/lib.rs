//! # sync-core
//!
//! The pure core of screenpipe's end-to-end encrypted sync: the key hierarchy, the blob format
//! v1, search tokens, the records bundle and the API wire types, exactly as `DESIGN.md` and
//! `docs/FORMAT.md` fix them.
//!
//! Pure means: no file system, no network, no clock, no threads of its own; randomness comes
//! from the operating system (`getrandom`) or from a caller-supplied [`RandomSource`] in tests.
//! It builds for `wasm32-unknown-unknown`.
//!
//! Layers, from the bottom:
//! - [`encoding`], [`ids`], [`error`]: strict encodings, identifiers, the error type.
//! - [`wire`]: JSON shapes of envelopes and of the server API (available without `crypto`).
//! - `crypto` feature: [`primitives`] (AEADs, HKDF, HMAC, randomness), [`keys`] (password,
//!   envelopes, recovery, subkeys, keyring, rotation, rollback guard), [`blob`] (streaming
//!   blob format v1 with the zstd and padding layers), [`search`] (terms and tokens),
//!   [`records`] (the `text` blob bundle).

pub mod encoding;
pub mod error;
pub mod ids;
pub mod pack;
pub mod wire;

#[cfg(feature = "crypto")]
pub mod blob;
#[cfg(feature = "crypto")]
pub mod keys;
#[cfg(feature = "crypto")]
pub mod primitives;
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
pub use primitives::random::{OsRandom, RandomSource};
