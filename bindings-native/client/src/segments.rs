//! Files sealed and opened segment by segment in place (the core's zero-copy paths): a reader
//! that hands out whole segments with one byte of read-ahead, so that the last segment is known
//! when it is read, as the format requires.

use std::io::{ErrorKind, Read, Write};

use sync_core::blob::{BlobOpener, BlobSealer, HEADER_LEN};

use crate::error::{IoContext, Result};

/// Reads a stream in pieces of a given length, telling which piece is the last. Give it the
/// file itself, not a `BufReader`: each piece is read straight into the caller's buffer.
pub(crate) struct SegmentReader<R> {
    inner: R,
    peeked: Option<u8>,
}

impl<R: Read> SegmentReader<R> {
    /// A reader over `inner`.
    pub(crate) fn new(inner: R) -> SegmentReader<R> {
        SegmentReader { inner, peeked: None }
    }

    /// Replaces the contents of `buf` with the next `len` bytes of the stream (fewer only at its
    /// end) and returns whether the stream ends right after them.
    pub(crate) fn next_piece(&mut self, buf: &mut Vec<u8>, len: usize) -> std::io::Result<bool> {
        buf.clear();
        buf.reserve(len);
        if len > 0 {
            buf.extend(self.peeked.take());
        }
        let want = (len - buf.len()) as u64;
        (&mut self.inner).take(want).read_to_end(buf)?;
        if buf.len() < len {
            return Ok(true);
        }
        let mut one = [0u8; 1];
        loop {
            match self.inner.read(&mut one) {
                Ok(0) => return Ok(true),
                Ok(_) => {
                    self.peeked = Some(one[0]);
                    return Ok(false);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Seals everything `input` holds into `out` with `sealer`, one segment at a time in place;
/// `written` sees every sealed piece (header included) before it is written. Memory: one
/// segment.
pub(crate) fn seal_stream(
    mut sealer: BlobSealer,
    input: impl Read,
    out: &mut dyn Write,
    mut written: impl FnMut(&[u8]),
    what: &str,
) -> Result<()> {
    let mut reader = SegmentReader::new(input);
    let size = sealer.segment_size();
    let mut segment = Vec::with_capacity(size + HEADER_LEN + 16);
    let mut header = Vec::with_capacity(HEADER_LEN);
    sealer.emit_header(&mut header);
    written(&header);
    out.write_all(&header).io_ctx(|| format!("write {what}"))?;
    loop {
        let last = reader.next_piece(&mut segment, size).io_ctx(|| format!("read the plaintext of {what}"))?;
        sealer.seal_segment_in_place(&mut segment, last)?;
        written(&segment);
        out.write_all(&segment).io_ctx(|| format!("write {what}"))?;
        if last {
            return Ok(());
        }
    }
}

/// Opens the sealed stream `input` with `opener`, one segment at a time in place, writing the
/// plaintext to `out`. The plaintext is complete only when this returns `Ok`.
pub(crate) fn open_stream(mut opener: BlobOpener, input: impl Read, out: &mut dyn Write, what: &str) -> Result<()> {
    let mut reader = SegmentReader::new(input);
    let mut chunk = Vec::new();
    let ended = reader.next_piece(&mut chunk, HEADER_LEN).io_ctx(|| format!("read {what}"))?;
    let mut plain = Vec::new();
    opener.push(&chunk, &mut plain)?;
    let Some(chunk_len) = opener.sealed_segment_len().filter(|_| !ended) else {
        // A header alone, or less: the opener names the failure.
        opener.finish(&mut plain)?;
        return out.write_all(&plain).io_ctx(|| format!("write the plaintext of {what}"));
    };
    loop {
        let last = reader.next_piece(&mut chunk, chunk_len).io_ctx(|| format!("read {what}"))?;
        opener.open_segment_in_place(&mut chunk, last)?;
        out.write_all(&chunk).io_ctx(|| format!("write the plaintext of {what}"))?;
        if last {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use sync_core::blob::AeadBackend as Backend;
    use sync_core::blob::{BlobContext, Flags, open_blob};
    use sync_core::keys::{DataKey, DataKeys};
    use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

    /// A reader that hands out at most `step` bytes per call, and is interrupted once.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        interrupted: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(ErrorKind::Interrupted.into());
            }
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn pieces_and_the_last_one() {
        for (len, piece) in [(0usize, 4usize), (3, 4), (4, 4), (5, 4), (8, 4), (9, 4), (10, 1)] {
            let data: Vec<u8> = (0..len as u8).collect();
            for step in [1, 3, 100] {
                let mut reader = SegmentReader::new(Trickle { data: &data, step, interrupted: false });
                let mut got = Vec::new();
                let mut buf = Vec::new();
                let mut pieces = 0;
                loop {
                    let last = reader.next_piece(&mut buf, piece).unwrap();
                    pieces += 1;
                    got.extend_from_slice(&buf);
                    if last {
                        // A last piece is short, or full with nothing after it; it is empty
                        // only when the whole stream is.
                        assert!(buf.len() < piece || got.len() == len);
                        assert!(!buf.is_empty() || len == 0);
                        break;
                    }
                    assert_eq!(buf.len(), piece);
                }
                assert_eq!(got, data, "len {len} piece {piece} step {step}");
                assert_eq!(pieces, len.div_ceil(piece).max(1));
            }
        }
    }

    fn ctx() -> BlobContext {
        BlobContext {
            blob_id: BlobId([3; 16]),
            blob_type: BlobType::Frames,
            device_id: DeviceId::new("desk").unwrap(),
            time_start: UnixMillis(1),
            time_end: UnixMillis(2),
        }
    }

    #[test]
    fn streams_round_trip_and_match_the_one_shot_functions() {
        let key = DataKey::from_bytes([4; 32]);
        let keys = DataKeys::single(KeyId([5; 16]), key.clone());
        for len in [0usize, 1, 4095, 4096, 4097, 3 * 4096, 50_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let sealer = BlobSealer::new(
                &key,
                KeyId([5; 16]),
                &ctx(),
                12,
                Flags::default(),
                Backend::Native,
                &mut sync_core::OsRandom,
            )
            .unwrap();
            let mut sealed = Vec::new();
            let mut seen = Vec::new();
            let input = Trickle { data: &payload, step: 1000, interrupted: false };
            seal_stream(sealer, input, &mut sealed, |piece| seen.extend_from_slice(piece), "test").unwrap();
            assert_eq!(seen, sealed);
            assert_eq!(open_blob(&keys, &ctx(), &sealed).unwrap(), payload, "len {len}");
            let mut opened = Vec::new();
            open_stream(BlobOpener::new(keys.clone(), ctx()), &sealed[..], &mut opened, "test").unwrap();
            assert_eq!(opened, payload);
            // Truncated anywhere: the codes of the one-shot opener.
            for cut in [0, 10, 87, 88, 100, sealed.len() - 1] {
                let cut = cut.min(sealed.len().saturating_sub(1));
                let expected = open_blob(&keys, &ctx(), &sealed[..cut]).unwrap_err();
                let err = open_stream(BlobOpener::new(keys.clone(), ctx()), &sealed[..cut], &mut Vec::new(), "test")
                    .unwrap_err();
                assert_eq!(err.code(), expected.code(), "len {len} cut {cut}");
            }
        }
    }
}
