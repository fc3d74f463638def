//! Base64url without padding, strictly decoded.
//!
//! Decoding rejects `=`, `+`, `/`, whitespace and non-zero trailing bits (base64ct checks the
//! canonical form), so every byte string has exactly one text form.

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::error::{Error, Result};

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes base64url without padding, rejecting every non-canonical form.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).map_err(|_| Error::Malformed("invalid base64url"))
}

/// Decodes base64url into exactly `N` bytes.
pub fn decode_array<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    // An exact-length text is checked first so that an over-long input never allocates.
    if text.len() != Base64UrlUnpadded::encoded_len(&out) {
        return Err(Error::Malformed(what));
    }
    let decoded = Base64UrlUnpadded::decode(text, &mut out).map_err(|_| Error::Malformed(what))?;
    if decoded.len() != N {
        return Err(Error::Malformed(what));
    }
    Ok(out)
}

/// Serde adapter for `Vec<u8>` fields carried as base64url text.
pub mod serde_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    /// Serializes bytes as base64url text.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode(bytes))
    }

    /// Deserializes strict base64url text into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::decode(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_lengths() {
        for n in 0..70usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode(&bytes);
            assert!(!text.contains('='));
            assert_eq!(decode(&text).unwrap(), bytes);
        }
    }

    #[test]
    fn rejects_non_canonical_forms() {
        let good = encode(&[0xfb, 0xff, 0x01]);
        assert_eq!(good, "-_8B");
        for bad in ["-_8B=", "+/8B", "-_8 B", " -_8B", "-_8B\n", "AB", "AQ=", "AR", "A"] {
            // "AR" has non-zero trailing bits (canonical for 0x01 is "AQ").
            assert!(decode(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(decode("AQ").unwrap(), vec![1]);
    }

    #[test]
    fn exact_length_arrays() {
        let text = encode(&[7u8; 24]);
        assert_eq!(decode_array::<24>(&text, "nonce").unwrap(), [7u8; 24]);
        assert!(decode_array::<24>(&encode(&[7u8; 23]), "nonce").is_err());
        assert!(decode_array::<24>(&encode(&[7u8; 25]), "nonce").is_err());
    }
}
