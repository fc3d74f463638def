//! Test harness: a real server on loopback (port 0) over a temporary data directory, a small
//! HTTP client whose every answer is checked against `docs/openapi.yaml`, and fixtures.

#![allow(dead_code)]

pub mod openapi;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sync_core::wire::SyncTier;
use sync_server::cli::UserCommand;
use sync_server::config::Config;
use sync_server::{RunningServer, start};

pub const STRIPE_SECRET: &str = "whsec_test_secret";

thread_local! {
    /// `(METHOD, template, status)` of every checked exchange on this test's thread.
    pub static SEEN: RefCell<BTreeSet<(String, String, u16)>> = const { RefCell::new(BTreeSet::new()) };
}

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub server: Option<RunningServer>,
    pub base: String,
    pub http: Http,
    /// The configuration the server started with (user commands open the same stores).
    pub config: Config,
}

/// The PostgreSQL and S3 services of `scripts/services.sh` (started on first use).
#[derive(Clone, Debug)]
pub struct ScaleServices {
    pub database_url: String,
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
}

/// Starts (idempotently) PostgreSQL and SeaweedFS with `scripts/services.sh start` and reads
/// their addresses; once per test process.
pub fn scale_services() -> &'static ScaleServices {
    static SERVICES: OnceLock<ScaleServices> = OnceLock::new();
    SERVICES.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/services.sh");
        let out = std::process::Command::new("bash").arg(script).arg("start").output().unwrap();
        assert!(out.status.success(), "scripts/services.sh start failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let var = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("{name} missing from services.sh output: {text}"))
                .to_owned()
        };
        ScaleServices {
            database_url: var("SYNC_TEST_DATABASE_URL"),
            s3_endpoint: var("SYNC_TEST_S3_ENDPOINT"),
            s3_bucket: var("SYNC_TEST_S3_BUCKET"),
            s3_access_key_id: var("SYNC_TEST_S3_ACCESS_KEY_ID"),
            s3_secret_access_key: var("SYNC_TEST_S3_SECRET_ACCESS_KEY"),
        }
    })
}

/// Whether this test run uses PostgreSQL + S3 (`SYNC_TEST_BACKEND=postgres-s3`) instead of the
/// embedded SQLite + local files (the default, `sqlite-local`).
pub fn scale_backend() -> bool {
    match std::env::var("SYNC_TEST_BACKEND").as_deref() {
        Err(_) | Ok("") | Ok("sqlite-local") => false,
        Ok("postgres-s3") => true,
        Ok(other) => panic!("SYNC_TEST_BACKEND={other:?} is neither sqlite-local nor postgres-s3"),
    }
}

fn random_name(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    format!("{prefix}{}", hex(&bytes))
}

