//! `screenpipe-sync link` and `join` between two CLI processes through a real server on
//! loopback: the new device pulls without a password; a wrong code, a second attempt, no
//! approval, an expired code, and a man in the middle (a proxy that rewrites, reorders or
//! replays messages) each fail with their code; no key material and no code word reaches the
//! server's database or log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../client/tests/common/mod.rs"]
mod common;
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use sync_client::session::SyncSession;

/// The CLI on device folder `dir`, with a folder standing in for the OS keychain and no
/// password unless `with_password`.
fn cli(dir: &Path, server: &str, token: &str, args: &[&str], with_password: bool) -> Command {
    let mut cmd = support::device_command(dir, server, token, args);
    cmd.env("SCREENPIPE_SYNC_TEST_KEYS_DIR", dir.join("keychain"));
    if with_password {
        cmd.env("SCREENPIPE_SYNC_PASSWORD", PASSWORD);
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn error_code(out: &Output) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').rfind(|l| !l.is_empty()).unwrap_or_default())
            .unwrap_or_else(|e| panic!("no JSON ({e}): {}", text(out)));
    v["code"].as_str().unwrap_or_default().to_owned()
}

/// A running `link`, its code read from its `code: ` line (or its first JSON line).
struct Link {
    child: Child,
    code: String,
    rest: std::thread::JoinHandle<String>,
}

impl Link {
    fn start(dir: &Path, server: &str, token: &str, args: &[&str]) -> Link {
        let mut all = vec!["link"];
        all.extend_from_slice(args);
        let mut child =
            cli(dir, server, token, &all, true).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let code = loop {
            let line = lines.next().expect("link ended before showing a code").unwrap();
            if let Some(code) = line.strip_prefix("code: ") {
                break code.to_owned();
            }
            if line.starts_with('{') {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                break v["code"].as_str().unwrap_or_else(|| panic!("no code in {line}")).to_owned();
            }
        };
        // The rest of stdout is read by a thread until the process ends.
        let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
        Link { child, code, rest }
    }

    /// Waits for the end: (success, stdout after the code, stderr).
    fn finish(mut self) -> (bool, String, String) {
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut err).unwrap();
        (status.success(), self.rest.join().unwrap(), err)
    }
}

/// Every log line of the in-process server, for the no-key-material check.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static LOG: std::sync::OnceLock<LogBuf> = std::sync::OnceLock::new();

