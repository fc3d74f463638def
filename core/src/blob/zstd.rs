//! The zstd payload layer: exactly one RFC 8878 frame with Frame_Content_Size present and
//! bounded, Window_Size at most 8 MiB, no dictionary, no bytes after the frame.
//!
//! The frame header is checked here before any decoding; decoding (ruzstd) is bounded by the
//! declared content size, and the content checksum is verified when present. Compression uses
//! ruzstd, whose frames lack Frame_Content_Size: [`compress`] rewrites the frame header to carry
//! it (the blocks are unchanged).

use crate::error::{Error, Result};

/// Frame magic number, little endian.
const FRAME_MAGIC: u32 = 0xFD2F_B528;
/// Largest window accepted.
pub const MAX_WINDOW: u64 = 8 << 20;
/// Decoding step: output is checked against the bound at least this often.
const DECODE_STEP: usize = 1 << 20;

/// What a frame header declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// Frame_Content_Size.
    pub content_size: u64,
    /// Window size.
    pub window_size: u64,
    /// Whether a content checksum follows the last block.
    pub has_checksum: bool,
    /// Length of the frame header in bytes.
    pub header_len: usize,
}

fn read_le(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Checks a frame header: `malformed` unless it declares a content size at most `max_content`,
/// a window of at most 8 MiB, and no dictionary.
pub fn inspect_frame(frame: &[u8], max_content: u64) -> Result<FrameInfo> {
    let bad = Error::Malformed;
    let magic = frame.get(0..4).map(read_le).ok_or(bad("zstd frame too short"))?;
    if magic != u64::from(FRAME_MAGIC) {
        return Err(bad("not a zstd frame"));
    }
    let fhd = *frame.get(4).ok_or(bad("zstd frame too short"))?;
    let fcs_flag = fhd >> 6;
    let single_segment = fhd & 0x20 != 0;
    let reserved = fhd & 0x08 != 0;
    let has_checksum = fhd & 0x04 != 0;
    let did_flag = fhd & 0x03;
    if reserved {
        return Err(bad("zstd reserved bit set"));
    }
    if did_flag != 0 {
        return Err(bad("zstd frame names a dictionary"));
    }
    let mut pos = 5usize;
    let mut window_size = None;
    if !single_segment {
        let wd = *frame.get(pos).ok_or(bad("zstd frame too short"))?;
        pos += 1;
        let exponent = u64::from(wd >> 3);
        let mantissa = u64::from(wd & 7);
        let base = 1u64 << (10 + exponent);
        window_size = Some(base + (base / 8) * mantissa);
    }
    let fcs_len = match (fcs_flag, single_segment) {
        (0, false) => return Err(bad("zstd frame without Frame_Content_Size")),
        (0, true) => 1,
        (1, _) => 2,
        (2, _) => 4,
        _ => 8,
    };
    let fcs_bytes = frame.get(pos..pos + fcs_len).ok_or(bad("zstd frame too short"))?;
    let mut content_size = read_le(fcs_bytes);
    if fcs_len == 2 {
        content_size += 256;
    }
    pos += fcs_len;
    let window_size = window_size.unwrap_or(content_size);
    if window_size > MAX_WINDOW {
        return Err(bad("zstd window larger than 8 MiB"));
    }
    if content_size > max_content {
        return Err(bad("zstd content larger than allowed for this blob type"));
    }
    Ok(FrameInfo { content_size, window_size, has_checksum, header_len: pos })
}

/// Decompresses exactly one frame holding at most `max_content` bytes; anything else
/// (a second or skippable frame, trailing bytes, a size or checksum mismatch, a corrupt block)
/// is `malformed`.
pub fn decompress(frame: &[u8], max_content: u64) -> Result<Vec<u8>> {
    let info = inspect_frame(frame, max_content)?;
    let declared = usize::try_from(info.content_size).map_err(|_| Error::TooLarge("zstd content"))?;
    let mut decoder = ruzstd::decoding::FrameDecoder::new();
    decoder.set_max_window_size(MAX_WINDOW);
    let mut source: &[u8] = frame;
    decoder.init(&mut source).map_err(|_| Error::Malformed("bad zstd frame header"))?;
    let mut out = Vec::with_capacity(declared.min(64 << 20));
    loop {
        let done = decoder
            .decode_blocks(&mut source, ruzstd::decoding::BlockDecodingStrategy::UptoBytes(DECODE_STEP))
            .map_err(|_| Error::Malformed("corrupt zstd block"))?;
        if let Some(chunk) = decoder.collect() {
            out.extend_from_slice(&chunk);
        }
        if out.len() > declared {
            return Err(Error::Malformed("zstd content longer than declared"));
        }
        if done {
            break;
        }
    }
    if let Some(chunk) = decoder.collect() {
        out.extend_from_slice(&chunk);
    }
    if out.len() != declared {
        return Err(Error::Malformed("zstd content size differs from the declared size"));
    }
    if !source.is_empty() {
        return Err(Error::Malformed("bytes after the zstd frame"));
    }
    if info.has_checksum && decoder.get_checksum_from_data() != decoder.get_calculated_checksum() {
        return Err(Error::Malformed("zstd content checksum mismatch"));
    }
    Ok(out)
}

/// Compresses `data` into one frame that carries its content size.
pub fn compress(data: &[u8]) -> Result<Vec<u8>> {
    let raw = ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest);
    // ruzstd writes: magic (4), descriptor (1, no content size, not single segment, no
    // dictionary), window descriptor (1), then blocks and the checksum.
    let fhd = *raw.get(4).ok_or(Error::InvalidState("zstd encoder output"))?;
    if fhd & 0xE3 != 0 {
        return Err(Error::InvalidState("unexpected zstd encoder frame header"));
    }
    let window_descriptor = *raw.get(5).ok_or(Error::InvalidState("zstd encoder output"))?;
    let rest = raw.get(6..).ok_or(Error::InvalidState("zstd encoder output"))?;
    let len = data.len() as u64;
    let (flag, fcs): (u8, Vec<u8>) = match u32::try_from(len) {
        Ok(small) => (2, small.to_le_bytes().to_vec()),
        Err(_) => (3, len.to_le_bytes().to_vec()),
    };
    let mut out = Vec::with_capacity(raw.len() + 8);
    out.extend_from_slice(&FRAME_MAGIC.to_le_bytes());
    out.push((flag << 6) | (fhd & 0x04));
    out.push(window_descriptor);
    out.extend_from_slice(&fcs);
    out.extend_from_slice(rest);
    let info = inspect_frame(&out, u64::MAX)?;
    if info.content_size != len {
        return Err(Error::InvalidState("zstd frame header rewrite"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_sizes() {
        for n in [0usize, 1, 255, 256, 1000, 70_000, 300_000] {
            let data: Vec<u8> = (0..n).map(|i| (i / 7 % 251) as u8).collect();
            let frame = compress(&data).unwrap();
            let info = inspect_frame(&frame, 1 << 28).unwrap();
            assert_eq!(info.content_size, n as u64);
            assert!(info.window_size <= MAX_WINDOW);
            assert_eq!(decompress(&frame, 1 << 28).unwrap(), data);
        }
    }

    #[test]
    fn rejects_what_the_format_forbids() {
        let frame = compress(b"hello hello hello hello").unwrap();
        // Bound.
        assert!(decompress(&frame, 5).is_err());
        // Trailing bytes, a second frame.
        let mut trailing = frame.clone();
        trailing.push(0);
        assert!(decompress(&trailing, 1 << 20).is_err());
        let mut two = frame.clone();
        two.extend_from_slice(&frame);
        assert!(decompress(&two, 1 << 20).is_err());
        // No content size: the encoder's own header.
        let raw = ruzstd::encoding::compress_to_vec(&b"abc"[..], ruzstd::encoding::CompressionLevel::Fastest);
        assert!(inspect_frame(&raw, 1 << 20).is_err());
        // A dictionary id flag.
        let mut dict = frame.clone();
        dict[4] |= 1;
        assert!(inspect_frame(&dict, 1 << 20).is_err());
        // A skippable frame.
        let mut skip = vec![0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0];
        skip.extend_from_slice(&frame);
        assert!(decompress(&skip, 1 << 20).is_err());
        // Window of 16 MiB.
        let mut big = frame.clone();
        big[5] = 14 << 3;
        assert!(inspect_frame(&big, 1 << 20).is_err());
        // Declared size too small for the content.
        let mut lie = frame.clone();
        lie[6] = lie[6].wrapping_sub(1);
        assert!(decompress(&lie, 1 << 20).is_err());
        // Truncated.
        assert!(decompress(&frame[..frame.len() - 1], 1 << 20).is_err());
    }
}
