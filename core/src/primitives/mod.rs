//! Primitives exactly as the format uses them, each behind a small typed API.
//!
//! - [`argon2id`]: Argon2id (RFC 9106), raw; the bounds are enforced by `keys::password`.
//!   RustCrypto's `argon2` natively; on wasm32 with `simd128`, [`argon2_simd128`] (the wasm
//!   default).
//! - [`random`]: the randomness source (OS CSPRNG, or a caller-supplied one in tests).
//! - [`secret`]: fixed-size secret byte strings: zeroized on drop, redacted in `Debug`,
//!   compared in constant time.
//! - [`hkdf`]: HKDF-SHA256 (RFC 5869) and HMAC-SHA256.
//! - [`xchacha`]: XChaCha20-Poly1305 for the 32-byte key wraps (envelopes, keyring).
//! - [`segment_aead`]: ChaCha20-Poly1305 (RFC 8439) for blob segments, with a backend per target:
//!   `ring` (assembly, native default), RustCrypto (portable), and on wasm32 with `simd128`
//!   [`chacha_simd128`] (the wasm default).
//!
//! Every primitive is checked against the public vectors in `../shared/vectors/` by
//! `tests/primitives_vectors.rs`.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod argon2_simd128;
pub mod argon2id;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod chacha_simd128;
pub mod hkdf;
pub mod random;
pub mod secret;
pub mod segment_aead;
pub mod xchacha;
