//! Small validated values of the API: search tokens and ciphertext checksums.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

use crate::encoding::{base64url, hex};
use crate::error::{Error, Result};

/// A search token: base64url (no padding) of 16 bytes, 22 characters (docs/FORMAT.md, "Search tokens").
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SearchToken(String);

impl SearchToken {
    /// Length of a token's text form.
    pub const TEXT_LEN: usize = 22;

    /// Wraps the 16 token bytes.
    pub fn from_bytes(bytes: &[u8; 16]) -> SearchToken {
        SearchToken(base64url::encode(bytes))
    }

    /// Parses a token's text form strictly.
    pub fn parse(text: &str) -> Result<SearchToken> {
        base64url::decode_array::<16>(text, "search token is not 22 base64url characters")?;
        Ok(SearchToken(text.to_owned()))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SearchToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SearchToken({})", self.0)
    }
}

impl fmt::Display for SearchToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SearchToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SearchToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        SearchToken::parse(&text).map_err(D::Error::custom)
    }
}

/// SHA-256 of a blob's ciphertext, 64 lowercase hex characters (transport integrity only).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// Parses 64 lowercase hex characters.
    pub fn from_hex(text: &str) -> Result<Checksum> {
        hex::decode_array::<32>(text, "checksum is not 64 lowercase hex characters").map(Checksum)
    }

    /// The 64-character lowercase hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({})", self.to_hex())
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Checksum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Checksum::from_hex(&text).map_err(D::Error::custom)
    }
}

impl std::str::FromStr for Checksum {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        Checksum::from_hex(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_strict() {
        let t = SearchToken::from_bytes(&[0xff; 16]);
        assert_eq!(t.as_str().len(), SearchToken::TEXT_LEN);
        assert!(SearchToken::parse(t.as_str()).is_ok());
        assert!(SearchToken::parse("AAAAAAAAAAAAAAAAAAAAAA==").is_err());
        assert!(SearchToken::parse("AAAAAAAAAAAAAAAAAAAAAB").is_err()); // trailing bits
        assert!(SearchToken::parse("AAAAAAAAAAAAAAAAAAAAA").is_err());
    }

    #[test]
    fn checksums_are_strict() {
        let c = Checksum([0xab; 32]);
        assert_eq!(Checksum::from_hex(&c.to_hex()).unwrap(), c);
        assert!(Checksum::from_hex(&c.to_hex().to_uppercase()).is_err());
    }
}
