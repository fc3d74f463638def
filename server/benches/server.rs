//! Server benchmark on loopback: `/search` requests per second and latency percentiles over a
//! large token index, and upload throughput through the whole cycle (`/upload`, signed `PUT`,
//! `/upload/complete`; one blob per call, and batched declarations and completions), on the
//! embedded SQLite store and on PostgreSQL.
//!
//! ```text
//! cargo bench -p sync-server --bench server                                  # SQLite
//! SYNC_BENCH_BACKENDS=sqlite,postgres cargo bench -p sync-server --bench server
//! ```
//! PostgreSQL runs on the services of `scripts/services.sh` (started if needed; set
//! `SYNC_SERVICES_DIR` to use your own), a fresh database per run; objects stay local.
//! Sizes come from the environment (defaults are the documented run):
//! `SYNC_BENCH_BLOBS` (100000), `SYNC_BENCH_TOKENS` (200 per blob), `SYNC_BENCH_VOCABULARY`
//! (200000 distinct tokens, Zipf-like use), `SYNC_BENCH_QUERY_TOKENS` (4 per search),
//! `SYNC_BENCH_SEARCHES` (5000), `SYNC_BENCH_CONCURRENCY` (8 clients),
//! `SYNC_BENCH_UPLOAD_BLOBS` (64 blobs of `SYNC_BENCH_UPLOAD_MIB` = 4 MiB),
//! `SYNC_BENCH_SMALL_UPLOADS` (2000 blobs of 4 KiB). A CI smoke run:
//! `SYNC_BENCH_BLOBS=2000 SYNC_BENCH_SEARCHES=200 SYNC_BENCH_UPLOAD_BLOBS=4 SYNC_BENCH_SMALL_UPLOADS=100 cargo bench -p sync-server --bench server`.
//!
//! The index is filled directly in the store (`bulk_insert_completed`, 5000 blobs per
//! transaction, the same posting lists the routes write); every measured request then goes over
//! HTTP. `SYNC_BENCH_BATCH` (100) blobs per batched `/upload` and `/upload/complete`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs, dead_code)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sync_core::wire::Checksum;
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};
use sync_server::cli::UserCommand;
use sync_server::config::Config;
use sync_server::store::metadata::BlobMeta;

type Http = Client<HttpConnector, Full<Bytes>>;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// SplitMix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// An index in `0..n`, skewed towards small indices (common words), like word frequencies.
    fn zipfish(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64) * u.powi(3)) as u64 % n
    }
}

fn token_bytes(i: u64) -> [u8; 16] {
    let digest = Sha256::digest(i.to_le_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

fn token_text(i: u64) -> String {
    sync_core::encoding::base64url::encode(&token_bytes(i))
}

async fn send(http: &Http, method: &str, url: &str, headers: &[(&str, &str)], body: Bytes) -> (u16, Bytes) {
    let mut req = axum::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = http.request(req.body(Full::new(body)).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let backends = std::env::var("SYNC_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".into());
        for backend in backends.split(',').map(str::trim).filter(|b| !b.is_empty()) {
            run(backend).await;
        }
    });
}

/// Fills the index of `user_id` in the store of `config`: `blobs` blobs of `tokens_per_blob`
/// tokens drawn with a Zipf-like skew from `vocabulary`.
async fn fill(
    backend: &str,
    config: &Config,
    user_id: i64,
    blobs: u64,
    tokens_per_blob: u64,
    vocabulary: u64,
    rng: &mut Rng,
) {
    let device = DeviceId::new("bench-1").unwrap();
    let t0: i64 = 1_767_225_600_000; // 2026-01-01
    let sqlite = match backend {
        "sqlite" => Some(
            sync_server::store::metadata::sqlite::SqliteMetadata::open(
                &config.data_dir.join(sync_server::app::DATABASE_FILE),
            )
            .unwrap(),
        ),
        _ => None,
    };
    let postgres = match &config.database_url {
        Some(url) => Some(sync_server::store::metadata::postgres::PostgresMetadata::connect(url, 4).await.unwrap()),
        None => None,
    };
    let mut batch = Vec::new();
    for i in 0..blobs {
        let mut tokens = std::collections::BTreeSet::new();
        while (tokens.len() as u64) < tokens_per_blob.min(vocabulary) {
            tokens.insert(token_bytes(rng.zipfish(vocabulary)));
        }
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&i.to_be_bytes());
        id[8] = 0xb1;
        let start = t0 + (i as i64) * 60_000;
        let meta = BlobMeta {
            blob_id: BlobId(id),
            blob_type: if i % 10 == 0 { BlobType::Audio } else { BlobType::Text },
            device_id: device.clone(),
            time_start: UnixMillis(start),
            time_end: UnixMillis(start + 59_999),
            size_bytes: 10_000,
            checksum: Checksum([0; 32]),
            key_id: KeyId([1; 16]),
        };
        batch.push((meta, tokens.into_iter().collect::<Vec<_>>()));
        if batch.len() == 5000 || i + 1 == blobs {
            let blobs = std::mem::take(&mut batch);
            match (&sqlite, &postgres) {
                (Some(store), _) => store.bulk_insert_completed(user_id, blobs, UnixMillis(start)).await.unwrap(),
                (None, Some(store)) => store.bulk_insert_completed(user_id, blobs, UnixMillis(start)).await.unwrap(),
                (None, None) => panic!("no store to fill"),
            };
        }
    }
}

