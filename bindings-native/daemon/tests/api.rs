//! The daemon's control API over real HTTP against a real sync server on loopback: the local
//! security (foreign Host, cross-origin and token-less changes refused, CSP), connect with a
//! wrong then the right password, status, sync now sending rows written meanwhile, settings
//! persisting across a restart and applied live, keys remembered in a (mock) keychain, device
//! removal and unlink.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../client/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use sync_client::SyncSession;
use sync_client::config::{ConfigFile, SyncConfig};
use sync_client::service::{ServiceOptions, SyncInterval};
use sync_daemon::{ConfigLoader, DaemonOptions, Keychain, RunningDaemon};

struct TestDaemon {
    running: RunningDaemon,
    url: String,
    csrf: String,
    http: reqwest::Client,
}

fn loader(dir: &Path) -> ConfigLoader {
    let dir = dir.to_owned();
    Arc::new(move || {
        let mut config = SyncConfig::for_screenpipe_dir(&dir);
        let file = config.state_dir.join("config.toml");
        if file.exists() {
            config.apply_file(&ConfigFile::read(&file)?);
        }
        config.device_name = "laptop".into();
        config.media_settle = Duration::ZERO;
        config.client.max_retries = 1;
        config.client.backoff_base = Duration::from_millis(10);
        Ok(config)
    })
}

fn options(dir: &Path, keychain: Keychain, password: Option<&str>) -> DaemonOptions {
    let mut options = DaemonOptions::new(dir.join("sync").join("config.toml"), loader(dir));
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.keychain = keychain;
    options.password = password.map(|p| zeroize::Zeroizing::new(p.to_owned()));
    options.service = ServiceOptions {
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        ..ServiceOptions::default()
    };
    options
}

fn mock_keychain() -> Keychain {
    Keychain::with_store(keyring_core::mock::Store::new().unwrap())
}

