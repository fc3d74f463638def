//! The whole flow, every documented operation exercised with a documented answer.

use bytes::Bytes;
use serde_json::json;

use crate::common::*;

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

    // Cloud retention chosen per type, within the tier's (Starter: 183 days).
    let chosen = phone.get("/account/retention").await.ok();
    assert_eq!(chosen, json!({"policy": {"text": null, "frames": null, "audio": null}, "tier_retention_days": 183}));
    let set = phone.call("PUT", "/account/retention", Some(&json!({"frames": 90, "audio": 30}))).await.ok();
    assert_eq!(set["policy"], json!({"text": null, "frames": 90, "audio": 30}));
    phone.call("PUT", "/account/retention", Some(&json!({"audio": 365}))).await.expect_error(400, "INVALID_REQUEST");
    phone.call("PUT", "/account/retention", Some(&json!({"text": 0}))).await.expect_error(400, "INVALID_REQUEST");
    assert_eq!(laptop.get("/account/retention").await.ok()["policy"], json!({"text": null, "frames": 90, "audio": 30}));

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

    // Stripe webhook, linked through the account's billing reference.
    let reference = phone.get("/billing/reference").await.ok()["reference"].as_str().unwrap().to_owned();
    assert_eq!(reference, ts.billing_reference("alice@example.com").await);
    let payload = stripe_event(
        "evt_flow",
        "customer.subscription.updated",
        1,
        "cus_flow",
        Some(&reference),
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

    // Link a device through a pairing mailbox (the messages are opaque to the server).
    let (pa, pb) = (crate::pair::Pair::new(&ts, &token), crate::pair::Pair::new(&ts, &token));
    let (mailbox, side_a) = pa.open().await;
    let side_b = pb.join(mailbox).await.ok()["side_token"].as_str().unwrap().to_owned();
    assert_eq!(pa.post(mailbox, &side_a, "{}").await.ok()["seq"], 1);
    assert_eq!(pb.read(mailbox, &side_b, 0).await.ok()["messages"][0]["message"], "{}");
    assert_eq!(pb.close(mailbox, &side_b).await.status, 204);

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
    for op in crate::common::openapi::operations() {
        // With S3 the object routes of the local store are not served (clients use presigned
        // URLs to the store); `s3_presigned_urls` checks that they answer 404.
        if ts.is_s3() && op.1.starts_with("/api/sync/objects/") {
            continue;
        }
        assert!(seen.contains(&op), "operation {op:?} not exercised");
    }
}
