//! Uploads: idempotent declarations, quota, device limit and subscription, concurrency, restarts.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn re_uploading_is_idempotent() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("fay@example.com", "starter").await, "f1");
    api.init().await.ok();
    let blob = TestBlob::new(31, "text", T0, 2048, &["one", "two"]);
    // Declaring twice before uploading: both URLs work, tokens are replaced, not doubled.
    let first = api.post("/upload", blob.upload_request("f1")).await.ok();
    let mut redeclared = blob.clone();
    redeclared.words = vec!["two".into(), "three".into()];
    let second = api.post("/upload", redeclared.upload_request("f1")).await.ok();
    assert_eq!(second["already_uploaded"], false);
    assert_eq!(api.put_object(first["upload_url"].as_str().unwrap(), &blob.bytes).await.status, 200);
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.ok();
    let hits = api.post("/search", json!({"search_tokens": [tok("one"), tok("two"), tok("three")]})).await.ok();
    assert_eq!(hits["total_matches"], 1);
    assert_eq!(hits["matches"][0]["match_count"], 2);
    // After completion the same declaration is a no-op.
    let again = api.post("/upload", redeclared.upload_request("f1")).await.ok();
    assert_eq!(again, json!({"blob_id": blob.id, "upload_url": "", "expires_in": 0, "already_uploaded": true}));
    // Other metadata under the same id is a conflict.
    let mut other = redeclared.upload_request("f1");
    other["size_bytes"] = json!(4096);
    api.post("/upload", other).await.expect_error(409, "CONFLICT");
    assert_eq!(api.get("/status").await.ok()["quota"]["storage_used"], 2048);
    assert_eq!(ts.object_files().await, 1);
}

