//! Media pack v1: many small media files (screenpipe's JPEG snapshots) in the payload of one
//! `frames` blob (`docs/FORMAT.md`, "Media pack").
//!
//! ```text
//! offset  size  field
//! 0       4     magic "SPMP"
//! 4       1     version = 1
//! 5       3     zero
//! 8       4     u32be N: length of the index, 2 ..= 4 MiB
//! 12      N     index: UTF-8 JSON {"entries": [{"name", "size", "time", "type"}, ...]}
//! 12 + N  ...   the entries' bytes, concatenated in index order, nothing after the last
//! ```
//!
//! Entry `i` starts at `12 + N + size[0] + ... + size[i-1]`, so a reader that holds the index
//! can seek to any entry (the blob's segments are independent, see "Blob format"). The pack is
//! pure data: the blob that carries it authenticates every byte. Parsing is strict and bounded:
//! a bad magic, a non-zero reserved byte, an index length out of bounds, unknown JSON fields, a
//! bad name, a duplicate name, more than [`MAX_PACK_ENTRIES`] entries or a total that does not
//! match the payload is `malformed`; another version is `unsupported`.

use std::collections::HashSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::encoding::UnixMillis;
use crate::error::{Error, Result};

/// The first four bytes of a pack.
pub const PACK_MAGIC: [u8; 4] = *b"SPMP";
/// Version of the pack format.
pub const PACK_VERSION: u8 = 1;
/// Length of the fixed prefix before the index.
pub const PACK_PREFIX_LEN: usize = 12;
/// Longest index, in bytes.
pub const MAX_PACK_INDEX_LEN: usize = 4 << 20;
/// Most entries in one pack.
pub const MAX_PACK_ENTRIES: usize = 10_000;
/// Longest entry name, in bytes.
pub const MAX_ENTRY_NAME_LEN: usize = 255;
/// Longest content type, in bytes.
pub const MAX_CONTENT_TYPE_LEN: usize = 64;
/// Largest total of the entries' sizes (the largest blob payload of a `frames` blob).
pub const MAX_PACK_DATA: u64 = 1 << 30;

/// One file in a pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackEntry {
    /// File name: 1 to 255 bytes of `[A-Za-z0-9._-]`, not starting with `.`; unique in the pack.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// When the file was captured (the frame's timestamp), for seeking by time.
    pub time: UnixMillis,
    /// Media type, such as `image/jpeg`: `type/subtype` in lowercase ASCII.
    #[serde(rename = "type")]
    pub content_type: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexJson {
    entries: Vec<PackEntry>,
}

/// A checked pack index: where each entry lies in the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackIndex {
    entries: Vec<PackEntry>,
    /// Start of each entry in the payload, then the payload's end.
    bounds: Vec<u64>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ENTRY_NAME_LEN
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn valid_content_type(t: &str) -> bool {
    let ok_part = |p: &str, extra: &[u8]| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
    };
    t.len() <= MAX_CONTENT_TYPE_LEN
        && matches!(t.split_once('/'), Some((ty, sub)) if ok_part(ty, b"") && ok_part(sub, b".+-"))
}

/// Checks a pack's 12-byte prefix and returns the index length `N` that follows it.
pub fn index_len(prefix: &[u8]) -> Result<usize> {
    let Some(prefix) = prefix.get(..PACK_PREFIX_LEN) else {
        return Err(Error::Malformed("a media pack is shorter than its prefix"));
    };
    if prefix[..4] != PACK_MAGIC {
        return Err(Error::Malformed("not a media pack (magic)"));
    }
    if prefix[4] != PACK_VERSION {
        return Err(Error::Unsupported("media pack version"));
    }
    if prefix[5..8] != [0, 0, 0] {
        return Err(Error::Malformed("media pack reserved bytes are not zero"));
    }
    let n = u32::from_be_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]) as usize;
    if !(2..=MAX_PACK_INDEX_LEN).contains(&n) {
        return Err(Error::Malformed("media pack index length out of bounds"));
    }
    Ok(n)
}

/// True when `payload` starts with the pack magic (a `frames` blob holding a pack rather than
/// one video file). Says nothing of the rest: parse with [`PackIndex::decode`].
pub fn is_pack(payload: &[u8]) -> bool {
    payload.starts_with(&PACK_MAGIC)
}

