//! The search index's layout, shared by both stores: one posting list per `(account, token)`,
//! kept packed in *chunks* of at most [`CHUNK_ENTRIES`] postings, one row each:
//! `(user_id, token, chunk, last_seq, last_end, entries, data)`.
//!
//! - `chunk` is the `seq` the chunk began at (its key: every posting in it has a `seq` at
//!   least that, and less than the next chunk's); lists grow at their last chunk, since a
//!   completed blob takes the account's next `seq`.
//! - `data` holds the postings in `seq` order, each as three LEB128 varints: the `seq` step
//!   from the previous posting (from `chunk` for the first), the `time_end` step (zigzag, from
//!   the previous `time_end`, from 0 for the first), and `(time_end - time_start) << 2 | type`.
//!   About 7 bytes per posting instead of an index row of about 50, read sequentially.
//! - `last_seq` and `last_end` let a posting be appended without reading `data`.
//!
//! A search reads its tokens' chunks and merges them ([`crate::domain::search::rank`]) through
//! [`Cursor`]s, which decode as they go (a list is never expanded in memory). Removing blobs
//! rewrites the chunks that hold them ([`remove`]).

use super::TokenBytes;
use crate::domain::search::{ListBounds, Posting};
use crate::store::{StoreError, StoreResult};

/// Postings per chunk at most: small enough that appending rewrites little, large enough that a
/// frequent token's list is a few hundred rows.
pub const CHUNK_ENTRIES: i64 = 256;

/// A chunk row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The `seq` it began at (its key).
    pub chunk: i64,
    /// `seq` of its last posting.
    pub last_seq: i64,
    /// `time_end` of its last posting.
    pub last_end: i64,
    /// Postings in it.
    pub entries: i64,
    /// The packed postings.
    pub data: Vec<u8>,
}

/// A chunk's row without its data: where the next posting may be appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tail {
    /// Its key.
    pub chunk: i64,
    /// `seq` of its last posting.
    pub last_seq: i64,
    /// `time_end` of its last posting.
    pub last_end: i64,
    /// Postings in it.
    pub entries: i64,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(data: &[u8], pos: &mut usize) -> StoreResult<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*pos).ok_or_else(|| StoreError::corrupt("posting list: truncated varint"))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(StoreError::corrupt("posting list: varint too long"))
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `p` to packed postings whose last one is `(last_seq, last_end)`.
pub fn encode(out: &mut Vec<u8>, (last_seq, last_end): (i64, i64), p: &Posting) {
    put_varint(out, p.seq.wrapping_sub(last_seq) as u64);
    put_varint(out, zigzag(p.time_end.wrapping_sub(last_end)));
    let span = p.time_end.wrapping_sub(p.time_start).max(0) as u64;
    put_varint(out, (span << 2) | (p.type_code as u64 & 3));
}

/// Postings packed into new chunks, starting at their first `seq`.
pub fn pack(postings: &[Posting]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for group in postings.chunks(CHUNK_ENTRIES as usize) {
        let Some(first) = group.first() else { continue };
        let mut chunk = Chunk { chunk: first.seq, last_seq: first.seq, last_end: 0, entries: 0, data: Vec::new() };
        for p in group {
            encode(&mut chunk.data, (chunk.last_seq, chunk.last_end), p);
            chunk.last_seq = p.seq;
            chunk.last_end = p.time_end;
            chunk.entries += 1;
        }
        chunks.push(chunk);
    }
    chunks
}

/// What appending postings to a list does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendPlan {
    /// Bytes to add at the end of the tail chunk, and its new `(last_seq, last_end, entries)`.
    pub extend_tail: Option<(i64, Vec<u8>, Tail)>,
    /// New chunks after it.
    pub new_chunks: Vec<Chunk>,
}

/// Appending `postings` (sorted, every `seq` after the list's) to a list whose last chunk is
/// `tail` (`None`: an empty list).
pub fn plan_append(tail: Option<Tail>, postings: &[Posting]) -> AppendPlan {
    let mut plan = AppendPlan::default();
    let mut rest = postings;
    if let Some(tail) = tail {
        let room = usize::try_from(CHUNK_ENTRIES.saturating_sub(tail.entries)).unwrap_or(0).min(rest.len());
        if room > 0 {
            let (into_tail, after) = rest.split_at(room);
            let mut bytes = Vec::new();
            let mut last = tail;
            for p in into_tail {
                encode(&mut bytes, (last.last_seq, last.last_end), p);
                last.last_seq = p.seq;
                last.last_end = p.time_end;
                last.entries += 1;
            }
            plan.extend_tail = Some((tail.chunk, bytes, last));
            rest = after;
        }
    }
    plan.new_chunks = pack(rest);
    plan
}