#[tokio::test]
async fn quota_device_limit_and_subscription() {
    let ts = TestServer::start().await;
    let token = ts.add_user("gus@example.com", "starter").await;
    let api = ts.api(&token, "g1");
    api.init().await.ok();
    // Three devices on Starter; a fourth is refused until one is removed.
    api.on_device("g2").init().await.ok();
    api.on_device("g3").init().await.ok();
    api.on_device("g4").init().await.expect_error(403, "DEVICE_LIMIT_EXCEEDED");
    api.on_device("g3").init().await.ok(); // a registered device may init again
    assert_eq!(api.get("/devices").await.ok()["devices"].as_array().unwrap().len(), 3);
    api.delete("/devices?device_id=g3").await.ok();
    api.on_device("g4").init().await.ok();

    // A nearly full account: an upload that does not fit is refused up front.
    let limit: u64 = 20_000_000_000;
    ts.sql(&format!("UPDATE users SET storage_used = {} WHERE email = 'gus@example.com'", limit - 1000)).await;
    let big = TestBlob::new(41, "audio", T0, 1001, &[]);
    api.post("/upload", big.upload_request("g1")).await.expect_error(403, "QUOTA_EXCEEDED");
    // One that fits at /upload but no longer at /upload/complete stays pending and invisible.
    let small = TestBlob::new(42, "audio", T0, 1000, &[]);
    let declared = api.post("/upload", small.upload_request("g1")).await.ok();
    assert_eq!(api.put_object(declared["upload_url"].as_str().unwrap(), &small.bytes).await.status, 200);
    ts.sql(&format!("UPDATE users SET storage_used = {} WHERE email = 'gus@example.com'", limit - 999)).await;
    api.post("/upload/complete", json!({"blob_id": small.id})).await.expect_error(403, "QUOTA_EXCEEDED");
    api.post("/download", json!({"blob_ids": [small.id]})).await.expect_error(404, "NOT_FOUND");
    let status = api.get("/status").await.ok();
    assert_eq!(status["stats"]["total_blobs"], 0);
    ts.sql("UPDATE users SET storage_used = 0 WHERE email = 'gus@example.com'").await;
    api.post("/upload/complete", json!({"blob_id": small.id})).await.ok();

    // No subscription: uploads and new devices are refused, reads still work.
    ts.set_tier("gus@example.com", "none").await;
    api.post("/upload", TestBlob::new(43, "text", T0, 10, &[]).upload_request("g1"))
        .await
        .expect_error(403, "NO_SUBSCRIPTION");
    api.on_device("g9").init().await.expect_error(403, "NO_SUBSCRIPTION");
    let status = api.get("/status").await.ok();
    assert_eq!(status["quota"]["can_sync"], false);
    assert_eq!(status["quota"]["sync_tier"], "none");
    assert_eq!(api.post("/download", json!({"blob_ids": [small.id]})).await.ok()["blobs"].as_array().unwrap().len(), 1);
    // Team: unlimited devices.
    ts.set_tier("gus@example.com", "team").await;
    for i in 0..5 {
        api.on_device(&format!("t{i}")).init().await.ok();
    }
    assert!(api.get("/status").await.ok()["quota"]["device_limit"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_from_several_devices() {
    let ts = TestServer::start().await;
    let token = ts.add_user("kim@example.com", "pro").await;
    let devices = ["k1", "k2", "k3", "k4"];
    for d in devices {
        ts.api(&token, d).init().await.ok();
    }
    let mut tasks = Vec::new();
    for (n, d) in devices.iter().enumerate() {
        let api = ts.api(&token, d);
        tasks.push(tokio::spawn(async move {
            let mut total = 0u64;
            for i in 0..8u32 {
                let seed = (n as u32) * 100 + i;
                let blob = TestBlob::new(
                    seed,
                    "text",
                    T0 + i64::from(seed) * MINUTE,
                    1000 + seed as usize,
                    &["shared", &format!("w{seed}")],
                );
                api.upload_blob(&blob).await;
                total += blob.bytes.len() as u64;
            }
            total
        }));
    }
    let mut expected = 0;
    for task in tasks {
        expected += task.await.unwrap();
    }
    let api = ts.api(&token, "k1");
    let status = api.get("/status").await.ok();
    assert_eq!(status["stats"]["total_blobs"], 32);
    assert_eq!(status["quota"]["storage_used"], expected);
    assert_eq!(
        api.post("/search", json!({"search_tokens": [tok("shared")], "limit": 1000})).await.ok()["total_matches"],
        32
    );
    let per_device = api
        .post("/download", json!({"time_range": {"start": time(0), "end": time(T0 + 100 * DAY)}, "device_ids": ["k3"]}))
        .await
        .ok();
    assert_eq!(per_device["blobs"].as_array().unwrap().len(), 8);
    assert_eq!(ts.object_files().await, 32);
    for d in api.get("/devices").await.ok()["devices"].as_array().unwrap() {
        assert!(d["last_sync_at"].is_string());
    }
}

#[tokio::test]
async fn restart_loses_nothing_completed() {
    let mut ts = TestServer::start().await;
    let token = ts.add_user("jay@example.com", "pro").await;
    let api = ts.api(&token, "j1");
    api.init_new_account().await.ok();
    let done = TestBlob::new(51, "frames", T0, 300_000, &["kept"]);
    api.upload_blob(&done).await;
    let pending = TestBlob::new(52, "text", T0, 100, &["kept"]);
    api.post("/upload", pending.upload_request("j1")).await.ok();

    ts.restart().await;
    let api = ts.api(&token, "j1");
    let keys = api.init().await.ok();
    assert_eq!(keys["envelope"], envelope(1, 1));
    let got = api.post("/download", json!({"blob_ids": [done.id]})).await.ok();
    let bytes = api.get_object(got["blobs"][0]["download_url"].as_str().unwrap()).await;
    assert_eq!(bytes.body.as_ref(), done.bytes.as_slice());
    let hits = api.post("/search", json!({"search_tokens": [tok("kept")]})).await.ok();
    assert_eq!(hits["total_matches"], 1);
    assert_eq!(api.get("/status").await.ok()["quota"]["storage_used"], 300_000);
    // The pending blob survived too and can still be completed.
    let again = api.post("/upload", pending.upload_request("j1")).await.ok();
    assert_eq!(api.put_object(again["upload_url"].as_str().unwrap(), &pending.bytes).await.status, 200);
    api.post("/upload/complete", json!({"blob_id": pending.id})).await.ok();
}

/// Declared but never completed uploads cost quota and are capped: the declarations that do
/// not fit answer `403 QUOTA_EXCEEDED` or `409 PENDING_LIMIT` and store nothing; completing one
/// makes room for the next.
#[tokio::test]
async fn pending_uploads_are_capped_and_reserve_quota() {
    let ts = TestServer::start_with(|c| c.limits.max_pending_uploads = 2).await;
    let api = ts.api(&ts.add_user("uma@example.com", "starter").await, "u1");
    api.init().await.ok();
    let blobs: Vec<TestBlob> =
        (0..3).map(|i| TestBlob::new(90 + i, "text", T0 + i64::from(i) * MINUTE, 1000, &[])).collect();
    let first = api.post("/upload", blobs[0].upload_request("u1")).await.ok();
    api.post("/upload", blobs[1].upload_request("u1")).await.ok();
    api.post("/upload", blobs[2].upload_request("u1")).await.expect_error(409, "PENDING_LIMIT");
    // Declaring a pending blob again is not a new upload.
    api.post("/upload", blobs[1].upload_request("u1")).await.ok();
    assert_eq!(api.put_object(first["upload_url"].as_str().unwrap(), &blobs[0].bytes).await.status, 200);
    api.post("/upload/complete", json!({"blob_id": blobs[0].id})).await.ok();
    api.post("/upload", blobs[2].upload_request("u1")).await.ok();
    // Pending bytes count against the quota: with 1000 bytes stored and 2000 reserved, only
    // what is left of the tier fits.
    let limit: u64 = 20_000_000_000;
    ts.sql(&format!("UPDATE users SET storage_used = {} WHERE email = 'uma@example.com'", limit - 2500)).await;
    api.post("/upload", TestBlob::new(99, "text", T0, 600, &[]).upload_request("u1"))
        .await
        .expect_error(403, "QUOTA_EXCEEDED");
    assert_eq!(api.get("/status").await.ok()["stats"]["total_blobs"], 1);
}

/// Search tokens are bounded by the blob's size (one per byte, at least 64) and count against
/// the quota: `/status` reports them as `index_bytes`.
#[tokio::test]
async fn search_tokens_are_bounded_by_size_and_counted() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("val@example.com", "starter").await, "v1");
    api.init().await.ok();
    let words: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    // A 10-byte blob may carry 64 tokens, not 65; a 200-byte one 200.
    let tiny = TestBlob::new(110, "text", T0, 10, &refs[..65]);
    api.post("/upload", tiny.upload_request("v1")).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    let tiny = TestBlob::new(110, "text", T0, 10, &refs[..64]);
    api.upload_blob(&tiny).await;
    let sized = TestBlob::new(111, "text", T0 + MINUTE, 200, &refs);
    api.upload_blob(&sized).await;
    let status = api.get("/status").await.ok();
    assert_eq!(status["quota"]["storage_used"], 210);
    assert_eq!(status["quota"]["index_bytes"], (64 + 200) * 16);
    // A full account counts its tokens too: no room left for one more byte.
    let limit: u64 = 20_000_000_000;
    ts.sql(&format!("UPDATE users SET storage_used = {} WHERE email = 'val@example.com'", limit - (64 + 200) * 16))
        .await;
    api.post("/upload", TestBlob::new(112, "text", T0, 1, &[]).upload_request("v1"))
        .await
        .expect_error(403, "QUOTA_EXCEEDED");
}
