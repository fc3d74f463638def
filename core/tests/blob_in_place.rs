//! The in-place segment paths (`BlobSealer::seal_segment_in_place`,
//! `BlobOpener::open_segment_in_place`): byte for byte the blobs of the push path, the same
//! error codes, nothing released from a failed segment, and misuse refused without damage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{BACKENDS, KEY_ID, ctx, data, data_key, keys};
use proptest::prelude::*;
use sync_core::blob::{BlobOpener, BlobSealer, Flags, HEADER_LEN, SealOptions, open_blob, seal_blob};
use sync_core::hazmat::random::SeededRandom;
use sync_core::hazmat::segment_aead::Backend;
use sync_core::testkit::craft::seal_segments;
use sync_core::{BlobType, Error};

fn sealer(k: u8, flags: Flags, backend: Backend, seed: u64) -> BlobSealer {
    BlobSealer::new(&data_key(), KEY_ID, &ctx(BlobType::Frames), k, flags, backend, &mut SeededRandom::new(seed))
        .unwrap()
}

/// Seals `payload` through the push path (one push).
fn seal_pushed(payload: &[u8], k: u8, seed: u64) -> Vec<u8> {
    let mut s = sealer(k, Flags::default(), Backend::Native, seed);
    let mut out = Vec::new();
    s.push(payload, &mut out).unwrap();
    s.finish(&mut out).unwrap();
    out
}

/// Seals `payload` segment by segment in place, the way a file reader with one byte of
/// read-ahead would; with `header_first`, the header is emitted before the first segment.
fn seal_in_place(payload: &[u8], k: u8, seed: u64, header_first: bool, backend: Backend) -> Vec<u8> {
    let mut s = sealer(k, Flags::default(), backend, seed);
    let size = s.segment_size();
    let mut out = Vec::new();
    if header_first {
        s.emit_header(&mut out);
    }
    let mut rest = payload;
    loop {
        let take = rest.len().min(size);
        let last = rest.len() <= size;
        let mut segment = rest[..take].to_vec();
        s.seal_segment_in_place(&mut segment, last).unwrap();
        out.extend_from_slice(&segment);
        rest = &rest[take..];
        if last {
            return out;
        }
    }
}

/// Opens `blob` by pushing the header, then whole segments in place (the last chunk is what
/// remains, marked last); returns the plaintext released and the result.
fn open_in_place(blob: &[u8], blob_type: BlobType, backend: Backend) -> (Vec<u8>, Result<(), Error>) {
    let mut opener = BlobOpener::with_backend(keys(), ctx(blob_type), backend);
    let mut out = Vec::new();
    let header = blob.len().min(HEADER_LEN);
    if let Err(e) = opener.push(&blob[..header], &mut out) {
        return (out, Err(e));
    }
    let Some(chunk_len) = opener.sealed_segment_len() else {
        let result = opener.finish(&mut out);
        return (out, result);
    };
    let mut rest = &blob[header..];
    loop {
        let last = rest.len() <= chunk_len;
        let take = rest.len().min(chunk_len);
        let mut chunk = rest[..take].to_vec();
        let result = opener.open_segment_in_place(&mut chunk, last);
        if let Err(e) = result {
            assert!(chunk.is_empty(), "a failed segment leaves nothing in the buffer");
            return (out, Err(e));
        }
        out.extend_from_slice(&chunk);
        rest = &rest[take..];
        if last {
            return (out, Ok(()));
        }
    }
}

#[test]
fn in_place_sealing_makes_the_bytes_of_the_push_path() {
    let s = 1usize << 12;
    for len in [0, 1, s - 1, s, s + 1, 2 * s, 3 * s + 5] {
        let payload = data(len, 1);
        let pushed = seal_pushed(&payload, 12, 3);
        for header_first in [false, true] {
            for backend in BACKENDS {
                assert_eq!(seal_in_place(&payload, 12, 3, header_first, backend), pushed, "len {len}");
            }
        }
        assert_eq!(open_blob(&keys(), &ctx(BlobType::Frames), &pushed).unwrap(), payload);
    }
}

#[test]
fn in_place_opening_releases_what_the_push_path_releases() {
    let s = 1usize << 12;
    for len in [0, 1, s - 1, s, s + 1, 2 * s, 3 * s + 5] {
        let payload = data(len, 2);
        let blob = seal_pushed(&payload, 12, 4);
        for backend in BACKENDS {
            let (out, result) = open_in_place(&blob, BlobType::Frames, backend);
            result.unwrap();
            assert_eq!(out, payload, "len {len}");
        }
    }
    // Padded and compressed text: the layers release their output segment by segment, and
    // the whole data after the last one.
    let text: Vec<u8> = data(70_000, 3).iter().map(|b| b"lorem ipsum "[(*b % 12) as usize]).collect();
    for compress in [false, true] {
        let options = SealOptions { segment_exp: 12, compress, pad: true, backend: Backend::Native };
        let blob =
            seal_blob(&data_key(), KEY_ID, &ctx(BlobType::Text), &text, &options, &mut SeededRandom::new(5)).unwrap();
        let (out, result) = open_in_place(&blob, BlobType::Text, Backend::Native);
        result.unwrap();
        assert_eq!(out, text, "compress {compress}");
    }
}

