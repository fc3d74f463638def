//! Blob format v1: round trips for any size, segment exponent and split; every single bit flip,
//! truncation, extension and segment swap rejected with the code docs/FORMAT.md, "Blob format" assigns, and no
//! plaintext released from a segment that failed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{BACKENDS, KEY_ID, ctx, data, data_key, keys};
use proptest::prelude::*;
use sync_core::blob::{BlobContext, BlobHeader, BlobOpener, BlobSealer, Flags, SealOptions, open_blob, seal_blob};
use sync_core::hazmat::random::SeededRandom;
use sync_core::hazmat::segment_aead::Backend;
use sync_core::keys::{DataKey, DataKeys};
use sync_core::testkit::craft::seal_segments;
use sync_core::{BlobId, BlobType, DeviceId, Error, KeyId, UnixMillis};

fn seal(payload: &[u8], blob_type: BlobType, options: SealOptions) -> Vec<u8> {
    seal_blob(&data_key(), KEY_ID, &ctx(blob_type), payload, &options, &mut SeededRandom::new(9)).unwrap()
}

fn raw(k: u8) -> SealOptions {
    SealOptions { segment_exp: k, compress: false, pad: false, backend: Backend::Native }
}

/// Opens by pushing `blob` cut at `cuts`; returns the plaintext released and the result.
fn open_split(blob: &[u8], cuts: &[usize], context: &BlobContext, backend: Backend) -> (Vec<u8>, Result<(), Error>) {
    let mut opener = BlobOpener::with_backend(keys(), context.clone(), backend);
    let mut out = Vec::new();
    let mut last = 0;
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(blob.len())).collect();
    points.sort_unstable();
    points.push(blob.len());
    for p in points {
        if let Err(e) = opener.push(&blob[last..p], &mut out) {
            return (out, Err(e));
        }
        last = p;
    }
    let result = opener.finish(&mut out);
    (out, result)
}

fn code(blob: &[u8], blob_type: BlobType) -> &'static str {
    open_blob(&keys(), &ctx(blob_type), blob).unwrap_err().code()
}

#[test]
fn segment_counts_follow_the_rule() {
    let s = 1usize << 12;
    let chunk = s + 16;
    // Empty payload: one empty segment.
    assert_eq!(seal(&[], BlobType::Frames, raw(12)).len(), 88 + 16);
    // m * S bytes: exactly m full segments, no empty one after.
    for m in 1..4 {
        assert_eq!(seal(&data(m * s, 1), BlobType::Frames, raw(12)).len(), 88 + m * chunk);
    }
    // m * S + r bytes: m full segments and one of r.
    assert_eq!(seal(&data(2 * s + 5, 1), BlobType::Frames, raw(12)).len(), 88 + 2 * chunk + 5 + 16);
    for k in [12u8, 16, 24] {
        let blob = seal(&data(3000, 2), BlobType::Audio, raw(k));
        assert_eq!(BlobHeader::parse(&blob).unwrap().segment_exp, k);
        assert_eq!(open_blob(&keys(), &ctx(BlobType::Audio), &blob).unwrap(), data(3000, 2));
    }
}

#[test]
fn text_layers_round_trip_and_are_required() {
    let bundle = data(100_000, 3).iter().map(|b| b"abcdefgh "[(*b % 9) as usize]).collect::<Vec<u8>>();
    let blob = seal(&bundle, BlobType::Text, SealOptions::for_type(BlobType::Text));
    let header = BlobHeader::parse(&blob).unwrap();
    assert_eq!(header.flags, Flags { zstd: true, padded: true });
    assert!(blob.len() < bundle.len() / 2, "text compresses");
    assert_eq!(open_blob(&keys(), &ctx(BlobType::Text), &blob).unwrap(), bundle);
    // A text blob must be padded: the sealer refuses, and an unpadded one is malformed on read.
    let unpadded = SealOptions { pad: false, ..SealOptions::for_type(BlobType::Text) };
    assert!(seal_blob(&data_key(), KEY_ID, &ctx(BlobType::Text), b"x", &unpadded, &mut SeededRandom::new(1)).is_err());
    let unpadded_text_blob =
        seal_segments(&data_key(), KEY_ID, &ctx(BlobType::Text), 16, Flags::default(), [3; 32], &[(b"hello", true)])
            .unwrap();
    assert_eq!(code(&unpadded_text_blob, BlobType::Text), "malformed");
}

