//! Batched declarations and completions: many blobs per `/upload` and `/upload/complete`, each
//! answered as its single form would be, in order; the single forms are unchanged.

use serde_json::{Value, json};

use crate::common::*;

fn codes(results: &Value) -> Vec<String> {
    results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error"]["code"].as_str().map_or_else(|| "ok".to_owned(), str::to_owned))
        .collect()
}

#[tokio::test]
async fn batched_uploads_and_completions() {
    let ts = TestServer::start_with(|c| c.limits.max_pending_uploads = 4).await;
    let api = ts.api(&ts.add_user("bo@example.com", "pro").await, "b1");
    api.init_new_account().await.ok();
    let a = TestBlob::new(150, "text", T0, 1000, &["alpha", "common"]);
    let b = TestBlob::new(151, "audio", T0 + MINUTE, 2000, &["common"]);
    let c = TestBlob::new(152, "frames", T0 + 2 * MINUTE, 3000, &[]);
    let mut rotated = TestBlob::new(153, "text", T0, 10, &[]);
    rotated.key_id = hex(&[9; 16]);
    let mut backwards = TestBlob::new(154, "text", T0, 10, &[]).upload_request("b1");
    backwards["time_end"] = json!(time(T0 - 1));
    let batch = json!({"blobs": [a.upload_request("b1"), b.upload_request("b1"), c.upload_request("b1"),
                                 rotated.upload_request("b1"), backwards, a.upload_request("b1")]});
    let declared = api.post("/upload", batch).await.ok();
    let results = &declared["results"];
    assert_eq!(codes(results), ["ok", "ok", "ok", "KEY_ROTATED", "INVALID_REQUEST", "ok"]);
    assert_eq!(results[3]["upload_url"], "");
    assert_eq!(results[0]["blob_id"], a.id);
    assert_eq!(results[4]["blob_id"], TestBlob::new(154, "text", T0, 10, &[]).id);
    // Each URL works as a single declaration's would; the last one (a declared again) too.
    for (blob, item) in [(&a, &results[5]), (&b, &results[1])] {
        assert_eq!(api.put_object(item["upload_url"].as_str().unwrap(), &blob.bytes).await.status, 200);
    }
    // Complete a, b, c (never uploaded), an unknown id, and a again: once each, in order.
    let unknown = hex(&[0x77; 16]);
    let done = api.post("/upload/complete", json!({"blob_ids": [a.id, b.id, c.id, unknown, a.id]})).await.ok();
    assert_eq!(codes(&done["results"]), ["ok", "ok", "NOT_UPLOADED", "NOT_FOUND"]);
    assert_eq!(done["storage_used"], 3000);
    assert_eq!(done["storage_limit"], 100_000_000_000u64);
    let hits = api.post("/search", json!({"search_tokens": [tok("common")]})).await.ok();
    assert_eq!(hits["total_matches"], 2);
    // Completed blobs declared again in a batch are already uploaded; the pending one (c) and
    // new ones fill the pending cap (4): the fourth new one is refused, nothing else.
    let more: Vec<TestBlob> = (0..4).map(|i| TestBlob::new(160 + i, "text", T0 + i64::from(i), 100, &[])).collect();
    let mut blobs = vec![a.upload_request("b1"), c.upload_request("b1")];
    blobs.extend(more.iter().map(|m| m.upload_request("b1")));
    let again = api.post("/upload", json!({"blobs": blobs})).await.ok();
    assert_eq!(codes(&again["results"]), ["ok", "ok", "ok", "ok", "ok", "PENDING_LIMIT"]);
    assert_eq!(again["results"][0]["already_uploaded"], true);
    assert_eq!(again["results"][1]["already_uploaded"], false);
    // Bounds and request-wide refusals answer as a single request would.
    let too_many: Vec<Value> =
        (0..1001).map(|i| TestBlob::new(2000 + i, "text", T0, 1, &[]).upload_request("b1")).collect();
    api.post("/upload", json!({"blobs": too_many})).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    let ids: Vec<String> = (0..1001u32).map(|i| hex(&Sha256Bytes::of(i))).collect();
    api.post("/upload/complete", json!({"blob_ids": ids})).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(api.post("/upload", json!({"blobs": []})).await.ok(), json!({"results": []}));
    api.post("/upload", json!({"blobs": "nope"})).await.expect_error(400, "INVALID_REQUEST");
    ts.set_tier("bo@example.com", "none").await;
    api.post("/upload", json!({"blobs": [more[0].upload_request("b1")]})).await.expect_error(403, "NO_SUBSCRIPTION");
    // The single forms are unchanged.
    ts.set_tier("bo@example.com", "pro").await;
    let single = api.post("/upload", a.upload_request("b1")).await.ok();
    assert_eq!(single, json!({"blob_id": a.id, "upload_url": "", "expires_in": 0, "already_uploaded": true}));
    assert_eq!(api.post("/upload/complete", json!({"blob_id": a.id})).await.ok()["storage_used"], 3000);
}

/// 16 bytes derived from a number (distinct ids for a batch).
struct Sha256Bytes;

impl Sha256Bytes {
    fn of(i: u32) -> [u8; 16] {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(i.to_be_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        out
    }
}
