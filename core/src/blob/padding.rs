//! Padmé padding: `data || 0x80 || 0x00...` to exactly `padme(len(data) + 1)` bytes.
//!
//! For `L >= 2`: `E = floor(log2 L)`, `B = floor(log2 E) + 1`, and `padme(L)` is `L` rounded up
//! to a multiple of `2^(E - B)`; `padme(0) = 0`, `padme(1) = 1`. Padding leaks at most
//! `O(log log L)` bits of the length and costs at most about 12% (less for larger payloads).

use crate::error::{Error, Result};

/// The padding marker byte.
pub const MARKER: u8 = 0x80;

/// `padme(L)`; `None` on overflow.
pub fn padme(len: u64) -> Option<u64> {
    if len < 2 {
        return Some(len);
    }
    let e = 63 - u64::from(len.leading_zeros()); // floor(log2 L), >= 1
    let b = 64 - u64::from(e.leading_zeros()); // floor(log2 E) + 1
    let mask = (1u64 << (e - b)) - 1;
    len.checked_add(mask).map(|v| v & !mask)
}

/// Length of the padded form of `data_len` bytes: `padme(data_len + 1)`.
pub fn padded_len(data_len: u64) -> Result<u64> {
    data_len.checked_add(1).and_then(padme).ok_or(Error::TooLarge("payload length"))
}

/// Pads `data` in memory.
pub fn pad(data: &[u8]) -> Result<Vec<u8>> {
    let total = usize::try_from(padded_len(data.len() as u64)?).map_err(|_| Error::TooLarge("payload length"))?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(data);
    out.push(MARKER);
    out.resize(total, 0);
    Ok(out)
}

/// Removes padding in memory; anything but exact Padmé padding is `malformed`.
pub fn unpad(padded: &[u8]) -> Result<&[u8]> {
    let pos = padded.iter().rposition(|&b| b != 0).ok_or(Error::Malformed("no padding marker"))?;
    if padded.get(pos) != Some(&MARKER) {
        return Err(Error::Malformed("no padding marker"));
    }
    if padded_len(pos as u64)? != padded.len() as u64 {
        return Err(Error::Malformed("padding of the wrong length"));
    }
    Ok(&padded[..pos])
}

/// Removes padding from a stream in bounded memory.
///
/// Bytes pass through as they come, except a possible marker byte and the zeros after it, which
/// are held (as a count) until a later non-zero byte shows they were data. [`Unpadder::finish`]
/// checks the marker and the exact length.
#[derive(Debug, Default)]
pub struct Unpadder {
    total: u64,
    held_marker: bool,
    held_zeros: u64,
}

impl Unpadder {
    /// A fresh unpadder.
    pub fn new() -> Unpadder {
        Unpadder::default()
    }

    fn release_held(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.held_marker {
            out.push(MARKER);
            self.held_marker = false;
        }
        if self.held_zeros > 0 {
            let zeros = usize::try_from(self.held_zeros).map_err(|_| Error::TooLarge("run of zeros"))?;
            out.resize(out.len() + zeros, 0);
            self.held_zeros = 0;
        }
        Ok(())
    }

    /// Feeds padded bytes; appends the bytes known to be data to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.total = self.total.checked_add(chunk.len() as u64).ok_or(Error::TooLarge("payload length"))?;
        match chunk.iter().rposition(|&b| b != 0) {
            None => self.held_zeros += chunk.len() as u64,
            Some(pos) => {
                self.release_held(out)?;
                out.extend_from_slice(&chunk[..pos]);
                let last = chunk[pos];
                if last == MARKER {
                    self.held_marker = true;
                } else {
                    out.push(last);
                }
                self.held_zeros = (chunk.len() - pos - 1) as u64;
            }
        }
        Ok(())
    }

    /// Checks the padding at the end of the stream and returns the data length.
    pub fn finish(self) -> Result<u64> {
        if !self.held_marker {
            return Err(Error::Malformed("no padding marker"));
        }
        let data_len = self.total - 1 - self.held_zeros;
        if padded_len(data_len)? != self.total {
            return Err(Error::Malformed("padding of the wrong length"));
        }
        Ok(data_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_values() {
        assert_eq!(padme(0), Some(0));
        assert_eq!(padme(1), Some(1));
        assert_eq!(padme(2), Some(2));
        assert_eq!(padme(3), Some(3));
        assert_eq!(padme(8), Some(8));
        assert_eq!(padme(9), Some(10)); // E=3, B=2: multiple of 2
        assert_eq!(padme(100), Some(104)); // E=6, B=3: multiple of 8
        assert_eq!(padme(1000), Some(1024)); // E=9, B=4: multiple of 32
        assert_eq!(padme(1025), Some(1088)); // E=10, B=4: multiple of 64
        assert_eq!(padme(u64::MAX), None);
        for l in 2..5000u64 {
            let p = padme(l).unwrap();
            assert!(p >= l && p - l <= l / 8 + 1, "{l} -> {p}");
        }
    }

    #[test]
    fn pad_unpad() {
        for n in 0..600usize {
            let data: Vec<u8> = (0..n).map(|i| (i % 3) as u8 * 0x40).collect();
            let padded = pad(&data).unwrap();
            assert_eq!(padded.len() as u64, padme(n as u64 + 1).unwrap());
            assert_eq!(unpad(&padded).unwrap(), &data[..]);
            // Streaming, in two arbitrary pieces.
            let cut = n / 3;
            let mut un = Unpadder::new();
            let mut out = Vec::new();
            un.push(&padded[..cut], &mut out).unwrap();
            un.push(&padded[cut..], &mut out).unwrap();
            assert_eq!(un.finish().unwrap(), n as u64);
            assert_eq!(out, data);
        }
    }

    #[test]
    fn bad_padding() {
        assert!(unpad(&[]).is_err());
        assert!(unpad(&[0, 0]).is_err());
        assert!(unpad(&[1, 2, 3]).is_err()); // no marker
        let mut p = pad(&[7; 100]).unwrap();
        p.push(0); // one zero too many
        assert!(unpad(&p).is_err());
        let p = pad(&[7; 100]).unwrap();
        assert!(unpad(&p[..p.len() - 1]).is_err()); // one zero short
        let mut un = Unpadder::new();
        un.push(&[1, 2, 0x80, 0, 0, 0], &mut Vec::new()).unwrap();
        assert!(un.finish().is_err());
    }
}
