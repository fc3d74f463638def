//! The blob opener on arbitrary bytes, pushed in arbitrary pieces. Half the inputs are
//! mutations of a valid blob under the fuzzer's key, so the segment and layer code is reached
//! past the commitment check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::blob::{BlobContext, BlobOpener, SealOptions, seal_blob};
use sync_core::keys::{DataKey, DataKeys};
use sync_core::testkit::SeededRandom;
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

fn ctx(blob_type: BlobType) -> BlobContext {
    BlobContext {
        blob_id: BlobId([1; 16]),
        blob_type,
        device_id: DeviceId::new("fuzz").unwrap(),
        time_start: UnixMillis(0),
        time_end: UnixMillis(1),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&control, rest)) = input.split_first() else { return };
    let key = DataKey::from_bytes([9; 32]);
    let key_id = KeyId([3; 16]);
    let blob_type = [BlobType::Text, BlobType::Frames, BlobType::Audio][usize::from(control % 3)];
    let blob = if control & 0x80 != 0 {
        // Seal the input as a payload, then damage one byte chosen by the input.
        let mut options = SealOptions::for_type(blob_type);
        options.segment_exp = 12;
        let mut blob = seal_blob(&key, key_id, &ctx(blob_type), rest, &options, &mut SeededRandom::new(1)).unwrap();
        if control & 0x40 != 0 && !blob.is_empty() {
            let at = usize::from(u16::from_le_bytes([rest.first().copied().unwrap_or(0), rest.get(1).copied().unwrap_or(0)])) % blob.len();
            blob[at] ^= 1 << (control & 7);
        }
        blob
    } else {
        rest.to_vec()
    };
    let mut opener = BlobOpener::new(DataKeys::single(key_id, key), ctx(blob_type));
    let mut out = Vec::new();
    let step = 1 + usize::from(control >> 3 & 0x0f) * 97;
    for piece in blob.chunks(step) {
        if opener.push(piece, &mut out).is_err() {
            return;
        }
    }
    let ok = opener.finish(&mut out).is_ok();
    if control & 0xc0 == 0x80 {
        assert!(ok, "an undamaged blob must open");
        assert_eq!(out, rest);
    }
});
