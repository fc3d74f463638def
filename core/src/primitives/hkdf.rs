//! HKDF-SHA256 (RFC 5869) and HMAC-SHA256, as the format uses them.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// HMAC-SHA256 keyed state; clone it to compute many MACs under one key cheaply.
pub type HmacSha256 = Hmac<Sha256>;

/// `HKDF(ikm, salt, info, N)`; `salt = None` is the empty salt.
///
/// `N` is at most 255 * 32 bytes; the format only asks for 32 and 64.
pub fn hkdf_sha256<const N: usize>(ikm: &[u8], salt: Option<&[u8]>, info: &[u8]) -> Result<[u8; N]> {
    let mut okm = [0u8; N];
    hkdf::Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, &mut okm)
        .map_err(|_| Error::InvalidInput("HKDF output too long"))?;
    Ok(okm)
}

/// HKDF into a caller-sized buffer (for the Wycheproof tests, which vary the length).
pub fn hkdf_sha256_into(ikm: &[u8], salt: Option<&[u8]>, info: &[u8], okm: &mut [u8]) -> Result<()> {
    hkdf::Hkdf::<Sha256>::new(salt, ikm).expand(info, okm).map_err(|_| Error::InvalidInput("HKDF output too long"))
}

/// A keyed HMAC-SHA256 state (HMAC takes keys of any length).
pub fn hmac_sha256_keyed(key: &[u8]) -> Result<HmacSha256> {
    <HmacSha256 as KeyInit>::new_from_slice(key).map_err(|_| Error::InvalidInput("HMAC key"))
}

/// `HMAC-SHA256(key, message)`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Result<[u8; 32]> {
    let mut mac = hmac_sha256_keyed(key)?;
    mac.update(message);
    Ok(mac.finalize().into_bytes().into())
}
