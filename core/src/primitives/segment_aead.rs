//! ChaCha20-Poly1305 (RFC 8439) for blob segments, with a choice of backend.
//!
//! [`Backend::Native`] is `ring`'s assembly implementation (about 1.5x RustCrypto's speed on
//! x86_64, within reach of OpenSSL), and on wasm32 with `simd128` the SIMD implementation of
//! [`super::chacha_simd128`]; [`Backend::Portable`] is RustCrypto's `chacha20poly1305`,
//! available everywhere so that tests prove the backends agree on every vector.
//! `ring` keeps its copy of the per-blob key in its own key schedule, which it does not
//! zeroize; the portable backend does.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{AeadInOut, KeyInit};

use crate::error::{Error, Result};

/// Length of a Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// Which ChaCha20-Poly1305 implementation seals and opens segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// `ring` on native targets; on wasm32 the `simd128` one when built with that target
    /// feature; the portable one otherwise (or without the `native-aead` feature).
    #[default]
    Native,
    /// RustCrypto's pure-Rust implementation.
    Portable,
}

/// A ChaCha20-Poly1305 key ready to seal and open segments.
pub struct SegmentAead {
    inner: Inner,
}

enum Inner {
    Portable(Box<ChaCha20Poly1305>),
    #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
    Ring(Box<ring::aead::LessSafeKey>),
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128(Box<super::chacha_simd128::ChaCha20Poly1305>),
}

impl std::fmt::Debug for SegmentAead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SegmentAead(<redacted>)")
    }
}

impl SegmentAead {
    /// Keys the chosen backend.
    pub fn new(key: &[u8; 32], backend: Backend) -> Result<SegmentAead> {
        let inner = match backend {
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Backend::Native => {
                let unbound = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, key)
                    .map_err(|_| Error::InvalidInput("ChaCha20-Poly1305 key"))?;
                Inner::Ring(Box::new(ring::aead::LessSafeKey::new(unbound)))
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Backend::Native => Inner::Simd128(Box::new(super::chacha_simd128::ChaCha20Poly1305::new(key))),
            _ => Inner::Portable(Box::new(ChaCha20Poly1305::new(&(*key).into()))),
        };
        Ok(SegmentAead { inner })
    }

    /// Encrypts `buf` in place with empty AAD (as every segment is) and returns the tag.
    pub fn seal_in_place(&self, nonce: &[u8; 12], buf: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        self.seal_with_aad(nonce, &[], buf)
    }

    /// Decrypts `buf` in place with empty AAD if `tag` authenticates it; on failure `buf`
    /// holds no plaintext the caller may use, and `false` is returned.
    #[must_use]
    pub fn open_in_place(&self, nonce: &[u8; 12], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        self.open_with_aad(nonce, &[], buf, tag)
    }

    /// Seals with AAD (the format uses empty AAD; the Wycheproof tests use others).
    pub fn seal_with_aad(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        match &self.inner {
            Inner::Portable(cipher) => cipher
                .encrypt_inout_detached(&(*nonce).into(), aad, buf.into())
                .map(Into::into)
                .map_err(|_| Error::TooLarge("segment")),
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Inner::Ring(key) => {
                let tag = key
                    .seal_in_place_separate_tag(
                        ring::aead::Nonce::assume_unique_for_key(*nonce),
                        ring::aead::Aad::from(aad),
                        buf,
                    )
                    .map_err(|_| Error::TooLarge("segment"))?;
                let mut out = [0u8; TAG_LEN];
                out.copy_from_slice(tag.as_ref());
                Ok(out)
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(cipher) => cipher.seal_in_place(nonce, aad, buf),
        }
    }

    /// Opens with AAD (the format uses empty AAD; the Wycheproof tests use others).
    #[must_use]
    pub fn open_with_aad(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        match &self.inner {
            Inner::Portable(cipher) => {
                cipher.decrypt_inout_detached(&(*nonce).into(), aad, buf.into(), &(*tag).into()).is_ok()
            }
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Inner::Ring(key) => key
                .open_in_place_separate_tag(
                    ring::aead::Nonce::assume_unique_for_key(*nonce),
                    ring::aead::Aad::from(aad),
                    ring::aead::Tag::from(*tag),
                    buf,
                    0..,
                )
                .is_ok(),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(cipher) => cipher.open_in_place(nonce, aad, buf, tag),
        }
    }

    /// The backend actually in use (`Native` falls back to the portable one where `ring` is
    /// not built).
    pub fn backend(&self) -> Backend {
        match &self.inner {
            Inner::Portable(_) => Backend::Portable,
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Inner::Ring(_) => Backend::Native,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(_) => Backend::Native,
        }
    }

    /// The implementation in use: `"ring"`, `"simd128"` (wasm) or `"rustcrypto"`.
    pub fn implementation(&self) -> &'static str {
        match &self.inner {
            Inner::Portable(_) => "rustcrypto",
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Inner::Ring(_) => "ring",
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(_) => "simd128",
        }
    }
}
