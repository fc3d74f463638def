//! The sync server over real HTTP on loopback: the whole flow, every bad input with its
//! documented status and code, restarts, concurrency, cleanup, Stripe, and the OpenAPI contract.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::*;
use serde_json::json;

/// The whole flow, and every documented operation exercised and matching the document.
#[tokio::test]
async fn whole_flow_and_openapi_coverage() {
    let ts = TestServer::start().await;
    let token = ts.add_user("alice@example.com", "starter").await;
    let laptop = ts.api(&token, "laptop-1");

    // A first init without keys on a fresh account.
    let first = laptop.init().await.ok();
    assert_eq!(first["is_new_user"], true);
    assert!(first["envelope"].is_null());
    assert_eq!(first["revision"], 0);
    // Creating the keys.
    let created = laptop.init_new_account().await.ok();
    assert_eq!(created["is_new_user"], true);
    assert_eq!(created["envelope"], envelope(1, 1));
    assert_eq!(created["recovery_envelope"], recovery(1, 1));
    assert_eq!(created["revision"], 1);
    // A second device gets them.
    let phone = laptop.on_device("phone-1");
    let second = phone.init().await.ok();
    assert_eq!(second["is_new_user"], false);
    assert_eq!(second["envelope"], envelope(1, 1));
    assert_eq!(second["keyring"], json!([]));

    // Upload three blobs from the laptop.
    let a = TestBlob::new(1, "text", T0, 3000, &["hello", "world", "alpha"]);
    let b = TestBlob::new(2, "text", T0 + 10 * MINUTE, 5000, &["hello", "beta"]);
    let c = TestBlob::new(3, "audio", T0 + 20 * MINUTE, 70_000, &["hello", "world"]);
    let mut used = 0;
    for blob in [&a, &b, &c] {
        let done = laptop.upload_blob(blob).await;
        used += blob.bytes.len() as u64;
        assert_eq!(done["storage_used"], used);
        assert_eq!(done["storage_limit"], 20_000_000_000u64);
    }

    // Download by ids from the phone; the bytes are the ones uploaded.
    let got = phone.post("/download", json!({"blob_ids": [c.id, a.id]})).await.ok();
    let blobs = got["blobs"].as_array().unwrap();
    assert_eq!(blobs.len(), 2);
    assert_eq!(blobs[0]["blob_id"], c.id);
    assert_eq!(blobs[0]["checksum"], c.checksum());
    assert_eq!(blobs[0]["device_id"], "laptop-1");
    assert_eq!(blobs[0]["key_id"], c.key_id);
    let bytes = phone.get_object(blobs[0]["download_url"].as_str().unwrap()).await;
    assert_eq!(bytes.status, 200);
    assert_eq!(bytes.body.as_ref(), c.bytes.as_slice());

    // Download by time range, paginated, filtered.
    let range = json!({"start": time(T0), "end": time(T0 + DAY)});
    let page1 = phone.post("/download", json!({"time_range": range, "limit": 2})).await.ok();
    assert_eq!(page1["blobs"].as_array().unwrap().len(), 2);
    assert_eq!(page1["blobs"][0]["blob_id"], a.id);
    assert_eq!(page1["blobs"][1]["blob_id"], b.id);
    let cursor = page1["next_cursor"].as_str().unwrap().to_owned();
    let page2 = phone.post("/download", json!({"time_range": range, "limit": 2, "cursor": cursor})).await.ok();
    assert_eq!(page2["blobs"].as_array().unwrap().len(), 1);
    assert_eq!(page2["blobs"][0]["blob_id"], c.id);
    assert!(page2["next_cursor"].is_null());
    let audio = phone.post("/download", json!({"time_range": range, "blob_types": ["audio"]})).await.ok();
    assert_eq!(audio["blobs"].as_array().unwrap().len(), 1);
    let narrow = json!({"start": time(T0 + 11 * MINUTE), "end": time(T0 + 12 * MINUTE)});
    let overlap = phone.post("/download", json!({"time_range": narrow})).await.ok();
    assert_eq!(overlap["blobs"].as_array().unwrap().len(), 1);
    assert_eq!(overlap["blobs"][0]["blob_id"], b.id);
    let other_device = phone.post("/download", json!({"time_range": range, "device_ids": ["phone-1"]})).await.ok();
    assert_eq!(other_device["blobs"], json!([]));

    // Search: match counts, order, filters, limit, total.
    let hits = phone.post("/search", json!({"search_tokens": [tok("hello"), tok("world"), tok("hello")]})).await.ok();
    assert_eq!(hits["total_matches"], 3);
    let matches = hits["matches"].as_array().unwrap();
    assert_eq!(matches[0]["blob_id"], c.id); // 2 tokens, newest
    assert_eq!(matches[0]["match_count"], 2);
    assert_eq!(matches[1]["blob_id"], a.id); // 2 tokens, older
    assert_eq!(matches[2]["blob_id"], b.id); // 1 token
    assert_eq!(matches[2]["match_count"], 1);
    let limited = phone.post("/search", json!({"search_tokens": [tok("hello")], "limit": 1})).await.ok();
    assert_eq!(limited["matches"].as_array().unwrap().len(), 1);
    assert_eq!(limited["total_matches"], 3);
    let texts = phone.post("/search", json!({"search_tokens": [tok("world")], "blob_types": ["text"]})).await.ok();
    assert_eq!(texts["matches"].as_array().unwrap().len(), 1);
    let ranged = phone
        .post("/search", json!({"search_tokens": [tok("hello")], "time_range": {"start": time(T0 + 9 * MINUTE), "end": time(T0 + 16 * MINUTE)}}))
        .await
        .ok();
    assert_eq!(ranged["total_matches"], 1);
    assert_eq!(ranged["matches"][0]["blob_id"], b.id);
    let none = phone.post("/search", json!({"search_tokens": [tok("absent")]})).await.ok();
    assert_eq!(none, json!({"matches": [], "total_matches": 0}));

    // Status.
    let status = phone.get("/status").await.ok();
    assert_eq!(status["quota"]["storage_used"], used);
    assert_eq!(status["quota"]["device_count"], 2);
    assert_eq!(status["quota"]["device_limit"], 3);
    assert_eq!(status["quota"]["can_sync"], true);
    assert_eq!(status["quota"]["sync_tier"], "starter");
    assert_eq!(status["stats"]["total_blobs"], 3);
    assert_eq!(status["stats"]["oldest_data"], time(T0));
    assert_eq!(status["stats"]["newest_data"], time(c.end));
    assert!(status["stats"]["last_sync"].is_string());
    assert_eq!(status["storage_breakdown"], json!({"text": 8000, "frames": 0, "audio": 70_000}));

    // Devices.
    let devices = phone.get("/devices").await.ok();
    let list = devices["devices"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let laptop_info = list.iter().find(|d| d["device_id"] == "laptop-1").unwrap();
    assert!(laptop_info["last_sync_at"].is_string());
    assert_eq!(laptop_info["device_name"], "laptop");
    let phone_info = list.iter().find(|d| d["device_id"] == "phone-1").unwrap();
    assert!(phone_info["last_sync_at"].is_null());

    // Keys: a password change.
    let changed = phone.post("/keys", json!({"expected_revision": 1, "envelope": envelope(1, 1)})).await.ok();
    assert_eq!(changed["revision"], 2);

    // Stripe webhook.
    let payload = stripe_event(
        "evt_flow",
        "customer.subscription.updated",
        1,
        "cus_flow",
        Some("alice@example.com"),
        "active",
        &["price_pro"],
    );
    let header = sync_server::stripe::sign_payload(STRIPE_SECRET, payload.as_bytes(), sync_server::time::now_secs());
    let hook = ts
        .http
        .send("POST", &format!("{}/api/sync/webhooks/stripe", ts.base), &[("stripe-signature", &header)], payload)
        .await
        .ok();
    assert_eq!(hook["result"], "applied");
    assert_eq!(phone.get("/status").await.ok()["quota"]["sync_tier"], "pro");

    // Remove a device; it is then unknown.
    let removed = laptop.delete("/devices?device_id=phone-1").await.ok();
    assert_eq!(removed["removed"], true);
    phone.get("/status").await.expect_error(403, "UNKNOWN_DEVICE");
    assert_eq!(laptop.delete("/devices?device_id=phone-1").await.ok()["removed"], false);

    // Delete all data.
    assert_eq!(ts.object_files().await, 3);
    let deleted = laptop.delete("/data").await.ok();
    assert_eq!(deleted, json!({"deleted_blobs": 3, "freed_bytes": used}));
    assert_eq!(ts.object_files().await, 0);
    let after = laptop.get("/status").await.ok();
    assert_eq!(after["quota"]["storage_used"], 0);
    assert_eq!(after["stats"]["total_blobs"], 0);
    laptop.post("/download", json!({"blob_ids": [a.id]})).await.expect_error(404, "NOT_FOUND");
    assert_eq!(laptop.post("/search", json!({"search_tokens": [tok("hello")]})).await.ok()["total_matches"], 0);
    // The old download URL no longer serves anything.
    let gone = laptop.get_object(blobs[0]["download_url"].as_str().unwrap()).await;
    ts.expect_refused(&gone, 404, "NOT_FOUND", 404);
    // Keys and the account stay.
    assert_eq!(laptop.init().await.ok()["revision"], 2);

    // The document is served, and equals the file.
    let doc = ts.http.send("GET", &format!("{}/openapi.yaml", ts.base), &[], Bytes::new()).await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body.as_ref(), std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml")).unwrap());

    // Every documented operation was exercised with a documented answer.
    let seen: Vec<(String, String)> =
        SEEN.with(|s| s.borrow().iter().map(|(m, p, _)| (m.clone(), p.clone())).collect());
    for op in common::openapi::operations() {
        // With S3 the object routes of the local store are not served (clients use presigned
        // URLs to the store); `s3_presigned_urls` checks that they answer 404.
        if ts.is_s3() && op.1.starts_with("/api/sync/objects/") {
            continue;
        }
        assert!(seen.contains(&op), "operation {op:?} not exercised");
    }
}

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
async fn bad_bodies_and_limits() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("carol@example.com", "starter").await, "c1");
    api.init().await.ok();
    let auth = format!("Bearer {}", api.token);
    let headers = [("authorization", auth.as_str()), ("x-device-id", "c1")];
    let url = format!("{}/api/sync/upload", ts.base);
    // Malformed JSON, wrong shapes, invalid values.
    ts.http.send("POST", &url, &headers, "{not json").await.expect_error(400, "INVALID_REQUEST");
    ts.http.send("POST", &url, &headers, "[]").await.expect_error(400, "INVALID_REQUEST");
    let good = TestBlob::new(1, "text", T0, 100, &["a1"]).upload_request("c1");
    for (field, value) in [
        ("blob_id", json!("ABC")),
        ("blob_type", json!("video")),
        ("time_start", json!("2026-01-05T09:00:00Z")),
        ("checksum", json!("00")),
        ("size_bytes", json!(-1)),
        ("search_tokens", json!(["AAAA"])),
    ] {
        let mut body = good.clone();
        body[field] = value;
        api.post("/upload", body).await.expect_error(400, "INVALID_REQUEST");
    }
    let mut backwards = good.clone();
    backwards["time_end"] = json!(time(T0 - 1));
    api.post("/upload", backwards).await.expect_error(400, "INVALID_REQUEST");
    let mut empty = good.clone();
    empty["size_bytes"] = json!(0);
    api.post("/upload", empty).await.expect_error(400, "INVALID_REQUEST");
    let mut huge = good.clone();
    huge["size_bytes"] = json!(sync_core::wire::limits::MAX_BLOB_SIZE + 1);
    api.post("/upload", huge).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    // Too many tokens, ids; an oversized body.
    let mut many = good.clone();
    many["search_tokens"] = json!((0..20_001).map(|i| tok(&i.to_string())).collect::<Vec<_>>());
    api.post("/upload", many).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    let search_tokens: Vec<String> = (0..1025).map(|i| tok(&i.to_string())).collect();
    api.post("/search", json!({"search_tokens": search_tokens})).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    let ids: Vec<String> = (0..1001u32).map(|i| hex(&[(i % 256) as u8; 16])).collect();
    api.post("/download", json!({"blob_ids": ids})).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    let big = vec![b' '; sync_core::wire::limits::MAX_JSON_BODY + 10];
    ts.http.send("POST", &url, &headers, big).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    // Bad search and download parameters.
    api.post("/search", json!({"search_tokens": [tok("x")], "limit": 0})).await.expect_error(400, "INVALID_REQUEST");
    api.post("/search", json!({"search_tokens": [tok("x")], "limit": 1001})).await.expect_error(400, "INVALID_REQUEST");
    let backwards_range = json!({"start": time(T0), "end": time(T0 - 1)});
    api.post("/search", json!({"search_tokens": [tok("x")], "time_range": backwards_range}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/download", json!({})).await.expect_error(400, "INVALID_REQUEST");
    api.post("/download", json!({"time_range": {"start": time(T0), "end": time(T0)}, "cursor": "garbage"}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/download", json!({"blob_ids": [], "limit": 5})).await.expect_error(400, "INVALID_REQUEST");
    api.delete("/devices").await.expect_error(400, "INVALID_REQUEST");
    api.delete("/devices?device_id=BAD").await.expect_error(400, "INVALID_REQUEST");
    // Bad init bodies.
    let mut bad_env = envelope(1, 1);
    bad_env["v"] = json!(2);
    api.post("/init", json!({"device_id": "c1", "device_name": "x", "device_os": "y", "envelope": bad_env, "recovery_envelope": recovery(1, 1)}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/init", json!({"device_id": "c1", "device_name": "x", "device_os": "y", "envelope": envelope(1, 1)}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/init", json!({"device_id": "c1", "device_name": "x".repeat(200), "device_os": "y"}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    // None of it stored anything.
    assert_eq!(api.get("/status").await.ok()["stats"]["total_blobs"], 0);
    assert_eq!(ts.object_files().await, 0);
    assert!(api.init().await.ok()["envelope"].is_null());
}

#[tokio::test]
async fn signed_urls_expire_and_resist_tampering() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("dan@example.com", "starter").await, "d1");
    api.init().await.ok();
    if ts.is_s3() {
        s3_presigned_urls(&ts, &api).await;
        return;
    }
    let blob = TestBlob::new(11, "frames", T0, 10_000, &[]);
    let declared = api.post("/upload", blob.upload_request("d1")).await.ok();
    let url = declared["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(declared["expires_in"], 3600);
    assert!(url.starts_with(&ts.base));

    // Tampered signature, size, expiry, object; a GET with a PUT URL.
    let sig = url.split("sig=").nth(1).unwrap().to_owned();
    let flipped = format!("{}{}", &sig[..63], if sig.ends_with('0') { "1" } else { "0" });
    api.put_object(&url.replace(&sig, &flipped), &blob.bytes).await.expect_error(403, "BAD_SIGNATURE");
    api.put_object(&url.replace("size=10000", "size=10001"), &blob.bytes).await.expect_error(403, "BAD_SIGNATURE");
    let expires = url.split("expires=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let later = (expires.parse::<i64>().unwrap() + 100).to_string();
    api.put_object(&url.replace(&expires, &later), &blob.bytes).await.expect_error(403, "BAD_SIGNATURE");
    api.put_object(&url.replace(&blob.id, &hex(&[0xee; 16])), &blob.bytes).await.expect_error(403, "BAD_SIGNATURE");
    api.put_object(&url.replace("&sig=", "&nosig="), &blob.bytes).await.expect_error(403, "BAD_SIGNATURE");
    api.get_object(&url).await.expect_error(403, "BAD_SIGNATURE");
    // An expired but genuine URL.
    let secret = ts.server().state.metadata.url_signing_secret().await.unwrap();
    let signer = sync_server::store::objects::signed_url::UrlSigner::new(secret);
    let user_id: i64 = url.split("/objects/").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    let key = sync_server::store::ObjectKey { user_id, blob_id: sync_core::BlobId::from_hex(&blob.id).unwrap() };
    let past = sync_server::time::now_secs() - 10;
    let expired = signer.url(&ts.base, sync_server::store::objects::signed_url::UrlMethod::Put, &key, 10_000, past);
    api.put_object(&expired, &blob.bytes).await.expect_error(403, "URL_EXPIRED");
    // Bodies longer or shorter than signed.
    let mut longer = blob.bytes.clone();
    longer.push(0);
    api.put_object(&url, &longer).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    api.put_object(&url, &blob.bytes[..9_999]).await.expect_error(400, "CHECKSUM_MISMATCH");
    // Nothing was stored; completing is refused; the blob stays invisible.
    assert_eq!(ts.object_files().await, 0);
    assert_eq!(ts.partial_files(), 0);
    assert_eq!(ts.local_object_files(), 0);
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.expect_error(409, "NOT_UPLOADED");
    api.post("/download", json!({"blob_ids": [blob.id]})).await.expect_error(404, "NOT_FOUND");
    // The genuine URL still works.
    assert_eq!(api.put_object(&url, &blob.bytes).await.status, 200);
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.ok();
    // A completed blob takes no more PUTs; its download URL is not an upload URL.
    api.put_object(&url, &blob.bytes).await.expect_error(409, "CONFLICT");
    let got = api.post("/download", json!({"blob_ids": [blob.id]})).await.ok();
    let download = got["blobs"][0]["download_url"].as_str().unwrap().to_owned();
    api.put_object(&download, &blob.bytes).await.expect_error(403, "BAD_SIGNATURE");
    let expired_get = signer.url(&ts.base, sync_server::store::objects::signed_url::UrlMethod::Get, &key, 10_000, past);
    api.get_object(&expired_get).await.expect_error(403, "URL_EXPIRED");
    assert_eq!(api.get_object(&download).await.body.as_ref(), blob.bytes.as_slice());
}

#[tokio::test]
async fn checksums_and_completion_order() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("erin@example.com", "starter").await, "e1");
    api.init().await.ok();
    // Completing an unknown blob, then one not yet uploaded.
    api.post("/upload/complete", json!({"blob_id": hex(&[5; 16])})).await.expect_error(404, "NOT_FOUND");
    let blob = TestBlob::new(21, "text", T0, 4096, &["w"]);
    let declared = api.post("/upload", blob.upload_request("e1")).await.ok();
    let url = declared["upload_url"].as_str().unwrap().to_owned();
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.expect_error(409, "NOT_UPLOADED");
    // The right size with the wrong bytes.
    let wrong = vec![0u8; 4096];
    assert_eq!(api.put_object(&url, &wrong).await.status, 200);
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.expect_error(400, "CHECKSUM_MISMATCH");
    // The bad object is gone; the blob is invisible and uses no quota.
    assert_eq!(ts.object_files().await, 0);
    api.post("/download", json!({"blob_ids": [blob.id]})).await.expect_error(404, "NOT_FOUND");
    assert_eq!(api.post("/search", json!({"search_tokens": [tok("w")]})).await.ok()["total_matches"], 0);
    assert_eq!(api.get("/status").await.ok()["quota"]["storage_used"], 0);
    // Upload again, correctly.
    assert_eq!(api.put_object(&url, &blob.bytes).await.status, 200);
    let done = api.post("/upload/complete", json!({"blob_id": blob.id})).await.ok();
    assert_eq!(done["storage_used"], 4096);
    // Completing again is idempotent.
    assert_eq!(api.post("/upload/complete", json!({"blob_id": blob.id})).await.ok(), done);
}

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

#[tokio::test]
async fn keys_revisions_and_rotation() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("hal@example.com", "pro").await, "h1");
    api.init().await.ok();
    api.post("/keys", json!({"expected_revision": 0, "envelope": envelope(1, 1)})).await.expect_error(409, "CONFLICT");
    api.init_new_account().await.ok();
    // A different account creation on an account with keys.
    api.post("/init", json!({"device_id": "h1", "device_name": "x", "device_os": "y", "envelope": envelope(2, 1), "recovery_envelope": recovery(2, 1)}))
        .await
        .expect_error(409, "ACCOUNT_EXISTS");
    // The same creation again is a retry.
    assert_eq!(api.init_new_account().await.ok()["revision"], 1);
    // Password change, then a stale one.
    let mut new_password = envelope(1, 1);
    new_password["salt"] = json!(b64(&[0xaa; 32]));
    assert_eq!(api.post("/keys", json!({"expected_revision": 1, "envelope": new_password})).await.ok()["revision"], 2);
    let stale = api.post("/keys", json!({"expected_revision": 1, "envelope": envelope(1, 1)})).await;
    stale.expect_error(409, "STALE_REVISION");
    assert!(stale.json()["error"].as_str().unwrap().contains('2'));
    // A password change may not swap the key; a rotation must raise the version.
    api.post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 2)}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 1), "keyring": [keyring_entry(1)], "recovery_envelope": recovery(2, 1)}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 2), "keyring": [keyring_entry(1)]}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    // Rotation.
    let rotated = api
        .post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 2), "keyring": [keyring_entry(1)], "recovery_envelope": recovery(2, 2)}))
        .await
        .ok();
    assert_eq!(rotated["revision"], 3);
    let keys = api.on_device("h2").init().await.ok();
    assert_eq!(keys["is_new_user"], false);
    assert_eq!(keys["envelope"], envelope(2, 2));
    assert_eq!(keys["recovery_envelope"], recovery(2, 2));
    assert_eq!(keys["keyring"], json!([keyring_entry(1)]));
    assert_eq!(keys["revision"], 3);
    // Concurrent changes from two devices: exactly one wins.
    let other = api.on_device("h2");
    let a = api.post("/keys", json!({"expected_revision": 3, "envelope": envelope(2, 2)}));
    let b = other.post("/keys", json!({"expected_revision": 3, "envelope": envelope(2, 2)}));
    let (a, b) = tokio::join!(a, b);
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
}

