//! Sealing: [`BlobSealer`] (push any split of the payload, get ciphertext out) and the one-shot
//! [`seal_blob`], which also applies the zstd and padding layers.

use super::blob_key::derive_blob_key;
use super::context::BlobContext;
use super::header::{BlobHeader, DEFAULT_SEGMENT_EXP, Flags, check_segment_exp};
use super::nonce::SegmentNonce;
use super::padding::{MARKER, padded_len};
use crate::error::{Error, Result};
use crate::ids::{BlobType, KeyId};
use crate::keys::subkeys::DataKey;
use crate::primitives::random::{RandomSource, random_array};
use crate::primitives::segment_aead::{Backend, SegmentAead};

/// How to seal a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealOptions {
    /// Segment exponent `k` (12 to 24).
    pub segment_exp: u8,
    /// Compress the data into one zstd frame first (one-shot sealing only).
    pub compress: bool,
    /// Pad the payload (always on for `text` blobs).
    pub pad: bool,
    /// AEAD backend.
    pub backend: Backend,
}

impl SealOptions {
    /// The defaults for a blob type: `text` is compressed and padded; media is neither (video
    /// and audio are already compressed).
    pub fn for_type(blob_type: BlobType) -> SealOptions {
        let text = blob_type == BlobType::Text;
        SealOptions { segment_exp: DEFAULT_SEGMENT_EXP, compress: text, pad: text, backend: Backend::Native }
    }
}

/// Streaming sealer. Memory: one segment of pending plaintext, whatever the blob size.
///
/// Two ways to feed it, which may follow one another while no pushed byte is pending:
/// - [`BlobSealer::push`] and [`BlobSealer::finish`] take any split of the payload and copy it
///   into the output. The first call emits the 88-byte header. A full segment is sealed only once
///   a later byte shows it is not the last, so that the last segment carries the final flag and
///   a payload of `m * S` bytes has exactly `m` segments.
/// - [`BlobSealer::seal_segment_in_place`] seals one segment where it lies, without copying it:
///   the caller fills a segment buffer (from a file read, say) and says whether it is the last.
///   This is the fast path for large media; padded blobs go through `push` and `finish`.
///
/// A sealer that failed once fails for good: any error after its argument checks (a segment
/// counter out of range, a failure of the AEAD library) makes every later call fail with
/// `invalid_state`, so that a retry can never seal other bytes under a nonce already used.
/// A call refused by its argument checks touches nothing (no nonce is used) and the sealer
/// goes on.
///
/// `Debug` shows where the stream is, never the pending plaintext.
pub struct BlobSealer {
    aead: SegmentAead,
    header: Option<[u8; super::header::HEADER_LEN]>,
    segment_size: usize,
    pending: Vec<u8>,
    index: u64,
    pad: bool,
    payload_len: u64,
    finished: bool,
    failed: bool,
}

