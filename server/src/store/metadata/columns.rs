//! Column values to model types and back, shared by the SQLite and PostgreSQL stores: integers
//! that must fit, fixed-size byte columns, tiers, blob types and states, packed token lists and
//! JSON. A value that does not convert is [`StoreError::Corrupt`], naming the column.

use sync_core::wire::{Checksum, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

use super::{BlobFilter, BlobMeta, BlobState, TokenBytes};
use crate::domain::search::PostingFilter;
use crate::store::{StoreError, StoreResult};

/// The `state` column of a pending blob.
pub(super) const PENDING: i16 = 0;
/// The `state` column of a completed blob.
pub(super) const COMPLETE: i16 = 1;

/// A `state` column (anything but [`COMPLETE`] is pending: invisible).
pub(super) fn blob_state(code: i64) -> BlobState {
    if code == i64::from(COMPLETE) { BlobState::Complete } else { BlobState::Pending }
}

/// A count or size as a database integer.
pub(super) fn to_i64(value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|e| StoreError::corrupt_with(format!("{value} does not fit a database integer"), e))
}

/// A database integer as a count or size (never negative).
pub(super) fn to_u64(value: i64) -> StoreResult<u64> {
    u64::try_from(value).map_err(|e| StoreError::corrupt_with(format!("negative count {value}"), e))
}

/// Maps a core parse error of column `what` to [`StoreError::Corrupt`].
pub(super) fn corrupt(what: &str) -> impl Fn(sync_core::Error) -> StoreError + '_ {
    move |err| StoreError::corrupt_with(format!("{what}: {err}"), err)
}

/// A fixed-size byte column (ids, checksums, hashes).
pub(super) fn array<const N: usize>(bytes: &[u8], what: &str) -> StoreResult<[u8; N]> {
    <[u8; N]>::try_from(bytes).map_err(|e| StoreError::corrupt_with(format!("{what} has {} bytes", bytes.len()), e))
}

/// The `tier` column.
pub(super) fn parse_tier(text: &str) -> StoreResult<SyncTier> {
    text.parse::<SyncTier>().map_err(corrupt("tier"))
}

/// The small integer a blob type has in the token index (the same in both stores).
pub(super) fn type_code(blob_type: BlobType) -> i16 {
    match blob_type {
        BlobType::Text => 0,
        BlobType::Frames => 1,
        BlobType::Audio => 2,
    }
}

/// A search's filter as the posting lists apply it.
pub(super) fn posting_filter(filter: &BlobFilter) -> PostingFilter {
    PostingFilter {
        time_range: filter.time_range,
        type_codes: filter.blob_types.as_ref().map(|types| types.iter().map(|t| type_code(*t)).collect()),
    }
}

/// A blob's tokens as one column: 16 bytes each, concatenated.
pub(super) fn pack_tokens(tokens: &[TokenBytes]) -> Vec<u8> {
    tokens.iter().flat_map(|t| t.iter().copied()).collect()
}

/// The tokens of a packed column (a trailing partial token, which the stores never write, is dropped).
pub(super) fn unpack_tokens(packed: &[u8]) -> Vec<TokenBytes> {
    packed.chunks_exact(16).filter_map(|c| <[u8; 16]>::try_from(c).ok()).collect()
}

/// A value stored as JSON text (envelopes, keyrings).
pub(super) fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::corrupt_with(format!("cannot serialise: {e}"), e))
}

/// A JSON text column `what`.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt_with(format!("{what}: {e}"), e))
}

/// The columns of a blob's metadata, in the order both stores select them.
pub(super) struct MetaColumns<'a> {
    /// `blob_id` (16 bytes).
    pub blob_id: &'a [u8],
    /// `blob_type` (its name).
    pub blob_type: &'a str,
    /// `device_id`.
    pub device_id: String,
    /// `time_start`, Unix ms.
    pub time_start: i64,
    /// `time_end`, Unix ms.
    pub time_end: i64,
    /// `size_bytes`.
    pub size_bytes: i64,
    /// `checksum` (32 bytes).
    pub checksum: &'a [u8],
    /// `key_id` (16 bytes).
    pub key_id: &'a [u8],
}

impl MetaColumns<'_> {
    /// The metadata, every column checked.
    pub(super) fn into_meta(self) -> StoreResult<BlobMeta> {
        Ok(BlobMeta {
            blob_id: BlobId(array(self.blob_id, "blob_id")?),
            blob_type: self.blob_type.parse::<BlobType>().map_err(corrupt("blob_type"))?,
            device_id: DeviceId::new(self.device_id).map_err(corrupt("device_id"))?,
            time_start: UnixMillis(self.time_start),
            time_end: UnixMillis(self.time_end),
            size_bytes: to_u64(self.size_bytes)?,
            checksum: Checksum(array(self.checksum, "checksum")?),
            key_id: KeyId(array(self.key_id, "key_id")?),
        })
    }
}