/// A fresh, empty database on the test cluster; its URL.
pub async fn fresh_database() -> String {
    let services = scale_services();
    let name = random_name("t_");
    let (client, connection) = tokio_postgres::connect(&services.database_url, tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    drop(client);
    let _ = task.await;
    let (base, _) = services.database_url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// The S3 settings of the test SeaweedFS with a fresh key prefix (an empty bucket, in effect).
pub fn fresh_s3() -> sync_server::store::objects::s3::S3Config {
    let services = scale_services();
    sync_server::store::objects::s3::S3Config {
        endpoint: Some(services.s3_endpoint.clone()),
        bucket: services.s3_bucket.clone(),
        region: Some("us-east-1".into()),
        access_key_id: Some(services.s3_access_key_id.clone()),
        secret_access_key: Some(services.s3_secret_access_key.clone()),
        prefix: Some(random_name("t-")),
    }
}

/// The test configuration in `dir`: SQLite + local files, or with `SYNC_TEST_BACKEND=postgres-s3`
/// a fresh PostgreSQL database and a fresh S3 prefix.
pub async fn test_config_for_backend(dir: &Path) -> Config {
    let mut config = test_config(dir);
    if scale_backend() {
        config.database_url = Some(fresh_database().await);
        config.database_pool_size = 4;
        config.s3 = Some(fresh_s3());
    }
    config
}

pub fn test_config(dir: &Path) -> Config {
    let mut config = Config::with_data_dir(dir);
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.stripe.webhook_secret = Some(STRIPE_SECRET.to_owned());
    config.stripe.prices = [
        ("price_starter".to_owned(), SyncTier::Starter),
        ("price_pro".to_owned(), SyncTier::Pro),
        ("price_team".to_owned(), SyncTier::Team),
    ]
    .into();
    config
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        // Server errors show in a failing test's output (RUST_LOG overrides the level).
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("sync_server=error"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config_for_backend(dir.path()).await;
        adjust(&mut config);
        let server = start(config.clone()).await.unwrap();
        let base = format!("http://{}", server.addr);
        TestServer { dir, server: Some(server), base, http: Http::new(), config }
    }

    /// Objects live in S3 (presigned URLs) rather than in the data directory.
    pub fn is_s3(&self) -> bool {
        self.config.s3.is_some()
    }

    pub fn server(&self) -> &RunningServer {
        self.server.as_ref().unwrap()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// Stops the server and starts a new one on the same data directory (new port).
    pub async fn restart(&mut self) {
        let old = self.server.take().unwrap();
        let config = (*old.state.config).clone();
        old.shutdown().await.unwrap();
        let server = start(config).await.unwrap();
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }

    /// `sync-server user add EMAIL --tier TIER` against this data directory; the token.
    pub async fn add_user(&self, email: &str, tier: &str) -> String {
        let mut out = Vec::new();
        let config = self.config.clone();
        sync_server::cli::user_command(&config, UserCommand::Add { email: email.into(), tier: tier.into() }, &mut out)
            .await
            .unwrap();
        String::from_utf8(out).unwrap().lines().last().unwrap().to_owned()
    }

    pub async fn set_tier(&self, email: &str, tier: &str) {
        let mut out = Vec::new();
        let config = self.config.clone();
        sync_server::cli::user_command(
            &config,
            UserCommand::SetTier { email: email.into(), tier: tier.into() },
            &mut out,
        )
        .await
        .unwrap();
    }

    pub fn api(&self, token: &str, device: &str) -> Api {
        Api { http: self.http.clone(), base: self.base.clone(), token: token.to_owned(), device: device.to_owned() }
    }

    /// `sync-server user billing-reference EMAIL`: the account's billing reference.
    pub async fn billing_reference(&self, email: &str) -> String {
        let mut out = Vec::new();
        sync_server::cli::user_command(&self.config, UserCommand::BillingReference { email: email.into() }, &mut out)
            .await
            .unwrap();
        String::from_utf8(out).unwrap().lines().last().unwrap().to_owned()
    }

    /// `sync-server user rotate-token EMAIL`: the new token.
    pub async fn rotate_token(&self, email: &str) -> String {
        let mut out = Vec::new();
        sync_server::cli::user_command(&self.config, UserCommand::RotateToken { email: email.into() }, &mut out)
            .await
            .unwrap();
        String::from_utf8(out).unwrap().lines().last().unwrap().to_owned()
    }

    /// Runs SQL on the metadata database (to simulate a nearly full account).
    pub async fn sql(&self, sql: &str) {
        match &self.config.database_url {
            Some(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
                let task = tokio::spawn(connection);
                client.batch_execute(sql).await.unwrap();
                drop(client);
                let _ = task.await;
            }
            None => {
                let conn = rusqlite::Connection::open(self.dir.path().join(sync_server::app::DATABASE_FILE)).unwrap();
                conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                conn.execute_batch(sql).unwrap();
            }
        }
    }

    /// The S3 store of this server's configuration (S3 backend only).
    pub fn s3(&self) -> sync_server::store::objects::s3::S3Objects {
        sync_server::store::objects::s3::S3Objects::new(self.config.s3.as_ref().unwrap()).unwrap()
    }

    /// Number of objects stored (partial uploads excluded).
    pub async fn object_files(&self) -> usize {
        if self.is_s3() {
            return self.s3().list_all().await.unwrap().len();
        }
        self.local_object_files()
    }

    /// Leaves something the cleanup job must remove: a stale partial upload file (local) or an
    /// object that no blob row names (S3). Returns a handle for [`Self::stray_exists`].
    pub async fn plant_stray(&self) -> String {
        if self.is_s3() {
            use object_store::ObjectStoreExt as _;
            let key = sync_server::store::ObjectKey { user_id: 424242, blob_id: sync_core::BlobId([0xab; 16]) };
            let prefix = self.config.s3.as_ref().unwrap().prefix.clone().unwrap();
            let path = format!("{prefix}/{}", key.path());
            self.s3()
                .client()
                .put(&object_store::path::Path::from(path.as_str()), b"half".to_vec().into())
                .await
                .unwrap();
            return path;
        }
        let partial = self.dir.path().join(sync_server::app::OBJECTS_DIR).join(".partial").join("stale.part");
        std::fs::write(&partial, b"half").unwrap();
        partial.to_string_lossy().into_owned()
    }

    pub async fn stray_exists(&self, stray: &str) -> bool {
        if self.is_s3() {
            return self.s3().list_all().await.unwrap().iter().any(|p| p == stray);
        }
        Path::new(stray).exists()
    }

    /// Asserts that an object URL was refused: by this server with `code` (local store), or by
    /// the S3 store itself with `s3_status` (its XML error, outside this server's contract).
    pub fn expect_refused(&self, reply: &Reply, status: u16, code: &str, s3_status: u16) {
        if self.is_s3() {
            assert_eq!(reply.status, s3_status, "{:?}", String::from_utf8_lossy(&reply.body));
        } else {
            reply.expect_error(status, code);
        }
    }

    /// Number of object files stored in the data directory (partial uploads excluded).
    pub fn local_object_files(&self) -> usize {
        fn walk(dir: &Path, n: &mut usize) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                if entry.file_name() == ".partial" {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, n);
                } else {
                    *n += 1;
                }
            }
        }
        let mut n = 0;
        walk(&self.dir.path().join(sync_server::app::OBJECTS_DIR), &mut n);
        n
    }

    pub fn partial_files(&self) -> usize {
        std::fs::read_dir(self.dir.path().join(sync_server::app::OBJECTS_DIR).join(".partial")).unwrap().count()
    }
}

