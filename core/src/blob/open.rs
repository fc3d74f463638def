//! Opening: [`BlobOpener`] (push any split of the ciphertext, get plaintext out) and the
//! one-shot [`open_blob`].
//!
//! Reading follows docs/FORMAT.md, "Blob format" exactly: the header is checked first, the data key is found by
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

/// Where the opener is in the stream.
enum Stage {
    Header,
    Segments(Segments),
    Done,
    Failed,
}

/// The segment stage: the blob key, where the stream is, and the payload layers.
struct Segments {
    aead: SegmentAead,
    /// `S + 16`: the length of every segment but the last.
    chunk_len: usize,
    index: u64,
    layers: Layers,
}

impl Segments {
    /// Opens `chunk` (ciphertext and tag) as the next segment, not the last, by copying it;
    /// appends what the layers release to `out`.
    fn open_nonfinal(&mut self, chunk: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Result<()> {
        let nonce = SegmentNonce::new(self.index, false)?;
        if self.layers.is_raw() {
            open_segment(&mut self.aead, &nonce, chunk, out)?.then_some(()).ok_or(Error::Tampered("segment"))?;
        } else {
            scratch.clear();
            open_segment(&mut self.aead, &nonce, chunk, scratch)?.then_some(()).ok_or(Error::Tampered("segment"))?;
            self.layers.push(scratch, out)?;
        }
        self.index += 1;
        Ok(())
    }

    /// Opens `chunk` as the next segment, not the last, where it lies; on success `chunk` holds
    /// what the layers release (the plaintext itself for a raw blob).
    fn open_nonfinal_in_place(&mut self, chunk: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Result<()> {
        let nonce = SegmentNonce::new(self.index, false)?;
        let len = open_sealed_in_place(&mut self.aead, &nonce, chunk)?.ok_or(Error::Tampered("segment"))?;
        chunk.truncate(len);
        if !self.layers.is_raw() {
            scratch.clear();
            self.layers.push(chunk, scratch)?;
            std::mem::swap(chunk, scratch);
        }
        self.index += 1;
        Ok(())
    }

    /// Opens `chunk` as the last segment (the stream ended right after it), undoes the layers
    /// and appends the rest of the plaintext to `out`.
    fn open_final(mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if chunk.len() < TAG_LEN {
            return Err(Error::Truncated("the stream ends inside a segment tag"));
        }
        let mut plain = Vec::with_capacity(chunk.len());
        if open_segment(&mut self.aead, &SegmentNonce::new(self.index, true)?, chunk, &mut plain)? {
            if plain.is_empty() && self.index > 0 {
                return Err(Error::Malformed("an empty final segment after segment 0"));
            }
            self.layers.push(&plain, out)?;
            return self.layers.finish(out);
        }
        if open_segment(&mut self.aead, &SegmentNonce::new(self.index, false)?, chunk, &mut plain)? {
            return Err(Error::Truncated("the stream ends after a segment that is not the last"));
        }
        Err(Error::Tampered("final segment"))
    }
}

/// Streaming opener. Memory: one segment (plus, for zstd payloads, the compressed frame up to
/// its bound), whatever the blob size.
///
/// Two ways to feed it, which may follow one another while no partial segment is pending:
/// - [`BlobOpener::push`] and [`BlobOpener::finish`] take any split of the blob and copy the
///   plaintext out.
/// - after the header has been pushed, [`BlobOpener::open_segment_in_place`] opens one whole
///   segment where it lies, without copying it: the fast path for large media.
///
/// `Debug` shows where the stream is, never the bytes it holds.
pub struct BlobOpener {
    keys: DataKeys,
    context: BlobContext,
    backend: Backend,
    stage: Stage,
    buf: Vec<u8>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for BlobOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (stage, segments_opened) = match &self.stage {
            Stage::Header => ("header", None),
            Stage::Segments(segments) => ("segments", Some(segments.index)),
            Stage::Done => ("done", None),
            Stage::Failed => ("failed", None),
        };
        f.debug_struct("BlobOpener")
            .field("context", &self.context)
            .field("stage", &stage)
            .field("segments_opened", &segments_opened)
            .field("buffered_len", &self.buf.len())
            .finish_non_exhaustive()
    }
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
        self.stage = Stage::Segments(Segments { aead, chunk_len, index: 0, layers });
        Ok(())
    }

    /// The length of a whole sealed segment (`S + 16` bytes), known once the header has been
    /// pushed and checked; `None` before that and after the end.
    pub fn sealed_segment_len(&self) -> Option<usize> {
        match &self.stage {
            Stage::Segments(segments) => Some(segments.chunk_len),
            _ => None,
        }
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
        let Stage::Segments(segments) = &mut self.stage else {
            return Err(Error::InvalidState("the opener is finished or failed"));
        };
        let chunk_len = segments.chunk_len;
        if !self.buf.is_empty() {
            let take = (chunk_len - self.buf.len()).min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.buf.len() < chunk_len || input.is_empty() {
                // Not a whole segment yet, or a whole one that may be the last.
                return Ok(());
            }
            segments.open_nonfinal(&self.buf, out, &mut self.scratch)?;
            self.buf.clear();
        }
        while input.len() > chunk_len {
            let (chunk, rest) = input.split_at(chunk_len);
            segments.open_nonfinal(chunk, out, &mut self.scratch)?;
            input = rest;
        }
        self.buf.extend_from_slice(input);
        Ok(())
    }

