//! Media packs for viewers (docs/FORMAT.md, "Media blobs and the media pack"): a `frames` blob
//! opened with [`crate::ViewerKeys::open_blob`] may hold many snapshot JPEGs in one payload; a
//! frame's `snapshot` (records bundle v2) names the blob and the entry. Parsing is the core's
//! ([`sync_core::pack`]); every check of the format applies (`malformed`, `truncated`,
//! `unsupported`).

use sync_core::pack::{PackIndex, is_pack};

use crate::error::FfiResult;

/// One file of a media pack.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PackEntryRecord {
    /// Its name in the pack (a frame's `snapshot.entry`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its capture time, Unix milliseconds.
    pub time_ms: i64,
    /// Its media type, such as `image/jpeg`.
    pub content_type: String,
    /// Where its bytes start in the payload.
    pub offset: u64,
}

/// True when a decrypted `frames` payload (or its first bytes) starts with the pack magic: a
/// video chunk does not.
#[uniffi::export]
pub fn is_media_pack(payload: Vec<u8>) -> bool {
    is_pack(&payload)
}

/// The entries of a whole decrypted pack payload, in payload order. Errors: `malformed` (not a
/// pack, a bad index, bytes after the last entry), `truncated`, `unsupported`.
#[uniffi::export]
pub fn media_pack_entries(payload: Vec<u8>) -> FfiResult<Vec<PackEntryRecord>> {
    let index = PackIndex::decode_payload(&payload)?;
    Ok(index
        .entries()
        .iter()
        .enumerate()
        .map(|(i, e)| PackEntryRecord {
            name: e.name.clone(),
            size: e.size,
            time_ms: e.time.0,
            content_type: e.content_type.clone(),
            offset: index.range(i).map_or(0, |r| r.start),
        })
        .collect())
}

/// The bytes of the entry named `name` in a whole decrypted pack payload, or `None` when the
/// pack has no such entry. Errors as for [`media_pack_entries`].
#[uniffi::export]
pub fn media_pack_entry(payload: Vec<u8>, name: String) -> FfiResult<Option<Vec<u8>>> {
    entry_of(&payload, &name)
}

/// The bytes of entry `name` of a whole pack payload, after every check of the format.
pub(crate) fn entry_of(payload: &[u8], name: &str) -> FfiResult<Option<Vec<u8>>> {
    let index = PackIndex::decode_payload(payload)?;
    let Some((i, _)) = index.find(name) else {
        return Ok(None);
    };
    Ok(Some(index.slice(payload, i)?.to_vec()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sync_core::UnixMillis;
    use sync_core::pack::PackEntry;

    use super::*;
    use crate::error::SyncFfiError;

    fn pack(files: &[(&str, &[u8])]) -> Vec<u8> {
        let entries = files
            .iter()
            .map(|(name, bytes)| PackEntry {
                name: (*name).into(),
                size: bytes.len() as u64,
                time: UnixMillis(1_796_477_777_811),
                content_type: "image/jpeg".into(),
            })
            .collect();
        let mut payload = PackIndex::new(entries).unwrap().encode_header().unwrap();
        for (_, bytes) in files {
            payload.extend_from_slice(bytes);
        }
        payload
    }

    #[test]
    fn entries_and_one_entry_by_name() {
        let payload = pack(&[("a.jpg", b"AAAA"), ("b.jpg", b"BB")]);
        assert!(is_media_pack(payload.clone()));
        let entries = media_pack_entries(payload.clone()).unwrap();
        assert_eq!(entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["a.jpg", "b.jpg"]);
        assert_eq!((entries[1].size, entries[1].time_ms), (2, 1_796_477_777_811));
        assert_eq!(entries[1].offset, entries[0].offset + 4);
        assert_eq!(&payload[entries[1].offset as usize..], b"BB");
        assert_eq!(media_pack_entry(payload.clone(), "b.jpg".into()).unwrap(), Some(b"BB".to_vec()));
        assert_eq!(media_pack_entry(payload, "c.jpg".into()).unwrap(), None);
    }

    #[test]
    fn refusals_keep_the_core_codes() {
        let payload = pack(&[("a.jpg", b"AAAA")]);
        let cut = media_pack_entries(payload[..payload.len() - 1].to_vec()).unwrap_err();
        assert!(matches!(&cut, SyncFfiError::Integrity { code, .. } if code == "truncated"), "{cut:?}");
        let longer = media_pack_entry([payload.as_slice(), b"x"].concat(), "a.jpg".into()).unwrap_err();
        assert!(matches!(&longer, SyncFfiError::InvalidInput { code, .. } if code == "malformed"), "{longer:?}");
        let mut newer = payload;
        newer[4] = 2;
        assert_eq!(media_pack_entries(newer).unwrap_err().code(), "unsupported");
        assert!(!is_media_pack(b"\0\0\0\x18ftypisom".to_vec()));
    }
}
