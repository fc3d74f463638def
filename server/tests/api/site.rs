//! Outside the API: the static viewer, request ids, and the OpenAPI checker itself.

use bytes::Bytes;

use crate::common::*;

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
    use crate::common::openapi::check;
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

/// The server sends the security headers itself: the viewer's pages may not be framed and fetch
/// only from their own origin, the S3 endpoint and configured origins; nothing is sniffed; an
/// object is a download, never a page of this origin.
#[tokio::test]
async fn security_headers() {
    let www = tempfile::tempdir().unwrap();
    std::fs::write(www.path().join("index.html"), "<h1>viewer</h1>").unwrap();
    std::fs::write(www.path().join("worker.js"), "onmessage = () => {}").unwrap();
    let path = www.path().to_owned();
    let ts = TestServer::start_with(move |c| {
        c.static_dir = Some(path);
        c.viewer_connect_src = vec!["https://cdn.example.com".into()];
    })
    .await;
    let index = ts.http.send_with("GET", &format!("{}/", ts.base), &[], Bytes::new(), false).await;
    let policy = index.headers.get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("connect-src 'self' blob: https://cdn.example.com"), "{policy}");
    // Decrypted snapshots are shown from object URLs (the page's own memory).
    assert!(policy.contains("img-src 'self' data: blob:;"), "{policy}");
    if let Some(endpoint) = ts.config.s3.as_ref().and_then(|s3| s3.endpoint.clone()) {
        assert!(policy.contains(&endpoint), "{policy}");
    }
    assert_eq!(index.headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(index.headers.get("referrer-policy").unwrap(), "no-referrer");
    // A worker script takes its own policy from its response: none is imposed on it.
    let worker = ts.http.send_with("GET", &format!("{}/worker.js", ts.base), &[], Bytes::new(), false).await;
    assert!(worker.headers.get("content-security-policy").is_none());
    for reply in [&index, &worker] {
        assert_eq!(reply.headers.get("x-content-type-options").unwrap(), "nosniff");
    }
    let api_reply = ts.http.send("GET", &format!("{}/api/sync/status", ts.base), &[], Bytes::new()).await;
    assert_eq!(api_reply.headers.get("x-content-type-options").unwrap(), "nosniff");

    // An object that looks like a page is still served as a download.
    let api = ts.api(&ts.add_user("xia@example.com", "pro").await, "x1");
    api.init().await.ok();
    let mut blob = TestBlob::new(130, "text", T0, 0, &[]);
    blob.bytes = b"<html><script>alert(1)</script></html>".to_vec();
    api.upload_blob(&blob).await;
    let got = api.post("/download", serde_json::json!({"blob_ids": [blob.id]})).await.ok();
    let object = api.get_object(got["blobs"][0]["download_url"].as_str().unwrap()).await;
    assert_eq!(object.status, 200);
    assert_eq!(object.headers.get("content-type").unwrap(), "application/octet-stream");
    assert_eq!(object.headers.get("content-disposition").unwrap(), "attachment");
    if !ts.is_s3() {
        assert_eq!(object.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(object.headers.get("content-security-policy").unwrap(), "sandbox; default-src 'none'");
    }
}

/// The server speaks HTTP/2 in clear text to a client (or a proxy) that knows it does (h2c with
/// prior knowledge), next to HTTP/1.1: several requests on one connection.
#[tokio::test]
async fn http2_with_prior_knowledge() {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let ts = TestServer::start().await;
    let token = ts.add_user("h2@example.com", "starter").await;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).http2_only(true).build_http();
    for path in ["/openapi.yaml", "/api/sync/status"] {
        let request = axum::http::Request::builder()
            .uri(format!("{}{path}", ts.base))
            .header("authorization", format!("Bearer {token}"))
            .header("x-device-id", "h2-1")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = client.request(request).await.unwrap();
        assert_eq!(response.version(), axum::http::Version::HTTP_2);
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        if path == "/openapi.yaml" {
            assert_eq!(status, 200);
            assert!(body.starts_with(b"openapi: 3.1.0"));
        } else {
            // Authenticated, and the device is not registered: the API's own answer.
            assert_eq!(status, 403, "{body:?}");
        }
    }
}