impl PackIndex {
    /// An index of `entries`, in payload order, after checking every bound.
    pub fn new(entries: Vec<PackEntry>) -> Result<PackIndex> {
        if entries.len() > MAX_PACK_ENTRIES {
            return Err(Error::Malformed("too many entries in a media pack"));
        }
        let mut names = HashSet::with_capacity(entries.len());
        let mut bounds = Vec::with_capacity(entries.len() + 1);
        let mut data = 0u64;
        for entry in &entries {
            if !valid_name(&entry.name) {
                return Err(Error::Malformed("media pack entry name"));
            }
            if !names.insert(entry.name.as_str()) {
                return Err(Error::Malformed("duplicate media pack entry name"));
            }
            if !valid_content_type(&entry.content_type) {
                return Err(Error::Malformed("media pack entry type"));
            }
            if entry.time.to_rfc3339().is_err() {
                return Err(Error::Malformed("media pack entry time"));
            }
            bounds.push(data);
            data = data
                .checked_add(entry.size)
                .filter(|total| *total <= MAX_PACK_DATA)
                .ok_or(Error::Malformed("media pack larger than its bound"))?;
        }
        bounds.push(data);
        let mut index = PackIndex { entries, bounds };
        // Offsets are relative to the data area until the index length is known.
        let start = u64::try_from(index.encode_index()?.len() + PACK_PREFIX_LEN)
            .map_err(|_| Error::Malformed("media pack index length"))?;
        for b in &mut index.bounds {
            *b += start;
        }
        Ok(index)
    }