impl std::fmt::Debug for BlobSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobSealer")
            .field("segment_size", &self.segment_size)
            .field("segments_sealed", &self.index)
            .field("pending_len", &self.pending.len())
            .field("payload_len", &self.payload_len)
            .field("pad", &self.pad)
            .field("finished", &self.finished)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl BlobSealer {
    /// Starts a blob sealed under `data_key` (named `key_id`) for `context`. With `pad`, the
    /// padding is appended at [`BlobSealer::finish`]; `zstd` means the caller pushes exactly
    /// one valid zstd frame (see [`super::zstd::compress`]).
    pub fn new(
        data_key: &DataKey,
        key_id: KeyId,
        context: &BlobContext,
        segment_exp: u8,
        flags: Flags,
        backend: Backend,
        rng: &mut dyn RandomSource,
    ) -> Result<BlobSealer> {
        check_segment_exp(segment_exp).map_err(|_| Error::InvalidInput("segment exponent outside 12 to 24"))?;
        if context.blob_type == BlobType::Text && !flags.padded {
            return Err(Error::InvalidInput("text blobs are always padded"));
        }
        let salt: [u8; 32] = random_array(rng)?;
        let mut header = BlobHeader { segment_exp, flags, key_id, salt, commitment: [0; 32] };
        let (blob_key, commitment) = derive_blob_key(data_key, &header.prefix(), &salt, context)?;
        header.commitment = commitment;
        let aead = SegmentAead::new(blob_key.expose(), backend)?;
        let segment_size = header.segment_size();
        Ok(BlobSealer {
            aead,
            header: Some(header.to_bytes()),
            segment_size,
            pending: Vec::with_capacity(segment_size),
            index: 0,
            pad: flags.padded,
            payload_len: 0,
            finished: false,
            failed: false,
        })
    }

    /// Refuses every call once the sealer failed or finished.
    fn usable(&self) -> Result<()> {
        if self.failed {
            return Err(Error::InvalidState("the sealer failed: seal the blob again with a new sealer"));
        }
        if self.finished {
            return Err(Error::InvalidState("the sealer is finished"));
        }
        Ok(())
    }

    /// Marks the sealer failed for good when `result` is an error.
    fn fail_on_error<T>(&mut self, result: Result<T>) -> Result<T> {
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// The nonce of the next segment (`too_large` past 2^32 segments).
    fn next_nonce(&self, last: bool) -> Result<SegmentNonce> {
        SegmentNonce::new(self.index, last).map_err(|_| Error::TooLarge("more than 2^32 segments"))
    }

    /// Seals `buf[start..]`, the next segment's plaintext, where it lies and appends its tag.
    fn seal_tail(&mut self, nonce: SegmentNonce, buf: &mut Vec<u8>, start: usize) -> Result<()> {
        let tag = self.aead.seal_in_place(nonce.as_bytes(), &mut buf[start..])?;
        buf.extend_from_slice(&tag);
        self.index += 1;
        Ok(())
    }

    /// Appends `plaintext` sealed as the next segment to `out` (copying it once).
    fn seal_segment(&mut self, plaintext: &[u8], last: bool, out: &mut Vec<u8>) -> Result<()> {
        let nonce = self.next_nonce(last)?;
        let start = out.len();
        out.extend_from_slice(plaintext);
        self.seal_tail(nonce, out, start)
    }

    /// Appends the 88-byte header to `out` unless it was emitted already (the first `push`,
    /// `finish` or `seal_segment_in_place` emits it otherwise).
    pub fn emit_header(&mut self, out: &mut Vec<u8>) {
        if let Some(header) = self.header.take() {
            out.extend_from_slice(&header);
        }
    }

    /// The plaintext size `S` of one segment, in bytes.
    pub fn segment_size(&self) -> usize {
        self.segment_size
    }

    /// Seals one segment in place, without copying it.
    ///
    /// On entry `segment` holds the plaintext of the next segment: exactly `S` bytes
    /// ([`BlobSealer::segment_size`]), or, when `last` is set, 0 to `S` bytes. On return it
    /// holds the sealed segment (ciphertext, then the 16-byte tag), preceded by the header if
    /// the header was not emitted yet (moving the segment once; call
    /// [`BlobSealer::emit_header`] first to avoid that). After the `last` segment the sealer is
    /// finished. A payload of `m * S` bytes ends with a full segment marked `last`: an empty
    /// last segment is refused after the first. Not for padded blobs (use `push` and `finish`),
    /// nor while bytes given to `push` are pending. A refused call leaves `segment` as it was
    /// (every check comes first); only a failure inside the AEAD library itself, which no
    /// valid input causes, may leave it partly encrypted.
    pub fn seal_segment_in_place(&mut self, segment: &mut Vec<u8>, last: bool) -> Result<()> {
        self.usable()?;
        if self.pad {
            return Err(Error::InvalidState("a padded blob is sealed through push and finish"));
        }
        if !self.pending.is_empty() {
            return Err(Error::InvalidState("bytes given to push are pending"));
        }
        let len = segment.len();
        if len > self.segment_size || (!last && len != self.segment_size) {
            return Err(Error::InvalidInput("a segment holds exactly S bytes, the last one 0 to S"));
        }
        if last && len == 0 && self.index > 0 {
            return Err(Error::InvalidInput("an empty last segment after the first: mark the full one before it last"));
        }
        let payload_len = self.payload_len.checked_add(len as u64).ok_or(Error::TooLarge("payload"))?;
        let sealed = self.next_nonce(last).and_then(|nonce| self.seal_tail(nonce, segment, 0));
        self.fail_on_error(sealed)?;
        if let Some(header) = self.header.take() {
            segment.splice(0..0, header);
        }
        self.payload_len = payload_len;
        self.finished = last;
        Ok(())
    }

    fn push_payload(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.emit_header(out);
        let s = self.segment_size;
        while !input.is_empty() {
            if self.pending.len() == s {
                // More bytes follow, so the pending segment is not the last.
                let pending = std::mem::take(&mut self.pending);
                self.seal_segment(&pending, false, out)?;
                self.pending = pending;
                self.pending.clear();
            }
            if self.pending.is_empty() {
                // Seal whole segments straight from the input while more bytes follow them.
                while input.len() > s {
                    let (segment, rest) = input.split_at(s);
                    self.seal_segment(segment, false, out)?;
                    input = rest;
                }
            }
            let take = (s - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
        }
        Ok(())
    }

    /// Feeds payload bytes; appends the header (first call) and every sealed segment to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.usable()?;
        self.payload_len = self.payload_len.checked_add(input.len() as u64).ok_or(Error::TooLarge("payload"))?;
        let pushed = self.push_payload(input, out);
        self.fail_on_error(pushed)
    }

    /// Appends the padding (if any) and the final segment. The sealer is spent afterwards.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.usable()?;
        let finished = self.finish_inner(out);
        self.fail_on_error(finished)
    }

    fn finish_inner(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.finished = true;
        if self.pad {
            let total = padded_len(self.payload_len)?;
            let mut remaining = total - self.payload_len;
            self.push_payload(&[MARKER], out)?;
            remaining -= 1;
            let zeros = vec![0u8; self.segment_size];
            while remaining > 0 {
                let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(zeros.len());
                self.push_payload(&zeros[..n], out)?;
                remaining -= n as u64;
            }
        }
        self.emit_header(out);
        let pending = std::mem::take(&mut self.pending);
        self.seal_segment(&pending, true, out)
    }
}