    /// Opens one sealed segment in place, without copying it.
    ///
    /// The header must have been pushed already, and no partial segment be pending from
    /// [`BlobOpener::push`]. On entry `chunk` holds the next sealed segment: exactly
    /// [`BlobOpener::sealed_segment_len`] bytes, or, when `last` says the stream ends right after
    /// it, 0 to that many bytes. On success `chunk` holds the plaintext this segment releases
    /// (the segment's own plaintext for a raw blob; for a padded or compressed blob what the
    /// layers release, as with `push`), and after the `last` segment the plaintext is complete
    /// and the opener done. On failure `chunk` is zeroed and emptied and the opener is spent;
    /// the codes are those of `push` and `finish`.
    pub fn open_segment_in_place(&mut self, chunk: &mut Vec<u8>, last: bool) -> Result<()> {
        let result = self.open_in_place_inner(chunk, last);
        match &result {
            Ok(()) if last => self.stage = Stage::Done,
            Ok(()) => {}
            Err(Error::InvalidState(_) | Error::InvalidInput(_)) => {}
            Err(_) => {
                chunk.fill(0);
                chunk.clear();
                self.stage = Stage::Failed;
            }
        }
        result
    }

    fn open_in_place_inner(&mut self, chunk: &mut Vec<u8>, last: bool) -> Result<()> {
        let Stage::Segments(segments) = &mut self.stage else {
            return Err(Error::InvalidState("push the header first; the opener may be finished or failed"));
        };
        if !self.buf.is_empty() {
            return Err(Error::InvalidState("a partial segment given to push is pending"));
        }
        if chunk.len() > segments.chunk_len || (!last && chunk.len() != segments.chunk_len) {
            return Err(Error::InvalidInput("a sealed segment holds exactly S + 16 bytes, the last one at most"));
        }
        if !last {
            return segments.open_nonfinal_in_place(chunk, &mut self.scratch);
        }
        let Stage::Segments(segments) = std::mem::replace(&mut self.stage, Stage::Failed) else {
            return Err(Error::InvalidState("the opener is finished or failed"));
        };
        let mut plain = std::mem::take(&mut self.scratch);
        plain.clear();
        segments.open_final(chunk, &mut plain)?;
        std::mem::swap(chunk, &mut plain);
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
        match std::mem::replace(&mut self.stage, Stage::Failed) {
            Stage::Header => Err(Error::Malformed("short blob header")),
            Stage::Segments(segments) => segments.open_final(&std::mem::take(&mut self.buf), out),
            Stage::Done | Stage::Failed => Err(Error::InvalidState("the opener is finished or failed")),
        }
    }
}

/// Opens `sealed` (ciphertext, then tag) where it lies: if it authenticates under `nonce`, the
/// length of the plaintext now at its front; otherwise `None`, with `sealed` wiped to zeros.
fn open_sealed_in_place(aead: &mut SegmentAead, nonce: &SegmentNonce, sealed: &mut [u8]) -> Result<Option<usize>> {
    let split = sealed.len().checked_sub(TAG_LEN).ok_or(Error::Truncated("segment shorter than its tag"))?;
    let (ciphertext, tag) = sealed.split_at_mut(split);
    let tag: [u8; TAG_LEN] = (&*tag).try_into().map_err(|_| Error::Truncated("segment tag"))?;
    if aead.open_in_place(nonce.as_bytes(), ciphertext, &tag) {
        Ok(Some(split))
    } else {
        sealed.fill(0);
        Ok(None)
    }
}

/// Appends the plaintext of `chunk` (ciphertext and tag) to `dst` if it authenticates under
/// `nonce`; otherwise leaves `dst` as it was and returns `false`.
fn open_segment(aead: &mut SegmentAead, nonce: &SegmentNonce, chunk: &[u8], dst: &mut Vec<u8>) -> Result<bool> {
    if chunk.len() < TAG_LEN {
        return Err(Error::Truncated("segment shorter than its tag"));
    }
    let start = dst.len();
    dst.extend_from_slice(chunk);
    let opened = open_sealed_in_place(aead, nonce, &mut dst[start..])?;
    dst.truncate(start + opened.unwrap_or(0));
    Ok(opened.is_some())
}

/// Opens a whole blob in memory.
pub fn open_blob(keys: &DataKeys, context: &BlobContext, blob: &[u8]) -> Result<Vec<u8>> {
    open_blob_with(keys, context, blob, Backend::Native)
}

/// [`open_blob`] with a chosen AEAD backend (the vector verifier checks that all agree).
pub fn open_blob_with(keys: &DataKeys, context: &BlobContext, blob: &[u8], backend: Backend) -> Result<Vec<u8>> {
    let mut opener = BlobOpener::with_backend(keys.clone(), context.clone(), backend);
    let mut out = Vec::with_capacity(blob.len());
    opener.push(blob, &mut out)?;
    opener.finish(&mut out)?;
    Ok(out)
}