/// Decodes postings as a merge asks for them, chunk after chunk.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    chunks: Vec<(i64, Vec<u8>)>,
    index: usize,
    pos: usize,
    last: (i64, i64),
    failed: bool,
}

impl Cursor {
    /// A list made of `chunks` (key and data), in key order.
    pub fn new(chunks: Vec<(i64, Vec<u8>)>) -> Cursor {
        let last = chunks.first().map_or((0, 0), |(key, _)| (*key, 0));
        Cursor { chunks, index: 0, pos: 0, last, failed: false }
    }

    fn read(&mut self) -> StoreResult<Option<Posting>> {
        loop {
            let Some((_, data)) = self.chunks.get(self.index) else { return Ok(None) };
            if self.pos < data.len() {
                let step = get_varint(data, &mut self.pos)?;
                let end_step = unzigzag(get_varint(data, &mut self.pos)?);
                let span_type = get_varint(data, &mut self.pos)?;
                let seq = self.last.0.wrapping_add(step as i64);
                let time_end = self.last.1.wrapping_add(end_step);
                self.last = (seq, time_end);
                let time_start = time_end.wrapping_sub((span_type >> 2) as i64);
                return Ok(Some(Posting { seq, time_start, time_end, type_code: (span_type & 3) as i16 }));
            }
            self.index += 1;
            self.pos = 0;
            if let Some((key, _)) = self.chunks.get(self.index) {
                self.last = (*key, 0);
            }
        }
    }
}

impl Iterator for Cursor {
    type Item = StoreResult<Posting>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let read = self.read();
        self.failed = read.is_err();
        read.transpose()
    }
}

/// Accumulates what a search's chunk rows say of its lists before they are read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds(Option<ListBounds>);

impl Bounds {
    /// Counts a chunk row: its key, last `seq` and postings.
    pub fn add(&mut self, chunk: i64, last_seq: i64, entries: i64) {
        let entries = u64::try_from(entries).unwrap_or(0);
        self.0 = Some(match self.0 {
            None => ListBounds { min_seq: chunk, max_seq: last_seq, postings: entries },
            Some(b) => ListBounds {
                min_seq: b.min_seq.min(chunk),
                max_seq: b.max_seq.max(last_seq),
                postings: b.postings.saturating_add(entries),
            },
        });
    }

    /// The bounds of every chunk counted (`None` for none).
    pub fn get(self) -> Option<ListBounds> {
        self.0
    }
}

/// Every posting of one chunk.
pub fn decode(chunk: i64, data: &[u8]) -> StoreResult<Vec<Posting>> {
    Cursor::new(vec![(chunk, data.to_vec())]).collect()
}

/// The chunk `chunk` of `data` without the postings of `seqs`: `None` when none is left.
pub fn remove(chunk: i64, data: &[u8], seqs: &[i64]) -> StoreResult<Option<Chunk>> {
    let kept: Vec<Posting> = decode(chunk, data)?.into_iter().filter(|p| !seqs.contains(&p.seq)).collect();
    if kept.is_empty() {
        return Ok(None);
    }
    let mut out = Chunk { chunk, last_seq: chunk, last_end: 0, entries: 0, data: Vec::new() };
    for p in &kept {
        encode(&mut out.data, (out.last_seq, out.last_end), p);
        out.last_seq = p.seq;
        out.last_end = p.time_end;
        out.entries += 1;
    }
    Ok(Some(out))
}

/// The postings to add for completed blobs, by token (each list sorted by `seq`): `blobs` are
/// `(posting, tokens)` in increasing `seq`.
pub fn by_token<'a>(blobs: impl IntoIterator<Item = (Posting, &'a [TokenBytes])>) -> Vec<(TokenBytes, Vec<Posting>)> {
    let mut map: std::collections::BTreeMap<TokenBytes, Vec<Posting>> = std::collections::BTreeMap::new();
    for (posting, tokens) in blobs {
        for token in tokens {
            map.entry(*token).or_default().push(posting);
        }
    }
    map.into_iter().collect()
}

