//! The password envelope (docs/FORMAT.md, "Envelope"): the master key sealed under the password's wrap key.

use super::master::{MasterKey, MasterSecret};
use super::params::{DEFAULT_SALT_LEN, KdfParams};
use super::password::{WrapKey, derive_password_key, derive_wrap_key};
use crate::encoding::Tuple;
use crate::error::{Error, Result};
use crate::ids::KeyId;
use crate::primitives::random::{RandomSource, random_array};
use crate::primitives::xchacha;
use crate::wire::envelopes::{Envelope, EnvelopeKdf};

/// `tuple("spsync/v1/envelope", u8(1), "argon2id", u32be(19), u32be(m_kib), u32be(t),
/// u32be(p), salt, key_id, u32be(key_version))`.
pub fn envelope_aad(params: &KdfParams, salt: &[u8], key_id: &KeyId, key_version: u32) -> Vec<u8> {
    Tuple::new()
        .str("spsync/v1/envelope")
        .u8(1)
        .str("argon2id")
        .u32(19)
        .u32(params.m_kib)
        .u32(params.t)
        .u32(params.p)
        .bytes(salt)
        .bytes(key_id.as_bytes())
        .u32(key_version)
        .into_bytes()
}

/// The KDF parameters of an envelope, after its format checks.
pub fn envelope_params(env: &Envelope) -> Result<KdfParams> {
    env.check_version()?;
    Ok(KdfParams { m_kib: env.kdf.m_kib, t: env.kdf.t, p: env.kdf.p })
}

/// Seals `master` under `password` with a fresh salt and nonce.
///
/// The caller checks password strength where the rules ask for it (creation and change).
pub fn seal_envelope(
    master: &MasterKey,
    key_version: u32,
    password: &str,
    params: &KdfParams,
    rng: &mut dyn RandomSource,
) -> Result<Envelope> {
    let salt: [u8; DEFAULT_SALT_LEN] = random_array(rng)?;
    let nonce: [u8; 24] = random_array(rng)?;
    let wrap_key = derive_wrap_key(&derive_password_key(password, &salt, params)?)?;
    seal_envelope_with(master, key_version, &wrap_key, params, &salt, &nonce)
}

/// Seals with a given wrap key, salt and nonce (deterministic; for vectors and tests).
pub fn seal_envelope_with(
    master: &MasterKey,
    key_version: u32,
    wrap_key: &WrapKey,
    params: &KdfParams,
    salt: &[u8],
    nonce: &[u8; 24],
) -> Result<Envelope> {
    let aad = envelope_aad(params, salt, &master.key_id, key_version);
    let wrapped_key = xchacha::wrap_key(wrap_key.expose(), nonce, master.secret.expose(), &aad)?;
    Ok(Envelope {
        v: 1,
        kdf: EnvelopeKdf { alg: "argon2id".into(), version: 19, m_kib: params.m_kib, t: params.t, p: params.p },
        salt: salt.to_vec(),
        key_id: master.key_id,
        key_version,
        nonce: *nonce,
        wrapped_key,
    })
}

/// Opens an envelope with a password: `unsupported` for another format, `params_out_of_bounds`
/// for parameters or a salt outside the bounds (checked before any work), `wrong_password`
/// when it does not open.
pub fn open_envelope(env: &Envelope, password: &str) -> Result<MasterKey> {
    let params = envelope_params(env)?;
    let wrap_key = derive_wrap_key(&derive_password_key(password, &env.salt, &params)?)?;
    open_envelope_with(env, &wrap_key)
}

/// Opens an envelope with an already derived wrap key.
pub fn open_envelope_with(env: &Envelope, wrap_key: &WrapKey) -> Result<MasterKey> {
    let params = envelope_params(env)?;
    let aad = envelope_aad(&params, &env.salt, &env.key_id, env.key_version);
    let secret =
        xchacha::unwrap_key(wrap_key.expose(), &env.nonce, &env.wrapped_key, &aad).ok_or(Error::WrongPassword)?;
    Ok(MasterKey { key_id: env.key_id, key_version: Some(env.key_version), secret: MasterSecret::from_bytes(secret) })
}
