//! Vectors of the blob format, with crafted must-fail payloads.

use super::{R, fail, ok};
use crate::blob::{BlobContext, Flags, SealOptions, seal_blob};
use crate::encoding::base64url::encode as b64;
use crate::keys::DataKey;
use crate::primitives::random::{SeededRandom, random_array};
use crate::primitives::segment_aead::Backend;
use crate::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};
use serde_json::{Value, json};

fn ctx(blob_type: BlobType, seed: u8) -> BlobContext {
    BlobContext {
        blob_id: BlobId([seed; 16]),
        blob_type,
        device_id: DeviceId::new("6f9619ff-8b86-d011-b42d-00c04fc964ff").unwrap_or_else(|_| unreachable_device()),
        time_start: UnixMillis(1_767_603_600_000),
        time_end: UnixMillis(1_767_603_900_000 + i64::from(seed)),
    }
}

fn unreachable_device() -> DeviceId {
    // The literal above is a valid device id; this branch exists only to avoid a panic path.
    DeviceId::new("device").unwrap_or_else(|_| unreachable_device())
}

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 11) as u8 ^ seed).collect()
}

fn blob_json(data_key: &DataKey, key_id: &KeyId, c: &BlobContext, blob: &[u8], plaintext: Option<&[u8]>) -> Value {
    let mut v = json!({"data_key": b64(data_key.expose()), "key_id": key_id.to_hex(),
        "context": serde_json::to_value(c).unwrap_or_default(), "blob": b64(blob)});
    if let Some(p) = plaintext {
        v["plaintext"] = json!(b64(p));
    }
    v
}

/// Seals a crafted payload under the given flags (see [`crate::testkit::craft::seal_payload_as_is`]).
fn seal_raw_payload(
    dk: &DataKey,
    key_id: KeyId,
    c: &BlobContext,
    k: u8,
    flags: Flags,
    payload: &[u8],
    rng: &mut SeededRandom,
) -> R<Vec<u8>> {
    crate::testkit::craft::seal_payload_as_is(dk, key_id, c, k, flags, random_array(rng)?, payload)
}