/// Builds a `frames` blob segment by segment, for shapes the sealer never makes.
fn handmade(segments: &[(&[u8], bool)]) -> Vec<u8> {
    seal_segments(&data_key(), KEY_ID, &ctx(BlobType::Frames), 12, Flags::default(), [5; 32], segments).unwrap()
}

#[test]
fn the_last_segment_rules() {
    let full = data(4096, 4);
    // Well-formed by hand equals what the library opens.
    let ok = handmade(&[(&full, false), (b"tail", true)]);
    assert_eq!(open_blob(&keys(), &ctx(BlobType::Frames), &ok).unwrap(), [&full[..], b"tail"].concat());
    // An empty final segment after segment 0 is malformed.
    assert_eq!(code(&handmade(&[(&full, false), (b"", true)]), BlobType::Frames), "malformed");
    // An empty final segment as segment 0 is the empty payload.
    assert_eq!(open_blob(&keys(), &ctx(BlobType::Frames), &handmade(&[(b"", true)])).unwrap(), b"");
    // The stream ends after a non-final segment: truncated.
    assert_eq!(code(&handmade(&[(&full, false)]), BlobType::Frames), "truncated");
    assert_eq!(code(&handmade(&[(&full, false), (&full, false)]), BlobType::Frames), "truncated");
    // A short final segment that claims not to be last: truncated too.
    assert_eq!(code(&handmade(&[(&full, false), (b"tail", false)]), BlobType::Frames), "truncated");
    // A final flag in the middle (extension after the real end): tampered.
    assert_eq!(code(&handmade(&[(&full, true), (b"tail", true)]), BlobType::Frames), "tampered");
    // Header only, or a final chunk shorter than a tag: truncated.
    assert_eq!(code(&ok[..88], BlobType::Frames), "truncated");
    assert_eq!(code(&ok[..88 + 15], BlobType::Frames), "truncated");
    // Short header: malformed.
    assert_eq!(code(&ok[..87], BlobType::Frames), "malformed");
    assert_eq!(code(&[], BlobType::Frames), "malformed");
}

#[test]
fn context_and_key_are_bound() {
    let blob = seal(&data(5000, 5), BlobType::Frames, raw(12));
    let mut other = ctx(BlobType::Frames);
    other.device_id = DeviceId::new("laptop-2").unwrap();
    assert_eq!(open_blob(&keys(), &other, &blob).unwrap_err(), Error::WrongKeyOrContext);
    let mut other = ctx(BlobType::Frames);
    other.time_end = UnixMillis(other.time_end.0 + 1);
    assert_eq!(open_blob(&keys(), &other, &blob).unwrap_err(), Error::WrongKeyOrContext);
    let mut other = ctx(BlobType::Frames);
    other.blob_id = BlobId([8; 16]);
    assert_eq!(open_blob(&keys(), &other, &blob).unwrap_err(), Error::WrongKeyOrContext);
    assert_eq!(open_blob(&keys(), &ctx(BlobType::Audio), &blob).unwrap_err(), Error::WrongKeyOrContext);
    let wrong_key = DataKeys::single(KEY_ID, DataKey::from_bytes([0x43; 32]));
    assert_eq!(open_blob(&wrong_key, &ctx(BlobType::Frames), &blob).unwrap_err(), Error::WrongKeyOrContext);
    let other_id = DataKeys::single(KeyId([0x12; 16]), data_key());
    assert_eq!(
        open_blob(&other_id, &ctx(BlobType::Frames), &blob).unwrap_err(),
        Error::UnknownKey { key_id: "11".repeat(16) }
    );
}

#[test]
fn every_single_bit_flip_is_rejected_and_releases_nothing_unverified() {
    let s = 4096;
    let payload = data(2 * s + 700, 6);
    let blob = seal(&payload, BlobType::Frames, raw(12));
    let chunk = s + 16;
    for bit in 0..blob.len() * 8 {
        let mut bad = blob.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let (out, result) = open_split(&bad, &[], &ctx(BlobType::Frames), Backend::Native);
        let err = result.expect_err("a flipped bit must fail");
        let byte = bit / 8;
        let expected: &[&str] = match byte {
            0..=3 => &["malformed"],
            4 | 5 => &["unsupported"],
            6 | 7 => &["malformed", "wrong_key_or_context"],
            8..=23 => &["unknown_key"],
            24..=87 => &["wrong_key_or_context"],
            _ => &["tampered"],
        };
        assert!(expected.contains(&err.code()), "bit {bit}: {err:?}");
        // Only whole segments before the damaged one were released.
        let released_segments = if byte < 88 { 0 } else { (byte - 88) / chunk };
        assert_eq!(out, payload[..released_segments * s], "bit {bit}");
    }
}

