//! Limits against slow and greedy clients: header, request and body timeouts, requests served
//! at once, connections at once (raw TCP, since a well-behaved client cannot be slow enough).

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// Reads until the server closes the connection (at most `within`); the text read and how long.
async fn read_until_closed(conn: &mut TcpStream, within: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let read = tokio::time::timeout(within, conn.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept the connection open for {within:?}: {:?}", String::from_utf8_lossy(&got));
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

fn short(c: &mut sync_server::config::Config) {
    c.limits.header_read_timeout = Duration::from_secs(1);
    c.limits.request_timeout = Duration::from_secs(1);
    c.limits.body_idle_timeout = Duration::from_secs(1);
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let ts = TestServer::start_with(short).await;
    let mut conn = TcpStream::connect(ts.server().addr).await.unwrap();
    conn.write_all(b"GET /openapi.yaml HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let (answer, took) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(800), "{took:?} {answer}");
    // An idle connection that never sends a byte is closed too.
    let mut idle = TcpStream::connect(ts.server().addr).await.unwrap();
    read_until_closed(&mut idle, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn slow_request_bodies_time_out() {
    let ts = TestServer::start_with(short).await;
    let api = ts.api(&ts.add_user("yan@example.com", "starter").await, "y1");
    api.init().await.ok();
    // A JSON body that stops halfway: 408 TIMEOUT.
    let mut conn = TcpStream::connect(ts.server().addr).await.unwrap();
    let head = format!(
        "POST /api/sync/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nX-Device-Id: y1\r\nContent-Length: 100\r\n\r\n",
        api.token
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(b"{\"search_tokens\"").await.unwrap();
    let (answer, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"TIMEOUT\""), "{answer}");
    if ts.is_s3() {
        return;
    }
    // An upload body that trickles to a stop: 408 TIMEOUT, nothing kept.
    let blob = TestBlob::new(140, "audio", T0, 10_000, &[]);
    let declared = api.post("/upload", blob.upload_request("y1")).await.ok();
    let target = declared["upload_url"].as_str().unwrap().strip_prefix(&ts.base).unwrap().to_owned();
    let mut put = TcpStream::connect(ts.server().addr).await.unwrap();
    put.write_all(format!("PUT {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n").as_bytes())
        .await
        .unwrap();
    put.write_all(&blob.bytes[..4000]).await.unwrap();
    let (answer, took) = read_until_closed(&mut put, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took >= Duration::from_millis(800), "{took:?}");
    assert_eq!((ts.partial_files(), ts.object_files().await), (0, 0));
    api.post("/upload/complete", json!({"blob_id": blob.id})).await.expect_error(409, "NOT_UPLOADED");
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_are_shed() {
    let ts = TestServer::start_with(|c| {
        c.limits.max_concurrent_requests = 1;
        c.limits.request_timeout = Duration::from_secs(10);
    })
    .await;
    let token = ts.add_user("zed@example.com", "starter").await;
    let api = ts.api(&token, "z1");
    api.init().await.ok();
    // One request holds the only slot while its body does not arrive.
    let mut held = TcpStream::connect(ts.server().addr).await.unwrap();
    let head = format!(
        "POST /api/sync/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nX-Device-Id: z1\r\nContent-Length: 100\r\n\r\n{{"
    );
    held.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = format!("{}/openapi.yaml", ts.base);
    let shed = ts.http.send_with("GET", &url, &[], bytes::Bytes::new(), false).await;
    shed.expect_error(503, "OVERLOADED");
    assert_eq!(shed.headers.get("retry-after").unwrap(), "1");
    // Once it is gone, requests are served again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(ts.http.send_with("GET", &url, &[], bytes::Bytes::new(), false).await.status, 200);
}

#[tokio::test]
async fn connections_beyond_the_limit_wait() {
    let ts = TestServer::start_with(|c| c.limits.max_connections = 1).await;
    let first = TcpStream::connect(ts.server().addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut second = TcpStream::connect(ts.server().addr).await.unwrap();
    second.write_all(b"GET /openapi.yaml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 16];
    let waiting = tokio::time::timeout(Duration::from_millis(700), second.read(&mut buf)).await;
    assert!(waiting.is_err(), "the second connection was served while the first was open");
    drop(first);
    let (answer, _) = read_until_closed(&mut second, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A connection kept alive after a request, then idle, is closed after the header timeout.
#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let ts = TestServer::start_with(short).await;
    let mut conn = TcpStream::connect(ts.server().addr).await.unwrap();
    conn.write_all(b"GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let (answer, took) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took >= Duration::from_millis(800), "{took:?}");
}

/// Failed bearer tokens are limited per client address: once spent, the address is refused
/// with `429 RATE_LIMITED` and `Retry-After` (even with a good token) while other addresses
/// are not; `/init` is limited per address and per account. Addresses come from a trusted
/// proxy's header here.
#[tokio::test]
async fn bad_tokens_and_init_are_rate_limited() {
    let ts = TestServer::start_with(|c| {
        c.limits.client_ip_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
        c.limits.auth_failures_per_minute = 3;
        c.limits.init_per_minute_per_address = 4;
        c.limits.init_per_minute_per_account = 2;
    })
    .await;
    let token = ts.add_user("ada@example.com", "team").await;
    let status = format!("{}/api/sync/status", ts.base);
    let from = |address: &'static str, token: &str| {
        let auth = format!("Bearer {token}");
        let http = ts.http.clone();
        let url = status.clone();
        async move {
            http.send_with(
                "GET",
                &url,
                &[
                    ("authorization", &auth),
                    ("x-device-id", "a1"),
                    ("x-forwarded-for", &format!("10.9.9.9, {address}")),
                ],
                bytes::Bytes::new(),
                true,
            )
            .await
        }
    };
    let wrong = "sps_0000000000000000000000000000000000000000000000000000000000000000";
    for _ in 0..3 {
        from("192.0.2.1", wrong).await.expect_error(401, "UNAUTHORIZED");
    }
    let limited = from("192.0.2.1", wrong).await;
    limited.expect_error(429, "RATE_LIMITED");
    let wait: u64 = limited.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Refused before the token is looked at: a good one too, from that address.
    from("192.0.2.1", &token).await.expect_error(429, "RATE_LIMITED");
    // Another address (the last one of the header counts) is not limited.
    from("192.0.2.2", wrong).await.expect_error(401, "UNAUTHORIZED");
    from("192.0.2.2", &token).await.expect_error(403, "UNKNOWN_DEVICE");

    // /init: two per account and minute.
    let init = |address: &'static str, device: &'static str| {
        let api = ts.api(&token, device);
        async move {
            let body = serde_json::json!({"device_id": device, "device_name": "n", "device_os": "linux"});
            let url = format!("{}/api/sync/init", api.base);
            let auth = format!("Bearer {}", api.token);
            let headers = [("authorization", auth.as_str()), ("x-device-id", device), ("x-forwarded-for", address)];
            api.http.send("POST", &url, &headers, serde_json::to_vec(&body).unwrap()).await
        }
    };
    init("192.0.2.3", "a1").await.ok();
    init("192.0.2.4", "a2").await.ok();
    init("192.0.2.5", "a3").await.expect_error(429, "RATE_LIMITED");
    // Four per address and minute, whatever the account: two accounts with room to spare,
    // from 192.0.2.6.
    let mut statuses = Vec::new();
    for (i, email) in ["bea@example.com", "cal@example.com", "dee@example.com"].iter().enumerate() {
        let other = ts.add_user(email, "team").await;
        for _ in 0..2 {
            let auth = format!("Bearer {other}");
            let device = format!("d{i}");
            let headers =
                [("authorization", auth.as_str()), ("x-device-id", device.as_str()), ("x-forwarded-for", "192.0.2.6")];
            let body = serde_json::json!({"device_id": device, "device_name": "n", "device_os": "linux"});
            let reply = ts
                .http
                .send("POST", &format!("{}/api/sync/init", ts.base), &headers, serde_json::to_vec(&body).unwrap())
                .await;
            statuses.push(reply.status);
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 429, 429]);
}
