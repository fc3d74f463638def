//! The context a blob is bound to: `tuple(blob_id, blob_type, device_id, i64be(time_start_ms),
//! i64be(time_end_ms))`.
//!
//! Because the context enters the per-blob key, a server that swaps blobs between devices,
//! types or time ranges makes decryption fail with `wrong_key_or_context`.

use serde::{Deserialize, Serialize};

use crate::encoding::{Tuple, UnixMillis};
use crate::ids::{BlobId, BlobType, DeviceId};

/// What a blob is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobContext {
    /// The blob's id.
    pub blob_id: BlobId,
    /// What it holds.
    pub blob_type: BlobType,
    /// The device that made it.
    pub device_id: DeviceId,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
}

impl BlobContext {
    /// The context tuple.
    pub fn to_tuple(&self) -> Tuple {
        Tuple::new()
            .bytes(self.blob_id.as_bytes())
            .str(self.blob_type.as_str())
            .str(self.device_id.as_str())
            .i64(self.time_start.0)
            .i64(self.time_end.0)
    }
}