/// The `seq`s to remove, by token: `blobs` are `(seq, tokens)`.
pub fn removals<'a>(blobs: impl IntoIterator<Item = (i64, &'a [TokenBytes])>) -> Vec<(TokenBytes, Vec<i64>)> {
    let mut map: std::collections::BTreeMap<TokenBytes, Vec<i64>> = std::collections::BTreeMap::new();
    for (seq, tokens) in blobs {
        for token in tokens {
            map.entry(*token).or_default().push(seq);
        }
    }
    map.into_iter()
        .map(|(t, mut seqs)| {
            seqs.sort_unstable();
            (t, seqs)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(seq: i64, end: i64, span: i64, code: i16) -> Posting {
        Posting { seq, time_start: end - span, time_end: end, type_code: code }
    }

    #[test]
    fn round_trips_across_chunks() {
        let postings: Vec<Posting> = (1..=600)
            .map(|i| p(i * 3, 1_767_225_600_000 + (i % 7) * 60_000 - (i % 3) * 1000, (i % 5) * 1000, (i % 3) as i16))
            .collect();
        let chunks = pack(&postings);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks.iter().map(|c| c.entries).sum::<i64>(), 600);
        assert!(chunks[0].data.len() < 256 * 8, "{} bytes for 256 postings", chunks[0].data.len());
        let cursor = Cursor::new(chunks.iter().map(|c| (c.chunk, c.data.clone())).collect());
        assert_eq!(cursor.collect::<StoreResult<Vec<_>>>().unwrap(), postings);
        assert_eq!(decode(chunks[2].chunk, &chunks[2].data).unwrap(), postings[512..].to_vec());
    }

    #[test]
    fn appending_fills_the_tail_then_opens_chunks() {
        let first: Vec<Posting> = (1..=250).map(|i| p(i, i * 10, 5, 0)).collect();
        let chunk = pack(&first).remove(0);
        let tail =
            Tail { chunk: chunk.chunk, last_seq: chunk.last_seq, last_end: chunk.last_end, entries: chunk.entries };
        let more: Vec<Posting> = (251..=270).map(|i| p(i, i * 10, 5, 1)).collect();
        let plan = plan_append(Some(tail), &more);
        let (key, bytes, new_tail) = plan.extend_tail.clone().unwrap();
        assert_eq!((key, new_tail.entries, new_tail.last_seq), (1, 256, 256));
        assert_eq!(plan.new_chunks.len(), 1);
        assert_eq!((plan.new_chunks[0].chunk, plan.new_chunks[0].entries), (257, 14));
        let mut data = chunk.data.clone();
        data.extend_from_slice(&bytes);
        let all = Cursor::new(vec![(1, data), (257, plan.new_chunks[0].data.clone())]);
        let expected: Vec<Posting> = first.iter().chain(&more).copied().collect();
        assert_eq!(all.collect::<StoreResult<Vec<_>>>().unwrap(), expected);
        assert_eq!(plan_append(None, &more).new_chunks.len(), 1);
    }

    #[test]
    fn removing_rewrites_or_empties_a_chunk() {
        let postings: Vec<Posting> = (10..20).map(|i| p(i, i * 100, 7, 2)).collect();
        let chunk = pack(&postings).remove(0);
        let kept = remove(chunk.chunk, &chunk.data, &[10, 15]).unwrap().unwrap();
        assert_eq!(kept.chunk, 10);
        assert_eq!((kept.entries, kept.last_seq, kept.last_end), (8, 19, 1900));
        let expected: Vec<Posting> = postings.iter().filter(|q| q.seq != 10 && q.seq != 15).copied().collect();
        assert_eq!(decode(kept.chunk, &kept.data).unwrap(), expected);
        let all: Vec<i64> = (10..20).collect();
        assert_eq!(remove(chunk.chunk, &chunk.data, &all).unwrap(), None);
    }

    #[test]
    fn corrupt_data_is_an_error() {
        assert!(decode(1, &[0x80]).is_err());
        assert!(decode(1, &[0xff; 12]).is_err());
        let mut cursor = Cursor::new(vec![(1, vec![0x80])]);
        assert!(cursor.next().unwrap().is_err());
        assert!(cursor.next().is_none());
    }

    #[test]
    fn grouping() {
        let t = |b: u8| [b; 16];
        let a = [t(1), t(2)];
        let b = [t(2)];
        let grouped = by_token([(p(1, 1, 0, 0), &a[..]), (p(2, 2, 0, 0), &b[..])]);
        assert_eq!(grouped.iter().map(|(tok, l)| (tok[0], l.len())).collect::<Vec<_>>(), vec![(1, 1), (2, 2)]);
        let removed = removals([(5, &a[..]), (3, &b[..])]);
        assert_eq!(removed, vec![(t(1), vec![5]), (t(2), vec![3, 5])]);
    }
}