fn signed(payload: &str) -> String {
    sync_server::stripe::sign_payload(STRIPE_SECRET, payload.as_bytes(), sync_server::time::now_secs())
}

#[tokio::test]
async fn stripe_webhook() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("ivy@example.com", "none").await, "i1");
    let hook = format!("{}/api/sync/webhooks/stripe", ts.base);
    let send = |payload: String, header: String| {
        let http = ts.http.clone();
        let hook = hook.clone();
        async move { http.send("POST", &hook, &[("stripe-signature", &header)], payload).await }
    };
    let created = stripe_event(
        "evt_1",
        "customer.subscription.created",
        100,
        "cus_ivy",
        Some("IVY@example.com"),
        "active",
        &["price_pro"],
    );
    // Bad signatures: wrong secret, tampered payload, stale timestamp, missing, malformed.
    let wrong = sync_server::stripe::sign_payload("whsec_other", created.as_bytes(), sync_server::time::now_secs());
    send(created.clone(), wrong).await.expect_error(400, "BAD_SIGNATURE");
    send(created.replace("price_pro", "price_team"), signed(&created)).await.expect_error(400, "BAD_SIGNATURE");
    let old = sync_server::stripe::sign_payload(STRIPE_SECRET, created.as_bytes(), sync_server::time::now_secs() - 301);
    send(created.clone(), old).await.expect_error(400, "BAD_SIGNATURE");
    send(created.clone(), "t=1,v1=zz".into()).await.expect_error(400, "BAD_SIGNATURE");
    ts.http.send("POST", &hook, &[], created.clone()).await.expect_error(400, "BAD_SIGNATURE");
    // Nothing changed: still no subscription.
    api.init().await.expect_error(403, "NO_SUBSCRIPTION");
    // A valid event among several v1 signatures.
    let header = signed(&created);
    let (t, v1) = header.split_once(',').unwrap();
    let several = format!("{t},v1={},{v1},v0=ignored", "ab".repeat(32));
    assert_eq!(send(created.clone(), several).await.ok()["result"], "applied");
    api.init().await.ok();
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "pro");
    // Deleted, then the creation replayed: ignored.
    let deleted =
        stripe_event("evt_2", "customer.subscription.deleted", 200, "cus_ivy", None, "canceled", &["price_pro"]);
    assert_eq!(send(deleted.clone(), signed(&deleted)).await.ok()["result"], "applied");
    assert_eq!(send(created.clone(), signed(&created)).await.ok()["result"], "duplicate");
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "none");
    // An older event than the last applied one is ignored too.
    let older = stripe_event("evt_3", "customer.subscription.updated", 150, "cus_ivy", None, "active", &["price_team"]);
    assert_eq!(send(older.clone(), signed(&older)).await.ok()["result"], "outdated");
    // A newer one, linked by customer id (no e-mail needed), with the highest tier of its prices.
    let newer = stripe_event(
        "evt_4",
        "customer.subscription.updated",
        300,
        "cus_ivy",
        None,
        "active",
        &["price_starter", "price_team"],
    );
    assert_eq!(send(newer.clone(), signed(&newer)).await.ok()["result"], "applied");
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "team");
    // Unknown prices, unknown customers and other event types are acknowledged without change.
    let unknown =
        stripe_event("evt_5", "customer.subscription.updated", 400, "cus_ivy", None, "active", &["price_gold"]);
    assert_eq!(send(unknown.clone(), signed(&unknown)).await.ok()["result"], "unknown_price");
    let stranger = stripe_event(
        "evt_6",
        "customer.subscription.created",
        400,
        "cus_x",
        Some("nobody@example.com"),
        "active",
        &["price_pro"],
    );
    assert_eq!(send(stranger.clone(), signed(&stranger)).await.ok()["result"], "no_user");
    let invoice = json!({"id": "evt_7", "type": "invoice.paid", "created": 1, "data": {"object": {}}}).to_string();
    assert_eq!(send(invoice.clone(), signed(&invoice)).await.ok()["result"], "ignored");
    assert_eq!(send(invoice.clone(), signed(&invoice)).await.ok()["result"], "duplicate");
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "team");
    // A signed body that is not an event.
    send("{}".into(), signed("{}")).await.expect_error(400, "INVALID_REQUEST");

    // Without a configured secret the route does not exist.
    let bare = TestServer::start_with(|c| c.stripe.webhook_secret = None).await;
    bare.http
        .send(
            "POST",
            &format!("{}/api/sync/webhooks/stripe", bare.base),
            &[("stripe-signature", &signed(&created))],
            created.clone(),
        )
        .await
        .expect_error(404, "NOT_FOUND");
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
async fn retention_and_abandoned_upload_cleanup() {
    let ts = TestServer::start().await;
    let starter = ts.api(&ts.add_user("lee@example.com", "starter").await, "l1");
    let pro = ts.api(&ts.add_user("max@example.com", "pro").await, "m1");
    starter.init().await.ok();
    pro.init().await.ok();
    let now = sync_server::time::now_ms().0;
    let old = TestBlob::new(61, "audio", now - 200 * DAY, 500, &["old"]);
    let recent = TestBlob::new(62, "audio", now - 10 * DAY, 600, &["old"]);
    starter.upload_blob(&old).await;
    starter.upload_blob(&recent).await;
    pro.upload_blob(&old).await;
    let pending = TestBlob::new(63, "text", now, 700, &[]);
    let declared = starter.post("/upload", pending.upload_request("l1")).await.ok();
    let pending_url = declared["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(starter.put_object(&pending_url, &pending.bytes).await.status, 200);
    assert_eq!(ts.object_files().await, 4);

    let state = &ts.server().state;
    let report = sync_server::cleanup::run_once(state, sync_core::UnixMillis(now)).await.unwrap();
    assert_eq!(report.expired_blobs, 1);
    assert_eq!(report.abandoned_uploads, 0);
    starter.post("/download", json!({"blob_ids": [old.id]})).await.expect_error(404, "NOT_FOUND");
    assert_eq!(
        starter.post("/download", json!({"blob_ids": [recent.id]})).await.ok()["blobs"].as_array().unwrap().len(),
        1
    );
    assert_eq!(pro.post("/download", json!({"blob_ids": [old.id]})).await.ok()["blobs"].as_array().unwrap().len(), 1);
    assert_eq!(starter.get("/status").await.ok()["quota"]["storage_used"], 600);
    assert_eq!(starter.post("/search", json!({"search_tokens": [tok("old")]})).await.ok()["total_matches"], 1);
    assert_eq!(ts.object_files().await, 3);

    // A day and more later the pending upload is abandoned: its row and object go.
    let later = sync_core::UnixMillis(now + 25 * 3600 * 1000);
    let report = sync_server::cleanup::run_once(state, later).await.unwrap();
    assert_eq!(report.abandoned_uploads, 1);
    assert_eq!(ts.object_files().await, 2);
    starter.post("/upload/complete", json!({"blob_id": pending.id})).await.expect_error(404, "NOT_FOUND");
    let late_put = starter.put_object(&pending_url, &pending.bytes).await;
    if ts.is_s3() {
        // A presigned URL cannot be revoked: the store takes the PUT, leaving an object that no
        // blob row names. The next pass deletes it.
        assert_eq!(late_put.status, 200);
        assert_eq!(ts.object_files().await, 3);
        let report = sync_server::cleanup::run_once(state, later).await.unwrap();
        assert_eq!(report.orphan_objects, 1);
        assert_eq!(ts.object_files().await, 2);
    } else {
        late_put.expect_error(404, "NOT_FOUND");
    }
    // Partial upload files (local) or orphan objects (S3) older than the cutoff are swept;
    // objects of blobs stay.
    let stray = ts.plant_stray().await;
    assert!(ts.stray_exists(&stray).await);
    let report = sync_server::cleanup::run_once(state, later).await.unwrap();
    assert_eq!(report.partial_files + report.orphan_objects, 1);
    assert!(!ts.stray_exists(&stray).await);
    assert_eq!(ts.object_files().await, 2);
    assert_eq!(pro.post("/download", json!({"blob_ids": [old.id]})).await.ok()["blobs"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn static_viewer_and_request_ids() {
    let www = tempfile::tempdir().unwrap();
    std::fs::write(www.path().join("index.html"), "<h1>viewer</h1>").unwrap();
    std::fs::write(www.path().join("app.js"), "console.log(1)").unwrap();
    let path = www.path().to_owned();
    let ts = TestServer::start_with(move |c| c.static_dir = Some(path)).await;
    let index = ts.http.send_with("GET", &format!("{}/", ts.base), &[], Bytes::new(), false).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.body.as_ref(), b"<h1>viewer</h1>");
    let js = ts.http.send_with("GET", &format!("{}/app.js", ts.base), &[], Bytes::new(), false).await;
    assert_eq!(js.body.as_ref(), b"console.log(1)");
    let missing = ts.http.send_with("GET", &format!("{}/nope.js", ts.base), &[], Bytes::new(), false).await;
    assert_eq!(missing.status, 404);
    // The API and the document still answer beside the viewer.
    let doc = ts.http.send("GET", &format!("{}/openapi.yaml", ts.base), &[], Bytes::new()).await;
    assert_eq!(doc.status, 200);
    let unauth = ts.http.send("GET", &format!("{}/api/sync/status", ts.base), &[], Bytes::new()).await;
    unauth.expect_error(401, "UNAUTHORIZED");
    // Request ids: generated, distinct, or kept from the client.
    let a = unauth.headers.get("x-request-id").unwrap().clone();
    let b = doc.headers.get("x-request-id").unwrap().clone();
    assert_ne!(a, b);
    let kept = ts
        .http
        .send("GET", &format!("{}/api/sync/status", ts.base), &[("x-request-id", "client-42")], Bytes::new())
        .await;
    assert_eq!(kept.headers.get("x-request-id").unwrap(), "client-42");
}

/// The contract checker itself refuses what the document does not allow.
#[test]
fn openapi_checker_refuses_mismatches() {
    use common::openapi::check;
    let json = Some("application/json");
    assert!(check("POST", "/api/sync/keys", 200, json, br#"{"revision":1}"#).is_ok());
    assert!(check("POST", "/api/sync/keys", 200, json, br#"{"revision":1,"extra":2}"#).is_err());
    assert!(check("POST", "/api/sync/keys", 200, json, br#"{"revision":-1}"#).is_err());
    assert!(check("POST", "/api/sync/keys", 200, json, br#"{}"#).is_err());
    assert!(check("POST", "/api/sync/keys", 418, json, br#"{"revision":1}"#).is_err());
    assert!(check("POST", "/api/sync/keys", 200, Some("text/plain"), br#"{"revision":1}"#).is_err());
    assert!(check("GET", "/api/sync/keys", 200, json, br#"{"revision":1}"#).is_err());
    assert!(check("POST", "/api/sync/nowhere", 200, json, b"{}").is_err());
    assert!(check("POST", "/api/sync/init", 409, json, br#"{"error":"x","code":"NOT_A_CODE"}"#).is_err());
    assert!(check("POST", "/api/sync/init", 409, json, br#"{"error":"x","code":"ACCOUNT_EXISTS"}"#).is_ok());
    let bad_time = br#"{"matches":[{"blob_id":"000102030405060708090a0b0c0d0e0f","blob_type":"text","device_id":"d","time_start":"2026-01-05T09:00:00Z","time_end":"2026-01-05T09:00:00.000Z","match_count":1}],"total_matches":1}"#;
    assert!(check("POST", "/api/sync/search", 200, json, bad_time).is_err());
    let good_time = std::str::from_utf8(bad_time).unwrap().replace("00Z\",\"time_end", "00.000Z\",\"time_end");
    assert!(check("POST", "/api/sync/search", 200, json, good_time.as_bytes()).is_ok());
    assert!(check("PUT", "/api/sync/objects/1/000102030405060708090a0b0c0d0e0f", 200, None, b"").is_ok());
    assert!(check("PUT", "/api/sync/objects/1/000102030405060708090a0b0c0d0e0f", 200, None, b"x").is_err());
}

/// With S3 the store itself checks presigned URLs: a tampered or expired URL is refused by
/// SeaweedFS, not by this server. A presigned PUT does not bind the body, so a body of another
/// length reaches the store and `/upload/complete` refuses it and deletes it. This server's own
/// object routes are not served.
async fn s3_presigned_urls(ts: &TestServer, api: &Api) {
    use sync_server::store::objects::ObjectStore as _;
    let blob = TestBlob::new(11, "frames", T0, 10_000, &[]);
    let declared = api.post("/upload", blob.upload_request("d1")).await.ok();
    let url = declared["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(declared["expires_in"], 3600);
    let endpoint = ts.config.s3.as_ref().unwrap().endpoint.clone().unwrap();
    assert!(url.starts_with(&endpoint), "{url}");
    assert!(url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=3600"), "{url}");

    // Genuine but short-lived URLs, used after they expired (checked at the end for GET).
    let object_path = url.split('?').next().unwrap();
    let at = object_path.find(&format!("/{}", blob.id)).unwrap();
    let user_id: i64 = object_path[..at].rsplit('/').next().unwrap().parse().unwrap();
    let key = sync_server::store::ObjectKey { user_id, blob_id: sync_core::BlobId::from_hex(&blob.id).unwrap() };
    let store = ts.s3();
    let soon = sync_server::time::now_secs() + 1;
    let expired_put = store.upload_url(&key, 10_000, soon).await.unwrap();
    let expired_get = store.download_url(&key, 10_000, soon).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(api.put_object(&expired_put, &blob.bytes).await.status, 403);

    // Tampered signature, expiry, object; a GET with a PUT URL.
    let sig = url.split("X-Amz-Signature=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let flipped = format!("{}{}", &sig[..63], if sig.ends_with('0') { "1" } else { "0" });
    assert_eq!(api.put_object(&url.replace(&sig, &flipped), &blob.bytes).await.status, 403);
    assert_eq!(api.put_object(&url.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200"), &blob.bytes).await.status, 403);
    assert_eq!(api.put_object(&url.replace(&blob.id, &hex(&[0xee; 16])), &blob.bytes).await.status, 403);
    assert_eq!(api.get_object(&url).await.status, 403);
    // Nothing was stored; completing is refused; the blob stays invisible.
    assert_eq!(ts.object_files().await, 0);
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.expect_error(409, "NOT_UPLOADED");
    // Bodies longer or shorter than declared: the store takes them, completion refuses them
    // and deletes the object.
    let mut longer = blob.bytes.clone();
    longer.push(0);
    for body in [&longer[..], &blob.bytes[..9_999]] {
        assert_eq!(api.put_object(&url, body).await.status, 200);
        assert_eq!(ts.object_files().await, 1);
        api.post("/upload/complete", json!({"blob_id": blob.id})).await.expect_error(400, "CHECKSUM_MISMATCH");
        assert_eq!(ts.object_files().await, 0);
    }
    api.post("/download", json!({"blob_ids": [blob.id]})).await.expect_error(404, "NOT_FOUND");
    // The local store's routes do not exist in this mode.
    let local = format!("{}/api/sync/objects/{user_id}/{}?size=10000&expires=9999999999&sig=00", ts.base, blob.id);
    ts.http.send_with("PUT", &local, &[], Bytes::from(blob.bytes.clone()), false).await.expect_error(404, "NOT_FOUND");
    ts.http.send_with("GET", &local, &[], Bytes::new(), false).await.expect_error(404, "NOT_FOUND");
    // The genuine URL works, straight to the store.
    assert_eq!(api.put_object(&url, &blob.bytes).await.status, 200);
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.ok();
    let got = api.post("/download", json!({"blob_ids": [blob.id]})).await.ok();
    let download = got["blobs"][0]["download_url"].as_str().unwrap().to_owned();
    assert!(download.starts_with(&endpoint));
    assert_eq!(api.get_object(&download).await.body.as_ref(), blob.bytes.as_slice());
    // A download URL is not an upload URL; an expired or tampered one reads nothing.
    assert_eq!(api.put_object(&download, &blob.bytes).await.status, 403);
    assert_eq!(api.get_object(&expired_get).await.status, 403);
    let dsig = download.split("X-Amz-Signature=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let dflipped = format!("{}{}", &dsig[..63], if dsig.ends_with('0') { "1" } else { "0" });
    assert_eq!(api.get_object(&download.replace(&dsig, &dflipped)).await.status, 403);
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