#[test]
fn in_place_opening_gives_the_codes_of_the_push_path() {
    let s = 1usize << 12;
    let chunk = s + 16;
    let payload = data(2 * s + 700, 6);
    let blob = seal_pushed(&payload, 12, 6);
    // Every single bit flip past the header: tampered, and only the segments before it released.
    for bit in (HEADER_LEN * 8..blob.len() * 8).step_by(7) {
        let mut bad = blob.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let (out, result) = open_in_place(&bad, BlobType::Frames, Backend::Native);
        assert_eq!(result.unwrap_err().code(), "tampered", "bit {bit}");
        assert_eq!(out, payload[..(bit / 8 - HEADER_LEN) / chunk * s], "bit {bit}");
    }
    // Truncation anywhere: the codes of open_blob.
    for len in HEADER_LEN..blob.len() {
        let expected = open_blob(&keys(), &ctx(BlobType::Frames), &blob[..len]).unwrap_err();
        let (_, result) = open_in_place(&blob[..len], BlobType::Frames, Backend::Native);
        assert_eq!(result.unwrap_err(), expected, "truncated to {len}");
    }
    // Hand-made shapes: an empty final segment after segment 0, a final flag in the middle.
    let full = data(s, 7);
    let handmade = |segments: &[(&[u8], bool)]| {
        seal_segments(&data_key(), KEY_ID, &ctx(BlobType::Frames), 12, Flags::default(), [5; 32], segments).unwrap()
    };
    let empty_last = handmade(&[(&full, false), (b"", true)]);
    assert_eq!(open_in_place(&empty_last, BlobType::Frames, Backend::Native).1.unwrap_err().code(), "malformed");
    let early_final = handmade(&[(&full, true), (b"tail", true)]);
    assert_eq!(open_in_place(&early_final, BlobType::Frames, Backend::Native).1.unwrap_err().code(), "tampered");
    // The header is checked as before.
    assert_eq!(open_in_place(&blob, BlobType::Audio, Backend::Native).1.unwrap_err().code(), "wrong_key_or_context");
}