/// Seals `data` in one call: compresses (when `options.compress`), pads (when `options.pad`),
/// and seals under the data key named `key_id`.
pub fn seal_blob(
    data_key: &DataKey,
    key_id: KeyId,
    context: &BlobContext,
    data: &[u8],
    options: &SealOptions,
    rng: &mut dyn RandomSource,
) -> Result<Vec<u8>> {
    let compressed;
    let payload = if options.compress {
        if data.len() as u64 > context.blob_type.max_decompressed_len() {
            return Err(Error::TooLarge("data larger than allowed for this blob type"));
        }
        compressed = super::zstd::compress(data)?;
        &compressed[..]
    } else {
        data
    };
    let flags = Flags { zstd: options.compress, padded: options.pad };
    let mut sealer = BlobSealer::new(data_key, key_id, context, options.segment_exp, flags, options.backend, rng)?;
    let mut out = Vec::with_capacity(payload.len() + payload.len() / 8 + 256);
    sealer.push(payload, &mut out)?;
    sealer.finish(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ids::{BlobId, DeviceId};
    use crate::primitives::random::SeededRandom;

    fn sealer(pad: bool) -> BlobSealer {
        let context = BlobContext {
            blob_id: BlobId([7; 16]),
            blob_type: if pad { BlobType::Text } else { BlobType::Frames },
            device_id: DeviceId::new("dev-1").unwrap(),
            time_start: crate::encoding::UnixMillis(1),
            time_end: crate::encoding::UnixMillis(2),
        };
        let flags = Flags { zstd: false, padded: pad };
        BlobSealer::new(
            &DataKey::from_bytes([3; 32]),
            KeyId([1; 16]),
            &context,
            12,
            flags,
            Backend::Native,
            &mut SeededRandom::new(5),
        )
        .unwrap()
    }

    #[test]
    fn a_sealer_that_failed_fails_for_good() {
        // In place: the segment counter past 2^32 fails the call; once back in range (as a
        // retry after a passing fault would be), the sealer still refuses: no nonce is reused.
        let mut sl = sealer(false);
        let mut segment = vec![1u8; sl.segment_size()];
        sl.index = 1 << 32;
        assert_eq!(sl.seal_segment_in_place(&mut segment, false).unwrap_err().code(), "too_large");
        sl.index = 0;
        let mut fresh = vec![1u8; sl.segment_size()];
        assert_eq!(sl.seal_segment_in_place(&mut fresh, false).unwrap_err().code(), "invalid_state");
        assert_eq!(fresh, vec![1u8; sl.segment_size()], "nothing sealed");
        let mut out = Vec::new();
        assert_eq!(sl.push(b"x", &mut out).unwrap_err().code(), "invalid_state");
        assert_eq!(sl.finish(&mut out).unwrap_err().code(), "invalid_state");
        assert!(format!("{sl:?}").contains("failed: true"));

        // Through push and finish.
        let mut sl = sealer(true);
        let mut out = Vec::new();
        sl.index = 1 << 32;
        let big = vec![2u8; 3 * sl.segment_size()];
        assert_eq!(sl.push(&big, &mut out).unwrap_err().code(), "too_large");
        sl.index = 0;
        assert_eq!(sl.push(b"y", &mut out).unwrap_err().code(), "invalid_state");
        assert_eq!(sl.finish(&mut out).unwrap_err().code(), "invalid_state");

        // A refusal of the arguments touches nothing: the sealer goes on.
        let mut sl = sealer(false);
        let mut short = vec![1u8; 10];
        assert_eq!(sl.seal_segment_in_place(&mut short, false).unwrap_err().code(), "invalid_input");
        let mut last = vec![1u8; 10];
        sl.seal_segment_in_place(&mut last, true).unwrap();
    }
}
