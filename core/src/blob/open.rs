//! Opening: [`BlobOpener`] (push any split of the ciphertext, get plaintext out) and the
//! one-shot [`open_blob`].
//!
//! Reading follows DESIGN.md 3.6 exactly: the header is checked first, the data key is found by
//! `key_id` (`unknown_key`), the commitment is recomputed and compared in constant time before
//! any segment (`wrong_key_or_context`). Segments of `S + 16` bytes follow; a segment is final
//! if and only if the stream ends right after it (the opener reads one byte ahead and never
//! trusts a declared size). A final chunk shorter than 16 bytes, or one that fails as final but
//! opens as non-final, is `truncated`; an empty final segment after segment 0 is `malformed`;
//! any other failure is `tampered`. No plaintext from a failed segment is released. Plaintext
//! released before [`BlobOpener::finish`] succeeds is provisional.

use super::blob_key::{check_commitment, derive_blob_key};
use super::context::BlobContext;
use super::header::{BlobHeader, HEADER_LEN};
use super::nonce::SegmentNonce;
use super::padding::Unpadder;
use crate::error::{Error, Result};
use crate::ids::BlobType;
use crate::keys::keyset::DataKeys;
use crate::primitives::segment_aead::{Backend, SegmentAead, TAG_LEN};

/// The payload layers, undone in order: padding, then zstd.
#[derive(Debug)]
struct Layers {
    unpadder: Option<Unpadder>,
    /// The zstd frame, gathered until the end (bounded).
    zstd: Option<Vec<u8>>,
    max_content: u64,
    max_frame: usize,
}

impl Layers {
    fn new(header: &BlobHeader, blob_type: BlobType) -> Layers {
        let max_content = blob_type.max_decompressed_len();
        let max_frame = usize::try_from(max_content + max_content / 128 + 4096).unwrap_or(usize::MAX);
        Layers {
            unpadder: header.flags.padded.then(Unpadder::new),
            zstd: header.flags.zstd.then(Vec::new),
            max_content,
            max_frame,
        }
    }

    fn is_raw(&self) -> bool {
        self.unpadder.is_none() && self.zstd.is_none()
    }

    fn push(&mut self, plain: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let sink = match &mut self.zstd {
            Some(frame) => frame,
            None => out,
        };
        match &mut self.unpadder {
            Some(unpadder) => unpadder.push(plain, sink)?,
            None => sink.extend_from_slice(plain),
        }
        if self.zstd.as_ref().is_some_and(|frame| frame.len() > self.max_frame) {
            return Err(Error::Malformed("zstd frame larger than its bound"));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if let Some(unpadder) = self.unpadder.take() {
            unpadder.finish()?;
        }
        if let Some(frame) = self.zstd.take() {
            out.extend_from_slice(&super::zstd::decompress(&frame, self.max_content)?);
        }
        Ok(())
    }
}

#[derive(Debug)]
enum Stage {
    Header,
    Segments { aead: SegmentAead, chunk_len: usize, index: u64, layers: Layers },
    Done,
    Failed,
}

/// Streaming opener. Memory: one segment (plus, for zstd payloads, the compressed frame up to
/// its bound), whatever the blob size.
#[derive(Debug)]
pub struct BlobOpener {
    keys: DataKeys,
    context: BlobContext,
    backend: Backend,
    stage: Stage,
    buf: Vec<u8>,
    scratch: Vec<u8>,
}

impl BlobOpener {
    /// An opener for the blob of `context`, finding its data key in `keys`.
    pub fn new(keys: DataKeys, context: BlobContext) -> BlobOpener {
        BlobOpener::with_backend(keys, context, Backend::Native)
    }

    /// An opener using a chosen AEAD backend.
    pub fn with_backend(keys: DataKeys, context: BlobContext, backend: Backend) -> BlobOpener {
        BlobOpener {
            keys,
            context,
            backend,
            stage: Stage::Header,
            buf: Vec::with_capacity(HEADER_LEN),
            scratch: Vec::new(),
        }
    }

    /// The parsed header, once 88 bytes arrived: sets up the segment stage.
    fn start(&mut self) -> Result<()> {
        let header = BlobHeader::parse(&self.buf)?;
        let data_key = self.keys.get(&header.key_id)?;
        let (blob_key, commitment) = derive_blob_key(data_key, &header.prefix(), &header.salt, &self.context)?;
        check_commitment(&commitment, &header.commitment)?;
        if self.context.blob_type == BlobType::Text && !header.flags.padded {
            return Err(Error::Malformed("a text blob is not padded"));
        }
        let aead = SegmentAead::new(blob_key.expose(), self.backend)?;
        let chunk_len = header.segment_size() + TAG_LEN;
        let layers = Layers::new(&header, self.context.blob_type);
        self.buf = Vec::with_capacity(chunk_len);
        self.stage = Stage::Segments { aead, chunk_len, index: 0, layers };
        Ok(())
    }