    fn encode_index(&self) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(&IndexJson { entries: self.entries.clone() })
            .map_err(|_| Error::InvalidInput("a media pack index cannot be encoded"))?;
        if json.len() > MAX_PACK_INDEX_LEN {
            return Err(Error::Malformed("media pack index longer than its bound"));
        }
        Ok(json)
    }

    /// The pack's header (prefix and index); the entries' bytes follow it in order.
    pub fn encode_header(&self) -> Result<Vec<u8>> {
        let json = self.encode_index()?;
        let n = u32::try_from(json.len()).map_err(|_| Error::Malformed("media pack index length"))?;
        let mut out = Vec::with_capacity(PACK_PREFIX_LEN + json.len());
        out.extend_from_slice(&PACK_MAGIC);
        out.extend_from_slice(&[PACK_VERSION, 0, 0, 0]);
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&json);
        Ok(out)
    }

    /// Parses a header: the prefix and the whole index (at least `12 + index_len` bytes; more
    /// bytes are ignored).
    pub fn decode(header: &[u8]) -> Result<PackIndex> {
        let n = index_len(header)?;
        let json = header
            .get(PACK_PREFIX_LEN..PACK_PREFIX_LEN + n)
            .ok_or(Error::Truncated("a media pack ends inside its index"))?;
        let parsed: IndexJson = serde_json::from_slice(json).map_err(|_| Error::Malformed("media pack index JSON"))?;
        let index = PackIndex::new(parsed.entries)?;
        // The canonical encoding is the only one: a writer's exact bytes come back.
        if index.encode_index()? != json {
            return Err(Error::Malformed("media pack index is not in canonical form"));
        }
        Ok(index)
    }

    /// Parses a whole payload and checks that its length is exactly the header plus the
    /// entries.
    pub fn decode_payload(payload: &[u8]) -> Result<PackIndex> {
        let index = PackIndex::decode(payload)?;
        index.check_payload_len(payload.len() as u64)?;
        Ok(index)
    }

    /// The entries, in payload order.
    pub fn entries(&self) -> &[PackEntry] {
        &self.entries
    }

    /// Length of the header (prefix and index): where the first entry starts.
    pub fn header_len(&self) -> u64 {
        self.bounds[0]
    }

    /// Length of the whole payload.
    pub fn payload_len(&self) -> u64 {
        self.bounds[self.entries.len()]
    }

    /// Refuses a payload whose length is not exactly the header plus the entries
    /// (`truncated` when shorter, `malformed` when longer).
    pub fn check_payload_len(&self, len: u64) -> Result<()> {
        match len.cmp(&self.payload_len()) {
            std::cmp::Ordering::Less => Err(Error::Truncated("a media pack ends before its last entry")),
            std::cmp::Ordering::Greater => Err(Error::Malformed("bytes after the last media pack entry")),
            std::cmp::Ordering::Equal => Ok(()),
        }
    }

    /// The byte range of entry `i` in the payload.
    pub fn range(&self, i: usize) -> Option<Range<u64>> {
        Some(*self.bounds.get(i)?..*self.bounds.get(i + 1)?)
    }

    /// The entry named `name`, with its position.
    pub fn find(&self, name: &str) -> Option<(usize, &PackEntry)> {
        self.entries.iter().enumerate().find(|(_, e)| e.name == name)
    }

    /// The bytes of entry `i` in a whole payload.
    pub fn slice<'p>(&self, payload: &'p [u8], i: usize) -> Result<&'p [u8]> {
        let r = self.range(i).ok_or(Error::InvalidInput("no such media pack entry"))?;
        let (Ok(start), Ok(end)) = (usize::try_from(r.start), usize::try_from(r.end)) else {
            return Err(Error::TooLarge("a media pack entry beyond this platform's memory"));
        };
        payload.get(start..end).ok_or(Error::Truncated("a media pack ends before this entry"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn entry(name: &str, size: u64) -> PackEntry {
        PackEntry { name: name.into(), size, time: UnixMillis(1_767_603_600_000), content_type: "image/jpeg".into() }
    }

    fn pack(entries: &[(&str, &[u8])]) -> (PackIndex, Vec<u8>) {
        let index = PackIndex::new(entries.iter().map(|(n, b)| entry(n, b.len() as u64)).collect()).unwrap();
        let mut out = index.encode_header().unwrap();
        for (_, b) in entries {
            out.extend_from_slice(b);
        }
        (index, out)
    }

    #[test]
    fn round_trip_and_slices() {
        let (index, payload) = pack(&[("a.jpg", b"AAAA"), ("b.jpg", b""), ("c.jpg", b"CC")]);
        let back = PackIndex::decode_payload(&payload).unwrap();
        assert_eq!(back, index);
        assert!(is_pack(&payload));
        assert_eq!(back.slice(&payload, 0).unwrap(), b"AAAA");
        assert_eq!(back.slice(&payload, 1).unwrap(), b"");
        assert_eq!(back.slice(&payload, 2).unwrap(), b"CC");
        assert_eq!(back.find("c.jpg").unwrap().0, 2);
        assert_eq!(back.payload_len(), payload.len() as u64);
        assert!(back.slice(&payload, 3).is_err());
        let text = std::str::from_utf8(&payload[PACK_PREFIX_LEN..back.header_len() as usize]).unwrap();
        assert!(text.contains(r#""time":"2026-01-05T09:00:00.000Z","type":"image/jpeg""#), "{text}");
    }

    #[test]
    fn empty_pack() {
        let (index, payload) = pack(&[]);
        assert_eq!(PackIndex::decode_payload(&payload).unwrap(), index);
        assert_eq!(index.entries().len(), 0);
    }

    #[test]
    fn refusals() {
        let (_, payload) = pack(&[("a.jpg", b"AAAA")]);
        let code = |bytes: &[u8]| PackIndex::decode_payload(bytes).unwrap_err().code();
        assert_eq!(code(&payload[..payload.len() - 1]), "truncated");
        assert_eq!(code(&[payload.as_slice(), b"x"].concat()), "malformed");
        let mut bad = payload.clone();
        bad[0] = b'X';
        assert_eq!(code(&bad), "malformed");
        let mut bad = payload.clone();
        bad[4] = 2;
        assert_eq!(code(&bad), "unsupported");
        let mut bad = payload.clone();
        bad[6] = 1;
        assert_eq!(code(&bad), "malformed");
        let mut bad = payload.clone();
        bad[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(code(&bad), "malformed");
        assert_eq!(code(&payload[..5]), "malformed");
        // Unknown field, non-canonical spacing.
        let json = br#"{"entries":[],"x":1}"#;
        let mut bad = b"SPMP\x01\0\0\0".to_vec();
        bad.extend_from_slice(&(json.len() as u32).to_be_bytes());
        bad.extend_from_slice(json);
        assert_eq!(code(&bad), "malformed");
        let json = br#"{"entries": []}"#;
        let mut bad = b"SPMP\x01\0\0\0".to_vec();
        bad.extend_from_slice(&(json.len() as u32).to_be_bytes());
        bad.extend_from_slice(json);
        assert_eq!(code(&bad), "malformed");
    }

    #[test]
    fn names_types_and_bounds() {
        for name in ["", ".hidden", "a/b", "..", "a b", "é.jpg", &"x".repeat(256)] {
            assert_eq!(PackIndex::new(vec![entry(name, 1)]).unwrap_err().code(), "malformed", "{name:?}");
        }
        assert!(PackIndex::new(vec![entry(&"x".repeat(255), 1)]).is_ok());
        assert_eq!(PackIndex::new(vec![entry("a", 1), entry("a", 2)]).unwrap_err().code(), "malformed");
        for t in ["image/JPEG", "image", "/jpeg", "image/", "image/jp eg"] {
            let mut e = entry("a", 1);
            e.content_type = t.into();
            assert_eq!(PackIndex::new(vec![e]).unwrap_err().code(), "malformed", "{t}");
        }
        let mut e = entry("a", 1);
        e.content_type = "image/svg+xml".into();
        assert!(PackIndex::new(vec![e]).is_ok());
        assert_eq!(PackIndex::new(vec![entry("a", MAX_PACK_DATA), entry("b", 1)]).unwrap_err().code(), "malformed");
        assert_eq!(PackIndex::new(vec![entry("a", u64::MAX), entry("b", 2)]).unwrap_err().code(), "malformed");
        let many: Vec<_> = (0..=MAX_PACK_ENTRIES).map(|i| entry(&format!("{i}.jpg"), 0)).collect();
        assert_eq!(PackIndex::new(many).unwrap_err().code(), "malformed");
    }
}