/// Bytes the index and blob rows take.
async fn database_bytes(config: &Config) -> u64 {
    match &config.database_url {
        None => std::fs::metadata(config.data_dir.join(sync_server::app::DATABASE_FILE)).map(|m| m.len()).unwrap_or(0),
        Some(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            let task = tokio::spawn(connection);
            let bytes: i64 = client
                .query_one("SELECT pg_total_relation_size('postings') + pg_total_relation_size('blobs')", &[])
                .await
                .unwrap()
                .get(0);
            drop(client);
            let _ = task.await;
            bytes as u64
        }
    }
}

async fn run(backend: &str) {
    let blobs = env("SYNC_BENCH_BLOBS", 100_000);
    let tokens_per_blob = env("SYNC_BENCH_TOKENS", 200);
    let vocabulary = env("SYNC_BENCH_VOCABULARY", 200_000);
    let query_tokens = env("SYNC_BENCH_QUERY_TOKENS", 4);
    let searches = env("SYNC_BENCH_SEARCHES", 5_000);
    let concurrency = env("SYNC_BENCH_CONCURRENCY", 8);
    let upload_blobs = env("SYNC_BENCH_UPLOAD_BLOBS", 64);
    let upload_mib = env("SYNC_BENCH_UPLOAD_MIB", 4);
    let small_uploads = env("SYNC_BENCH_SMALL_UPLOADS", 2_000);
    let batch_size = env("SYNC_BENCH_BATCH", 100).max(1);

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(dir.path());
    config.bind = "127.0.0.1:0".parse().unwrap();
    match backend {
        "sqlite" => {}
        "postgres" => config.database_url = Some(common::fresh_database().await),
        other => panic!("SYNC_BENCH_BACKENDS: {other:?} is neither sqlite nor postgres"),
    }
    println!("== {backend}");
    let mut out = Vec::new();
    sync_server::cli::user_command(
        &config,
        UserCommand::Add { email: "bench@example.com".into(), tier: "team".into() },
        &mut out,
    )
    .await
    .unwrap();
    let token = String::from_utf8(out).unwrap().lines().last().unwrap().to_owned();
    let server = sync_server::start(config.clone()).await.unwrap();
    let base = format!("http://{}/api/sync", server.addr);
    let http: Http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(64).build_http();
    let auth = format!("Bearer {token}");
    let headers = [("authorization", auth.as_str()), ("x-device-id", "bench-1")];
    let init = json!({"device_id": "bench-1", "device_name": "bench", "device_os": "linux"});
    let (status, _) = send(&http, "POST", &format!("{base}/init"), &headers, init.to_string().into()).await;
    assert_eq!(status, 200);

    // Fill the index.
    let user = server.state.metadata.user_by_email("bench@example.com").await.unwrap().unwrap();
    let mut rng = Rng(42);
    let fill_start = Instant::now();
    fill(backend, &config, user.id, blobs, tokens_per_blob, vocabulary, &mut rng).await;
    let fill_time = fill_start.elapsed();
    println!(
        "index: {blobs} blobs x {tokens_per_blob} tokens (vocabulary {vocabulary}) filled in {:.1} s; database {:.0} MB",
        fill_time.as_secs_f64(),
        database_bytes(&config).await as f64 / 1e6
    );
    // Searches.
    let queries: Vec<String> = (0..searches)
        .map(|_| {
            let tokens: Vec<String> = (0..query_tokens).map(|_| token_text(rng.zipfish(vocabulary))).collect();
            json!({"search_tokens": tokens, "limit": 100}).to_string()
        })
        .collect();
    let queries = Arc::new(queries);
    let (status, _) = send(&http, "POST", &format!("{base}/search"), &headers, queries[0].clone().into()).await;
    assert_eq!(status, 200);
    for clients in [concurrency, 1] {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = if clients == 1 { queries.len().min(1000) } else { queries.len() };
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..clients {
            let (http, queries, next, url, auth) =
                (http.clone(), Arc::clone(&queries), Arc::clone(&next), format!("{base}/search"), auth.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut matches = 0u64;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(query) = queries.get(i).filter(|_| i < count) else { break };
                    let t = Instant::now();
                    let (status, body) = send(
                        &http,
                        "POST",
                        &url,
                        &[("authorization", auth.as_str()), ("x-device-id", "bench-1")],
                        Bytes::from(query.clone()),
                    )
                    .await;
                    latencies.push(t.elapsed());
                    assert_eq!(status, 200, "{body:?}");
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    matches += v["total_matches"].as_u64().unwrap();
                }
                (latencies, matches)
            }));
        }
        let mut latencies = Vec::new();
        let mut matches = 0;
        for w in workers {
            let (l, m) = w.await.unwrap();
            latencies.extend(l);
            matches += m;
        }
        let elapsed = started.elapsed();
        latencies.sort_unstable();
        println!(
            "search: {count} requests of {query_tokens} tokens, {clients} clients: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; mean total_matches {:.0}",
            count as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
            matches as f64 / count as f64,
        );
    }

    // Uploads: large blobs (throughput) and small blobs (cycles per second).
    for (label, count, size, parallel) in
        [("large", upload_blobs, (upload_mib << 20) as usize, 4u64), ("small", small_uploads, 4096usize, concurrency)]
    {
        let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for w in 0..parallel {
            let (http, next, base, auth) = (http.clone(), Arc::clone(&next), base.clone(), auth.clone());
            let mut payload = vec![0u8; size];
            let mut r = Rng(w + 7);
            for chunk in payload.chunks_mut(8) {
                let x = r.next().to_le_bytes();
                chunk.copy_from_slice(&x[..chunk.len()]);
            }
            workers.push(tokio::spawn(async move {
                let headers = [("authorization", auth.as_str()), ("x-device-id", "bench-1")];
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    // Distinct ciphertexts: the first 8 bytes carry the index.
                    let mut body = payload.clone();
                    body[..8].copy_from_slice(&i.to_le_bytes());
                    let checksum = sync_core::encoding::hex::encode(&Sha256::digest(&body));
                    let mut id = [0u8; 16];
                    id[..8].copy_from_slice(&i.to_be_bytes());
                    id[8] = if label == "large" { 0xa1 } else { 0xa2 };
                    let blob_id = sync_core::encoding::hex::encode(&id);
                    let start = sync_core::UnixMillis(1_800_000_000_000 + i as i64 * 1000).to_rfc3339().unwrap();
                    let req = json!({"blob_id": blob_id, "blob_type": "frames", "device_id": "bench-1",
                        "time_start": start, "time_end": start, "size_bytes": size, "checksum": checksum,
                        "key_id": "01010101010101010101010101010101", "search_tokens": []});
                    let (status, answer) =
                        send(&http, "POST", &format!("{base}/upload"), &headers, req.to_string().into()).await;
                    assert_eq!(status, 200, "{answer:?}");
                    let url =
                        serde_json::from_slice::<Value>(&answer).unwrap()["upload_url"].as_str().unwrap().to_owned();
                    let (status, answer) = send(&http, "PUT", &url, &[], Bytes::from(body)).await;
                    assert_eq!(status, 200, "{answer:?}");
                    let done = json!({"blob_id": blob_id}).to_string();
                    let (status, answer) =
                        send(&http, "POST", &format!("{base}/upload/complete"), &headers, done.into()).await;
                    assert_eq!(status, 200, "{answer:?}");
                }
            }));
        }
        for w in workers {
            w.await.unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "upload ({label}): {count} blobs of {size} bytes, {parallel} clients: {:.1} MB/s, {:.0} blobs/s (upload + PUT + complete)",
            (count as f64 * size as f64) / 1e6 / elapsed,
            count as f64 / elapsed
        );
    }
    batched_uploads(&http, &base, &auth, small_uploads, batch_size, concurrency).await;
    server.shutdown().await.unwrap();
}

