//! The blob opener on arbitrary bytes, pushed in arbitrary pieces, and opened again segment by
//! segment in place: both paths must agree on the plaintext and the error code. Half the inputs
//! are mutations of a valid blob under the fuzzer's key, so the segment and layer code is
//! reached past the commitment check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::blob::{BlobContext, BlobOpener, HEADER_LEN, SealOptions, seal_blob};
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
    let keys = DataKeys::single(key_id, key);
    let pushed = open_pushed(BlobOpener::new(keys.clone(), ctx(blob_type)), &blob, 1 + usize::from(control >> 3 & 0x0f) * 97);
    let in_place = open_in_place(BlobOpener::new(keys, ctx(blob_type)), &blob);
    assert_eq!(pushed, in_place, "the push and in-place paths disagree");
    if control & 0xc0 == 0x80 {
        assert_eq!(pushed, Ok(rest.to_vec()), "an undamaged blob must open");
    }
});

/// Pushes `blob` in pieces of `step` bytes: the whole plaintext, or the first error's code.
fn open_pushed(mut opener: BlobOpener, blob: &[u8], step: usize) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    for piece in blob.chunks(step) {
        opener.push(piece, &mut out).map_err(|e| e.code())?;
    }
    opener.finish(&mut out).map_err(|e| e.code())?;
    Ok(out)
}

/// Pushes the header, then opens whole segments in place, the last chunk marked last.
fn open_in_place(mut opener: BlobOpener, blob: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    let (header, mut rest) = blob.split_at(blob.len().min(HEADER_LEN));
    opener.push(header, &mut out).map_err(|e| e.code())?;
    let Some(chunk_len) = opener.sealed_segment_len() else {
        opener.finish(&mut out).map_err(|e| e.code())?;
        return Ok(out);
    };
    loop {
        let last = rest.len() <= chunk_len;
        let (chunk, tail) = rest.split_at(rest.len().min(chunk_len));
        let mut buf = chunk.to_vec();
        opener.open_segment_in_place(&mut buf, last).map_err(|e| e.code())?;
        out.extend_from_slice(&buf);
        rest = tail;
        if last {
            return Ok(out);
        }
    }
}
