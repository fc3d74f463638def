//! Accounts: how an e-mail is normalised, what a bearer token looks like, and the only form in
//! which a token is stored.
//!
//! A token is `sps_` followed by 64 hex digits (32 random bytes). The server stores only its
//! SHA-256 and finds the account by that hash, so a database leak yields no usable token, and
//! the lookup compares hashes of a secret the caller cannot steer (no timing oracle on the
//! token itself).

use sha2::{Digest, Sha256};
use sync_core::encoding::hex;

use super::model::TokenHash;

/// Prefix of every bearer token.
pub const TOKEN_PREFIX: &str = "sps_";

/// A fresh bearer token.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(&bytes)))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Normalises and checks an account e-mail: trimmed, lowercase, one `@` with text on both
/// sides, no white space or control characters, at most 254 bytes.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_emails() {
        let a = new_token().unwrap();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), 4 + 64);
        assert_ne!(a, new_token().unwrap());
        assert_ne!(hash_token(&a), hash_token(&new_token().unwrap()));
        assert_eq!(normalize_email(" Alice@Example.COM ").as_deref(), Some("alice@example.com"));
        for bad in ["", "alice", "@x", "a@", "a@b@c", "a b@c"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
