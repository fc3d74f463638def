//! Load test at scale, on loopback: two `sync-server` processes on one PostgreSQL database and
//! one S3 bucket (SeaweedFS, started with `scripts/services.sh`), many concurrent clients
//! pushing (`/upload`, presigned `PUT`, `/upload/complete` through the other process),
//! searching and downloading; then every completed blob is downloaded again and checked byte
//! for byte (nothing lost).
//!
//! ```text
//! cargo bench -p sync-server --bench scale
//! ```
//! Sizes from the environment: `SYNC_LOAD_CLIENTS` (64 concurrent clients), `SYNC_LOAD_USERS`
//! (16 accounts, clients spread over them, one device each), `SYNC_LOAD_OPS` (30 rounds per
//! client; a round pushes one blob, and every other round also searches, every fourth also
//! downloads), `SYNC_LOAD_MAX_KIB` (blobs of 4 KiB to this size, 256), `SYNC_LOAD_TOKENS`
//! (50 search tokens per blob), `SYNC_LOAD_POOL` (PostgreSQL connections per process, 16).
//! Every request loop is bounded by these counts; the run stops by itself.
//!
//! Prints, per route, requests, requests per second over the whole run, and p50/p99 latency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

type Http = Client<HttpConnector, Full<Bytes>>;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn hex(bytes: &[u8]) -> String {
    sync_core::encoding::hex::encode(bytes)
}

fn b64(bytes: &[u8]) -> String {
    sync_core::encoding::base64url::encode(bytes)
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn search_token(user: u64, word: u64) -> String {
    b64(&Sha256::digest(format!("{user}/{word}").as_bytes())[..16])
}

fn bytes_of(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(seed.as_bytes()).to_vec();
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(&block).to_vec();
    }
    out.truncate(len);
    out
}

/// Latencies per route.
#[derive(Default)]
struct Stats {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    errors: BTreeMap<String, u64>,
}

struct Shared {
    http: Http,
    stats: Mutex<Stats>,
}

impl Shared {
    async fn send(
        &self,
        route: &'static str,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> (u16, Bytes) {
        let mut req = axum::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let started = Instant::now();
        let res = self.http.request(req.body(Full::new(body)).unwrap()).await.unwrap();
        let status = res.status().as_u16();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let elapsed = started.elapsed();
        let mut stats = self.stats.lock().unwrap();
        stats.latencies.entry(route).or_default().push(elapsed);
        if status != 200 {
            *stats.errors.entry(format!("{route} {status}")).or_default() += 1;
        }
        (status, body)
    }
}

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn services() -> BTreeMap<String, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/services.sh");
    let out = Command::new("bash").arg(script).arg("start").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

/// One completed blob, to check at the end.
struct Done {
    user: usize,
    blob_id: String,
    sha256: [u8; 32],
    size: usize,
}

