//! Argon2id (RFC 9106, version 0x13) as the format uses it: the bounds of docs/FORMAT.md, "Password to wrap key" are
//! enforced one layer up ([`crate::keys::password`]); this is the raw function the RFC 9106
//! and libargon2 vectors check.
//!
//! Two implementations: RustCrypto's `argon2` ([`Backend::Portable`], everywhere; with AVX2 on
//! x86_64, and lanes on a thread pool with the `parallel-kdf` feature), and on wasm32 with
//! `simd128` the SIMD one of [`super::argon2_simd128`] ([`Backend::Native`] there). Both check
//! the parameters the same way (the `argon2` crate's rules; the wasm one also refuses more
//! than 256 MiB, the format's ceiling), so they differ only in speed.

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};

use crate::error::{Error, Result};

/// Which Argon2id implementation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// On wasm32 built with `simd128`, [`super::argon2_simd128`]; elsewhere RustCrypto's `argon2`.
    #[default]
    Native,
    /// RustCrypto's `argon2`.
    Portable,
}

impl Backend {
    /// The implementation this backend runs on this build: `"simd128"` or `"rustcrypto"`.
    pub fn implementation(self) -> &'static str {
        if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) && self == Backend::Native {
            "simd128"
        } else {
            "rustcrypto"
        }
    }
}

/// `Argon2id(version 0x13, m_kib, t, p, password, salt, secret, ad)` into `out`, with the
/// default backend.
#[allow(clippy::too_many_arguments)]
pub fn argon2id(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    ad: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
    out: &mut [u8],
) -> Result<()> {
    argon2id_with(Backend::Native, password, salt, secret, ad, m_kib, t, p, out)
}

/// [`argon2id`] with a chosen backend (tests compare them).
#[allow(clippy::too_many_arguments)]
pub fn argon2id_with(
    backend: Backend,
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    ad: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
    out: &mut [u8],
) -> Result<()> {
    // The `argon2` crate's checks, for both backends.
    let mut builder = ParamsBuilder::new();
    builder.m_cost(m_kib).t_cost(t).p_cost(p).output_len(out.len());
    if !ad.is_empty() {
        builder.data(AssociatedData::new(ad).map_err(|_| Error::InvalidInput("Argon2 associated data"))?);
    }
    let params = builder.build().map_err(|_| Error::ParamsOutOfBounds("rejected by Argon2"))?;
    let argon = if secret.is_empty() {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    } else {
        Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, params)
            .map_err(|_| Error::InvalidInput("Argon2 secret"))?
    };
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if backend == Backend::Native {
        return super::argon2_simd128::argon2id(password, salt, secret, ad, m_kib, t, p, out);
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let _ = backend;
    argon.hash_password_into(password, salt, out).map_err(|_| Error::ParamsOutOfBounds("rejected by Argon2"))
}
