//! The 88-byte blob header.
//!
//! ```text
//! offset size  field
//! 0      4     magic "SPSB"
//! 4      1     format version = 1
//! 5      1     algorithm = 1 (ChaCha20-Poly1305 STREAM, HKDF-SHA256 per-blob key)
//! 6      1     segment exponent k: S = 2^k, 12 <= k <= 24, default 16
//! 7      1     flags: bit 0 zstd frame; bit 1 padded; other bits 0
//! 8      16    key_id
//! 24     32    salt
//! 56     32    key commitment
//! ```

use crate::error::{Error, Result};
use crate::ids::KeyId;

/// Header length in bytes.
pub const HEADER_LEN: usize = 88;
/// The magic bytes.
pub const MAGIC: [u8; 4] = *b"SPSB";
/// Format version of this implementation.
pub const FORMAT_VERSION: u8 = 1;
/// Algorithm 1: ChaCha20-Poly1305 STREAM with an HKDF-SHA256 per-blob key.
pub const ALGORITHM: u8 = 1;
/// Smallest segment exponent.
pub const MIN_SEGMENT_EXP: u8 = 12;
/// Largest segment exponent.
pub const MAX_SEGMENT_EXP: u8 = 24;
/// Default segment exponent (64 KiB segments).
pub const DEFAULT_SEGMENT_EXP: u8 = 16;

/// The payload layer flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Flags {
    /// Bit 0: the payload is one zstd frame.
    pub zstd: bool,
    /// Bit 1: the payload is padded.
    pub padded: bool,
}

impl Flags {
    /// The flags byte.
    pub fn to_byte(self) -> u8 {
        u8::from(self.zstd) | (u8::from(self.padded) << 1)
    }

    /// Parses the flags byte; unknown bits are malformed.
    pub fn from_byte(byte: u8) -> Result<Flags> {
        if byte & !0b11 != 0 {
            return Err(Error::Malformed("unknown flag bits in the blob header"));
        }
        Ok(Flags { zstd: byte & 1 != 0, padded: byte & 2 != 0 })
    }
}

/// A parsed blob header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobHeader {
    /// `k`: segments hold `2^k` bytes of plaintext.
    pub segment_exp: u8,
    /// Payload layers.
    pub flags: Flags,
    /// The master key whose data key sealed the blob.
    pub key_id: KeyId,
    /// Random per blob.
    pub salt: [u8; 32],
    /// The key commitment.
    pub commitment: [u8; 32],
}

/// `malformed` unless `12 <= k <= 24`.
pub fn check_segment_exp(k: u8) -> Result<()> {
    if (MIN_SEGMENT_EXP..=MAX_SEGMENT_EXP).contains(&k) {
        Ok(())
    } else {
        Err(Error::Malformed("segment exponent outside 12 to 24"))
    }
}

impl BlobHeader {
    /// Parses the first 88 bytes of `bytes`.
    ///
    /// Checked in order: length, magic (`malformed`), version and algorithm (`unsupported`),
    /// segment exponent and flag bits (`malformed`).
    pub fn parse(bytes: &[u8]) -> Result<BlobHeader> {
        let h: &[u8; HEADER_LEN] =
            bytes.get(..HEADER_LEN).and_then(|s| s.try_into().ok()).ok_or(Error::Malformed("short blob header"))?;
        if h[0..4] != MAGIC {
            return Err(Error::Malformed("bad magic"));
        }
        if h[4] != FORMAT_VERSION {
            return Err(Error::Unsupported("blob format version"));
        }
        if h[5] != ALGORITHM {
            return Err(Error::Unsupported("blob algorithm"));
        }
        check_segment_exp(h[6])?;
        let flags = Flags::from_byte(h[7])?;
        let mut key_id = [0u8; 16];
        key_id.copy_from_slice(&h[8..24]);
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&h[24..56]);
        let mut commitment = [0u8; 32];
        commitment.copy_from_slice(&h[56..88]);
        Ok(BlobHeader { segment_exp: h[6], flags, key_id: KeyId(key_id), salt, commitment })
    }

    /// Bytes 0 to 24: magic, version, algorithm, exponent, flags, key id (they enter the
    /// per-blob key's HKDF info).
    pub fn prefix(&self) -> [u8; 24] {
        let mut p = [0u8; 24];
        p[0..4].copy_from_slice(&MAGIC);
        p[4] = FORMAT_VERSION;
        p[5] = ALGORITHM;
        p[6] = self.segment_exp;
        p[7] = self.flags.to_byte();
        p[8..24].copy_from_slice(self.key_id.as_bytes());
        p
    }

    /// The 88 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..24].copy_from_slice(&self.prefix());
        h[24..56].copy_from_slice(&self.salt);
        h[56..88].copy_from_slice(&self.commitment);
        h
    }

    /// Plaintext bytes per segment, `2^k`.
    pub fn segment_size(&self) -> usize {
        1usize << self.segment_exp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BlobHeader {
        BlobHeader {
            segment_exp: 16,
            flags: Flags { zstd: true, padded: true },
            key_id: KeyId([1; 16]),
            salt: [2; 32],
            commitment: [3; 32],
        }
    }

    #[test]
    fn round_trip() {
        let bytes = sample().to_bytes();
        assert_eq!(&bytes[0..8], b"SPSB\x01\x01\x10\x03");
        assert_eq!(BlobHeader::parse(&bytes).unwrap(), sample());
    }

    #[test]
    fn checks_in_order() {
        let good = sample().to_bytes();
        let code = |f: &dyn Fn(&mut [u8; 88])| {
            let mut b = good;
            f(&mut b);
            BlobHeader::parse(&b).unwrap_err().code()
        };
        assert_eq!(BlobHeader::parse(&good[..87]).unwrap_err().code(), "malformed");
        assert_eq!(code(&|b| b[0] = b'X'), "malformed");
        assert_eq!(code(&|b| b[4] = 2), "unsupported");
        assert_eq!(code(&|b| b[5] = 2), "unsupported");
        assert_eq!(code(&|b| b[6] = 11), "malformed");
        assert_eq!(code(&|b| b[6] = 25), "malformed");
        assert_eq!(code(&|b| b[7] = 4), "malformed");
        assert_eq!(code(&|b| b[7] = 0x80), "malformed");
        assert_eq!(
            code(&|b| {
                b[4] = 2;
                b[7] = 0xff
            }),
            "unsupported"
        );
    }
}