/// A loopback HTTP client.
#[derive(Clone)]
pub struct Http {
    client: HyperClient<HttpConnector, Full<Bytes>>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    /// Asserts an error status and code.
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{:?}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.code(), code, "{:?}", String::from_utf8_lossy(&self.body));
        assert!(self.json()["error"].as_str().is_some_and(|m| !m.is_empty()));
    }

    pub fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{:?}", String::from_utf8_lossy(&self.body));
        self.json()
    }
}

impl Http {
    pub fn new() -> Http {
        Http { client: HyperClient::builder(TokioExecutor::new()).build_http() }
    }

    /// Sends a request; the answer is checked against the OpenAPI document unless `checked`
    /// is false (for paths the document deliberately leaves out).
    pub async fn send_with(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        checked: bool,
    ) -> Reply {
        let mut req = axum::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let response = self.client.request(req.body(Full::new(body)).unwrap()).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        if checked {
            let uri: axum::http::Uri = url.parse().unwrap();
            let path = uri.path().to_owned();
            let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
            if let Err(e) = openapi::check(method, &path, status, content_type, &body) {
                panic!("response does not match docs/openapi.yaml: {e}\nbody: {}", String::from_utf8_lossy(&body));
            }
            let template = openapi::template_for(&path).unwrap();
            SEEN.with(|s| s.borrow_mut().insert((method.to_owned(), template, status)));
        }
        Reply { status, headers, body }
    }

    pub async fn send(&self, method: &str, url: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Reply {
        self.send_with(method, url, headers, body.into(), true).await
    }
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

/// An account's client on one device.
#[derive(Clone)]
pub struct Api {
    pub http: Http,
    pub base: String,
    pub token: String,
    pub device: String,
}

impl Api {
    pub fn on_device(&self, device: &str) -> Api {
        Api { device: device.to_owned(), ..self.clone() }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let headers = [
            ("authorization", auth.as_str()),
            ("x-device-id", self.device.as_str()),
            ("content-type", "application/json"),
        ];
        let body = body.map(|b| Bytes::from(serde_json::to_vec(b).unwrap())).unwrap_or_default();
        self.http.send(method, &format!("{}/api/sync{path}", self.base), &headers, body).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(&body)).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None).await
    }

    /// `/init` without keys.
    pub async fn init(&self) -> Reply {
        self.post(
            "/init",
            json!({"device_id": self.device, "device_name": format!("{} name", self.device), "device_os": "linux"}),
        )
        .await
    }

    /// `/init` creating the account's keys.
    pub async fn init_new_account(&self) -> Reply {
        self.post(
            "/init",
            json!({"device_id": self.device, "device_name": "laptop", "device_os": "linux", "app_version": "1.0.0",
                   "envelope": envelope(1, 1), "recovery_envelope": recovery(1, 1)}),
        )
        .await
    }

    /// `PUT` to an upload URL: this server's own (checked against the contract) or a presigned
    /// S3 URL (the store's answers are outside the contract).
    pub async fn put_object(&self, url: &str, bytes: &[u8]) -> Reply {
        let ours = url.starts_with(&self.base);
        let headers = [("content-type", "application/octet-stream")];
        self.http.send_with("PUT", url, &headers, Bytes::copy_from_slice(bytes), ours).await
    }

    pub async fn get_object(&self, url: &str) -> Reply {
        self.http.send_with("GET", url, &[], Bytes::new(), url.starts_with(&self.base)).await
    }

