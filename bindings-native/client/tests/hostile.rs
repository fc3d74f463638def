//! A hostile (or merely busy) server against `SyncClient`: object URLs only on trusted origins,
//! never redirected, sizes capped before a byte is fetched; plain `http://` only to loopback;
//! `Retry-After` honoured within bounds; the hardening codes typed (docs/THREAT_MODEL.md,
//! Hardening, items 5 and 6).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sync_client::{ClientOptions, NoProgress, SyncClient, SyncError};
use sync_core::DeviceId;
use sync_core::wire::Checksum;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One answer: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// A server answering `route(i, path)` to its i-th request (one request per connection);
/// returns its URL and the number of requests it got.
async fn serve(route: impl Fn(usize, &str) -> Answer + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let route = Arc::new(route);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let (seen, route) = (seen.clone(), route.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let i = seen.fetch_add(1, Ordering::SeqCst);
                let (status, headers, body) = route(i, &path);
                let mut answer =
                    format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
                for (name, value) in headers {
                    answer.push_str(&format!("{name}: {value}\r\n"));
                }
                answer.push_str("\r\n");
                let mut bytes = answer.into_bytes();
                bytes.extend_from_slice(&body);
                let _ = sock.write_all(&bytes).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, count)
}

fn options() -> ClientOptions {
    ClientOptions {
        max_retries: 3,
        backoff_base: Duration::from_millis(2),
        backoff_max: Duration::from_millis(10),
        ..ClientOptions::default()
    }
}

fn client_with(url: &str, options: ClientOptions) -> SyncClient {
    SyncClient::new(url, "token", DeviceId::new("dev-1").unwrap(), options).unwrap()
}

fn checksum(bytes: &[u8]) -> Checksum {
    Checksum(Sha256::digest(bytes).into())
}

const STATUS: &str = r#"{"quota":{"storage_used":0,"storage_limit":1,"device_count":1,"device_limit":3,"can_sync":true,"sync_tier":"starter"},"stats":{"total_blobs":0,"last_sync":null,"oldest_data":null,"newest_data":null},"storage_breakdown":{"text":0,"frames":0,"audio":0}}"#;

fn json(status: u16, body: &str) -> Answer {
    (status, vec![("content-type", "application/json".into())], body.as_bytes().to_vec())
}

#[tokio::test]
async fn object_urls_on_other_origins_are_never_fetched() {
    let (api, _) = serve(|_, _| json(200, STATUS)).await;
    let (elsewhere, hits) = serve(|_, _| (200, vec![], b"secret".to_vec())).await;
    let client = client_with(&api, options());
    let err =
        client.download_to_vec(&format!("{elsewhere}/x"), 6, &checksum(b"secret"), 100, &NoProgress).await.unwrap_err();
    assert_eq!(err.code(), "untrusted_url", "{err}");
    assert!(matches!(err, SyncError::UntrustedUrl { field: "download_url", .. }));
    let dir = tempfile::tempdir().unwrap();
    let staged = dir.path().join("blob");
    std::fs::write(&staged, b"sealed").unwrap();
    let err = client.put_file(&format!("{elsewhere}/put"), &staged, 6, &NoProgress).await.unwrap_err();
    assert_eq!(err.code(), "untrusted_url", "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing went to the other origin");

    // A configured object-store origin is trusted.
    let trusted = client_with(&api, ClientOptions { object_origins: vec![elsewhere.clone()], ..options() });
    let got = trusted.download_to_vec(&format!("{elsewhere}/x"), 6, &checksum(b"secret"), 100, &NoProgress).await;
    assert_eq!(got.unwrap(), b"secret");
}

