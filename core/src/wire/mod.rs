//! The JSON shapes that cross the wire, as plain serde types (no cryptography).
//!
//! - [`envelopes`]: the key envelope, recovery envelope and keyring entries of docs/FORMAT.md, "Envelope",
//!   3.3 and 3.5, exactly as the server stores and returns them.
//! - [`api`]: request and response bodies of the server API v1 (`docs/openapi.yaml`).
//! - [`limits`]: bounds both sides enforce.
//! - [`retention`]: the cloud retention an account chooses per data type.
//!
//! These types build without the `crypto` feature, so the server uses them without ever
//! linking the key-handling half of the core.

pub mod api;
pub mod envelopes;
pub mod limits;
pub mod pair;
pub mod retention;
pub mod values;

pub use api::*;
pub use envelopes::{Envelope, EnvelopeKdf, KeyringEntry, RecoveryEnvelope};
pub use retention::{RetentionPolicy, RetentionResponse};
pub use values::{Checksum, SearchToken};