pub(super) fn blob_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let dk = DataKey::from_bytes(random_array(rng)?);
    let key_id = KeyId(random_array(rng)?);
    let raw = |k: u8| SealOptions { segment_exp: k, compress: false, pad: false, backend: Backend::Portable };
    let s12 = 4096usize;
    for (comment, len, k, blob_type) in [
        ("empty payload: one empty segment", 0usize, 12u8, BlobType::Frames),
        ("one byte", 1, 12, BlobType::Audio),
        ("S - 1 bytes", s12 - 1, 12, BlobType::Frames),
        ("exactly S bytes: one full final segment", s12, 12, BlobType::Frames),
        ("S + 1 bytes: a 1-byte final segment", s12 + 1, 12, BlobType::Audio),
        ("exactly 2S bytes: two segments, no empty third", 2 * s12, 12, BlobType::Frames),
        ("default 64 KiB segments", 70_000, 16, BlobType::Audio),
        ("largest exponent, 16 MiB segments", 100, 24, BlobType::Frames),
    ] {
        let c = ctx(blob_type, len as u8);
        let p = payload(len, 3);
        let blob = seal_blob(&dk, key_id, &c, &p, &raw(k), rng)?;
        out.push(ok(comment, blob_json(&dk, &key_id, &c, &blob, Some(&p))));
    }
    let text = "09:00 Slack #general: deploy at noon. 東京 meeting. ".repeat(200);
    let c = ctx(BlobType::Text, 40);
    let blob = seal_blob(
        &dk,
        key_id,
        &c,
        text.as_bytes(),
        &SealOptions { backend: Backend::Portable, ..SealOptions::for_type(BlobType::Text) },
        rng,
    )?;
    out.push(ok("text: zstd frame, padded", blob_json(&dk, &key_id, &c, &blob, Some(text.as_bytes()))));
    let c = ctx(BlobType::Text, 41);
    let opts = SealOptions { segment_exp: 12, compress: false, pad: true, backend: Backend::Portable };
    let p = payload(5000, 9);
    let blob = seal_blob(&dk, key_id, &c, &p, &opts, rng)?;
    out.push(ok(
        "text: padded, not compressed, padding spills into a second segment",
        blob_json(&dk, &key_id, &c, &blob, Some(&p)),
    ));
    let c = ctx(BlobType::Frames, 42);
    let opts = SealOptions { segment_exp: 12, compress: true, pad: false, backend: Backend::Portable };
    let p = payload(9000, 1);
    let blob = seal_blob(&dk, key_id, &c, &p, &opts, rng)?;
    out.push(ok("media with a zstd frame, not padded", blob_json(&dk, &key_id, &c, &blob, Some(&p))));

    // Must-fail cases from one three-segment blob.
    let c = ctx(BlobType::Frames, 50);
    let p = payload(2 * s12 + 100, 5);
    let good = seal_blob(&dk, key_id, &c, &p, &raw(12), rng)?;
    let chunk = s12 + 16;
    let v = |blob: &[u8]| blob_json(&dk, &key_id, &c, blob, None);
    let flip = |at: usize| {
        let mut b = good.clone();
        b[at] ^= 0x01;
        b
    };
    out.push(fail("bit flip in the first segment", "tampered", v(&flip(88 + 10))));
    out.push(fail("bit flip in a tag", "tampered", v(&flip(88 + chunk - 1))));
    out.push(fail("bit flip in the final segment", "tampered", v(&flip(good.len() - 20))));
    out.push(fail("bit flip in the salt", "wrong_key_or_context", v(&flip(30))));
    out.push(fail("bit flip in the commitment", "wrong_key_or_context", v(&flip(60))));
    out.push(fail(
        "flags changed to padded (bound in the key)",
        "wrong_key_or_context",
        v(&{
            let mut b = good.clone();
            b[7] = 2;
            b
        }),
    ));
    out.push(fail(
        "segment exponent changed to 13 (bound in the key)",
        "wrong_key_or_context",
        v(&{
            let mut b = good.clone();
            b[6] = 13;
            b
        }),
    ));
    out.push(fail("key_id of another key", "unknown_key", v(&flip(8))));
    out.push(fail("bad magic", "malformed", v(&flip(0))));
    out.push(fail(
        "format version 2",
        "unsupported",
        v(&{
            let mut b = good.clone();
            b[4] = 2;
            b
        }),
    ));
    out.push(fail(
        "algorithm 2",
        "unsupported",
        v(&{
            let mut b = good.clone();
            b[5] = 2;
            b
        }),
    ));
    out.push(fail(
        "segment exponent 11",
        "malformed",
        v(&{
            let mut b = good.clone();
            b[6] = 11;
            b
        }),
    ));
    out.push(fail(
        "segment exponent 25",
        "malformed",
        v(&{
            let mut b = good.clone();
            b[6] = 25;
            b
        }),
    ));
    out.push(fail(
        "unknown flag bit 2",
        "malformed",
        v(&{
            let mut b = good.clone();
            b[7] = 4;
            b
        }),
    ));
    out.push(fail("short header (87 bytes)", "malformed", v(&good[..87])));
    out.push(fail("empty blob", "malformed", v(&[])));
    out.push(fail("header only", "truncated", v(&good[..88])));
    out.push(fail("final chunk of 15 bytes", "truncated", v(&good[..88 + chunk + 15])));
    out.push(fail("cut after the first segment", "truncated", v(&good[..88 + chunk])));
    out.push(fail("cut after the second segment", "truncated", v(&good[..88 + 2 * chunk])));
    out.push(fail("cut inside the final segment", "tampered", v(&good[..good.len() - 1])));
    out.push(fail("cut inside a middle segment (16 bytes or more left)", "tampered", v(&good[..88 + chunk + 100])));
    out.push(fail("one byte appended", "tampered", v(&[&good[..], &[0]].concat())));
    out.push(fail(
        "a copy of the final segment appended",
        "tampered",
        v(&[&good[..], &good[88 + 2 * chunk..]].concat()),
    ));
    let mut swapped = good.clone();
    swapped[88..88 + chunk].copy_from_slice(&good[88 + chunk..88 + 2 * chunk]);
    swapped[88 + chunk..88 + 2 * chunk].copy_from_slice(&good[88..88 + chunk]);
    out.push(fail("segments 0 and 1 swapped", "tampered", v(&swapped)));
    let mut dropped = good[..88 + chunk].to_vec();
    dropped.extend_from_slice(&good[88 + 2 * chunk..]);
    out.push(fail("segment 1 removed", "tampered", v(&dropped)));
    let mut wrong_ctx = v(&good);
    wrong_ctx["context"]["device_id"] = json!("another-device");
    out.push(fail("moved to another device", "wrong_key_or_context", wrong_ctx));
    let mut wrong_type = v(&good);
    wrong_type["context"]["blob_type"] = json!("audio");
    out.push(fail("moved to another type", "wrong_key_or_context", wrong_type));
    let mut wrong_time = v(&good);
    wrong_time["context"]["time_end"] = json!("2026-01-05T09:05:00.051Z");
    out.push(fail("moved to another time range", "wrong_key_or_context", wrong_time));
    let mut wrong_id = v(&good);
    wrong_id["context"]["blob_id"] = json!("33".repeat(16));
    out.push(fail("served under another blob id", "wrong_key_or_context", wrong_id));
    let mut other_key = v(&good);
    other_key["data_key"] = json!(b64(&[0x5a; 32]));
    out.push(fail("another data key with the same id", "wrong_key_or_context", other_key));

    // An empty final segment after segment 0.
    let full = payload(s12, 2);
    let blob = crate::testkit::craft::seal_segments(
        &dk,
        key_id,
        &c,
        12,
        Flags::default(),
        random_array(rng)?,
        &[(&full, false), (&[], true)],
    )?;
    out.push(fail("an empty final segment after segment 0", "malformed", v(&blob)));

    // Payload layers that break the rules (the crypto around them is valid).
    let zc = ctx(BlobType::Frames, 60);
    let zv = |blob: &[u8]| blob_json(&dk, &key_id, &zc, blob, None);
    let zflags = Flags { zstd: true, padded: false };
    let frame = crate::blob::zstd::compress(b"hello zstd hello zstd")?;
    let mut two = frame.clone();
    two.extend_from_slice(&frame);
    out.push(fail("two zstd frames", "malformed", zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &two, rng)?)));
    let mut trailing = frame.clone();
    trailing.push(0);
    out.push(fail(
        "a byte after the zstd frame",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &trailing, rng)?),
    ));
    let mut skippable = vec![0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0];
    skippable.extend_from_slice(&frame);
    out.push(fail(
        "a skippable frame first",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &skippable, rng)?),
    ));
    let no_fcs = ruzstd_raw(b"abc");
    out.push(fail(
        "zstd frame without Frame_Content_Size",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &no_fcs, rng)?),
    ));
    let mut big_window = frame.clone();
    big_window[5] = 14 << 3; // 16 MiB
    out.push(fail(
        "zstd window of 16 MiB",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &big_window, rng)?),
    ));
    let mut dict = frame.clone();
    dict[4] |= 1;
    dict.insert(6, 7);
    out.push(fail(
        "zstd frame naming a dictionary",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &dict, rng)?),
    ));
    let tc = ctx(BlobType::Text, 61);
    let mut huge = frame.clone();
    huge[4] = (huge[4] & 0x3f) | (3 << 6);
    huge.splice(6..10, ((1u64 << 28) + 1).to_le_bytes());
    let padded = crate::blob::padding::pad(&huge)?;
    let huge_blob = seal_raw_payload(&dk, key_id, &tc, 12, Flags { zstd: true, padded: true }, &padded, rng)?;
    out.push(fail(
        "text zstd frame declaring 2^28 + 1 bytes",
        "malformed",
        blob_json(&dk, &key_id, &tc, &huge_blob, None),
    ));
    let not_zstd = seal_raw_payload(&dk, key_id, &zc, 12, zflags, b"plain bytes, not a frame", rng)?;
    out.push(fail("flagged zstd but not a zstd frame", "malformed", zv(&not_zstd)));
    let pc = ctx(BlobType::Audio, 62);
    let pflags = Flags { zstd: false, padded: true };
    let pv = |blob: &[u8]| blob_json(&dk, &key_id, &pc, blob, None);
    let mut bad_pad = crate::blob::padding::pad(&payload(100, 1))?;
    bad_pad.push(0);
    out.push(fail(
        "one zero of padding too many",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &bad_pad, rng)?),
    ));
    let short_pad = crate::blob::padding::pad(&payload(100, 1))?;
    out.push(fail(
        "one zero of padding short",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &short_pad[..short_pad.len() - 1], rng)?),
    ));
    let mut no_marker = payload(104, 1);
    no_marker.iter_mut().for_each(|b| {
        if *b == 0 {
            *b = 1
        }
    });
    out.push(fail(
        "padded flag but no 0x80 marker",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &no_marker, rng)?),
    ));
    out.push(fail(
        "padded flag, empty payload",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &[], rng)?),
    ));
    let good_pad = crate::blob::padding::pad(&payload(100, 1))?;
    let ok_blob = seal_raw_payload(&dk, key_id, &pc, 12, pflags, &good_pad, rng)?;
    out.push(ok(
        "hand-padded payload (the reference for the two padding cases above)",
        blob_json(&dk, &key_id, &pc, &ok_blob, Some(&payload(100, 1))),
    ));
    Ok(out)
}

/// A zstd frame as ruzstd writes it (no Frame_Content_Size).
fn ruzstd_raw(data: &[u8]) -> Vec<u8> {
    // Rewrite our own frame back to "no content size": descriptor 0x04 (checksum only), window
    // descriptor kept, content size field removed.
    let framed = crate::blob::zstd::compress(data).unwrap_or_default();
    let mut out = framed[..4].to_vec();
    out.push(framed[4] & 0x04);
    out.push(framed[5]);
    out.extend_from_slice(&framed[10..]);
    out
}