impl TestDaemon {
    async fn start(options: DaemonOptions) -> TestDaemon {
        let running = sync_daemon::start(options).await.unwrap();
        let url = running.url();
        let http = reqwest::Client::new();
        let html = http.get(&url).send().await.unwrap().text().await.unwrap();
        let csrf = html.split("name=\"csrf-token\" content=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert_eq!(csrf, running.daemon.csrf_token());
        assert_eq!(csrf.len(), 64);
        TestDaemon { running, url, csrf, http }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/api{path}", self.url))
            .header("x-csrf-token", &self.csrf)
            .header("origin", &self.url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn wait_status(&self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let s = self.get("/status").await;
            if f(&s) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}: {s}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop(self) {
        self.running.stop().await.unwrap();
    }
}

fn connect_body(server: &TestServer, token: &str, password: &str, remember: bool) -> Value {
    json!({ "server": server.url, "token": token, "password": password, "remember": remember })
}

/// Adds a transcription (a copy of the newest one with other words).
fn add_transcription(db: &Path, words: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.execute(
        "INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device, is_input_device)
         SELECT audio_chunk_id, offset_index, timestamp, ?1, device, is_input_device
         FROM audio_transcriptions ORDER BY id DESC LIMIT 1",
        [words],
    )
    .unwrap();
}

fn config_path(dir: &Path) -> PathBuf {
    dir.join("sync").join("config.toml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_host_cross_origin_and_token_less_changes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    empty_fixture(dir.path());
    let d = TestDaemon::start(options(dir.path(), mock_keychain(), None)).await;
    let port = d.running.addr.port();

    // The page: CSP with frame-ancestors 'none', and the other headers.
    let page = d.http.get(&d.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    // localhost works too.
    let local = d.http.get(format!("http://localhost:{port}/api/status")).send().await.unwrap();
    assert_eq!(local.status(), 200);

    // DNS rebinding: another host name for the same address.
    for path in ["/", "/api/status", "/app.js"] {
        let res =
            d.http.get(format!("{}{path}", d.url)).header("host", format!("evil.example:{port}")).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        assert!(res.headers().contains_key("content-security-policy"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "forbidden_host");
    }
    let res = d.http.get(&d.url).header("host", "127.0.0.1").send().await.unwrap();
    assert_eq!(res.status(), 403, "the port is part of the host");

    // A change without the token, with a wrong one, from another origin, from another site.
    let sync = format!("{}/api/sync", d.url);
    let res = d.http.post(&sync).header("origin", &d.url).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.json::<Value>().await.unwrap()["code"].clone()), (403, json!("csrf")));
    let res = d.http.post(&sync).header("x-csrf-token", "0".repeat(64)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = d
        .http
        .post(&sync)
        .header("x-csrf-token", &d.csrf)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (res.status().as_u16(), res.json::<Value>().await.unwrap()["code"].clone()),
        (403, json!("cross_origin"))
    );
    let res =
        d.http.post(&sync).header("x-csrf-token", &d.csrf).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(res.status(), 403);
    // Reading from another site is refused too.
    let res = d.http.get(format!("{}/api/status", d.url)).header("origin", "http://evil.example").send().await.unwrap();
    assert_eq!(res.status(), 403);
    // With the token and the daemon's origin the request passes the guard (locked: 423).
    let (status, body) = d.post("/sync", json!({})).await;
    assert_eq!((status, body["code"].as_str()), (423, Some("locked")));
    // Bad bodies are 400 with a message.
    let (status, body) = d.call(reqwest::Method::PUT, "/config", Some(json!({"interval": "2h"}))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "bad_request");

    let s = d.get("/status").await;
    assert_eq!(s["locked"], true);
    assert_eq!(s["configured"], false);
    assert_eq!(s["health"]["kind"], "locked");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_wrong_then_right_password_status_sync_now_and_devices() {
    let server = TestServer::start().await;
    let token = server.add_user("daemon@example.com", "pro").await;
    // Another device creates the account and stays on it.
    let other = tempfile::tempdir().unwrap();
    empty_fixture(other.path());
    let (other_session, _) =
        SyncSession::init(&device_config(other.path(), &server.url, &token, "desktop"), PASSWORD).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    small_fixture(dir.path(), 1, 21);
    let d = TestDaemon::start(options(dir.path(), Keychain::unavailable("no Secret Service here"), None)).await;

    let (status, body) = d.post("/connect", connect_body(&server, &token, "not the password at all 42", false)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("wrong_password")), "{body}");
    assert!(body["hint"].is_string());
    assert_eq!(d.get("/status").await["locked"], true);

    let (status, body) = d.post("/connect", connect_body(&server, &token, PASSWORD, true)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], false);
    assert!(body["recovery_phrase"].is_null());
    // The keychain is unavailable: the keys are not remembered, and the status says why.
    assert_eq!(body["remembered"], false);
    let s = d.wait_status("the first cycle", |s| s["completed_cycles"].as_u64() >= Some(1)).await;
    assert_eq!(s["locked"], false);
    assert_eq!(s["health"]["text"], "Connected");
    assert_eq!(s["keychain"], json!({"available": false, "reason": "no Secret Service here", "remembered": false}));
    assert!(s["last_sync"].as_i64().unwrap() > 0);
    assert_eq!(s["pending_uploads"], 0);
    let s = d.wait_status("the storage bar", |s| s["storage"]["used"].as_u64() > Some(0)).await;
    assert_eq!(s["storage"]["tier"], "pro");
    assert_eq!(s["storage"]["limit"].as_u64(), Some(100_000_000_000));
    // The server and the token were saved; the token never comes back.
    let config = d.get("/config").await;
    assert_eq!(config["server"], json!(server.url));
    assert_eq!(config["token_saved"], true);
    assert!(!config.to_string().contains(&token));
    let file = std::fs::read_to_string(config_path(dir.path())).unwrap();
    assert!(file.contains(&token) && !file.contains(PASSWORD));

    // Sync now sends rows written meanwhile.
    let blobs_before = server.blob_ids("daemon@example.com").len();
    add_transcription(&dir.path().join("db.sqlite"), "marmalade heliotrope quorum");
    let cycles = s["completed_cycles"].as_u64().unwrap();
    let (status, _) = d.post("/sync", json!({})).await;
    assert_eq!(status, 202);
    d.wait_status("the triggered cycle", |s| s["completed_cycles"].as_u64() > Some(cycles)).await;
    assert!(server.blob_ids("daemon@example.com").len() > blobs_before);
    let found = sync_client::CloudQuery::new(&other_session)
        .query_all("marmalade heliotrope", &sync_client::SearchOptions { local: false, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);

    // Devices: this one marked; the other removed; this one cannot be removed.
    let devices = d.get("/devices").await["devices"].as_array().unwrap().clone();
    assert_eq!(devices.len(), 2);
    let this = devices.iter().find(|x| x["this_device"] == true).unwrap();
    assert_eq!(this["name"], "laptop");
    let desktop = devices.iter().find(|x| x["this_device"] == false).unwrap();
    assert_eq!(desktop["name"], "desktop");
    let (status, _) =
        d.call(reqwest::Method::DELETE, &format!("/devices/{}", this["device_id"].as_str().unwrap()), None).await;
    assert_eq!(status, 409);
    let (status, body) =
        d.call(reqwest::Method::DELETE, &format!("/devices/{}", desktop["device_id"].as_str().unwrap()), None).await;
    assert_eq!((status, body["removed"].as_bool()), (200, Some(true)));
    assert_eq!(d.get("/devices").await["devices"].as_array().unwrap().len(), 1);

    // Change password: the current one is checked.
    let (status, body) =
        d.post("/password", json!({"current_password": "wrong wrong wrong 1", "new_password": "x"})).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("wrong_password")));
    let new_password = "ochre lantern meadow 5512 quill";
    let (status, body) = d.post("/password", json!({"current_password": PASSWORD, "new_password": new_password})).await;
    assert_eq!(status, 204, "{body}");

    // Lock, then the new password connects.
    assert_eq!(d.post("/lock", json!({})).await.0, 204);
    assert_eq!(d.get("/status").await["locked"], true);
    let (status, body) = d.post("/connect", json!({"password": PASSWORD})).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = d.post("/connect", json!({"password": new_password})).await;
    assert_eq!(status, 200, "{body}");

    // Delete cloud data needs the confirmation, then empties the account.
    assert_eq!(d.post("/delete-cloud-data", json!({"confirm": false})).await.0, 400);
    let (status, body) = d.post("/delete-cloud-data", json!({"confirm": true})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["deleted_blobs"].as_u64().unwrap() > 0);
    assert!(server.blob_ids("daemon@example.com").is_empty());
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_persist_across_a_restart_and_apply_at_once() {
    let server = TestServer::start().await;
    let token = server.add_user("settings@example.com", "starter").await;
    let dir = tempfile::tempdir().unwrap();
    small_fixture(dir.path(), 1, 4);
    let d = TestDaemon::start(options(dir.path(), mock_keychain(), None)).await;
    let (status, body) = d.post("/connect", connect_body(&server, &token, PASSWORD, false)).await;
    assert_eq!(status, 200);
    // A new account: the recovery phrase once.
    assert_eq!(body["created"], true);
    assert_eq!(body["recovery_phrase"].as_str().unwrap().split_whitespace().count(), 24);

    let defaults = d.get("/config").await;
    assert_eq!(defaults["interval"], "15m");
    assert_eq!(defaults["enabled"], true);
    assert_eq!(defaults["data_types"], json!({"screen": true, "audio": true, "text": true}));
    assert_eq!(defaults["bandwidth_limit_mbps"], Value::Null);
    assert_eq!(defaults["keep_on_device"], json!({"screen": null, "audio": null, "text": null}), "forever by default");

    let wanted = json!({
        "enabled": true,
        "interval": "1h",
        "data_types": {"screen": false, "audio": true, "text": true},
        "bandwidth_limit_mbps": 2.5,
        "pull": false,
        "keep_on_device": {"screen": 30, "audio": null, "text": 90}
    });
    let (status, body) = d.call(reqwest::Method::PUT, "/config", Some(wanted.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, wanted);
    // Applied without a restart.
    let live = d.running.daemon.service().unwrap().options();
    assert_eq!(live.interval, SyncInterval::Hourly);
    assert!(!live.data_types.frames);
    assert_eq!(live.bandwidth_bytes_per_sec(), Some(312_500));
    // Written to the config file.
    let file = ConfigFile::read(&config_path(dir.path())).unwrap();
    assert_eq!(file.sync_interval.as_deref(), Some("1h"));
    assert_eq!(file.bandwidth_limit, Some(312_500));
    assert_eq!(file.data_types.map(|t| t.frames), Some(false));
    let keep = sync_client::KeepLocal { screen: Some(30), audio: None, text: Some(90) };
    assert_eq!(file.keep_local, Some(keep));
    assert_eq!(live.keep_local, keep);
    // Only the page's choices.
    let mut odd = wanted.clone();
    odd["keep_on_device"]["audio"] = json!(45);
    let (status, body) = d.call(reqwest::Method::PUT, "/config", Some(odd)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(ConfigFile::read(&config_path(dir.path())).unwrap().keep_local.and_then(|k| k.audio), None);
    let mut odd = wanted.clone();
    odd["keep_on_device"]["text"] = json!(0);
    let (status, body) = d.call(reqwest::Method::PUT, "/config", Some(odd)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(ConfigFile::read(&config_path(dir.path())).unwrap().keep_local, Some(keep));

    // Cloud retention per type, within the tier's (Starter: 183 days).
    let chosen = d.get("/retention").await;
    assert_eq!(chosen, json!({"policy": {"text": null, "frames": null, "audio": null}, "tier_retention_days": 183}));
    let (status, body) = d.call(reqwest::Method::PUT, "/retention", Some(json!({"frames": 90, "text": null}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["policy"], json!({"text": null, "frames": 90, "audio": null}));
    let (status, body) = d.call(reqwest::Method::PUT, "/retention", Some(json!({"audio": 365}))).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("INVALID_REQUEST")), "{body}");
    assert_eq!(d.get("/retention").await["policy"]["frames"], 90);

    // Sync off stops the loop; on starts it.
    let off = json!({"enabled": false, "interval": "manual", "data_types": {"screen": true, "audio": false, "text": true}, "bandwidth_limit_mbps": null, "pull": false});
    let (status, _) = d.call(reqwest::Method::PUT, "/config", Some(off.clone())).await;
    assert_eq!(status, 200);
    assert!(!d.running.daemon.service().unwrap().is_running());
    assert_eq!(d.get("/status").await["health"]["text"], "Sync is off");
    d.stop().await;

    // A new daemon on the same folders reads them back.
    let d = TestDaemon::start(options(dir.path(), mock_keychain(), None)).await;
    let config = d.get("/config").await;
    for (k, x) in off.as_object().unwrap() {
        assert_eq!(&config[k], x, "{k}");
    }
    assert_eq!(d.get("/status").await["enabled"], false);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remembered_keys_unlock_at_restart_and_unlink_forgets_everything() {
    let server = TestServer::start().await;
    let token = server.add_user("remember@example.com", "pro").await;
    let dir = tempfile::tempdir().unwrap();
    small_fixture(dir.path(), 1, 8);
    let keychain = mock_keychain();
    let d = TestDaemon::start(options(dir.path(), keychain.clone(), None)).await;
    assert_eq!(d.get("/status").await["keychain"]["available"], true);
    let (status, body) = d.post("/connect", connect_body(&server, &token, PASSWORD, true)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["remembered"], true);
    let device = sync_core::DeviceId::new(body["device_id"].as_str().unwrap().to_owned()).unwrap();
    let stored = keychain.load(&device).unwrap().unwrap();
    assert_eq!(stored.current_version(), 1);
    d.wait_status("the first cycle", |s| s["completed_cycles"].as_u64() >= Some(1)).await;
    d.stop().await;

    // Restart without a password: the keychain unlocks.
    let d = TestDaemon::start(options(dir.path(), keychain.clone(), None)).await;
    let s = d.wait_status("the keychain unlock", |s| s["locked"] == false).await;
    assert_eq!(s["keychain"]["remembered"], true);
    // Forget, then remember again from the options.
    assert_eq!(d.call(reqwest::Method::PUT, "/remember", Some(json!({"remember": false}))).await.0, 200);
    assert!(keychain.load(&device).unwrap().is_none());
    assert_eq!(d.call(reqwest::Method::PUT, "/remember", Some(json!({"remember": true}))).await.0, 200);
    assert!(keychain.holds(&device));

    // Unlink: needs the confirmation; then the device leaves the account and everything local
    // about it is forgotten.
    assert_eq!(d.post("/unlink", json!({})).await.0, 400);
    let (status, body) = d.post("/unlink", json!({"confirm": true})).await;
    assert_eq!(status, 204, "{body}");
    assert!(keychain.load(&device).unwrap().is_none());
    let s = d.get("/status").await;
    assert_eq!((s["locked"].as_bool(), s["configured"].as_bool()), (Some(true), Some(false)));
    assert!(ConfigFile::read(&config_path(dir.path())).unwrap().token.is_none());
    assert!(!dir.path().join("sync").join("state.sqlite3").exists());
    let count = server.query_i64(&format!("SELECT COUNT(*) FROM devices WHERE device_id = '{}'", device.as_str()));
    assert_eq!(count, 0);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_password_unlocks_and_waits_for_the_server() {
    let server = TestServer::start().await;
    let token = server.add_user("headless@example.com", "pro").await;
    let dir = tempfile::tempdir().unwrap();
    small_fixture(dir.path(), 1, 9);
    let mut config = device_config(dir.path(), &server.url, &token, "laptop");
    config.state_dir = dir.path().join("sync");
    SyncSession::init(&config, PASSWORD).await.unwrap();
    let file = ConfigFile { server: Some(server.url.clone()), token: Some(token.clone()), ..ConfigFile::default() };
    file.write(&config_path(dir.path())).unwrap();

    let d = TestDaemon::start(options(dir.path(), Keychain::unavailable("none"), Some(PASSWORD))).await;
    d.wait_status("the start-up unlock", |s| s["locked"] == false).await;
    d.wait_status("a cycle", |s| s["completed_cycles"].as_u64() >= Some(1)).await;
    d.stop().await;

    // A wrong start-up password leaves it locked, saying why.
    let d = TestDaemon::start(options(dir.path(), Keychain::unavailable("none"), Some("wrong password 1234 x"))).await;
    let s = d.wait_status("the failed unlock", |s| s["health"]["code"] == "wrong_password").await;
    assert_eq!(s["locked"], true);
    d.stop().await;

    // The server down: the daemon keeps trying and says so.
    let unreachable = ConfigFile { server: Some("http://127.0.0.1:9".into()), ..file };
    unreachable.write(&config_path(dir.path())).unwrap();
    let d = TestDaemon::start(options(dir.path(), Keychain::unavailable("none"), Some(PASSWORD))).await;
    let s = d
        .wait_status("retries", |s| {
            s["health"]["kind"] == "unlocking" && s["health"]["text"].as_str().unwrap().contains("retrying")
        })
        .await;
    assert_eq!(s["locked"], true);
    d.stop().await;
}

/// "Link a new device" on one daemon and "Join with a code" on another: the code and its QR
/// code, the joiner shown for approval, the keys sent and remembered; a refusal; locking ends a
/// link in progress.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_a_new_device_and_join_with_the_code() {
    let server = TestServer::start().await;
    let token = server.add_user("daemon-link@example.com", "pro").await;
    let (a_dir, b_dir, c_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    small_fixture(a_dir.path(), 1, 4);
    empty_fixture(b_dir.path());
    empty_fixture(c_dir.path());
    let a = TestDaemon::start(options(a_dir.path(), mock_keychain(), None)).await;
    let b_keychain = mock_keychain();
    let b = TestDaemon::start(options(b_dir.path(), b_keychain.clone(), None)).await;
    let c = TestDaemon::start(options(c_dir.path(), mock_keychain(), None)).await;
    assert_eq!(a.post("/connect", connect_body(&server, &token, PASSWORD, false)).await.0, 200);
    assert_eq!(a.get("/link").await, json!({"stage": "idle"}));
    // Locked daemons cannot link.
    let (status, locked) = b.post("/link/start", json!({})).await;
    assert_eq!((status, locked["code"].as_str()), (423, Some("locked")), "{locked}");

    let (status, view) = a.post("/link/start", json!({})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["stage"], "waiting");
    let code = view["code"].as_str().unwrap().to_owned();
    assert!(view["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(view["link_uri"].as_str().unwrap().contains(&code));
    let join = b.post("/join", json!({"server": server.url, "token": token, "code": code, "remember": true}));
    let approve = async {
        let start = Instant::now();
        let view = loop {
            let view = a.get("/link").await;
            if view["stage"] == "approve" {
                break view;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no joiner: {view}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(view["device_name"], "laptop");
        let (status, sent) = a.post("/link/approve", json!({"approve": true})).await;
        assert_eq!((status, sent["stage"].as_str()), (200, Some("sent")), "{sent}");
    };
    let ((status, joined), ()) = tokio::join!(join, approve);
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["remembered"], true);
    let device = sync_core::DeviceId::new(joined["device_id"].as_str().unwrap()).unwrap();
    assert!(b_keychain.holds(&device));
    b.wait_status("unlocked", |s| s["locked"] == false).await;
    assert_eq!(a.post("/link/approve", json!({"approve": true})).await.0, 409);

    // A refusal: the joiner is told pairing_denied and stays locked.
    let code = a.post("/link/start", json!({})).await.1["code"].as_str().unwrap().to_owned();
    let join = c.post("/join", json!({"server": server.url, "token": token, "code": code}));
    let refuse = async {
        let start = Instant::now();
        while a.get("/link").await["stage"] != "approve" {
            assert!(start.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(a.post("/link/approve", json!({"approve": false})).await.1["stage"], "refused");
    };
    let ((status, refused), ()) = tokio::join!(join, refuse);
    assert_ne!(status, 200);
    assert_eq!(refused["code"], "pairing_denied", "{refused}");
    assert_eq!(c.get("/status").await["locked"], true);

    // Locking ends a link in progress (it held a copy of the keys).
    assert_eq!(a.post("/link/start", json!({})).await.1["stage"], "waiting");
    assert_eq!(a.post("/lock", json!({})).await.0, 204);
    assert_eq!(a.get("/link").await, json!({"stage": "idle"}));
    for d in [a, b, c] {
        d.stop().await;
    }
}
