//! Accounts and devices: authentication, device registration, isolation between accounts, token rotation.

use bytes::Bytes;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn authentication_and_device_registration() {
    let ts = TestServer::start().await;
    let token = ts.add_user("bob@example.com", "starter").await;
    let url = format!("{}/api/sync/status", ts.base);
    ts.http.send("GET", &url, &[("x-device-id", "d1")], Bytes::new()).await.expect_error(401, "UNAUTHORIZED");
    ts.http
        .send("GET", &url, &[("authorization", "Bearer sps_wrong"), ("x-device-id", "d1")], Bytes::new())
        .await
        .expect_error(401, "UNAUTHORIZED");
    ts.http
        .send("GET", &url, &[("authorization", &format!("Basic {token}")), ("x-device-id", "d1")], Bytes::new())
        .await
        .expect_error(401, "UNAUTHORIZED");
    ts.http
        .send("GET", &url, &[("authorization", &format!("Bearer {}", "x".repeat(300)))], Bytes::new())
        .await
        .expect_error(401, "UNAUTHORIZED");
    // A valid token without a device header, or with a bad one.
    ts.http
        .send("GET", &url, &[("authorization", &format!("Bearer {token}"))], Bytes::new())
        .await
        .expect_error(400, "INVALID_REQUEST");
    ts.api(&token, "Not_A_Device").get("/status").await.expect_error(400, "INVALID_REQUEST");
    // Not registered yet.
    let api = ts.api(&token, "d1");
    api.get("/status").await.expect_error(403, "UNKNOWN_DEVICE");
    api.post("/upload", TestBlob::new(1, "text", T0, 10, &[]).upload_request("d1"))
        .await
        .expect_error(403, "UNKNOWN_DEVICE");
    // The body's device must be the header's.
    api.post("/init", json!({"device_id": "d2", "device_name": "x", "device_os": "y"}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.init().await.ok();
    api.get("/status").await.ok();
    api.post("/upload", TestBlob::new(1, "text", T0, 10, &[]).upload_request("d2"))
        .await
        .expect_error(400, "INVALID_REQUEST");
    // Unknown routes and methods answer in the error shape (outside the document).
    let missing = ts.http.send_with("GET", &format!("{}/api/sync/nope", ts.base), &[], Bytes::new(), false).await;
    missing.expect_error(404, "NOT_FOUND");
    let wrong = ts.http.send_with("GET", &format!("{}/api/sync/upload", ts.base), &[], Bytes::new(), false).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.code(), "INVALID_REQUEST");
    // Every answer carries a request id.
    assert!(wrong.headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn another_users_ids_reach_nothing() {
    let ts = TestServer::start().await;
    let alice = ts.api(&ts.add_user("alice@example.com", "pro").await, "a1");
    let mallory = ts.api(&ts.add_user("mallory@example.com", "pro").await, "m1");
    alice.init_new_account().await.ok();
    mallory.init().await.ok();
    let blob = TestBlob::new(7, "text", T0, 1000, &["secret"]);
    alice.upload_blob(&blob).await;
    let got = alice.post("/download", json!({"blob_ids": [blob.id]})).await.ok();
    let alice_url = got["blobs"][0]["download_url"].as_str().unwrap().to_owned();

    mallory.post("/download", json!({"blob_ids": [blob.id]})).await.expect_error(404, "NOT_FOUND");
    mallory.post("/upload/complete", json!({"blob_id": blob.id})).await.expect_error(404, "NOT_FOUND");
    assert_eq!(mallory.post("/search", json!({"search_tokens": [tok("secret")]})).await.ok()["total_matches"], 0);
    let range = json!({"time_range": {"start": time(T0 - DAY), "end": time(T0 + DAY)}});
    assert_eq!(mallory.post("/download", range.clone()).await.ok()["blobs"], json!([]));
    assert_eq!(mallory.get("/status").await.ok()["stats"]["total_blobs"], 0);
    // Mallory's keys are not Alice's, and Mallory cannot remove Alice's device.
    assert!(mallory.init().await.ok()["envelope"].is_null());
    assert_eq!(mallory.delete("/devices?device_id=a1").await.ok()["removed"], false);
    // Rewriting Alice's URL to another user id breaks its signature (checked by this server,
    // or by the S3 store for a presigned URL).
    let object_path = alice_url.split('?').next().unwrap();
    let at = object_path.find(&format!("/{}", blob.id)).unwrap();
    let alice_user = object_path[..at].rsplit('/').next().unwrap().to_owned();
    let forged = alice_url.replace(&format!("/{alice_user}/{}", blob.id), &format!("/999/{}", blob.id));
    assert_ne!(forged, alice_url);
    ts.expect_refused(&mallory.get_object(&forged).await, 403, "BAD_SIGNATURE", 403);
    // Mallory may use the same blob id for her own blob: a separate namespace.
    let mine = TestBlob { bytes: b"mallory's own bytes".to_vec(), ..blob.clone() };
    mallory.upload_blob(&mine).await;
    let alice_bytes = alice.get_object(&alice_url).await;
    assert_eq!(alice_bytes.body.as_ref(), blob.bytes.as_slice());
    mallory.delete("/data").await.ok();
    assert_eq!(
        alice.post("/download", json!({"blob_ids": [blob.id]})).await.ok()["blobs"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn rotate_token_replaces_the_old_one() {
    let ts = TestServer::start().await;
    let old = ts.add_user("rot@example.com", "starter").await;
    let api = ts.api(&old, "r1");
    api.init().await.ok();
    let new = ts.rotate_token("ROT@example.com").await;
    assert!(new.starts_with("sps_") && new.len() == 68, "{new}");
    assert_ne!(new, old);
    // The old token stops working at once; the new one reaches the same account and devices.
    api.get("/status").await.expect_error(401, "UNAUTHORIZED");
    let fresh = ts.api(&new, "r1");
    assert_eq!(fresh.get("/status").await.ok()["quota"]["device_count"], 1);
    // Another account's token is untouched.
    let other = ts.add_user("other@example.com", "starter").await;
    ts.rotate_token("rot@example.com").await;
    ts.api(&other, "o1").init().await.ok();
    fresh.get("/status").await.expect_error(401, "UNAUTHORIZED");
}
