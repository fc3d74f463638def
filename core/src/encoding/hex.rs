//! Lowercase hexadecimal, strictly decoded (ids are exactly 32 lowercase hex characters).

use crate::error::{Error, Result};

/// Encodes bytes as lowercase hex.
pub fn encode(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// Decodes exactly `N` bytes from lowercase hex; uppercase, odd lengths and other characters are
/// malformed.
pub fn decode_array<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    if text.len() != 2 * N {
        return Err(Error::Malformed(what));
    }
    base16ct::lower::decode(text, &mut out).map_err(|_| Error::Malformed(what))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_lowercase() {
        let id = [0xabu8; 16];
        let text = encode(&id);
        assert_eq!(text, "ab".repeat(16));
        assert_eq!(decode_array::<16>(&text, "id").unwrap(), id);
        assert!(decode_array::<16>(&"AB".repeat(16), "id").is_err());
        assert!(decode_array::<16>(&"ab".repeat(15), "id").is_err());
        assert!(decode_array::<16>(&format!("{}g", "a".repeat(31)), "id").is_err());
        assert!(decode_array::<16>(&format!("{} ", "a".repeat(31)), "id").is_err());
    }
}