async fn run() {
    let clients = (env("SYNC_LOAD_CLIENTS", 64) as usize).max(1);
    let users = (env("SYNC_LOAD_USERS", 16) as usize).clamp(1, clients.max(1));
    let rounds = env("SYNC_LOAD_OPS", 30);
    let max_kib = env("SYNC_LOAD_MAX_KIB", 256).max(4);
    let tokens_per_blob = env("SYNC_LOAD_TOKENS", 50);
    let pool = env("SYNC_LOAD_POOL", 16);

    let env_of = services();
    let admin_url = &env_of["SYNC_TEST_DATABASE_URL"];
    let db = format!("load_{}", std::process::id());
    {
        let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await.unwrap();
        let task = tokio::spawn(conn);
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).await.unwrap();
        client.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
        drop(client);
        let _ = task.await;
    }
    let database_url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
    let prefix = format!("load-{}", std::process::id());
    let storage = vec![
        format!("--database-url={database_url}"),
        format!("--database-pool-size={pool}"),
        format!("--s3-endpoint={}", env_of["SYNC_TEST_S3_ENDPOINT"]),
        format!("--s3-bucket={}", env_of["SYNC_TEST_S3_BUCKET"]),
        "--s3-region=us-east-1".to_owned(),
        format!("--s3-access-key-id={}", env_of["SYNC_TEST_S3_ACCESS_KEY_ID"]),
        format!("--s3-secret-access-key={}", env_of["SYNC_TEST_S3_SECRET_ACCESS_KEY"]),
        format!("--s3-prefix={prefix}"),
    ];
    let unused_dir = tempfile::tempdir().unwrap();
    let command = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sync-server"));
        cmd.args(&storage).arg("--data-dir").arg(unused_dir.path());
        cmd
    };

    // Accounts (Team: no device limit), through the CLI.
    let mut tokens = Vec::new();
    for u in 0..users {
        let out = command().args(["user", "add", &format!("load{u}@example.com"), "--tier", "team"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        tokens.push(String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned());
    }

    // Two server processes.
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = command()
            .args(["serve", &format!("--bind=127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        servers.push(ServerProcess(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let http: Http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build_http();
    let shared = Arc::new(Shared { http, stats: Mutex::new(Stats::default()) });
    for base in &bases {
        let mut up = false;
        for _ in 0..600 {
            let req = axum::http::Request::get(format!("{base}/openapi.yaml")).body(Full::new(Bytes::new())).unwrap();
            if shared.http.request(req).await.is_ok_and(|r| r.status() == 200) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up, "server {base} did not start");
    }
    println!(
        "load test: {clients} clients over {users} accounts, {rounds} rounds each, blobs 4..{max_kib} KiB, {tokens_per_blob} tokens per blob, two server processes, PostgreSQL pool {pool} each"
    );

    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let shared = Arc::clone(&shared);
        let user = c % users;
        let token = tokens[user].clone();
        let bases = bases.clone();
        tasks.push(tokio::spawn(async move {
            let device = format!("dev-{c}");
            let auth = format!("Bearer {token}");
            let headers = [
                ("authorization", auth.as_str()),
                ("x-device-id", device.as_str()),
                ("content-type", "application/json"),
            ];
            let mut rng = Rng(c as u64 + 1);
            let init = json!({"device_id": device, "device_name": "load", "device_os": "linux"});
            let (s, _) = shared
                .send("/init", "POST", &format!("{}/api/sync/init", bases[c % 2]), &headers, init.to_string().into())
                .await;
            assert_eq!(s, 200);
            let mut done = Vec::new();
            let t0: i64 = 1_767_225_600_000;
            for round in 0..rounds {
                // Push: declare through one process, PUT to the store, complete through the other.
                let (a, b) = (&bases[(c + round as usize) % 2], &bases[(c + round as usize + 1) % 2]);
                let size = 4096 + rng.below((max_kib - 4) * 1024) as usize;
                let bytes = bytes_of(&format!("{c}/{round}"), size);
                let sha: [u8; 32] = Sha256::digest(&bytes).into();
                let blob_id = hex(&Sha256::digest(format!("load {c} {round}").as_bytes())[..16]);
                let start = t0 + (c as i64 * 1000 + round as i64) * 60_000;
                let words: Vec<String> =
                    (0..tokens_per_blob).map(|_| search_token(user as u64, rng.below(2000))).collect();
                let declare = json!({"blob_id": blob_id, "blob_type": "text", "device_id": device,
                    "time_start": sync_core::UnixMillis(start).to_rfc3339().unwrap(),
                    "time_end": sync_core::UnixMillis(start + 300_000).to_rfc3339().unwrap(),
                    "size_bytes": size, "checksum": hex(&sha), "key_id": hex(&[1; 16]), "search_tokens": words});
                let (s, body) = shared
                    .send("/upload", "POST", &format!("{a}/api/sync/upload"), &headers, declare.to_string().into())
                    .await;
                assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
                let url = serde_json::from_slice::<Value>(&body).unwrap()["upload_url"].as_str().unwrap().to_owned();
                let (s, body) = shared.send("PUT (S3)", "PUT", &url, &[], Bytes::from(bytes)).await;
                assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
                let complete = json!({"blob_id": blob_id});
                let (s, body) = shared
                    .send(
                        "/upload/complete",
                        "POST",
                        &format!("{b}/api/sync/upload/complete"),
                        &headers,
                        complete.to_string().into(),
                    )
                    .await;
                assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
                done.push(Done { user, blob_id, sha256: sha, size });
                if round % 2 == 1 {
                    let query: Vec<String> = (0..4).map(|_| search_token(user as u64, rng.below(2000))).collect();
                    let search = json!({"search_tokens": query, "limit": 50});
                    let (s, _) = shared
                        .send("/search", "POST", &format!("{a}/api/sync/search"), &headers, search.to_string().into())
                        .await;
                    assert_eq!(s, 200);
                }
                if round % 4 == 3 {
                    let pick = &done[rng.below(done.len() as u64) as usize];
                    let req = json!({"blob_ids": [pick.blob_id]});
                    let (s, body) = shared
                        .send("/download", "POST", &format!("{b}/api/sync/download"), &headers, req.to_string().into())
                        .await;
                    assert_eq!(s, 200);
                    let meta: Value = serde_json::from_slice(&body).unwrap();
                    let url = meta["blobs"][0]["download_url"].as_str().unwrap().to_owned();
                    let (s, got) = shared.send("GET (S3)", "GET", &url, &[], Bytes::new()).await;
                    assert_eq!(s, 200);
                    assert_eq!(<[u8; 32]>::from(Sha256::digest(&got)), pick.sha256);
                }
            }
            done
        }));
    }
    let mut completed = Vec::new();
    for task in tasks {
        completed.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();

    // Nothing lost: every completed blob, listed by each account through both processes,
    // downloads intact.
    let verify_started = Instant::now();
    let mut verified = 0usize;
    let mut bytes_total = 0usize;
    for (user, token) in tokens.iter().enumerate() {
        let auth = format!("Bearer {token}");
        let device = format!("dev-{user}");
        let headers = [("authorization", auth.as_str()), ("x-device-id", device.as_str())];
        let mine: BTreeMap<&str, &Done> =
            completed.iter().filter(|d| d.user == user).map(|d| (d.blob_id.as_str(), d)).collect();
        for base in &bases {
            let status: Value = serde_json::from_slice(
                &shared.send("verify", "GET", &format!("{base}/api/sync/status"), &headers, Bytes::new()).await.1,
            )
            .unwrap();
            assert_eq!(status["stats"]["total_blobs"], mine.len() as u64, "account {user} on {base}");
        }
        let ids: Vec<&str> = mine.keys().copied().collect();
        for chunk in ids.chunks(500) {
            let base = &bases[user % 2];
            let req = json!({"blob_ids": chunk}).to_string();
            let (s, body) =
                shared.send("verify", "POST", &format!("{base}/api/sync/download"), &headers, req.into()).await;
            assert_eq!(s, 200);
            let listed: Value = serde_json::from_slice(&body).unwrap();
            let listed = listed["blobs"].as_array().unwrap();
            assert_eq!(listed.len(), chunk.len());
            for meta in listed {
                let done = mine[meta["blob_id"].as_str().unwrap()];
                let (s, got) =
                    shared.send("verify", "GET", meta["download_url"].as_str().unwrap(), &[], Bytes::new()).await;
                assert_eq!(s, 200);
                assert_eq!(got.len(), done.size);
                assert_eq!(<[u8; 32]>::from(Sha256::digest(&got)), done.sha256, "blob {}", done.blob_id);
                verified += 1;
                bytes_total += got.len();
            }
        }
    }
    assert_eq!(verified, completed.len());

    let stats = shared.stats.lock().unwrap();
    println!("\n{:<18} {:>8} {:>10} {:>9} {:>9}", "route", "requests", "req/s", "p50 ms", "p99 ms");
    for (route, lat) in &stats.latencies {
        if *route == "verify" {
            continue;
        }
        let mut sorted = lat.clone();
        sorted.sort_unstable();
        println!(
            "{:<18} {:>8} {:>10.1} {:>9.1} {:>9.1}",
            route,
            sorted.len(),
            sorted.len() as f64 / elapsed.as_secs_f64(),
            percentile(&sorted, 0.50).as_secs_f64() * 1000.0,
            percentile(&sorted, 0.99).as_secs_f64() * 1000.0
        );
    }
    let pushed: usize = completed.iter().map(|d| d.size).sum();
    println!(
        "\n{} blobs pushed ({:.1} MB) in {:.1} s: {:.1} blobs/s, {:.1} MB/s of ciphertext; errors: {:?}",
        completed.len(),
        pushed as f64 / 1e6,
        elapsed.as_secs_f64(),
        completed.len() as f64 / elapsed.as_secs_f64(),
        pushed as f64 / 1e6 / elapsed.as_secs_f64(),
        stats.errors
    );
    println!(
        "nothing lost: {verified} of {} completed blobs listed through both processes and downloaded intact ({:.1} MB checked in {:.1} s)",
        completed.len(),
        bytes_total as f64 / 1e6,
        verify_started.elapsed().as_secs_f64()
    );
    drop(servers);
}
