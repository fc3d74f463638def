//! Two `sync-server` processes on one PostgreSQL database and one S3 bucket (SeaweedFS), as
//! behind a load balancer: they serve the same accounts consistently, and races between them
//! never overshoot a quota or a device limit. Always runs on PostgreSQL + SeaweedFS (started by
//! `scripts/services.sh` when needed), whatever `SYNC_TEST_BACKEND` says.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::json;

/// A `sync-server serve` child process; killed on drop.
struct ServerProcess {
    child: Child,
    base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The storage flags of one shared deployment.
#[derive(Clone)]
struct Deployment {
    args: Vec<String>,
}

impl Deployment {
    async fn fresh() -> Deployment {
        let database_url = fresh_database().await;
        let s3 = fresh_s3();
        let args = vec![
            format!("--database-url={database_url}"),
            "--database-pool-size=8".to_owned(),
            format!("--s3-endpoint={}", s3.endpoint.unwrap()),
            format!("--s3-bucket={}", s3.bucket),
            format!("--s3-region={}", s3.region.unwrap()),
            format!("--s3-access-key-id={}", s3.access_key_id.unwrap()),
            format!("--s3-secret-access-key={}", s3.secret_access_key.unwrap()),
            format!("--s3-prefix={}", s3.prefix.unwrap()),
        ];
        Deployment { args }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sync-server"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SYNC_SERVER_") || key.starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        // An empty data directory: nothing may be stored there in this mode.
        cmd.args(&self.args).arg("--data-dir").arg(std::env::temp_dir().join("sync-server-unused-data-dir"));
        cmd
    }

    /// `sync-server user ...`; the last line of its output.
    fn user(&self, args: &[&str]) -> String {
        let out = self.command().arg("user").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned()
    }

