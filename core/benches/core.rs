//! `cargo bench -p sync-core [--features openssl-aead]`: blob seal and open on 64 KiB and 16 MiB
//! with every AEAD backend built, segments sealed and opened in place, Argon2id at the default
//! parameters, and search tokens. For the side-by-side comparison with OpenSSL and argon2-cffi
//! in one run, see `scripts/bench-core.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sync_core::blob::{BlobContext, BlobOpener, BlobSealer, Flags, SealOptions, open_blob, seal_blob};
use sync_core::hazmat::random::OsRandom;
use sync_core::hazmat::segment_aead::Backend;
use sync_core::keys::{DataKey, DataKeys, KdfParams, SearchKey};
use sync_core::search::{Field, TokenKey, terms};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

fn ctx() -> BlobContext {
    BlobContext {
        blob_id: BlobId([1; 16]),
        blob_type: BlobType::Frames,
        device_id: DeviceId::new("bench").unwrap(),
        time_start: UnixMillis(0),
        time_end: UnixMillis(1),
    }
}

/// The segment AEAD backends to compare: the native one (OpenSSL with `--features openssl-aead`,
/// else `ring`), `ring` by name when it is not the native one, and RustCrypto.
fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Native];
    if cfg!(feature = "openssl-aead") {
        all.push(Backend::Ring);
    }
    all.push(Backend::Portable);
    all
}

fn blobs(c: &mut Criterion) {
    let key = DataKey::from_bytes([7; 32]);
    let key_id = KeyId([2; 16]);
    let keys = DataKeys::single(key_id, key.clone());
    for (name, size) in [("64KiB", 64 << 10), ("16MiB", 16 << 20)] {
        let data = vec![0x5au8; size];
        for backend in backends() {
            let options = SealOptions { segment_exp: 16, compress: false, pad: false, backend };
            let mut group = c.benchmark_group("blob");
            group.throughput(Throughput::Bytes(size as u64));
            if size > 1 << 20 {
                group.sample_size(20);
            }
            group.bench_function(BenchmarkId::new(format!("seal/{backend:?}"), name), |b| {
                b.iter(|| seal_blob(&key, key_id, &ctx(), black_box(&data), &options, &mut OsRandom).unwrap())
            });
            let blob = seal_blob(&key, key_id, &ctx(), &data, &options, &mut OsRandom).unwrap();
            group.bench_function(BenchmarkId::new(format!("open/{backend:?}"), name), |b| {
                b.iter(|| open_blob(&keys, &ctx(), black_box(&blob)).unwrap())
            });
            group.finish();
        }
    }
}

/// Seals `iters` 64 KiB segments in place and opens each right after; returns the time spent
/// sealing and the time spent opening.
fn segments_in_place(iters: u64, backend: Backend) -> (Duration, Duration) {
    let key = DataKey::from_bytes([7; 32]);
    let key_id = KeyId([2; 16]);
    let mut sealer = BlobSealer::new(&key, key_id, &ctx(), 16, Flags::default(), backend, &mut OsRandom).unwrap();
    let mut opener = BlobOpener::with_backend(DataKeys::single(key_id, key), ctx(), backend);
    let mut header = Vec::new();
    sealer.emit_header(&mut header);
    opener.push(&header, &mut Vec::new()).unwrap();
    let mut segment = vec![0x5au8; 64 << 10];
    let (mut sealing, mut opening) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..iters {
        let t = Instant::now();
        sealer.seal_segment_in_place(black_box(&mut segment), false).unwrap();
        sealing += t.elapsed();
        let t = Instant::now();
        opener.open_segment_in_place(black_box(&mut segment), false).unwrap();
        opening += t.elapsed();
    }
    (sealing, opening)
}

fn in_place(c: &mut Criterion) {
    let mut group = c.benchmark_group("segment in place");
    group.throughput(Throughput::Bytes(64 << 10));
    for backend in backends() {
        group.bench_function(BenchmarkId::new(format!("seal/{backend:?}"), "64KiB"), |b| {
            b.iter_custom(|iters| segments_in_place(iters, backend).0)
        });
        group.bench_function(BenchmarkId::new(format!("open/{backend:?}"), "64KiB"), |b| {
            b.iter_custom(|iters| segments_in_place(iters, backend).1)
        });
    }
    group.finish();
}

fn argon2(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(10);
    group.bench_function("default (64 MiB, t=3, p=4)", |b| {
        b.iter(|| {
            sync_core::keys::password::derive_password_key(
                "correct horse battery staple",
                &[1; 32],
                &KdfParams::DEFAULT,
            )
            .unwrap()
        })
    });
    group.finish();
}

fn tokens(c: &mut Criterion) {
    let tk = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes([3; 32])).unwrap();
    let mut group = c.benchmark_group("tokens");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one token (16-byte word)", |b| {
        b.iter(|| tk.token_bytes(Field::Text, "2026-01", black_box("word000000000042")))
    });
    let text = "The quick brown fox jumps over the lazy dog while screenpipe records 東京 meetings. ".repeat(50);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("terms of 4 KB of text", |b| b.iter(|| terms(black_box(&text))));
    group.finish();
}

criterion_group!(benches, blobs, in_place, argon2, tokens);
criterion_main!(benches);