    /// Feeds ciphertext; appends the plaintext of every segment known not to be the last.
    ///
    /// After an error the opener is spent: every later call fails with `invalid_state`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let result = self.push_inner(input, out);
        if result.is_err() {
            self.stage = Stage::Failed;
        }
        result
    }

    fn push_inner(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if matches!(self.stage, Stage::Header) {
            let take = (HEADER_LEN - self.buf.len()).min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.buf.len() < HEADER_LEN {
                return Ok(());
            }
            self.start()?;
        }
        let Stage::Segments { aead, chunk_len, index, layers } = &mut self.stage else {
            return Err(Error::InvalidState("the opener is finished or failed"));
        };
        let chunk_len = *chunk_len;
        let scratch = &mut self.scratch;
        let mut open_nonfinal = |chunk: &[u8], out: &mut Vec<u8>| -> Result<()> {
            let nonce = SegmentNonce::new(*index, false)?;
            if layers.is_raw() {
                open_segment(aead, &nonce, chunk, out)?.then_some(()).ok_or(Error::Tampered("segment"))?;
            } else {
                scratch.clear();
                open_segment(aead, &nonce, chunk, scratch)?.then_some(()).ok_or(Error::Tampered("segment"))?;
                layers.push(scratch, out)?;
            }
            *index += 1;
            Ok(())
        };
        if !self.buf.is_empty() {
            let take = (chunk_len - self.buf.len()).min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.buf.len() < chunk_len || input.is_empty() {
                // Not a whole segment yet, or a whole one that may be the last.
                return Ok(());
            }
            open_nonfinal(&self.buf, out)?;
            self.buf.clear();
        }
        while input.len() > chunk_len {
            let (chunk, rest) = input.split_at(chunk_len);
            open_nonfinal(chunk, out)?;
            input = rest;
        }
        self.buf.extend_from_slice(input);
        Ok(())
    }

    /// Ends the stream: opens the final segment, checks the padding, decompresses, and appends
    /// the rest of the plaintext. Only after this succeeds is the plaintext complete.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let result = self.finish_inner(out);
        self.stage = if result.is_ok() { Stage::Done } else { Stage::Failed };
        result
    }

    fn finish_inner(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let stage = std::mem::replace(&mut self.stage, Stage::Failed);
        let (aead, index, mut layers) = match stage {
            Stage::Header => return Err(Error::Malformed("short blob header")),
            Stage::Segments { aead, index, layers, .. } => (aead, index, layers),
            Stage::Done | Stage::Failed => {
                return Err(Error::InvalidState("the opener is finished or failed"));
            }
        };
        let chunk = std::mem::take(&mut self.buf);
        if chunk.len() < TAG_LEN {
            return Err(Error::Truncated("the stream ends inside a segment tag"));
        }
        let mut plain = Vec::with_capacity(chunk.len());
        if open_segment(&aead, &SegmentNonce::new(index, true)?, &chunk, &mut plain)? {
            if plain.is_empty() && index > 0 {
                return Err(Error::Malformed("an empty final segment after segment 0"));
            }
            layers.push(&plain, out)?;
            return layers.finish(out);
        }
        if open_segment(&aead, &SegmentNonce::new(index, false)?, &chunk, &mut plain)? {
            return Err(Error::Truncated("the stream ends after a segment that is not the last"));
        }
        Err(Error::Tampered("final segment"))
    }
}

/// Appends the plaintext of `chunk` (ciphertext and tag) to `dst` if it authenticates under
/// `nonce`; otherwise leaves `dst` as it was and returns `false`.
fn open_segment(aead: &SegmentAead, nonce: &SegmentNonce, chunk: &[u8], dst: &mut Vec<u8>) -> Result<bool> {
    let split = chunk.len().checked_sub(TAG_LEN).ok_or(Error::Truncated("segment shorter than its tag"))?;
    let (ciphertext, tag) = chunk.split_at(split);
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::Truncated("segment tag"))?;
    let start = dst.len();
    dst.extend_from_slice(ciphertext);
    if aead.open_in_place(nonce.as_bytes(), &mut dst[start..], tag) {
        Ok(true)
    } else {
        dst.truncate(start);
        Ok(false)
    }
}

/// Opens a whole blob in memory.
pub fn open_blob(keys: &DataKeys, context: &BlobContext, blob: &[u8]) -> Result<Vec<u8>> {
    let mut opener = BlobOpener::new(keys.clone(), context.clone());
    let mut out = Vec::with_capacity(blob.len());
    opener.push(blob, &mut out)?;
    opener.finish(&mut out)?;
    Ok(out)
}
