//! Password to `password_key` to `wrap_key` (docs/FORMAT.md, "Password to wrap key"), and the strength rule.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::params::{KdfParams, check_salt_len};
use crate::error::{Error, Result};
use crate::primitives::argon2id::argon2id;
use crate::primitives::hkdf::hkdf_sha256;
use crate::primitives::secret::secret_bytes;

secret_bytes!(
    /// `Argon2id(NFKC(password), salt)`, 32 bytes.
    PasswordKey
);
secret_bytes!(
    /// `HKDF(password_key, "spsync/v1/wrap")`: wraps the master key in the envelope.
    WrapKey
);

/// Smallest zxcvbn score accepted for a new password.
pub const MIN_STRENGTH_SCORE: u8 = 3;
/// Longest password accepted, in bytes after normalization (bounds the work per unlock).
pub const MAX_PASSWORD_LEN: usize = 4096;

/// `UTF-8(NFKC(password))`; an empty password is refused.
pub fn normalize_password(password: &str) -> Result<Zeroizing<String>> {
    if password.is_empty() {
        return Err(Error::EmptyPassword);
    }
    let normalized: Zeroizing<String> = Zeroizing::new(password.nfkc().collect());
    if normalized.len() > MAX_PASSWORD_LEN {
        return Err(Error::InvalidInput("the password is longer than 4096 bytes"));
    }
    Ok(normalized)
}

/// `Argon2id(version 0x13, m_kib, t, p, salt, 32 bytes)` of the normalized password.
///
/// Parameters and salt are checked first (`params_out_of_bounds`), then the password
/// (`empty_password`).
pub fn derive_password_key(password: &str, salt: &[u8], params: &KdfParams) -> Result<PasswordKey> {
    params.check()?;
    check_salt_len(salt.len())?;
    let normalized = normalize_password(password)?;
    let mut out = Zeroizing::new([0u8; 32]);
    argon2id(normalized.as_bytes(), salt, &[], &[], params.m_kib, params.t, params.p, out.as_mut())?;
    Ok(PasswordKey::from_bytes(*out))
}

/// `HKDF(password_key, info = "spsync/v1/wrap", 32)`.
pub fn derive_wrap_key(password_key: &PasswordKey) -> Result<WrapKey> {
    let okm = Zeroizing::new(hkdf_sha256::<32>(password_key.expose(), None, b"spsync/v1/wrap")?);
    Ok(WrapKey::from_bytes(*okm))
}

/// Refuses a new password that is empty or too easy to guess (zxcvbn score below 3).
///
/// Checked at account creation and password change only; unlocking never checks strength.
pub fn check_strength(password: &str) -> Result<()> {
    let normalized = normalize_password(password)?;
    let score = u8::from(zxcvbn::zxcvbn(&normalized, &[]).score());
    if score < MIN_STRENGTH_SCORE {
        return Err(Error::WeakPassword { score });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_makes_equivalent_passwords_equal() {
        // U+FB01 (fi ligature) is NFKC-equivalent to "fi"; U+00C5 and A + U+030A both give U+00C5.
        assert_eq!(*normalize_password("\u{fb01}").unwrap(), "fi");
        assert_eq!(*normalize_password("A\u{30a}").unwrap(), *normalize_password("\u{c5}").unwrap());
        assert_eq!(normalize_password("").unwrap_err().code(), "empty_password");
    }

    #[test]
    fn strength() {
        assert_eq!(check_strength("password").unwrap_err().code(), "weak_password");
        assert_eq!(check_strength("12345678").unwrap_err().code(), "weak_password");
        assert_eq!(check_strength("").unwrap_err().code(), "empty_password");
        check_strength("correct horse battery staple 1987!").unwrap();
    }

    #[test]
    fn bounds_are_checked_before_any_work() {
        let weak = KdfParams { m_kib: 1024, t: 1, p: 1 };
        assert_eq!(derive_password_key("x", &[0; 16], &weak).unwrap_err().code(), "params_out_of_bounds");
        let ok = KdfParams { m_kib: 19_456, t: 2, p: 1 };
        assert_eq!(derive_password_key("x", &[0; 15], &ok).unwrap_err().code(), "params_out_of_bounds");
        assert_eq!(derive_password_key("", &[0; 16], &ok).unwrap_err().code(), "empty_password");
    }
}