    /// Declares, uploads and completes a blob; returns the `/upload/complete` answer.
    pub async fn upload_blob(&self, blob: &TestBlob) -> Value {
        let declared = self.post("/upload", blob.upload_request(&self.device)).await.ok();
        assert_eq!(declared["already_uploaded"], false);
        let put = self.put_object(declared["upload_url"].as_str().unwrap(), &blob.bytes).await;
        assert_eq!(put.status, 200);
        self.post("/upload/complete", json!({"blob_id": blob.id})).await.ok()
    }
}

/// An envelope with a given key id byte and version (the server never opens it).
pub fn envelope(key: u8, version: u32) -> Value {
    json!({"v": 1, "kdf": {"alg": "argon2id", "version": 19, "m_kib": 65536, "t": 3, "p": 4},
           "salt": b64(&[key; 32]), "key_id": hex(&[key; 16]), "key_version": version,
           "nonce": b64(&[version as u8; 24]), "wrapped_key": b64(&[key ^ 0x55; 48])})
}

pub fn recovery(key: u8, version: u32) -> Value {
    json!({"v": 1, "key_id": hex(&[key; 16]), "key_version": version,
           "nonce": b64(&[7; 24]), "wrapped_key": b64(&[key ^ 0x33; 48])})
}

pub fn keyring_entry(key: u8) -> Value {
    json!({"key_id": hex(&[key; 16]), "nonce": b64(&[9; 24]), "wrapped_key": b64(&[key; 48])})
}

pub fn b64(bytes: &[u8]) -> String {
    sync_core::encoding::base64url::encode(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    sync_core::encoding::hex::encode(bytes)
}

/// A search token from a word (any 16 bytes will do for the server).
pub fn tok(word: &str) -> String {
    let digest = Sha256::digest(word.as_bytes());
    b64(&digest[..16])
}

pub fn time(ms: i64) -> String {
    sync_core::UnixMillis(ms).to_rfc3339().unwrap()
}

/// 2026-01-05T09:00:00.000Z.
pub const T0: i64 = 1_767_603_600_000;
pub const MINUTE: i64 = 60_000;
pub const DAY: i64 = 86_400_000;

/// A blob to upload: random-looking ciphertext and metadata.
#[derive(Clone, Debug)]
pub struct TestBlob {
    pub id: String,
    pub blob_type: &'static str,
    pub start: i64,
    pub end: i64,
    pub bytes: Vec<u8>,
    pub words: Vec<String>,
    pub key_id: String,
}

impl TestBlob {
    pub fn new(seed: u32, blob_type: &'static str, start: i64, len: usize, words: &[&str]) -> TestBlob {
        let id = hex(&Sha256::digest(format!("blob {seed}").as_bytes())[..16]);
        let mut bytes = Vec::with_capacity(len);
        let mut block = Sha256::digest(format!("bytes {seed}").as_bytes()).to_vec();
        while bytes.len() < len {
            bytes.extend_from_slice(&block);
            block = Sha256::digest(&block).to_vec();
        }
        bytes.truncate(len);
        TestBlob {
            id,
            blob_type,
            start,
            end: start + 5 * MINUTE,
            bytes,
            words: words.iter().map(|w| (*w).to_owned()).collect(),
            key_id: hex(&[1; 16]),
        }
    }

    pub fn checksum(&self) -> String {
        hex(&Sha256::digest(&self.bytes))
    }

    pub fn upload_request(&self, device: &str) -> Value {
        json!({"blob_id": self.id, "blob_type": self.blob_type, "device_id": device,
               "time_start": time(self.start), "time_end": time(self.end), "size_bytes": self.bytes.len(),
               "checksum": self.checksum(), "key_id": self.key_id,
               "search_tokens": self.words.iter().map(|w| tok(w)).collect::<Vec<_>>()})
    }
}

/// A Stripe subscription event; `reference` goes to `metadata.sync_account`.
pub fn stripe_event(
    id: &str,
    kind: &str,
    created: i64,
    customer: &str,
    reference: Option<&str>,
    status: &str,
    prices: &[&str],
) -> String {
    let mut metadata = json!({});
    if let Some(reference) = reference {
        metadata = json!({"sync_account": reference});
    }
    json!({"id": id, "object": "event", "type": kind, "created": created,
           "data": {"object": {"id": "sub_1", "object": "subscription", "customer": customer, "status": status,
                               "metadata": metadata,
                               "items": {"object": "list", "data": prices.iter().map(|p| json!({"price": {"id": p}})).collect::<Vec<_>>()}}}})
    .to_string()
}
