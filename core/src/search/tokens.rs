//! Search tokens: `base64url(HMAC-SHA256(search_key, tuple("spsync/v1/token", field, bucket,
//! term))[0..16])`.

use std::fmt;

use hmac::Mac;

use crate::encoding::Tuple;
use crate::error::Result;
use crate::ids::KeyId;
use crate::keys::subkeys::SearchKey;
use crate::primitives::hkdf::{HmacSha256, hmac_sha256_keyed};
use crate::wire::values::SearchToken;

/// The field a term comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Words of OCR text, transcriptions, window titles, URLs, UI text.
    Text,
    /// The app name.
    App,
}

impl Field {
    /// The ASCII name, as it enters the token tuple.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Text => "text",
            Field::App => "app",
        }
    }
}

impl std::str::FromStr for Field {
    type Err = crate::Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "text" => Ok(Field::Text),
            "app" => Ok(Field::App),
            _ => Err(crate::Error::InvalidInput("field is not text or app")),
        }
    }
}

/// A search key as a pre-keyed HMAC state, cloned per token (the key schedule is computed once).
#[derive(Clone)]
pub struct TokenKey {
    key_id: KeyId,
    mac: HmacSha256,
}

impl TokenKey {
    /// Keys the HMAC with a search key.
    pub fn new(key_id: KeyId, search_key: &SearchKey) -> Result<TokenKey> {
        Ok(TokenKey { key_id, mac: hmac_sha256_keyed(search_key.expose())? })
    }

    /// The master key this search key belongs to.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The raw 16 token bytes of `(field, bucket, term)`.
    pub fn token_bytes(&self, field: Field, bucket: &str, term: &str) -> [u8; 16] {
        let mut mac = self.mac.clone();
        // tuple("spsync/v1/token", field, bucket, term), fed without building the buffer.
        for part in [b"spsync/v1/token".as_slice(), field.as_str().as_bytes(), bucket.as_bytes(), term.as_bytes()] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            mac.update(&len.to_be_bytes());
            mac.update(part);
        }
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// The token of `(field, bucket, term)`.
    pub fn token(&self, field: Field, bucket: &str, term: &str) -> SearchToken {
        SearchToken::from_bytes(&self.token_bytes(field, bucket, term))
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey({}, <redacted>)", self.key_id)
    }
}

/// The tuple a token is the HMAC of, for tests that check the streamed form equals it.
pub fn token_input(field: Field, bucket: &str, term: &str) -> Vec<u8> {
    Tuple::new().str("spsync/v1/token").str(field.as_str()).str(bucket).str(term).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::hkdf::hmac_sha256;

    #[test]
    fn streamed_tuple_equals_built_tuple() {
        let key = SearchKey::from_bytes([5; 32]);
        let tk = TokenKey::new(KeyId([0; 16]), &key).unwrap();
        let direct = hmac_sha256(key.expose(), &token_input(Field::Text, "2026-01", "hello")).unwrap();
        assert_eq!(tk.token_bytes(Field::Text, "2026-01", "hello"), direct[..16]);
        assert_ne!(tk.token(Field::App, "2026-01", "hello"), tk.token(Field::Text, "2026-01", "hello"));
        assert!(!format!("{tk:?}").contains("5, 5"));
    }
}
