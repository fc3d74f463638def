//! Whole-process throughput of the blob format, for comparison with `openssl speed`.
//!
//! ```text
//! cargo run -q --release -p sync-core --features openssl-aead --example throughput -- seal BYTES
//! cargo run -q --release -p sync-core --example throughput -- open BYTES
//! cargo run -q --release -p sync-core --example throughput -- seal-push BYTES
//! cargo run -q --release -p sync-core --example throughput -- open-push BYTES
//! cargo run -q --release -p sync-core --features parallel-kdf --example throughput -- argon2 [ROUNDS]
//! cargo run -q --release -p sync-core --example throughput -- tokens COUNT
//! ```
//!
//! `seal` and `open` stream BYTES of payload in 64 KiB segments through the in-place paths
//! ([`BlobSealer::seal_segment_in_place`], [`BlobOpener::open_segment_in_place`]), the way the
//! desktop client seals and opens media: one segment buffer, which a producer fills (a file
//! read) and the format seals and opens where it lies. Each segment is sealed, then opened and
//! checked, so the buffer holds the next segment's plaintext again; like `openssl speed`, the
//! figure leaves out the producer's write into the buffer. `seal-push` and `open-push` stream
//! through the copying push API instead ([`BlobSealer::push`], [`BlobOpener::push`], 1 MiB
//! pushes). Each times only the measured side and prints the peak RSS and, on the last line,
//! the throughput in MB/s (10^6 bytes per second). `argon2` prints the median time of Argon2id
//! at the default parameters (64 MiB, t=3, p=4); `tokens` prints search tokens per second.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use sync_core::blob::{BlobContext, BlobOpener, BlobSealer, Flags};
use sync_core::hazmat::random::OsRandom;
use sync_core::hazmat::segment_aead::Backend;
use sync_core::keys::{DataKey, DataKeys, KdfParams, SearchKey};
use sync_core::search::{Field, TokenKey};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

const PUSH: usize = 1 << 20;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ctx() -> BlobContext {
    BlobContext {
        blob_id: BlobId([1; 16]),
        blob_type: BlobType::Frames,
        device_id: DeviceId::new("bench").unwrap(),
        time_start: UnixMillis(0),
        time_end: UnixMillis(1),
    }
}

/// `SYNC_AEAD_BACKEND`: `native` (default: OpenSSL with the `openssl-aead` feature, else
/// `ring`), `ring` or `portable`.
fn backend() -> Backend {
    match std::env::var("SYNC_AEAD_BACKEND").as_deref() {
        Ok("portable") => Backend::Portable,
        Ok("ring") => Backend::Ring,
        _ => Backend::Native,
    }
}

/// Streams `total` payload bytes through the copying push APIs in 1 MiB pushes; returns the
/// time spent sealing, or opening with `time_open`.
fn stream(total: u64, time_open: bool) -> Duration {
    let key = DataKey::from_bytes([7; 32]);
    let key_id = KeyId([2; 16]);
    let mut sealer = BlobSealer::new(&key, key_id, &ctx(), 16, Flags::default(), backend(), &mut OsRandom).unwrap();
    let mut opener = BlobOpener::with_backend(DataKeys::single(key_id, key.clone()), ctx(), backend());
    let input = vec![0x5au8; PUSH];
    let mut sealed = Vec::with_capacity(PUSH + PUSH / 8);
    let mut opened = Vec::with_capacity(PUSH + PUSH / 8);
    let mut timed = Duration::ZERO;
    let mut left = total;
    loop {
        let n = left.min(PUSH as u64) as usize;
        sealed.clear();
        let t = Instant::now();
        if n > 0 {
            sealer.push(&input[..n], &mut sealed).unwrap();
        }
        if n as u64 == left {
            sealer.finish(&mut sealed).unwrap();
        }
        if !time_open {
            timed += t.elapsed();
        }
        opened.clear();
        let t = Instant::now();
        opener.push(&sealed, &mut opened).unwrap();
        if n as u64 == left {
            opener.finish(&mut opened).unwrap();
        }
        if time_open {
            timed += t.elapsed();
        }
        left -= n as u64;
        if left == 0 {
            break;
        }
    }
    timed
}

/// Seals and opens `total` payload bytes segment by segment in one buffer; returns the time
/// spent sealing and the time spent opening.
fn stream_in_place(total: u64) -> (Duration, Duration) {
    let key = DataKey::from_bytes([7; 32]);
    let key_id = KeyId([2; 16]);
    let mut sealer = BlobSealer::new(&key, key_id, &ctx(), 16, Flags::default(), backend(), &mut OsRandom).unwrap();
    let mut opener = BlobOpener::with_backend(DataKeys::single(key_id, key.clone()), ctx(), backend());
    let mut header = Vec::new();
    sealer.emit_header(&mut header);
    opener.push(&header, &mut Vec::new()).unwrap();
    let size = sealer.segment_size() as u64;
    let mut segment = Vec::with_capacity(size as usize + 16);
    let (mut sealing, mut opening) = (Duration::ZERO, Duration::ZERO);
    let mut left = total;
    loop {
        let last = left <= size;
        let n = left.min(size) as usize;
        segment.resize(n, 0x5a);
        let t = Instant::now();
        sealer.seal_segment_in_place(&mut segment, last).unwrap();
        sealing += t.elapsed();
        let t = Instant::now();
        opener.open_segment_in_place(&mut segment, last).unwrap();
        opening += t.elapsed();
        assert!(
            segment.len() == n
                && segment.first().is_none_or(|&b| b == 0x5a)
                && segment.last().is_none_or(|&b| b == 0x5a)
        );
        left -= n as u64;
        if last {
            return (sealing, opening);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map(String::as_str).unwrap_or("");
    match what {
        "seal" | "open" | "seal-push" | "open-push" => {
            let bytes: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1 << 30);
            let elapsed = match what {
                "seal" => stream_in_place(bytes).0,
                "open" => stream_in_place(bytes).1,
                _ => stream(bytes, what == "open-push"),
            };
            let aead = sync_core::hazmat::segment_aead::SegmentAead::new(&[0; 32], backend()).unwrap();
            println!("segment AEAD: {}", aead.implementation());
            if let Some(kib) = peak_rss_kib() {
                println!("peak RSS: {:.1} MiB", kib as f64 / 1024.0);
            }
            println!("{:.1} MB/s", bytes as f64 / elapsed.as_secs_f64() / 1e6);
        }
        "argon2" => {
            let rounds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
            let p = KdfParams::DEFAULT;
            let mut times = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                sync_core::keys::password::derive_password_key("correct horse battery staple", &[1; 32], &p).unwrap();
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            println!("parallel lanes: {}", cfg!(feature = "parallel-kdf"));
            println!("{:.1} ms", times[times.len() / 2]);
        }
        "tokens" => {
            let count: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5_000_000);
            let tk = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes([3; 32])).unwrap();
            let words: Vec<String> = (0..1000).map(|i| format!("word{i:012}")).collect(); // 16 bytes each
            let t = Instant::now();
            let mut acc = 0u8;
            for i in 0..count {
                acc ^= tk.token_bytes(Field::Text, "2026-01", &words[i % words.len()])[0];
            }
            let secs = t.elapsed().as_secs_f64();
            println!("checksum {acc}");
            println!("{:.2} million tokens/s", count as f64 / secs / 1e6);
        }
        _ => {
            eprintln!("usage: throughput seal|open|seal-push|open-push BYTES | argon2 [ROUNDS] | tokens COUNT");
            std::process::exit(2);
        }
    }
}