fn capture_server_log() -> LogBuf {
    LOG.get_or_init(|| {
        let buf = LogBuf::default();
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("sync_server=trace,tower_http=trace"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        buf
    })
    .clone()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file of the server's data folder (database, WAL, objects).
fn server_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_to_cli_then_pull_without_a_password_and_nothing_secret_on_the_server() {
    let log = capture_server_log();
    let server = TestServer::start().await;
    let token = server.add_user("cli-link@example.com", "pro").await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    small_fixture(a.path(), 1, 9);
    empty_fixture(b.path());
    assert!(run(&mut cli(a.path(), &server.url, &token, &["init"], true)).status.success());
    let pushed = run(&mut cli(a.path(), &server.url, &token, &["push", "--json"], true));
    assert!(pushed.status.success(), "{}", text(&pushed));

    let link = Link::start(a.path(), &server.url, &token, &["--yes"]);
    let code = link.code.clone();
    let joined = run(&mut cli(b.path(), &server.url, &token, &["join", &code], false));
    assert!(joined.status.success(), "{}", text(&joined));
    assert!(String::from_utf8_lossy(&joined.stdout).contains("works without a password"), "{}", text(&joined));
    let (ok, out, err) = link.finish();
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("keys sent to"), "{out}");
    assert!(err.contains("typed the code"), "{err}");

    // The new device pulls, and other commands unlock, without any password.
    let pulled = run(&mut cli(b.path(), &server.url, &token, &["pull", "--json"], false));
    assert!(pulled.status.success(), "{}", text(&pulled));
    let report: serde_json::Value = serde_json::from_slice(&pulled.stdout).unwrap();
    assert!(report["imported_blobs"].as_u64().unwrap() > 0, "{report}");
    let status = run(&mut cli(b.path(), &server.url, &token, &["status", "--json"], false));
    assert!(status.status.success(), "{}", text(&status));
    // A second join with the spent code: the mailbox is gone.
    let again = run(&mut cli(b.path(), &server.url, &token, &["join", &code, "--json"], false));
    assert_eq!(error_code(&again), "NOT_FOUND", "{}", text(&again));

    // No key material, no code word, in any file of the server or in its log.
    let config = device_config(a.path(), &server.url, &token, "a");
    let session = SyncSession::unlock(&config, PASSWORD).await.unwrap();
    let exported: serde_json::Value = serde_json::from_slice(&session.keys().export().to_json().unwrap()).unwrap();
    let secret = exported["current"]["secret"].as_str().unwrap().to_owned();
    let raw = sync_core::encoding::base64url::decode(&secret).unwrap();
    let hex = sync_core::encoding::hex::encode(&raw);
    let words: Vec<&str> = code.split('-').skip(1).collect();
    let mut needles: Vec<Vec<u8>> = vec![secret.into_bytes(), raw, hex.into_bytes(), words.join("-").into_bytes()];
    // Each pair of neighbouring words too (a store of part of the code). A single word is not
    // a needle: a six-byte string such as "-table" can occur by chance in base64url text.
    needles.extend(words.windows(2).map(|pair| pair.join("-").into_bytes()));
    let log = log.0.lock().unwrap().clone();
    assert!(contains(&log, b"pairing mailbox opened"), "the log was captured");
    for needle in &needles {
        assert!(!contains(&log, needle), "the server log holds {:?}", String::from_utf8_lossy(needle));
        for (file, bytes) in server_files(server.dir.path()) {
            assert!(!contains(&bytes, needle), "{file} holds {:?}", String::from_utf8_lossy(needle));
        }
    }
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM pair_mailboxes"), 0);
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM pair_messages"), 0);
}

/// The code with one word changed.
fn wrong(code: &str) -> String {
    let mut parts: Vec<&str> = code.split('-').collect();
    parts[2] = if parts[2] == "abandon" { "ability" } else { "abandon" };
    parts.join("-")
}

fn no_keys(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("keychain")).map(|d| d.count() == 0).unwrap_or(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_a_second_attempt_and_no_approval_are_refused() {
    let server = TestServer::start().await;
    let token = server.add_user("cli-nolink@example.com", "pro").await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    empty_fixture(a.path());
    empty_fixture(b.path());
    assert!(run(&mut cli(a.path(), &server.url, &token, &["init"], true)).status.success());

    // A wrong code: pairing_failed on both sides; the right code cannot be tried after.
    let link = Link::start(a.path(), &server.url, &token, &["--yes", "--json"]);
    let code = link.code.clone();
    let joined = run(&mut cli(b.path(), &server.url, &token, &["join", &wrong(&code), "--json"], false));
    assert_eq!(error_code(&joined), "pairing_failed", "{}", text(&joined));
    let (ok, out, err) = link.finish();
    assert!(!ok);
    assert!(out.contains("\"code\":\"pairing_failed\""), "{out}\n{err}");
    let second = run(&mut cli(b.path(), &server.url, &token, &["join", &code, "--json"], false));
    assert!(["NOT_FOUND", "PAIR_TAKEN"].contains(&error_code(&second).as_str()), "{}", text(&second));

    // Without --yes and without a terminal to ask on: refused, the new device is told.
    let link = Link::start(a.path(), &server.url, &token, &[]);
    let joined = run(&mut cli(b.path(), &server.url, &token, &["join", &link.code, "--json"], false));
    assert_eq!(error_code(&joined), "pairing_denied", "{}", text(&joined));
    let (ok, _, err) = link.finish();
    assert!(!ok && err.contains("--yes"), "{err}");

    // A code that is not one.
    let bad = run(&mut cli(b.path(), &server.url, &token, &["join", "12-not-a-code", "--json"], false));
    assert_eq!(error_code(&bad), "invalid_input", "{}", text(&bad));
    assert!(no_keys(b.path()));
    // Without keys or a password, the new device cannot pull.
    let pull = run(&mut cli(b.path(), &server.url, &token, &["pull", "--json"], false));
    assert!(!pull.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_refused() {
    let server = TestServer::start_with(|c| c.limits.pair_ttl_secs = 2).await;
    let token = server.add_user("cli-late@example.com", "pro").await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    empty_fixture(a.path());
    empty_fixture(b.path());
    assert!(run(&mut cli(a.path(), &server.url, &token, &["init"], true)).status.success());

    // Expired is `pairing_expired` when a side's own deadline (the server's expiry time, as the
    // server announced it) comes first, `PAIR_EXPIRED` when the server answers first.
    let expired = |out: &str| out.contains("\"code\":\"pairing_expired\"") || out.contains("\"code\":\"PAIR_EXPIRED\"");

    // Nobody joins in time: `link` ends with PAIR_EXPIRED and closes the mailbox; a late
    // `join` finds no mailbox.
    let link = Link::start(a.path(), &server.url, &token, &["--yes", "--json"]);
    let code = link.code.clone();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (ok, out, _) = link.finish();
    assert!(!ok && expired(&out), "{out}");
    let joined = run(&mut cli(b.path(), &server.url, &token, &["join", &code, "--json"], false));
    assert_eq!(error_code(&joined), "NOT_FOUND", "{}", text(&joined));

    // The joiner came in time but the other device stalled (stopped after showing the code):
    // the joiner ends with PAIR_EXPIRED.
    let link = Link::start(a.path(), &server.url, &token, &["--yes", "--json"]);
    let pid = link.child.id().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let joined = run(&mut cli(b.path(), &server.url, &token, &["join", &link.code, "--json"], false));
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    assert!(expired(&format!("\"code\":\"{}\"", error_code(&joined))), "{}", text(&joined));
    let (ok, out, _) = link.finish();
    assert!(!ok, "{out}");
    assert!(no_keys(b.path()));
    // The cleanup job leaves nothing of either.
    sync_server::cleanup::run_once(&server.server.state, sync_server::time::now_ms()).await.unwrap();
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM pair_mailboxes"), 0);
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM pair_messages"), 0);
}

/// Rewrites the messages a side reads: `(seq in the mailbox, exact text)`.
type Rewrite = Arc<dyn Fn(&mut Vec<(u64, String)>) + Send + Sync>;

/// A man in the middle: forwards every request to `upstream` and passes the message lists the
/// sides read through `rewrite`. Its URL.
async fn start_proxy(upstream: String, rewrite: Rewrite) -> String {
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (client, upstream, rewrite) = (client.clone(), upstream.clone(), rewrite.clone());
        async move { forward(&client, &upstream, &rewrite, req).await }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    rewrite: &Rewrite,
    req: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20).await.unwrap();
    let path = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
    let mut request = client.request(method, format!("{upstream}{path}")).body(body);
    for (name, value) in &parts.headers {
        if !["host", "content-length"].contains(&name.as_str()) {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut bytes = response.bytes().await.unwrap().to_vec();
    if parts.method.as_str() == "GET" && parts.uri.path().ends_with("/messages") && status == 200 {
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut list: Vec<(u64, String)> = v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["seq"].as_u64().unwrap(), m["message"].as_str().unwrap().to_owned()))
            .collect();
        rewrite(&mut list);
        let messages: Vec<serde_json::Value> =
            list.iter().map(|(seq, m)| serde_json::json!({"seq": seq, "message": m})).collect();
        bytes = serde_json::to_vec(&serde_json::json!({ "messages": messages })).unwrap();
    }
    let mut out = axum::response::Response::builder().status(status);
    for (name, value) in &headers {
        if !["content-length", "transfer-encoding"].contains(&name.as_str()) {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    out.body(axum::body::Body::from(bytes)).unwrap()
}

/// True for the message of protocol `seq` from `role`.
fn is(message: &str, seq: u32, role: &str) -> bool {
    message.contains(&format!("\"seq\":{seq},\"role\":\"{role}\""))
}

/// The message with one base64url character of `field` changed.
fn flip(message: &str, field: &str) -> String {
    let key = format!("\"{field}\":\"");
    let at = message.find(&key).unwrap() + key.len() + 10;
    let old = &message[at..at + 1];
    let new = if old == "A" { "B" } else { "A" };
    format!("{}{new}{}", &message[..at], &message[at + 1..])
}

/// One pairing through the proxy: `join`'s error code, and how `link` ended.
async fn through(rewrite: Rewrite) -> (String, bool, String, bool) {
    let server = TestServer::start().await;
    let token = server.add_user("mitm@example.com", "pro").await;
    let proxy = start_proxy(server.url.clone(), rewrite).await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    empty_fixture(a.path());
    empty_fixture(b.path());
    assert!(run(&mut cli(a.path(), &server.url, &token, &["init"], true)).status.success());
    let link = Link::start(a.path(), &proxy, &token, &["--yes", "--json"]);
    let joined = run(&mut cli(b.path(), &proxy, &token, &["join", &link.code, "--json"], false));
    let (ok, out, _) = link.finish();
    (error_code(&joined), ok, out, no_keys(b.path()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_man_in_the_middle_is_refused_with_its_codes() {
    // The joiner's confirmation rewritten: the initiator refuses it (pairing_failed) and
    // closes; the joiner, told nothing more, finds the mailbox gone.
    let (joiner, ok, out, clean) = through(Arc::new(|list: &mut Vec<(u64, String)>| {
        for (_, m) in list.iter_mut().filter(|(_, m)| is(m, 3, "joiner")) {
            *m = flip(m, "mac");
        }
    }))
    .await;
    assert!(!ok && out.contains("\"code\":\"pairing_failed\""), "{out}");
    assert_eq!(joiner, "NOT_FOUND");
    assert!(clean);

    // The joiner's two messages delivered in the wrong order: pairing_out_of_order.
    let (joiner, ok, out, clean) = through(Arc::new(|list: &mut Vec<(u64, String)>| {
        let has = |seq| list.iter().any(|(_, m)| is(m, seq, "joiner"));
        if has(2) && !has(3) {
            list.clear(); // held back until the third arrives
        } else if has(2) && has(3) {
            list.reverse();
        }
    }))
    .await;
    assert!(!ok && out.contains("\"code\":\"pairing_out_of_order\""), "{out}");
    assert_eq!(joiner, "NOT_FOUND");
    assert!(clean);

    // The initiator's first message replayed to the joiner: pairing_replayed.
    let first = Arc::new(Mutex::new(None::<(u64, String)>));
    let (joiner, _, _, clean) = through(Arc::new(move |list: &mut Vec<(u64, String)>| {
        let mut first = first.lock().unwrap();
        if let Some(m1) = list.iter().find(|(_, m)| is(m, 1, "initiator")) {
            *first = Some(m1.clone());
        }
        if list.iter().any(|(_, m)| is(m, 4, "initiator"))
            && let Some(m1) = first.clone()
        {
            list.insert(0, m1);
        }
    }))
    .await;
    assert_eq!(joiner, "pairing_replayed");
    assert!(clean);

    // The sealed keys rewritten: tampered, and nothing is kept.
    let (joiner, ok, out, clean) = through(Arc::new(|list: &mut Vec<(u64, String)>| {
        for (_, m) in list.iter_mut().filter(|(_, m)| m.contains("\"kind\":\"keys\"")) {
            *m = flip(m, "sealed");
        }
    }))
    .await;
    assert_eq!(joiner, "tampered");
    assert!(ok, "{out}");
    assert!(clean);
}