#[test]
fn truncation_extension_and_swaps() {
    let s = 4096;
    let payload = data(3 * s + 10, 7);
    let blob = seal(&payload, BlobType::Frames, raw(12));
    let chunk = s + 16;
    for len in 0..blob.len() {
        let err = open_blob(&keys(), &ctx(BlobType::Frames), &blob[..len]).unwrap_err();
        let expected = if len < 88 {
            "malformed"
        } else if (len - 88) % chunk < 16 || (len - 88) % chunk == 0 {
            "truncated"
        } else {
            "tampered"
        };
        assert_eq!(err.code(), expected, "truncated to {len}");
    }
    for extra in [1usize, 15, 16, 17, 4112] {
        let mut longer = blob.clone();
        longer.extend(std::iter::repeat_n(0xA5, extra));
        assert_eq!(code(&longer, BlobType::Frames), "tampered", "extended by {extra}");
    }
    // Swap segments 0 and 1, and 1 and 2.
    for (a, b) in [(0usize, 1usize), (1, 2)] {
        let mut swapped = blob.clone();
        let (ra, rb) = (88 + a * chunk..88 + (a + 1) * chunk, 88 + b * chunk..88 + (b + 1) * chunk);
        let seg_a = blob[ra.clone()].to_vec();
        swapped[ra].copy_from_slice(&blob[rb.clone()]);
        swapped[rb].copy_from_slice(&seg_a);
        assert_eq!(code(&swapped, BlobType::Frames), "tampered");
    }
    // Drop a middle segment.
    let mut dropped = blob[..88 + chunk].to_vec();
    dropped.extend_from_slice(&blob[88 + 2 * chunk..]);
    assert_eq!(code(&dropped, BlobType::Frames), "tampered");
}

#[test]
fn spent_openers_and_sealers_refuse_more_work() {
    let mut opener = BlobOpener::new(keys(), ctx(BlobType::Frames));
    let mut out = Vec::new();
    assert!(opener.push(b"XXXX", &mut out).is_ok());
    assert!(opener.push(&[0; 100], &mut out).is_err());
    assert_eq!(opener.push(&[0; 1], &mut out).unwrap_err().code(), "invalid_state");
    let mut sealer = BlobSealer::new(
        &data_key(),
        KEY_ID,
        &ctx(BlobType::Audio),
        12,
        Flags::default(),
        Backend::Native,
        &mut SeededRandom::new(1),
    )
    .unwrap();
    sealer.finish(&mut out).unwrap();
    assert_eq!(sealer.push(b"x", &mut out).unwrap_err().code(), "invalid_state");
    assert_eq!(sealer.finish(&mut out).unwrap_err().code(), "invalid_state");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip_any_size_exponent_split_and_backend(
        len in 0usize..70_000,
        k in prop::sample::select(vec![12u8, 13, 16]),
        pad in any::<bool>(),
        compress in any::<bool>(),
        seed in any::<u8>(),
        seal_cuts in prop::collection::vec(0usize..80_000, 0..6),
        open_cuts in prop::collection::vec(0usize..90_000, 0..6),
        seal_backend in prop::sample::select(BACKENDS.to_vec()),
        open_backend in prop::sample::select(BACKENDS.to_vec()),
    ) {
        let payload = data(len, seed);
        let blob_type = if pad { BlobType::Text } else { BlobType::Frames };
        let blob = if compress {
            let options = SealOptions { segment_exp: k, compress, pad, backend: seal_backend };
            seal_blob(&data_key(), KEY_ID, &ctx(blob_type), &payload, &options, &mut SeededRandom::new(2)).unwrap()
        } else {
            // Streaming seal with arbitrary splits.
            let flags = Flags { zstd: false, padded: pad };
            let mut sealer = BlobSealer::new(&data_key(), KEY_ID, &ctx(blob_type), k, flags, seal_backend, &mut SeededRandom::new(2)).unwrap();
            let mut out = Vec::new();
            let mut cuts: Vec<usize> = seal_cuts.iter().map(|&c| c.min(len)).collect();
            cuts.sort_unstable();
            cuts.push(len);
            let mut last = 0;
            for c in cuts {
                sealer.push(&payload[last..c], &mut out).unwrap();
                last = c;
            }
            sealer.finish(&mut out).unwrap();
            out
        };
        let (out, result) = open_split(&blob, &open_cuts, &ctx(blob_type), open_backend);
        result.unwrap();
        prop_assert_eq!(out, payload);
    }
}
