//! `SyncClient` against a scripted HTTP server: retries with backoff on 5xx and network errors,
//! never on 4xx; typed errors carrying the server's code; bounded answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sync_client::{ClientOptions, SyncClient};
use sync_core::DeviceId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const STATUS: &str = r#"{"quota":{"storage_used":0,"storage_limit":1,"device_count":1,"device_limit":3,"can_sync":true,"sync_tier":"starter"},"stats":{"total_blobs":0,"last_sync":null,"oldest_data":null,"newest_data":null},"storage_breakdown":{"text":0,"frames":0,"audio":0}}"#;

/// Serves `script[i]` (status, body) to the i-th request (the last one repeats); counts them.
async fn scripted(script: Vec<(u16, String)>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let script = script.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // One request per connection (the answer closes it).
                    let Ok(n) = sock.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let i = seen.fetch_add(1, Ordering::SeqCst);
                let (status, body) = &script[i.min(script.len() - 1)];
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, count)
}

fn client(url: &str, retries: u32) -> SyncClient {
    let options = ClientOptions {
        max_retries: retries,
        backoff_base: Duration::from_millis(2),
        backoff_max: Duration::from_millis(10),
        ..ClientOptions::default()
    };
    SyncClient::new(url, "token", DeviceId::new("dev-1").unwrap(), options).unwrap()
}

#[tokio::test]
async fn retries_5xx_then_succeeds() {
    let (url, count) =
        scripted(vec![(503, "oops".into()), (500, r#"{"error":"x","code":"INTERNAL"}"#.into()), (200, STATUS.into())])
            .await;
    let status = client(&url, 4).status().await.unwrap();
    assert_eq!(status.quota.device_limit, Some(3));
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn never_retries_4xx_and_keeps_the_code() {
    let (url, count) = scripted(vec![(403, r#"{"error":"storage full","code":"QUOTA_EXCEEDED"}"#.into())]).await;
    let err = client(&url, 4).status().await.unwrap_err();
    assert!(err.is_quota_exceeded(), "{err}");
    assert_eq!(err.code(), "QUOTA_EXCEEDED");
    assert!(err.hint().is_some());
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let (url, count) = scripted(vec![(404, "not json".into())]).await;
    let err = client(&url, 4).devices().await.unwrap_err();
    assert_eq!(err.code(), "HTTP_404");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn gives_up_after_the_retries() {
    let (url, count) = scripted(vec![(502, "bad gateway".into())]).await;
    let err = client(&url, 2).status().await.unwrap_err();
    assert_eq!(err.code(), "HTTP_502");
    assert_eq!(count.load(Ordering::SeqCst), 3, "one attempt and two retries");
}

#[tokio::test]
async fn network_errors_are_retried_and_typed() {
    // Bind then drop: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let err = client(&format!("http://127.0.0.1:{port}"), 1).status().await.unwrap_err();
    assert_eq!(err.code(), "network");
}

#[tokio::test]
async fn bad_answers_are_typed_errors() {
    let (url, _) = scripted(vec![(200, r#"{"quota": 5}"#.into())]).await;
    assert_eq!(client(&url, 0).status().await.unwrap_err().code(), "invalid_response");
    let huge = format!("\"{}\"", "a".repeat(sync_client::api::MAX_JSON_RESPONSE + 10));
    let (url, _) = scripted(vec![(200, huge)]).await;
    assert_eq!(client(&url, 0).status().await.unwrap_err().code(), "invalid_response");
    assert!(SyncClient::new("ftp://x", "t", DeviceId::new("d").unwrap(), ClientOptions::default()).is_err());
    assert!(SyncClient::new("http://x", " ", DeviceId::new("d").unwrap(), ClientOptions::default()).is_err());
    assert_eq!(sync_client::api::api_base("http://h:1/").unwrap(), "http://h:1/api/sync");
    assert_eq!(sync_client::api::api_base("http://h:1/api/sync").unwrap(), "http://h:1/api/sync");
}
