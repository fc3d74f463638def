//! What the blob tests share: one data key, a context of any type, and deterministic payloads.

#![allow(dead_code, clippy::unwrap_used)]

use sync_core::blob::BlobContext;
use sync_core::hazmat::segment_aead::Backend;
use sync_core::keys::{DataKey, DataKeys};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

/// The id of the tests' data key.
pub const KEY_ID: KeyId = KeyId([0x11; 16]);

/// The tests' data key.
pub fn data_key() -> DataKey {
    DataKey::from_bytes([0x42; 32])
}

/// The tests' data key, as an opener finds it.
pub fn keys() -> DataKeys {
    DataKeys::single(KEY_ID, data_key())
}

/// A context of `blob_type` (the other fields fixed).
pub fn ctx(blob_type: BlobType) -> BlobContext {
    BlobContext {
        blob_id: BlobId([7; 16]),
        blob_type,
        device_id: DeviceId::new("laptop-1").unwrap(),
        time_start: UnixMillis(1_767_603_600_000),
        time_end: UnixMillis(1_767_603_900_000),
    }
}

/// `len` bytes that look random and differ with `seed`.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed).collect()
}

/// Every segment AEAD backend (those not built fall back, so each name is always valid).
pub const BACKENDS: [Backend; 3] = [Backend::Native, Backend::Ring, Backend::Portable];
