//! screenpipe's search API on the daemon, over real HTTP against a real sync server: device A
//! pushes, device B's daemon answers `GET /search` with A's records (from the cloud) merged
//! with B's own (local), deduplicated, in screenpipe's shapes; content types, time ranges across
//! months, pagination across the local/cloud boundary, no match, the API key, `/health`, the
//! 501 routes, and a server that is down (local results with a warning).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../client/tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use sync_client::SyncSession;
use sync_client::config::{ConfigFile, SyncConfig};
use sync_client::service::ServiceOptions;
use sync_daemon::{ConfigLoader, DaemonOptions, Keychain, RunningDaemon};

const WORD: &str = "zephyrine";

fn loader(dir: &Path) -> ConfigLoader {
    let dir = dir.to_owned();
    Arc::new(move || {
        let mut config = SyncConfig::for_screenpipe_dir(&dir);
        let file = config.state_dir.join("config.toml");
        if file.exists() {
            config.apply_file(&ConfigFile::read(&file)?);
        }
        config.device_name = "laptop-b".into();
        config.media_settle = Duration::ZERO;
        config.client.max_retries = 0;
        config.client.backoff_base = Duration::from_millis(10);
        Ok(config)
    })
}

fn options(dir: &Path, no_api_key: bool) -> DaemonOptions {
    let mut options = DaemonOptions::new(dir.join("sync").join("config.toml"), loader(dir));
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.keychain = Keychain::unavailable("tests");
    options.no_api_key = no_api_key;
    options.service = ServiceOptions {
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        ..ServiceOptions::default()
    };
    options
}

/// A frame with text only (no media), as another process may write it into screenpipe 0.4.50.
fn add_frame(db: &Path, timestamp: &str, text: &str, app: &str, accessibility: bool, url: Option<&str>) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.execute(
        "INSERT INTO frames (offset_index, timestamp, name, browser_url, app_name, window_name, focused, device_name,
                             full_text, accessibility_text, text_source, capture_trigger)
         VALUES (0, ?1, NULL, ?2, ?3, ?4, 1, 'monitor_1', ?5, ?6, 'ocr', 'manual')",
        rusqlite::params![timestamp, url, app, format!("{app} window"), text, accessibility.then_some(text)],
    )
    .unwrap();
    conn.last_insert_rowid()
}

/// A transcription at `timestamp` on the newest audio chunk.
fn add_transcription(db: &Path, timestamp: &str, words: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let n = conn
        .execute(
            "INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device,
                                               is_input_device, transcription_engine)
             SELECT id, 0, ?1, ?2, 'Probe Mic', 1, 'WhisperLargeV3Turbo' FROM audio_chunks ORDER BY id DESC LIMIT 1",
            [timestamp, words],
        )
        .unwrap();
    assert_eq!(n, 1);
}

struct Client {
    url: String,
    key: Option<String>,
    http: reqwest::Client,
}

impl Client {
    async fn raw(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn search(&self, query: &str) -> Value {
        let (status, body) = self.raw(&format!("/search?{query}"), self.key.as_deref()).await;
        assert_eq!(status, 200, "{query}: {body}");
        body
    }
}

fn texts(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|i| i["content"]["text"].as_str().unwrap_or("").to_owned()).collect()
}

fn kinds(body: &Value) -> BTreeSet<String> {
    body["data"].as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap().to_owned()).collect()
}