/// Small blobs through batched calls: `batch` declarations per `/upload`, their `PUT`s, `batch`
/// completions per `/upload/complete`.
async fn batched_uploads(http: &Http, base: &str, auth: &str, count: u64, batch: u64, parallel: u64) {
    let size = 4096usize;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..parallel {
        let (http, next, base, auth) = (http.clone(), Arc::clone(&next), base.to_owned(), auth.to_owned());
        let mut payload = vec![0u8; size];
        let mut r = Rng(w + 99);
        for chunk in payload.chunks_mut(8) {
            let x = r.next().to_le_bytes();
            chunk.copy_from_slice(&x[..chunk.len()]);
        }
        workers.push(tokio::spawn(async move {
            let headers = [("authorization", auth.as_str()), ("x-device-id", "bench-1")];
            loop {
                let first = next.fetch_add(batch, std::sync::atomic::Ordering::Relaxed);
                if first >= count {
                    break;
                }
                let items: Vec<(String, Vec<u8>)> = (first..(first + batch).min(count))
                    .map(|i| {
                        let mut body = payload.clone();
                        body[..8].copy_from_slice(&i.to_le_bytes());
                        let mut id = [0u8; 16];
                        id[..8].copy_from_slice(&i.to_be_bytes());
                        id[8] = 0xa3;
                        (sync_core::encoding::hex::encode(&id), body)
                    })
                    .collect();
                let declarations: Vec<Value> = items
                    .iter()
                    .enumerate()
                    .map(|(k, (blob_id, body))| {
                        let start = sync_core::UnixMillis(1_900_000_000_000 + (first as i64 + k as i64) * 1000)
                            .to_rfc3339()
                            .unwrap();
                        json!({"blob_id": blob_id, "blob_type": "frames", "device_id": "bench-1",
                            "time_start": start, "time_end": start, "size_bytes": size,
                            "checksum": sync_core::encoding::hex::encode(&Sha256::digest(body)),
                            "key_id": "01010101010101010101010101010101", "search_tokens": []})
                    })
                    .collect();
                let req = json!({"blobs": declarations}).to_string();
                let (status, answer) = send(&http, "POST", &format!("{base}/upload"), &headers, req.into()).await;
                assert_eq!(status, 200, "{answer:?}");
                let answer: Value = serde_json::from_slice(&answer).unwrap();
                for ((_, body), item) in items.iter().zip(answer["results"].as_array().unwrap()) {
                    let url = item["upload_url"].as_str().unwrap();
                    let (status, put) = send(&http, "PUT", url, &[], Bytes::from(body.clone())).await;
                    assert_eq!(status, 200, "{put:?}");
                }
                let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
                let done = json!({"blob_ids": ids}).to_string();
                let (status, answer) =
                    send(&http, "POST", &format!("{base}/upload/complete"), &headers, done.into()).await;
                assert_eq!(status, 200, "{answer:?}");
                let answer: Value = serde_json::from_slice(&answer).unwrap();
                assert!(answer["results"].as_array().unwrap().iter().all(|r| r.get("error").is_none()), "{answer}");
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "upload (small, batched by {batch}): {count} blobs of {size} bytes, {parallel} clients: {:.1} MB/s, {:.0} blobs/s ({} calls instead of {})",
        (count as f64 * size as f64) / 1e6 / elapsed,
        count as f64 / elapsed,
        2 * count.div_ceil(batch) + count,
        3 * count
    );
}
