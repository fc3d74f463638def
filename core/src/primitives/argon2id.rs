//! Argon2id (RFC 9106, version 0x13) as the format uses it: the bounds of DESIGN.md 3.1 are
//! enforced one layer up ([`crate::keys::password`]); this is the raw function the RFC 9106
//! and libargon2 vectors check.

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};

use crate::error::{Error, Result};

/// `Argon2id(version 0x13, m_kib, t, p, password, salt, secret, ad)` into `out`.
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
    argon.hash_password_into(password, salt, out).map_err(|_| Error::ParamsOutOfBounds("rejected by Argon2"))
}
