//! The per-blob key and key commitment:
//! `okm = HKDF(ikm = data_key, salt = header salt, info = tuple("spsync/v1/blob", header[0..24],
//! context), 64)`, `blob_key = okm[0..32]`, `commitment = okm[32..64]`.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::context::BlobContext;
use crate::encoding::Tuple;
use crate::error::{Error, Result};
use crate::keys::subkeys::DataKey;
use crate::primitives::hkdf::hkdf_sha256;
use crate::primitives::secret::secret_bytes;

secret_bytes!(
    /// The key that seals one blob's segments.
    BlobKey
);

/// Derives `(blob_key, commitment)`.
pub fn derive_blob_key(
    data_key: &DataKey,
    header_prefix: &[u8; 24],
    salt: &[u8; 32],
    context: &BlobContext,
) -> Result<(BlobKey, [u8; 32])> {
    let info = Tuple::new().str("spsync/v1/blob").bytes(header_prefix).tuple(&context.to_tuple());
    let okm = Zeroizing::new(hkdf_sha256::<64>(data_key.expose(), Some(salt), info.as_bytes())?);
    let key = BlobKey::from_slice(&okm[..32])?;
    let mut commitment = [0u8; 32];
    commitment.copy_from_slice(&okm[32..64]);
    Ok((key, commitment))
}

/// `wrong_key_or_context` unless `expected` equals `found` (constant time).
pub fn check_commitment(expected: &[u8; 32], found: &[u8; 32]) -> Result<()> {
    if bool::from(expected.ct_eq(found)) { Ok(()) } else { Err(Error::WrongKeyOrContext) }
}
