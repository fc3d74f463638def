//! Blob ids: `HMAC(id_key, material)[0..16]` (the core's `derive_blob_id`) of a tuple that
//! names what the blob holds, so that packaging the same rows again gives the same id:
//! - media: `tuple("spsync-native/v1/media", device_id, table, i64be(row_id))`;
//! - a media file sealed again because it changed after its push (`archive`):
//!   `tuple("spsync-native/v1/media-repush", device_id, table, i64be(row_id), sha256(file))`;
//! - a media pack of snapshots: `tuple("spsync-native/v2/frames-pack", device_id,
//!   i64be(first frame row id), i64be(last frame row id))`;
//! - text: `tuple("spsync-native/v1/text", device_id, i64be(window_start), i64be(window_end),
//!   part, tuple((table, i64be(from_row_id), i64be(to_row_id))...))`.

use sync_core::encoding::Tuple;
use sync_core::keys::KeySet;
use sync_core::{BlobId, DeviceId};

use crate::error::Result;

/// The blob id of a media chunk (before any is stored for it).
pub fn media_blob_id(keys: &KeySet, device: &DeviceId, table: &str, row_id: i64) -> Result<BlobId> {
    let material = Tuple::new().str("spsync-native/v1/media").str(device.as_str()).str(table).i64(row_id).into_bytes();
    Ok(keys.derive_blob_id(&material)?)
}

/// The blob id of a media chunk's file sealed again because its bytes (SHA-256 `sha256`)
/// changed after it was pushed.
pub fn repush_blob_id(keys: &KeySet, device: &DeviceId, table: &str, row_id: i64, sha256: &[u8; 32]) -> Result<BlobId> {
    let material = Tuple::new()
        .str("spsync-native/v1/media-repush")
        .str(device.as_str())
        .str(table)
        .i64(row_id)
        .bytes(sha256)
        .into_bytes();
    Ok(keys.derive_blob_id(&material)?)
}

/// The blob id of the media pack holding the snapshots of frames `first..=last`.
pub fn pack_blob_id(keys: &KeySet, device: &DeviceId, first: i64, last: i64) -> Result<BlobId> {
    let material =
        Tuple::new().str("spsync-native/v2/frames-pack").str(device.as_str()).i64(first).i64(last).into_bytes();
    Ok(keys.derive_blob_id(&material)?)
}

/// The row ranges a text pass covers, `(table, from_row_id, to_row_id)`, as a tuple.
pub(crate) fn ranges_material(ranges: &[(String, i64, i64)]) -> Tuple {
    ranges.iter().fold(Tuple::new(), |t, (table, lo, hi)| t.str(table).i64(*lo).i64(*hi))
}

/// The blob id of part `part` of the bundle of window `[window_start, window_end]` of a text
/// pass over `ranges` (see [`ranges_material`]).
pub(crate) fn text_blob_id(
    keys: &KeySet,
    device: &DeviceId,
    window_start: i64,
    window_end: i64,
    part: &str,
    ranges: &Tuple,
) -> Result<BlobId> {
    let material = Tuple::new()
        .str("spsync-native/v1/text")
        .str(device.as_str())
        .i64(window_start)
        .i64(window_end)
        .str(part)
        .tuple(ranges)
        .into_bytes();
    Ok(keys.derive_blob_id(&material)?)
}
