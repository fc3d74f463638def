//! The segment nonce: `u88be(i) || last` (12 bytes), with `last = 0x01` for the final segment.

use crate::error::{Error, Result};

/// Most segments a blob may have (2^32).
pub const MAX_SEGMENTS: u64 = 1 << 32;

/// The nonce of one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentNonce([u8; 12]);

impl SegmentNonce {
    /// The nonce of segment `index`; `malformed` past 2^32 segments.
    pub fn new(index: u64, last: bool) -> Result<SegmentNonce> {
        if index >= MAX_SEGMENTS {
            return Err(Error::Malformed("more than 2^32 segments"));
        }
        let mut n = [0u8; 12];
        n[3..11].copy_from_slice(&index.to_be_bytes());
        n[11] = u8::from(last);
        Ok(SegmentNonce(n))
    }

    /// The 12 nonce bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(SegmentNonce::new(0, false).unwrap().as_bytes(), &[0; 12]);
        assert_eq!(SegmentNonce::new(1, true).unwrap().as_bytes(), &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
        assert_eq!(
            SegmentNonce::new(0xffff_ffff, false).unwrap().as_bytes(),
            &[0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0]
        );
        assert!(SegmentNonce::new(1 << 32, true).is_err());
    }
}
