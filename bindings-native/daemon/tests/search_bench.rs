//! Benchmark (ignored by default): a query whose hits are cloud-only, over a month of pushed text
//! (device A: 30 days x 8 hours, one text bundle per 5 minutes), answered by device B's daemon
//! (an empty database) through `GET /search` on loopback, cold (empty cache) and warm.
//!
//! `cargo test -p sync-daemon --test search_bench -- --ignored --nocapture`
//! (numbers in docs/PERFORMANCE.md; a debug build unless `--release`). With `BENCH_RTT_MS=50`
//! every request and object transfer crosses the delay proxy of `bindings-native/bench-wan.sh`
//! (run in process, no bandwidth cap unless `BENCH_MBIT`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../client/tests/common/mod.rs"]
mod common;
#[path = "../../client/examples/delay_proxy/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use sync_client::SyncSession;
use sync_client::config::{DataTypes, SyncConfig};
use sync_daemon::{ConfigLoader, DaemonOptions, Keychain};
use sync_fixture::{FixtureOptions, write_fixture};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: a month of pushed text, minutes"]
async fn cloud_only_query_over_a_month() {
    let rtt_ms: u64 = std::env::var("BENCH_RTT_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let mbit: f64 = std::env::var("BENCH_MBIT").ok().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let (server, url) = if rtt_ms > 0 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://{}", listener.local_addr().unwrap());
        let server = TestServer::start_behind(&proxy_url).await;
        let upstream = server.server.addr.to_string();
        let rtt = Duration::from_millis(rtt_ms);
        tokio::spawn(proxy::serve(listener, upstream, rtt, mbit * 1e6 / 8.0));
        eprintln!("through the delay proxy: {rtt_ms} ms RTT, {mbit} Mbit/s (0: no cap)");
        (server, proxy_url)
    } else {
        let server = TestServer::start().await;
        let url = server.url.clone();
        (server, url)
    };
    let token = server.add_user("bench@example.com", "pro").await;

    let a_dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let options = FixtureOptions {
        days: 30,
        hours_per_day: 8,
        monitors: 1,
        frame_interval_secs: 60,
        chunk_secs: 300,
        video_kib: 1,
        snapshot_kib: 1,
        audio_kib: 1,
        seed: 11,
        ..FixtureOptions::default()
    };
    write_fixture(a_dir.path(), &options, false).unwrap();
    let mut a_config = device_config(a_dir.path(), &url, &token, "A");
    a_config.data_types = DataTypes { frames: false, audio: false, text: true };
    let (a, _) = SyncSession::init(&a_config, PASSWORD).await.unwrap();
    let report = a.push(no_progress()).await.unwrap();
    let text_blobs = server.query_i64("SELECT COUNT(*) FROM blobs WHERE blob_type = 'text'");
    eprintln!("push: {report:?}\nA pushed {text_blobs} text blobs in {:.1} s", t.elapsed().as_secs_f64());

    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture(b_dir.path());
    std::fs::create_dir_all(b_dir.path().join("sync")).unwrap();
    std::fs::write(b_dir.path().join("sync").join("config.toml"), "pull = false\nsync_interval = \"manual\"\n")
        .unwrap();
    let (_b, _) = SyncSession::init(&device_config(b_dir.path(), &url, &token, "B"), PASSWORD).await.unwrap();
    let dir = b_dir.path().to_owned();
    let server_url = url.clone();
    let token2 = token.clone();
    let loader: ConfigLoader = Arc::new(move || {
        let mut c: SyncConfig = device_config(&dir, &server_url, &token2, "B");
        c.apply_file(&sync_client::config::ConfigFile::read(&dir.join("sync").join("config.toml"))?);
        Ok(c)
    });
    let mut options = DaemonOptions::new(b_dir.path().join("sync").join("config.toml"), loader);
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.keychain = Keychain::unavailable("bench");
    options.no_api_key = true;
    options.password = Some(zeroize::Zeroizing::new(PASSWORD.to_owned()));
    let running = sync_daemon::start(options).await.unwrap();
    let start = Instant::now();
    while running.daemon.status().locked {
        assert!(start.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let http = reqwest::Client::new();
    for q in ["budget", "budget review", "zzznomatchzzz"] {
        let url = format!("{}/search?q={q}&limit=20", running.url());
        for round in ["cold", "warm", "warm"] {
            let t = Instant::now();
            let body: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let sources: Vec<&str> =
                body["data"].as_array().unwrap().iter().filter_map(|i| i["source"].as_str()).collect();
            assert!(sources.iter().all(|s| *s == "cloud"));
            eprintln!(
                "q={q:<14} {round}: {ms:8.1} ms  total={} (lower bound: {}) page={} warning={}",
                body["pagination"]["total"],
                body["total_is_lower_bound"],
                sources.len(),
                body["warning"]
            );
        }
    }
    running.stop().await.unwrap();

    // What the cache holds after one query (the daemon's cache is internal: the same query
    // through the library with a cache of the daemon's bounds).
    let cache = sync_client::search::BundleCache::new(4096, 256 << 20);
    let options = sync_client::SearchOptions { local: false, limit: 20, ..Default::default() };
    let t = Instant::now();
    let page = sync_client::CloudQuery::with_cache(&_b, &cache).query_page("budget", &options).await.unwrap();
    let (entries, bytes) = cache.usage();
    eprintln!(
        "library, cold: {:.1} ms, total {}; cache: {entries} bundles, {:.1} MiB",
        t.elapsed().as_secs_f64() * 1000.0,
        page.total,
        bytes as f64 / 1_048_576.0
    );
}