async fn wait_cycles(daemon: &RunningDaemon, n: u64) {
    let start = Instant::now();
    while daemon.daemon.status().completed_cycles < n {
        assert!(start.elapsed() < Duration::from_secs(120), "no sync cycle: {:?}", daemon.daemon.status().health);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_and_cloud_merged_for_screenpipe_clients() {
    let server = TestServer::start().await;
    let token = server.add_user("search@example.com", "pro").await;

    // Device A: a recorded hour, and text across three months that B never saw.
    let a_dir = tempfile::tempdir().unwrap();
    small_fixture(a_dir.path(), 1, 5);
    let a_db = a_dir.path().join("db.sqlite");
    add_frame(
        &a_db,
        "2026-01-15T10:00:00.123456789+00:00",
        &format!("january roadmap {WORD} alpha"),
        "Code",
        true,
        None,
    );
    add_frame(
        &a_db,
        "2026-02-20T10:00:00.5+00:00",
        &format!("february {WORD} budget"),
        "Firefox",
        false,
        Some("https://example.com/budget"),
    );
    add_frame(&a_db, "2026-03-03T10:00:00Z", &format!("march {WORD} retro"), "Slack", false, None);
    add_transcription(&a_db, "2026-03-10T09:00:00.25+00:00", &format!("{WORD} spoken in a call"));
    rusqlite::Connection::open(&a_db)
        .unwrap()
        .execute(
            "INSERT INTO memories (content, source, tags, importance, created_at, updated_at)
             VALUES (?1, 'user', '[\"plans\"]', 0.75, '2026-02-02T09:00:00.205Z', '2026-02-03T09:00:00.5Z')",
            [format!("remember the {WORD} budget")],
        )
        .unwrap();
    let (a, _) =
        SyncSession::init(&device_config(a_dir.path(), &server.url, &token, "desktop-a"), PASSWORD).await.unwrap();
    a.push(no_progress()).await.unwrap();
    let a_id = a.device_id().to_string();

    // Device B: its own notes; it does not pull (A's records stay in the cloud).
    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture(b_dir.path());
    let b_db = b_dir.path().join("db.sqlite");
    add_frame(&b_db, "2026-02-10T08:00:00Z", &format!("{WORD} local note on device b"), "Notes", true, None);
    add_frame(&b_db, "2026-02-11T08:00:00Z", &format!("{WORD} second local note"), "Notes", false, None);
    std::fs::create_dir_all(b_dir.path().join("sync")).unwrap();
    std::fs::write(b_dir.path().join("sync").join("config.toml"), "pull = false\n").unwrap();

    let running = sync_daemon::start(options(b_dir.path(), false)).await.unwrap();
    let key = running.daemon.api_key().unwrap().reveal().to_owned();
    let key_file = b_dir.path().join("sync").join("search-api-key");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key, "generated at first start in the state folder");
    let c = Client { url: running.url(), key: Some(key.clone()), http: reqwest::Client::new() };

    // The key: required everywhere but /health; 401 without it or with a wrong one.
    assert_eq!(c.raw(&format!("/search?q={WORD}"), None).await.0, 401);
    let (status, body) = c.raw(&format!("/search?q={WORD}"), Some("wrong")).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{body}");
    let (status, health) = c.raw("/health", None).await;
    assert_eq!(status, 200);
    assert_eq!((health["status"].as_str(), health["status_code"].as_i64()), (Some("degraded"), Some(200)), "{health}");
    assert_eq!(health["sync"]["locked"], true);
    for path in ["/ui-events", "/ui-events/stats?start_time=x", "/frames/export?fps=1"] {
        let (status, body) = c.raw(path, Some(&key)).await;
        assert_eq!((status, body["code"].as_str()), (501, Some("not_implemented")), "{path}: {body}");
    }
    // Another site's page cannot read it.
    let res = c
        .http
        .get(format!("{}/search?q={WORD}", c.url))
        .header("authorization", format!("Bearer {key}"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Locked: local results only, with a warning.
    let body = c.search(&format!("q={WORD}")).await;
    assert_eq!(body["pagination"]["total"], 2, "{body}");
    assert!(body["warning"].as_str().unwrap().contains("locked"), "{body}");

    // Unlock on the settings page's API; B's first cycle pushes B's notes (then found locally
    // and in the cloud: listed once).
    let page = c.http.get(&c.url).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf-token\" content=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = c
        .http
        .post(format!("{}/api/connect", c.url))
        .header("x-csrf-token", &csrf)
        .header("origin", &c.url)
        .json(&json!({ "server": server.url, "token": token, "password": PASSWORD, "remember": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    wait_cycles(&running, 1).await;
    let shown: Value = c
        .http
        .get(format!("{}/api/search-api", c.url))
        .header("origin", &c.url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown, json!({ "required": true, "key": key }));
    let (_, health) = c.raw("/health", None).await;
    assert_eq!(health["status"], "healthy", "{health}");

    // Everything with the word, newest first: A's from the cloud, B's local, each once.
    let all = c.search(&format!("q={WORD}&limit=50")).await;
    assert!(all.get("warning").is_none(), "{all}");
    assert_eq!(
        texts(&all),
        [
            format!("{WORD} spoken in a call"),
            format!("march {WORD} retro"),
            format!("february {WORD} budget"),
            format!("{WORD} second local note"),
            format!("{WORD} local note on device b"),
            format!("january roadmap {WORD} alpha"),
        ]
    );
    assert_eq!(all["pagination"], json!({ "limit": 50, "offset": 0, "total": 6 }));
    let (bundles, bytes) = running.daemon.search_cache().usage();
    assert!(bundles > 0 && bytes > 0, "decrypted bundles kept in memory for the next query");
    let items = all["data"].as_array().unwrap();
    let b_id = running.daemon.status().device_id.unwrap();
    for item in items {
        let from_a = item["device_id"] == json!(a_id);
        assert_eq!(item["source"], if from_a { "cloud" } else { "local" }, "{item}");
        assert!(from_a || item["device_id"] == json!(b_id), "{item}");
    }
    // screenpipe's fields, exactly.
    let audio = &items[0];
    assert_eq!(audio["type"], "Audio");
    let audio_keys: BTreeSet<&str> = audio["content"].as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "chunk_id",
        "transcription",
        "text",
        "timestamp",
        "file_path",
        "offset_index",
        "tags",
        "device_name",
        "device_type",
        "speaker",
        "speaker_label",
        "speaker_source",
        "speaker_confidence",
        "speaker_provisional",
        "start_time",
        "end_time",
        "source",
        "model",
    ]
    .into();
    assert_eq!(audio_keys, expected);
    assert_eq!(audio["content"]["timestamp"], "2026-03-10T09:00:00.25+00:00");
    assert_eq!(audio["content"]["model"], "WhisperLargeV3Turbo");
    assert_eq!(audio["content"]["source"], "background");
    let feb = &items[2]["content"];
    let ocr_keys: BTreeSet<&str> = feb.as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "frame_id",
        "text",
        "timestamp",
        "file_path",
        "offset_index",
        "app_name",
        "window_name",
        "tags",
        "frame",
        "frame_name",
        "browser_url",
        "focused",
        "device_name",
        "text_source",
        "event_source",
    ]
    .into();
    assert_eq!(ocr_keys, expected);
    assert_eq!(feb["timestamp"], "2026-02-20T10:00:00.5+00:00");
    assert_eq!(
        (feb["app_name"].as_str(), feb["browser_url"].as_str(), feb["text_source"].as_str()),
        (Some("Firefox"), Some("https://example.com/budget"), Some("ocr"))
    );
    assert_eq!((feb["event_source"].as_str(), feb["frame_name"].as_str()), (Some("manual"), Some("")));
    assert_eq!(items[5]["content"]["timestamp"], "2026-01-15T10:00:00.123456789+00:00");

    // Pages across the local/cloud boundary: the same items, in order, the same total.
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        let page = c.search(&format!("q={WORD}&limit=2&offset={offset}")).await;
        assert_eq!(page["pagination"], json!({ "limit": 2, "offset": offset, "total": 6 }));
        paged.extend(texts(&page));
    }
    assert_eq!(paged, texts(&all));
    let past = c.search(&format!("q={WORD}&limit=2&offset=6")).await;
    assert!(texts(&past).is_empty());

    // Time ranges across months.
    let feb_only = c.search(&format!("q={WORD}&start_time=2026-02-01T00:00:00Z&end_time=2026-02-28T23:59:59Z")).await;
    assert_eq!(
        texts(&feb_only),
        [
            format!("february {WORD} budget"),
            format!("{WORD} second local note"),
            format!("{WORD} local note on device b")
        ]
    );
    let jan_to_mar = c.search(&format!("q={WORD}&start_time=2026-01-01T00:00:00Z&end_time=2026-03-05T00:00:00Z")).await;
    assert_eq!(jan_to_mar["pagination"]["total"], 5);

    // Content types and filters.
    let audio_only = c.search(&format!("q={WORD}&content_type=audio")).await;
    assert_eq!(
        (kinds(&audio_only), audio_only["pagination"]["total"].as_u64()),
        (["Audio".to_owned()].into(), Some(1))
    );
    let ocr = c.search(&format!("q={WORD}&content_type=ocr")).await;
    assert_eq!((kinds(&ocr), ocr["pagination"]["total"].as_u64()), (["OCR".to_owned()].into(), Some(5)));
    let ui = c.search(&format!("q={WORD}&content_type=accessibility")).await;
    assert_eq!(
        texts(&ui),
        [format!("{WORD} local note on device b"), format!("january roadmap {WORD} alpha")],
        "frames with accessibility text"
    );
    assert_eq!(kinds(&ui), ["UI".to_owned()].into());
    assert_eq!(ui["data"][1]["source"], "cloud");
    assert_eq!(ui["data"][1]["content"]["file_path"], "", "no video chunk: screenpipe answers \"\"");
    let firefox = c.search(&format!("q={WORD}&app_name=firefox")).await;
    assert_eq!(texts(&firefox), [format!("february {WORD} budget")]);
    let url = c.search(&format!("q={WORD}&browser_url=example.com")).await;
    assert_eq!(url["pagination"]["total"], 1);
    let long = c.search(&format!("q={WORD}&min_length=26")).await;
    assert!(texts(&long).iter().all(|t| t.chars().count() >= 26) && !texts(&long).is_empty());
    let short = c.search(&format!("q={WORD}&max_length=21")).await;
    assert_eq!(texts(&short), [format!("march {WORD} retro")]);
    let memory = c.search(&format!("q={WORD}&content_type=memory")).await;
    assert!(memory.get("warning").is_none(), "{memory}");
    assert_eq!(memory["pagination"]["total"], 1, "{memory}");
    assert_eq!(
        (memory["data"][0]["type"].as_str(), memory["data"][0]["source"].as_str()),
        (Some("Memory"), Some("cloud"))
    );
    let m = &memory["data"][0]["content"];
    let memory_keys: BTreeSet<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> =
        ["id", "content", "source", "source_context", "tags", "importance", "frame_id", "created_at", "updated_at"]
            .into();
    assert_eq!(memory_keys, expected);
    assert_eq!(m["content"], format!("remember the {WORD} budget"));
    assert_eq!(m["tags"], json!(["plans"]));
    assert_eq!(m["importance"], 0.75);
    assert_eq!(
        (m["created_at"].as_str(), m["updated_at"].as_str()),
        (Some("2026-02-02T09:00:00.205+00:00"), Some("2026-02-03T09:00:00.5+00:00"))
    );
    let input = c.search(&format!("q={WORD}&content_type=input")).await;
    assert!(texts(&input).is_empty() && input["warning"].as_str().unwrap().contains("input"), "{input}");
    let (status, body) = c.raw("/search?content_type=video", Some(&key)).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));

    // No match.
    let none = c.search("q=xylophoneunheardof").await;
    assert_eq!(none["pagination"], json!({ "limit": 20, "offset": 0, "total": 0 }));
    assert!(texts(&none).is_empty());

    // include_frames: A's text-only frames have no image (null); a recorded frame of A's
    // comes with its snapshot, decrypted from A's media pack (B never pulled it).
    let framed = c.search(&format!("q={WORD}&content_type=ocr&include_frames=true")).await;
    assert!(framed["data"].as_array().unwrap().iter().all(|i| i["content"]["frame"].is_null()));
    let (ts, snapshot): (String, String) = rusqlite::Connection::open(&a_db)
        .unwrap()
        .query_row(
            "SELECT timestamp, snapshot_path FROM frames WHERE snapshot_path IS NOT NULL AND full_text != ''
             ORDER BY timestamp DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let ts = ts.replace('+', "%2B");
    let shot = c.search(&format!("content_type=ocr&include_frames=true&start_time={ts}&end_time={ts}")).await;
    let item = &shot["data"][0];
    assert_eq!((item["source"].as_str(), item["device_id"].as_str()), (Some("cloud"), Some(a_id.as_str())), "{shot}");
    let expected = {
        use base64ct::Encoding as _;
        base64ct::Base64::encode_string(&std::fs::read(&snapshot).unwrap())
    };
    assert_eq!(item["content"]["frame"].as_str(), Some(expected.as_str()));
    let without = c.search(&format!("content_type=ocr&start_time={ts}&end_time={ts}")).await;
    assert!(without["data"][0]["content"]["frame"].is_null());

    // The server goes down: local results still answer, with a warning.
    let TestServer { dir: _server_dir, server: running_server, .. } = server;
    running_server.shutdown().await.unwrap();
    let down = c.search(&format!("q={WORD}&start_time=2026-01-01T00:00:00Z")).await;
    assert_eq!(texts(&down), [format!("{WORD} second local note"), format!("{WORD} local note on device b")], "{down}");
    assert!(down["warning"].as_str().unwrap().contains("cloud results missing"), "{down}");

    // Locking drops the decrypted bundles with the keys.
    let res = c
        .http
        .post(format!("{}/api/lock", c.url))
        .header("x-csrf-token", &csrf)
        .header("origin", &c.url)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(running.daemon.search_cache().usage(), (0, 0));
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_api_key_serves_clients_without_one() {
    let dir = tempfile::tempdir().unwrap();
    empty_fixture(dir.path());
    add_frame(&dir.path().join("db.sqlite"), "2026-02-10T08:00:00Z", "quokka open note", "Notes", false, None);
    let running = sync_daemon::start(options(dir.path(), true)).await.unwrap();
    assert!(running.daemon.api_key().is_none());
    assert!(!dir.path().join("sync").join("search-api-key").exists());
    let c = Client { url: running.url(), key: None, http: reqwest::Client::new() };
    let body = c.search("q=quokka").await;
    assert_eq!(texts(&body), ["quokka open note"]);
    assert_eq!(body["data"][0]["content"]["timestamp"], "2026-02-10T08:00:00+00:00");
    let html = c.http.get(&c.url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("--no-api-key"), "the page says so");
    running.stop().await.unwrap();
}
