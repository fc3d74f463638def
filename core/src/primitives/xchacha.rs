//! XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) for wrapping 32-byte keys.
//!
//! Used by the password envelope, the recovery envelope and keyring entries: a 32-byte key
//! sealed to 48 bytes (ciphertext and tag) under a 24-byte random nonce.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Seals `plaintext` with `aad`; the output is `plaintext.len() + 16` bytes.
pub fn seal(key: &[u8; 32], nonce: &[u8; 24], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    cipher
        .encrypt(&(*nonce).into(), Payload { msg: plaintext, aad })
        .map_err(|_| Error::TooLarge("XChaCha20-Poly1305 input"))
}

/// Opens `ciphertext` (ciphertext and tag); `None` when it does not authenticate.
pub fn open(key: &[u8; 32], nonce: &[u8; 24], ciphertext: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    cipher.decrypt(&(*nonce).into(), Payload { msg: ciphertext, aad }).ok().map(Zeroizing::new)
}

/// Wraps a 32-byte key: 48 bytes out.
pub fn wrap_key(key: &[u8; 32], nonce: &[u8; 24], secret: &[u8; 32], aad: &[u8]) -> Result<[u8; 48]> {
    let sealed = seal(key, nonce, secret, aad)?;
    <[u8; 48]>::try_from(sealed.as_slice()).map_err(|_| Error::InvalidState("wrapped key length"))
}

/// Unwraps a 48-byte wrapped key; `None` when it does not authenticate.
pub fn unwrap_key(key: &[u8; 32], nonce: &[u8; 24], wrapped: &[u8; 48], aad: &[u8]) -> Option<[u8; 32]> {
    let opened = open(key, nonce, wrapped, aad)?;
    <[u8; 32]>::try_from(opened.as_slice()).ok()
}
