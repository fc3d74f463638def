//! ChaCha20-Poly1305 (RFC 8439) for blob segments, with a choice of backend.
//!
//! [`Backend::Native`] is the fastest implementation the build has: OpenSSL's assembly through
//! its EVP interface with the `openssl-aead` feature (the Linux desktop client's build; on Zen 3
//! it seals about 10% faster than `ring`), else `ring`'s assembly with `native-aead` (about 1.5x
//! RustCrypto's speed on x86_64), and on wasm32 with `simd128` the SIMD implementation of
//! [`super::chacha_simd128`]. [`Backend::Ring`] asks for `ring` by name and
//! [`Backend::Portable`] for RustCrypto's `chacha20poly1305`, available everywhere, so that tests
//! prove every backend agrees on every vector. A backend that is not built (or OpenSSL, should
//! its library refuse the cipher) falls back to the next one.
//!
//! Key material: RustCrypto's key is zeroized on drop, and OpenSSL cleanses its context when it
//! frees it; `ring` keeps its copy of the per-blob key in its own key schedule, which it does
//! not zeroize. OpenSSL reads its configuration file (`openssl.cnf`) once per process, at its
//! first use, as every program linking it does; the core itself still does no I/O.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{AeadInOut, KeyInit};

use crate::error::{Error, Result};

/// Length of a Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// Which ChaCha20-Poly1305 implementation seals and opens segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// The fastest one built: OpenSSL (feature `openssl-aead`), else `ring` (feature
    /// `native-aead`) on native targets; on wasm32 the `simd128` one when built with that
    /// target feature; the portable one otherwise.
    #[default]
    Native,
    /// `ring` where it is built (feature `native-aead`, native targets), else the portable one.
    Ring,
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
    #[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
    OpenSsl(Box<openssl::cipher_ctx::CipherCtx>),
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128(Box<super::chacha_simd128::ChaCha20Poly1305>),
}

impl std::fmt::Debug for SegmentAead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SegmentAead({}, <redacted>)", self.implementation())
    }
}

impl SegmentAead {
    /// Keys the chosen backend (or the one it falls back to).
    pub fn new(key: &[u8; 32], backend: Backend) -> Result<SegmentAead> {
        #[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
        if backend == Backend::Native
            && let Some(ctx) = openssl_ctx(key)
        {
            return Ok(SegmentAead { inner: Inner::OpenSsl(Box::new(ctx)) });
        }
        let inner = match backend {
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Backend::Native | Backend::Ring => {
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
    pub fn seal_in_place(&mut self, nonce: &[u8; 12], buf: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        self.seal_with_aad(nonce, &[], buf)
    }

    /// Decrypts `buf` in place with empty AAD if `tag` authenticates it; on failure `false` is
    /// returned and `buf` holds no plaintext: the ciphertext as it was (RustCrypto, wasm SIMD)
    /// or zeros (`ring`, OpenSSL).
    #[must_use]
    pub fn open_in_place(&mut self, nonce: &[u8; 12], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        self.open_with_aad(nonce, &[], buf, tag)
    }

    /// Seals with AAD (the format uses empty AAD; the Wycheproof tests use others).
    pub fn seal_with_aad(&mut self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        match &mut self.inner {
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
            #[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
            Inner::OpenSsl(ctx) => openssl_seal(ctx, nonce, aad, buf).ok_or(Error::TooLarge("segment")),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(cipher) => cipher.seal_in_place(nonce, aad, buf),
        }
    }

    /// Opens with AAD (the format uses empty AAD; the Wycheproof tests use others).
    #[must_use]
    pub fn open_with_aad(&mut self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        match &mut self.inner {
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
            #[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
            Inner::OpenSsl(ctx) => {
                // OpenSSL decrypts before it checks the tag: wipe what a failed open wrote, as
                // `ring` does.
                let opened = openssl_open(ctx, nonce, aad, buf, tag).is_some();
                if !opened {
                    buf.fill(0);
                }
                opened
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(cipher) => cipher.open_in_place(nonce, aad, buf, tag),
        }
    }

    /// The backend actually in use (`Native` where it is the fastest one built; `Ring` asked
    /// for but not built falls back to `Portable`).
    pub fn backend(&self) -> Backend {
        match &self.inner {
            Inner::Portable(_) => Backend::Portable,
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Inner::Ring(_) => Backend::Ring,
            #[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
            Inner::OpenSsl(_) => Backend::Native,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(_) => Backend::Native,
        }
    }

    /// The implementation in use: `"openssl"`, `"ring"`, `"simd128"` (wasm) or `"rustcrypto"`.
    pub fn implementation(&self) -> &'static str {
        match &self.inner {
            Inner::Portable(_) => "rustcrypto",
            #[cfg(all(feature = "native-aead", not(target_arch = "wasm32")))]
            Inner::Ring(_) => "ring",
            #[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
            Inner::OpenSsl(_) => "openssl",
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Inner::Simd128(_) => "simd128",
        }
    }
}

/// An OpenSSL cipher context keyed for ChaCha20-Poly1305; `None` if the library refuses (a
/// configuration that disables the cipher, say), so that the caller falls back.
#[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
fn openssl_ctx(key: &[u8; 32]) -> Option<openssl::cipher_ctx::CipherCtx> {
    let mut ctx = openssl::cipher_ctx::CipherCtx::new().ok()?;
    ctx.encrypt_init(Some(openssl::cipher::Cipher::chacha20_poly1305()), Some(key), None).ok()?;
    (ctx.key_length() == 32 && ctx.iv_length() == 12 && ctx.block_size() == 1).then_some(ctx)
}

/// Seals `buf` in place under `nonce` and `aad`; the tag, or `None` if OpenSSL fails.
#[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
fn openssl_seal(
    ctx: &mut openssl::cipher_ctx::CipherCtx,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    ctx.encrypt_init(None, None, Some(nonce)).ok()?;
    if !aad.is_empty() {
        ctx.cipher_update(aad, None).ok()?;
    }
    let len = buf.len();
    (ctx.cipher_update_inplace(buf, len).ok()? == len).then_some(())?;
    ctx.cipher_final(&mut []).ok()?;
    let mut tag = [0u8; TAG_LEN];
    ctx.tag(&mut tag).ok()?;
    Some(tag)
}

/// Opens `buf` in place under `nonce` and `aad` if `tag` authenticates it.
#[cfg(all(feature = "openssl-aead", not(target_arch = "wasm32")))]
fn openssl_open(
    ctx: &mut openssl::cipher_ctx::CipherCtx,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Option<()> {
    ctx.decrypt_init(None, None, Some(nonce)).ok()?;
    ctx.set_tag(tag).ok()?;
    if !aad.is_empty() {
        ctx.cipher_update(aad, None).ok()?;
    }
    let len = buf.len();
    (ctx.cipher_update_inplace(buf, len).ok()? == len).then_some(())?;
    ctx.cipher_final(&mut []).ok().map(|_| ())
}