    async fn serve(&self) -> ServerProcess {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = self
            .command()
            .arg("serve")
            .arg(format!("--bind=127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let process = ServerProcess { child, base };
        let http = Http::new();
        for _ in 0..600 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                let url = format!("{}/openapi.yaml", process.base);
                let doc = http.send_with("GET", &url, &[], Default::default(), false).await;
                if doc.status == 200 {
                    return process;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("sync-server did not start");
    }
}

fn api(server: &ServerProcess, token: &str, device: &str) -> Api {
    Api { http: Http::new(), base: server.base.clone(), token: token.to_owned(), device: device.to_owned() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_serve_the_same_users() {
    let deployment = Deployment::fresh().await;
    let token = deployment.user(&["add", "pia@example.com", "--tier", "pro"]);
    let (a, b) = tokio::join!(deployment.serve(), deployment.serve());
    let on_a = api(&a, &token, "laptop");
    let on_b = api(&b, &token, "laptop");

    // Keys created through A are what B hands to a second device.
    on_a.init_new_account().await.ok();
    let phone_b = on_b.on_device("phone");
    let keys = phone_b.init().await.ok();
    assert_eq!(keys["is_new_user"], false);
    assert_eq!(keys["envelope"], envelope(1, 1));

    // Declared and uploaded through A, completed through B, downloaded through both.
    let blobs: Vec<TestBlob> = (0..6u32)
        .map(|i| TestBlob::new(900 + i, "audio", T0 + i64::from(i) * MINUTE, 20_000 + i as usize, &["shared"]))
        .collect();
    let mut used = 0u64;
    for blob in &blobs {
        let declared = on_a.post("/upload", blob.upload_request("laptop")).await.ok();
        let url = declared["upload_url"].as_str().unwrap();
        assert!(!url.starts_with(&a.base), "a presigned URL straight to the store: {url}");
        assert_eq!(on_a.put_object(url, &blob.bytes).await.status, 200);
        used += blob.bytes.len() as u64;
        assert_eq!(on_b.post("/upload/complete", json!({"blob_id": blob.id})).await.ok()["storage_used"], used);
        // Completing again through A is idempotent.
        assert_eq!(on_a.post("/upload/complete", json!({"blob_id": blob.id})).await.ok()["storage_used"], used);
    }
    for (reader, other) in [(&phone_b, &on_a), (&on_a.on_device("phone"), &on_b)] {
        let ids: Vec<&str> = blobs.iter().map(|b| b.id.as_str()).collect();
        let got = reader.post("/download", json!({"blob_ids": ids})).await.ok();
        for (meta, blob) in got["blobs"].as_array().unwrap().iter().zip(&blobs) {
            assert_eq!(meta["blob_id"], blob.id);
            let bytes = reader.get_object(meta["download_url"].as_str().unwrap()).await;
            assert_eq!(bytes.status, 200);
            assert_eq!(bytes.body.as_ref(), blob.bytes.as_slice());
        }
        let hits = other.post("/search", json!({"search_tokens": [tok("shared")]})).await.ok();
        assert_eq!(hits["total_matches"], 6);
        let status = other.get("/status").await.ok();
        assert_eq!(status["quota"]["storage_used"], used);
        assert_eq!(status["stats"]["total_blobs"], 6);
        assert_eq!(status["quota"]["device_count"], 2);
    }

    // A device removed through B is unknown to A; re-declaring through B sees A's completion.
    assert_eq!(on_b.delete("/devices?device_id=phone").await.ok()["removed"], true);
    api(&a, &token, "phone").get("/status").await.expect_error(403, "UNKNOWN_DEVICE");
    let again = on_b.post("/upload", blobs[0].upload_request("laptop")).await.ok();
    assert_eq!(again["already_uploaded"], true);

    // Keys changed through A are stale through B.
    assert_eq!(
        on_a.post("/keys", json!({"expected_revision": 1, "envelope": envelope(1, 1)})).await.ok()["revision"],
        2
    );
    on_b.post("/keys", json!({"expected_revision": 1, "envelope": envelope(1, 1)}))
        .await
        .expect_error(409, "STALE_REVISION");

    // Data deleted through A: its objects are gone from the store for B's URLs too.
    let url = on_b.post("/download", json!({"blob_ids": [blobs[1].id]})).await.ok()["blobs"][0]["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(on_a.delete("/data").await.ok(), json!({"deleted_blobs": 6, "freed_bytes": used}));
    assert_eq!(on_b.get_object(&url).await.status, 404);
    assert_eq!(on_b.get("/status").await.ok()["quota"]["storage_used"], 0);

    // A rotated token stops working on every process at once.
    let new_token = deployment.user(&["rotate-token", "pia@example.com"]);
    on_a.get("/status").await.expect_error(401, "UNAUTHORIZED");
    on_b.get("/status").await.expect_error(401, "UNAUTHORIZED");
    api(&b, &new_token, "laptop").get("/status").await.ok();
    api(&a, &new_token, "laptop").get("/status").await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quota_and_device_races_between_processes_do_not_overshoot() {
    let deployment = Deployment::fresh().await;
    // Both processes start on the empty database at once: migrations run once, under a lock.
    let (a, b) = tokio::join!(deployment.serve(), deployment.serve());
    let token = deployment.user(&["add", "quinn@example.com", "--tier", "starter"]);
    let servers = [&a, &b];

    // Device limit (Starter: 3): eight new devices race through both processes.
    let inits = (0..8).map(|i| {
        let api = api(servers[i % 2], &token, &format!("dev-{i}"));
        async move { api.init().await.status }
    });
    let statuses = futures::future::join_all(inits).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 5, "{statuses:?}");
    let devices = deployment_devices(&a, &b, &token).await;
    assert_eq!(devices.len(), 3);
    let device = devices[0].clone();

    // Room for exactly five 1000-byte blobs of one search token each (16 quota bytes); twelve
    // are uploaded, then completed all at once, alternately through A and B.
    let limit: u64 = 20_000_000_000;
    let room: u64 = 5 * (1000 + 16);
    let on_a = api(&a, &token, &device);
    let on_b = api(&b, &token, &device);
    let blobs: Vec<TestBlob> = (0..12u32).map(|i| TestBlob::new(700 + i, "audio", T0, 1000, &["race"])).collect();
    for blob in &blobs {
        let declared = on_a.post("/upload", blob.upload_request(&device)).await.ok();
        assert_eq!(on_a.put_object(declared["upload_url"].as_str().unwrap(), &blob.bytes).await.status, 200);
    }
    set_storage_used(&deployment, "quinn@example.com", limit - room).await;
    let completes = blobs.iter().enumerate().map(|(i, blob)| {
        let api = if i % 2 == 0 { on_a.clone() } else { on_b.clone() };
        let id = blob.id.clone();
        async move { api.post("/upload/complete", json!({"blob_id": id})).await }
    });
    let replies = futures::future::join_all(completes).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.expect_error(403, "QUOTA_EXCEEDED");
    }
    assert_eq!(ok, 5);
    // The quota counter moved by exactly five blobs, to the limit (with their tokens) and not
    // past it.
    let mut counters: Vec<u64> =
        replies.iter().filter(|r| r.status == 200).map(|r| r.json()["storage_used"].as_u64().unwrap()).collect();
    counters.sort_unstable();
    assert_eq!(counters, (1..=5).map(|n| limit - room + n * 1000).collect::<Vec<_>>());
    assert_eq!(counters.last().map(|used| used + 5 * 16), Some(limit));
    for on in [&on_a, &on_b] {
        let status = on.get("/status").await.ok();
        // /status sums the visible blobs: the five that completed.
        assert_eq!(status["quota"]["storage_used"], 5000);
        assert_eq!(status["stats"]["total_blobs"], 5);
        assert_eq!(on.post("/search", json!({"search_tokens": [tok("race")]})).await.ok()["total_matches"], 5);
    }
}

/// The registered devices' ids, read through both processes (which must agree).
async fn deployment_devices(a: &ServerProcess, b: &ServerProcess, token: &str) -> Vec<String> {
    let mut lists = Vec::new();
    for server in [a, b] {
        // Any registered device may ask; find one by trying the candidates.
        for i in 0..8 {
            let reply = api(server, token, &format!("dev-{i}")).get("/devices").await;
            if reply.status == 200 {
                let ids: Vec<String> = reply.json()["devices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["device_id"].as_str().unwrap().to_owned())
                    .collect();
                lists.push(ids);
                break;
            }
        }
    }
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0], lists[1]);
    lists.remove(0)
}

async fn set_storage_used(deployment: &Deployment, email: &str, bytes: u64) {
    let url = deployment.args[0].strip_prefix("--database-url=").unwrap();
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(connection);
    client.execute("UPDATE users SET storage_used = $1 WHERE email = $2", &[&(bytes as i64), &email]).await.unwrap();
    drop(client);
    let _ = task.await;
}