#[test]
fn misuse_is_refused_without_damage() {
    let s = 1usize << 12;
    // Sealer: a short segment that is not the last, or an oversized last one, is refused and
    // left as it was; the sealer goes on.
    let mut sl = sealer(12, Flags::default(), Backend::Native, 8);
    let mut short = data(s - 1, 8);
    assert_eq!(sl.seal_segment_in_place(&mut short, false).unwrap_err().code(), "invalid_input");
    assert_eq!(short, data(s - 1, 8));
    let mut long = data(s + 1, 8);
    assert_eq!(sl.seal_segment_in_place(&mut long, true).unwrap_err().code(), "invalid_input");
    assert_eq!(long, data(s + 1, 8));
    let mut full = data(s, 9);
    sl.seal_segment_in_place(&mut full, false).unwrap();
    // An empty last segment after the first would be malformed on read: refused.
    let mut empty = Vec::new();
    assert_eq!(sl.seal_segment_in_place(&mut empty, true).unwrap_err().code(), "invalid_input");
    // Bytes given to push are pending: refused; once the sealer is finished, everything is.
    let mut out = Vec::new();
    sl.push(b"abc", &mut out).unwrap();
    let mut next = data(s, 1);
    assert_eq!(sl.seal_segment_in_place(&mut next, false).unwrap_err().code(), "invalid_state");
    sl.finish(&mut out).unwrap();
    assert_eq!(sl.seal_segment_in_place(&mut next, true).unwrap_err().code(), "invalid_state");
    // A padded blob goes through push and finish.
    let mut padded = sealer(12, Flags { zstd: false, padded: true }, Backend::Native, 8);
    assert_eq!(padded.seal_segment_in_place(&mut data(10, 1), true).unwrap_err().code(), "invalid_state");

    // Opener: nothing before the header; a wrong length is refused and the opener goes on.
    let blob = seal_pushed(&data(2 * s + 3, 10), 12, 10);
    let mut opener = BlobOpener::new(keys(), ctx(BlobType::Frames));
    assert_eq!(opener.sealed_segment_len(), None);
    let mut chunk = blob[HEADER_LEN..HEADER_LEN + s + 16].to_vec();
    assert_eq!(opener.open_segment_in_place(&mut chunk, false).unwrap_err().code(), "invalid_state");
    let mut out = Vec::new();
    opener.push(&blob[..HEADER_LEN], &mut out).unwrap();
    assert_eq!(opener.sealed_segment_len(), Some(s + 16));
    let mut short = chunk[..s].to_vec();
    assert_eq!(opener.open_segment_in_place(&mut short, false).unwrap_err().code(), "invalid_input");
    let mut long = [&chunk[..], b"x"].concat();
    assert_eq!(opener.open_segment_in_place(&mut long, true).unwrap_err().code(), "invalid_input");
    opener.open_segment_in_place(&mut chunk, false).unwrap();
    assert_eq!(chunk, data(2 * s + 3, 10)[..s]);
    // A partial segment given to push is pending: refused; push and finish may still end it.
    opener.push(&blob[HEADER_LEN + s + 16..HEADER_LEN + s + 20], &mut out).unwrap();
    let mut whole = blob[HEADER_LEN + s + 16..HEADER_LEN + 2 * (s + 16)].to_vec();
    assert_eq!(opener.open_segment_in_place(&mut whole, false).unwrap_err().code(), "invalid_state");
    opener.push(&blob[HEADER_LEN + s + 20..], &mut out).unwrap();
    opener.finish(&mut out).unwrap();
    assert_eq!(out, data(2 * s + 3, 10)[s..]);
    assert_eq!(opener.open_segment_in_place(&mut whole, true).unwrap_err().code(), "invalid_state");
    // After a failed segment the opener is spent.
    let mut opener = BlobOpener::new(keys(), ctx(BlobType::Frames));
    opener.push(&blob[..HEADER_LEN], &mut out).unwrap();
    let mut bad = blob[HEADER_LEN..HEADER_LEN + s + 16].to_vec();
    bad[5] ^= 1;
    assert_eq!(opener.open_segment_in_place(&mut bad, false).unwrap_err().code(), "tampered");
    assert!(bad.is_empty());
    let mut good = blob[HEADER_LEN..HEADER_LEN + s + 16].to_vec();
    assert_eq!(opener.open_segment_in_place(&mut good, false).unwrap_err().code(), "invalid_state");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any payload, segment exponent and backend on either side, and the first segments sealed
    /// in place with the rest pushed (or all in place): the blob of the push path, opened in
    /// place to the same payload.
    #[test]
    fn in_place_round_trip(
        len in 0usize..40_000,
        k in prop::sample::select(vec![12u8, 13]),
        seed in any::<u8>(),
        in_place in prop::option::of(0usize..6),
        seal_backend in prop::sample::select(BACKENDS.to_vec()),
        open_backend in prop::sample::select(BACKENDS.to_vec()),
    ) {
        let payload = data(len, seed);
        let blob = match in_place {
            None => seal_in_place(&payload, k, u64::from(seed), false, seal_backend),
            Some(n) => {
                // n whole segments in place (each with more bytes after it), then push.
                let mut s = sealer(k, Flags::default(), seal_backend, u64::from(seed));
                let size = s.segment_size();
                let n = n.min(len.saturating_sub(1) / size);
                let mut out = Vec::new();
                for i in 0..n {
                    let mut segment = payload[i * size..(i + 1) * size].to_vec();
                    s.seal_segment_in_place(&mut segment, false).unwrap();
                    out.extend_from_slice(&segment);
                }
                s.push(&payload[n * size..], &mut out).unwrap();
                s.finish(&mut out).unwrap();
                out
            }
        };
        prop_assert_eq!(&blob, &seal_pushed(&payload, k, u64::from(seed)));
        let (opened, result) = open_in_place(&blob, BlobType::Frames, open_backend);
        result.unwrap();
        prop_assert_eq!(opened, payload);
    }
}

#[test]
fn debug_shows_the_state_never_the_bytes() {
    let secret = b"the plaintext of a very private meeting".repeat(8);
    let mut s = sealer(12, Flags::default(), Backend::Native, 12);
    let mut out = Vec::new();
    s.push(&secret, &mut out).unwrap();
    let shown = format!("{s:?}");
    assert!(shown.contains("pending_len: 312"), "{shown}");
    let mut opener = BlobOpener::new(keys(), ctx(BlobType::Frames));
    opener.push(&out, &mut Vec::new()).unwrap();
    s.finish(&mut out).unwrap();
    let mut spent = BlobOpener::new(keys(), ctx(BlobType::Frames));
    spent.push(&out, &mut Vec::new()).unwrap();
    spent.finish(&mut Vec::new()).unwrap();
    for shown in [format!("{s:?}"), format!("{opener:?}"), format!("{spent:?}")] {
        // Neither the plaintext (as bytes or text) nor the key appears; the state does.
        assert!(!shown.contains("plaintext") && !shown.contains("112, 108, 97"), "{shown}");
        assert!(!shown.contains("66, 66, 66"), "{shown}");
        assert!(shown.contains("segment"), "{shown}");
    }
}
