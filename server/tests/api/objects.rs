//! Object URLs and completion: signed URLs of the local store, presigned S3 URLs, checksums and the order of upload and completion.

use bytes::Bytes;
use serde_json::json;

use crate::common::*;

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

/// A completed object cannot be written through any URL: a `PUT` through the blob's upload URL,
/// still valid after completion, changes nothing that downloads return. The local store refuses
/// it; a presigned S3 URL names only the staging key, so the store takes the body there, where
/// it replaces nothing and the cleanup job removes it.
#[tokio::test]
async fn completed_objects_cannot_be_overwritten() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("olga@example.com", "pro").await, "o1");
    api.init().await.ok();
    let blob = TestBlob::new(81, "audio", T0, 50_000, &[]);
    let declared = api.post("/upload", blob.upload_request("o1")).await.ok();
    let url = declared["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(api.put_object(&url, &blob.bytes).await.status, 200);
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.ok();
    // Other bytes of the same size, and a much larger body (past the quota's reach).
    let same_size = TestBlob::new(82, "audio", T0, 50_000, &[]).bytes;
    let larger = TestBlob::new(83, "audio", T0, 400_000, &[]).bytes;
    for body in [&same_size, &larger] {
        let put = api.put_object(&url, body).await;
        if ts.is_s3() {
            assert_eq!(put.status, 200, "{:?}", String::from_utf8_lossy(&put.body));
        } else if body.len() == blob.bytes.len() {
            put.expect_error(409, "CONFLICT");
        } else {
            put.expect_error(413, "PAYLOAD_TOO_LARGE");
        }
        let got = api.post("/download", json!({"blob_ids": [blob.id]})).await.ok();
        let bytes = api.get_object(got["blobs"][0]["download_url"].as_str().unwrap()).await;
        assert_eq!(bytes.status, 200);
        assert_eq!(bytes.body.len(), blob.bytes.len());
        assert!(bytes.body.as_ref() == blob.bytes.as_slice(), "the completed object was overwritten");
    }
    assert_eq!(api.get("/status").await.ok()["quota"]["storage_used"], 50_000);
    // What the late PUTs left is removed once older than the abandonment cutoff.
    let later = sync_core::UnixMillis(sync_server::time::now_ms().0 + 25 * 3600 * 1000);
    let report = sync_server::cleanup::run_once(&ts.server().state, later).await.unwrap();
    assert_eq!(report.orphan_objects, u64::from(ts.is_s3()));
    assert_eq!(ts.object_files().await, 1);
    let got = api.post("/download", json!({"blob_ids": [blob.id]})).await.ok();
    assert_eq!(api.get_object(got["blobs"][0]["download_url"].as_str().unwrap()).await.body.as_ref(), blob.bytes);
}

/// A slow `PUT` that started while the blob was pending and ends after it was completed is
/// refused once its body is in (`409 CONFLICT`), leaving nothing behind; the completed object
/// keeps its bytes. (Local store: with S3 the store answers `PUT`s itself.)
#[tokio::test]
async fn a_slow_put_ending_after_completion_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ts = TestServer::start().await;
    if ts.is_s3() {
        return;
    }
    let api = ts.api(&ts.add_user("wes@example.com", "pro").await, "w1");
    api.init().await.ok();
    let blob = TestBlob::new(120, "audio", T0, 20_000, &[]);
    let declared = api.post("/upload", blob.upload_request("w1")).await.ok();
    let url = declared["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(api.put_object(&url, &blob.bytes).await.status, 200);
    // A second PUT of other bytes starts, sends half its body and stalls.
    let other = TestBlob::new(121, "audio", T0, 20_000, &[]).bytes;
    let target = url.strip_prefix(&ts.base).unwrap().to_owned();
    let mut conn = tokio::net::TcpStream::connect(ts.server().addr).await.unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        ts.server().addr,
        other.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&other[..10_000]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Meanwhile the blob completes with the first upload.
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.ok();
    conn.write_all(&other[10_000..]).await.unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 409"), "{answer}");
    assert!(answer.contains("\"code\":\"CONFLICT\""), "{answer}");
    // Nothing staged, no partial file: one object, the completed one, with its own bytes.
    assert_eq!((ts.object_files().await, ts.partial_files()), (1, 0));
    let got = api.post("/download", json!({"blob_ids": [blob.id]})).await.ok();
    assert_eq!(api.get_object(got["blobs"][0]["download_url"].as_str().unwrap()).await.body.as_ref(), blob.bytes);
}
