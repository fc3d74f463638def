//! Bad bodies and limits: every malformed or oversized request answers its documented status and stores nothing.

use serde_json::json;

use crate::common::*;

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
