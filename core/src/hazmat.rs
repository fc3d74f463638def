//! **Hazardous materials**: the primitives exactly as the format uses them, without the checks
//! and the typed keys of the safe API (feature `hazmat`).
//!
//! For tests, benchmarks, fuzzing and cross-implementation checks only. Misused, these pieces
//! reuse nonces, leak key material into the wrong place, or accept what the format refuses:
//! applications use [`crate::keys`], [`crate::blob`], [`crate::search`] and [`crate::records`].
//!
//! - [`argon2id`]: Argon2id (RFC 9106), raw, with a choice of backend.
//! - [`random`]: the randomness source (OS CSPRNG, or a caller-supplied one).
//! - [`secret`]: fixed-size secret byte strings (zeroized, redacted, compared in constant time).
//! - [`hkdf`]: HKDF-SHA256 and HMAC-SHA256.
//! - [`xchacha`]: XChaCha20-Poly1305 for the 32-byte key wraps.
//! - [`segment_aead`]: ChaCha20-Poly1305 for blob segments, with its backends.
//! - `argon2_simd128`, `chacha_simd128`: the wasm32 SIMD implementations (wasm32 with `simd128`).

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use crate::primitives::argon2_simd128;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use crate::primitives::chacha_simd128;
pub use crate::primitives::{argon2id, hkdf, random, secret, segment_aead, xchacha};
