//! Blob format v1 (docs/FORMAT.md, "Blob format"): a header, then ChaCha20-Poly1305 STREAM segments under a
//! per-blob key derived from the data key, the header and the blob's context.
//!
//! - [`header`]: the 88-byte header and its checks.
//! - [`context`]: what a blob is bound to (id, type, device, time range).
//! - [`blob_key`]: the per-blob key and key commitment.
//! - [`nonce`]: the segment nonce `u88be(i) || last`.
//! - [`seal`] / [`open`]: streaming push APIs ([`BlobSealer`], [`BlobOpener`]) with memory
//!   bounded by one segment, and one-shot helpers ([`seal_blob`], [`open_blob`]).
//! - [`padding`] and [`zstd`]: the payload layers (Padmé padding; one bounded zstd frame).

pub mod blob_key;
pub mod context;
pub mod header;
pub mod nonce;
pub mod open;
pub mod padding;
pub mod seal;
pub mod zstd;

pub use context::BlobContext;
pub use header::{BlobHeader, Flags, HEADER_LEN};
pub use open::{BlobOpener, open_blob, open_blob_with};
pub use seal::{BlobSealer, SealOptions, seal_blob};

/// Which ChaCha20-Poly1305 implementation seals and opens blob segments (the segment AEAD's
/// backend, re-exported so that callers need not reach into the primitives).
pub use crate::primitives::segment_aead::Backend as AeadBackend;