#[tokio::test]
async fn object_urls_are_never_redirected() {
    let (elsewhere, hits) = serve(|_, _| (200, vec![], b"secret".to_vec())).await;
    let target = format!("{elsewhere}/stolen");
    let (api, _) = serve(move |_, _| (302, vec![("location", target.clone())], Vec::new())).await;
    // Even to an origin the client would trust.
    let client = client_with(&api, ClientOptions { object_origins: vec![elsewhere.clone()], ..options() });
    let err = client
        .download_to_vec(&format!("{api}/api/sync/objects/1/x"), 6, &checksum(b"secret"), 100, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response", "{err}");
    assert!(err.to_string().contains("redirect"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let staged = dir.path().join("blob");
    std::fs::write(&staged, b"sealed").unwrap();
    let err = client.put_file(&format!("{api}/api/sync/objects/1/x"), &staged, 6, &NoProgress).await.unwrap_err();
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was not followed");
}

#[tokio::test]
async fn downloads_are_capped_whatever_size_the_server_lists() {
    let (api, hits) = serve(|_, _| (200, vec![], vec![0u8; 64])).await;
    let client = client_with(&api, ClientOptions { max_object_bytes: 32, ..options() });
    let dir = tempfile::tempdir().unwrap();
    let err = client
        .download_to_file(&format!("{api}/o"), 64, &checksum(&[0u8; 64]), &dir.path().join("f"), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response", "{err}");
    assert!(err.to_string().contains("max_object_bytes"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "refused before a byte was fetched");
    // More bytes than the listed size stop the download.
    let client = client_with(&api, options());
    let err = client
        .download_to_file(&format!("{api}/o"), 16, &checksum(&[0u8; 16]), &dir.path().join("g"), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "checksum_mismatch", "{err}");
    // The default cap is the API's largest blob.
    assert_eq!(ClientOptions::default().max_object_bytes, sync_core::wire::limits::MAX_BLOB_SIZE);
}

#[tokio::test]
async fn plain_http_only_to_loopback_unless_overridden() {
    let device = || DeviceId::new("dev-1").unwrap();
    for server in ["http://sync.example.com", "http://10.1.2.3:8787", "http://[2001:db8::1]:80/api/sync"] {
        let err = SyncClient::new(server, "token", device(), ClientOptions::default()).unwrap_err();
        assert_eq!(err.code(), "insecure_http", "{server}");
        assert!(err.to_string().contains("allow_insecure_http"), "{err}");
        let loose = ClientOptions { allow_insecure_http: true, ..ClientOptions::default() };
        assert!(SyncClient::new(server, "token", device(), loose).is_ok(), "{server}");
    }
    for server in
        ["http://127.0.0.1:1", "http://127.1.2.3:1", "http://[::1]:1", "http://localhost:1", "https://x.example"]
    {
        assert!(SyncClient::new(server, "token", device(), ClientOptions::default()).is_ok(), "{server}");
    }
    let mut config = sync_client::config::SyncConfig {
        server: Some("http://sync.example.com".into()),
        ..sync_client::config::SyncConfig::default()
    };
    assert_eq!(config.insecure_http_warning(), None, "refused, not warned");
    config.client.allow_insecure_http = true;
    assert!(config.insecure_http_warning().unwrap().starts_with("WARNING"));
    config.server = Some("http://127.0.0.1:1".into());
    assert_eq!(config.insecure_http_warning(), None);
}

#[tokio::test]
async fn retry_after_is_honoured_within_bounds() {
    let (api, count) = serve(|i, _| {
        if i == 0 {
            let mut a = json(429, r#"{"error":"slow down","code":"RATE_LIMITED"}"#);
            a.1.push(("retry-after", "1".into()));
            a
        } else {
            json(200, STATUS)
        }
    })
    .await;
    let started = Instant::now();
    client_with(&api, options()).status().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950), "waited {:?}", started.elapsed());
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // Longer than the client waits: fails at once, typed, with the server's code.
    let (api, count) = serve(|_, _| {
        let mut a = json(503, r#"{"error":"busy","code":"OVERLOADED"}"#);
        a.1.push(("retry-after", "3600".into()));
        a
    })
    .await;
    let err = client_with(&api, options()).status().await.unwrap_err();
    assert_eq!(err.code(), "OVERLOADED");
    assert!(matches!(err, SyncError::RetryLater { status: 503, retry_after: Some(d), .. } if d.as_secs() == 3600));
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // 408 is retried (bounded), then typed.
    let (api, count) = serve(|_, _| json(408, r#"{"error":"too slow","code":"TIMEOUT"}"#)).await;
    let err = client_with(&api, options()).status().await.unwrap_err();
    assert_eq!(err.code(), "TIMEOUT");
    assert!(err.is_api("TIMEOUT"));
    assert_eq!(count.load(Ordering::SeqCst), 4, "one attempt and three retries");
}

#[tokio::test]
async fn hardening_codes_are_typed_and_final() {
    let (api, count) = serve(|_, _| json(409, r#"{"error":"rotated","code":"KEY_ROTATED"}"#)).await;
    let err = client_with(&api, options()).status().await.unwrap_err();
    assert!(matches!(err, SyncError::KeyRotated { .. }), "{err:?}");
    assert_eq!(err.code(), "KEY_ROTATED");
    assert!(err.is_api("KEY_ROTATED"));
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let (api, _) = serve(|_, _| json(409, r#"{"error":"too many","code":"PENDING_LIMIT"}"#)).await;
    let err = client_with(&api, options()).status().await.unwrap_err();
    assert!(matches!(err, SyncError::PendingLimit { .. }), "{err:?}");
    assert_eq!(err.code(), "PENDING_LIMIT");
    assert!(err.hint().is_some());
    assert!(sync_client::service::is_transient(&err));
}
