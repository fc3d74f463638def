//! The pairing mailbox over HTTP: a whole relay, and each refusal with its code (another
//! account, an expired mailbox, a second joiner, a wrong side token, an oversize message, too
//! many messages, too many mailboxes, the rate limit). Every answer is checked against
//! `docs/openapi.yaml`.

use std::time::Duration;

use bytes::Bytes;

use crate::common::*;

/// One account's client of the mailbox routes (bearer token only, no device).
pub struct Pair {
    base: String,
    http: Http,
    token: String,
}

impl Pair {
    pub fn new(ts: &TestServer, token: &str) -> Pair {
        Pair { base: ts.base.clone(), http: ts.http.clone(), token: token.to_owned() }
    }

    pub async fn send(&self, method: &str, path: &str, side: Option<&str>, body: impl Into<Bytes>) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("authorization", auth.as_str()), ("content-type", "application/json")];
        if let Some(side) = side {
            headers.push(("x-pair-token", side));
        }
        self.http.send(method, &format!("{}/api/sync{path}", self.base), &headers, body.into()).await
    }

    /// Opens a mailbox: `(number, side token)`.
    pub async fn open(&self) -> (u64, String) {
        let opened = self.send("POST", "/pair", None, Bytes::new()).await.ok();
        (opened["mailbox"].as_u64().unwrap(), opened["side_token"].as_str().unwrap().to_owned())
    }

    pub async fn join(&self, mailbox: u64) -> Reply {
        self.send("POST", &format!("/pair/{mailbox}/join"), None, Bytes::new()).await
    }

    pub async fn post(&self, mailbox: u64, side: &str, message: &str) -> Reply {
        self.send("POST", &format!("/pair/{mailbox}/messages"), Some(side), message.to_owned()).await
    }

    pub async fn read(&self, mailbox: u64, side: &str, since: u64) -> Reply {
        self.send("GET", &format!("/pair/{mailbox}/messages?since={since}"), Some(side), Bytes::new()).await
    }

    pub async fn close(&self, mailbox: u64, side: &str) -> Reply {
        self.send("DELETE", &format!("/pair/{mailbox}"), Some(side), Bytes::new()).await
    }
}

fn messages(reply: &Reply) -> Vec<(u64, String)> {
    reply.ok()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["seq"].as_u64().unwrap(), m["message"].as_str().unwrap().to_owned()))
        .collect()
}

/// The opaque messages of a pairing, exactly as posted (the server never parses them).
const M1: &str = r#"{"v":1,"mailbox":1,"seq":1,"role":"initiator","kind":"pake","pake":"QQ"}"#;
const M2: &str = r#"{"v":1,"seq":2,"kind":"pake","device":{"name":"Pixel 9 — ünï","os":"Android 16"}}"#;

#[tokio::test]
async fn a_pairing_is_relayed_then_forgotten() {
    let ts = TestServer::start().await;
    let token = ts.add_user("pia@example.com", "pro").await;
    let (a, b) = (Pair::new(&ts, &token), Pair::new(&ts, &token));
    let (mailbox, side_a) = a.open().await;
    assert!((1..=9999).contains(&mailbox));
    assert!(side_a.starts_with("spp_") && side_a.len() == 68, "{side_a}");
    let joined = b.join(mailbox).await.ok();
    assert_eq!(joined["mailbox"], mailbox);
    let side_b = joined["side_token"].as_str().unwrap().to_owned();
    assert_ne!(side_a, side_b);

    assert_eq!(a.post(mailbox, &side_a, M1).await.ok()["seq"], 1);
    // Each side reads only its peer's messages, byte for byte.
    assert_eq!(messages(&a.read(mailbox, &side_a, 0).await), vec![]);
    assert_eq!(messages(&b.read(mailbox, &side_b, 0).await), vec![(1, M1.to_owned())]);
    assert_eq!(b.post(mailbox, &side_b, M2).await.ok()["seq"], 2);
    assert_eq!(b.post(mailbox, &side_b, "3").await.ok()["seq"], 3);
    assert_eq!(messages(&a.read(mailbox, &side_a, 0).await), vec![(2, M2.to_owned()), (3, "3".to_owned())]);
    // Reading after a seq deletes what was read: asking again from 0 gives only what is left.
    assert_eq!(messages(&a.read(mailbox, &side_a, 2).await), vec![(3, "3".to_owned())]);
    assert_eq!(messages(&a.read(mailbox, &side_a, 3).await), vec![]);
    assert_eq!(messages(&a.read(mailbox, &side_a, 0).await), vec![]);
    assert_eq!(messages(&b.read(mailbox, &side_b, 1).await), vec![]);

    // Either side closes; the mailbox is gone for both.
    assert_eq!(b.close(mailbox, &side_b).await.status, 204);
    a.read(mailbox, &side_a, 0).await.expect_error(404, "NOT_FOUND");
    a.post(mailbox, &side_a, M1).await.expect_error(404, "NOT_FOUND");
    b.join(mailbox).await.expect_error(404, "NOT_FOUND");
    a.close(mailbox, &side_a).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn one_joiner_per_code_and_sides_are_kept_apart() {
    let ts = TestServer::start().await;
    let token = ts.add_user("quinn@example.com", "pro").await;
    let other = ts.add_user("rita@example.com", "pro").await;
    let (a, b, stranger) = (Pair::new(&ts, &token), Pair::new(&ts, &token), Pair::new(&ts, &other));
    let (mailbox, side_a) = a.open().await;

    // Another account does not see the mailbox, even with a side token of it.
    stranger.join(mailbox).await.expect_error(404, "NOT_FOUND");
    stranger.post(mailbox, &side_a, M1).await.expect_error(404, "NOT_FOUND");
    stranger.read(mailbox, &side_a, 0).await.expect_error(404, "NOT_FOUND");
    stranger.close(mailbox, &side_a).await.expect_error(404, "NOT_FOUND");

    let side_b = b.join(mailbox).await.ok()["side_token"].as_str().unwrap().to_owned();
    // A second joiner (a third party of the account, or a second guess) is refused.
    b.join(mailbox).await.expect_error(409, "PAIR_TAKEN");
    a.join(mailbox).await.expect_error(409, "PAIR_TAKEN");

    // A token of no side, or none at all.
    a.post(mailbox, "spp_0000", M1).await.expect_error(403, "PAIR_FORBIDDEN");
    a.read(mailbox, "spp_0000", 0).await.expect_error(403, "PAIR_FORBIDDEN");
    a.close(mailbox, "spp_0000").await.expect_error(403, "PAIR_FORBIDDEN");
    a.send("GET", &format!("/pair/{mailbox}/messages"), None, Bytes::new()).await.expect_error(400, "INVALID_REQUEST");
    // Bad numbers and queries.
    for bad in ["0", "10000", "x", "-1"] {
        a.send("POST", &format!("/pair/{bad}/join"), None, Bytes::new()).await.expect_error(400, "INVALID_REQUEST");
    }
    a.send("GET", &format!("/pair/{mailbox}/messages?since=-1"), Some(&side_a), Bytes::new())
        .await
        .expect_error(400, "INVALID_REQUEST");
    a.send("GET", &format!("/pair/{mailbox}/messages?after=1"), Some(&side_a), Bytes::new())
        .await
        .expect_error(400, "INVALID_REQUEST");
    // No bearer token.
    let anonymous = Pair { token: String::new(), ..Pair::new(&ts, &token) };
    assert_eq!(anonymous.join(mailbox).await.status, 401);

    // Bounded messages: size, encoding, emptiness, count.
    let oversize = "x".repeat(393_217);
    a.post(mailbox, &side_a, &oversize).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(a.post(mailbox, &side_a, &"y".repeat(393_216)).await.ok()["seq"], 1);
    a.post(mailbox, &side_a, "").await.expect_error(400, "INVALID_REQUEST");
    let not_utf8 = a.send("POST", &format!("/pair/{mailbox}/messages"), Some(&side_a), vec![0xff, 0xfe]).await;
    not_utf8.expect_error(400, "INVALID_REQUEST");
    for seq in 2..=8 {
        assert_eq!(b.post(mailbox, &side_b, "m").await.ok()["seq"], seq);
    }
    b.post(mailbox, &side_b, "m").await.expect_error(409, "PAIR_FULL");
    a.post(mailbox, &side_a, "m").await.expect_error(409, "PAIR_FULL");
    // Reading still works; the initiator's big message reaches the joiner whole.
    let got = messages(&b.read(mailbox, &side_b, 0).await);
    assert_eq!((got.len(), got[0].1.len()), (1, 393_216));
}

#[tokio::test]
async fn mailboxes_are_bounded_per_account() {
    let ts = TestServer::start().await;
    let token = ts.add_user("sam@example.com", "pro").await;
    let a = Pair::new(&ts, &token);
    let mut opened = Vec::new();
    for _ in 0..4 {
        opened.push(a.open().await);
    }
    let numbers: std::collections::BTreeSet<u64> = opened.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers.len(), 4, "numbers are free among the account's open mailboxes");
    a.send("POST", "/pair", None, Bytes::new()).await.expect_error(409, "PAIR_LIMIT");
    // Closing one frees a place.
    let (n, side) = &opened[0];
    assert_eq!(a.close(*n, side).await.status, 204);
    a.open().await;
    // Another account has its own places.
    let other = Pair::new(&ts, &ts.add_user("tess@example.com", "pro").await);
    other.open().await;
}

#[tokio::test]
async fn an_expired_mailbox_refuses_everything_and_is_removed() {
    let ts = TestServer::start_with(|c| c.limits.pair_ttl_secs = 1).await;
    let token = ts.add_user("uma@example.com", "pro").await;
    let a = Pair::new(&ts, &token);
    let (mailbox, side_a) = a.open().await;
    a.post(mailbox, &side_a, M1).await.ok();
    let (late, late_side) = a.open().await;
    let side_b = a.join(late).await.ok()["side_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    a.join(mailbox).await.expect_error(410, "PAIR_EXPIRED");
    a.post(mailbox, &side_a, M1).await.expect_error(410, "PAIR_EXPIRED");
    a.read(late, &side_b, 0).await.expect_error(410, "PAIR_EXPIRED");
    // Closing an expired mailbox is allowed (and it is gone after).
    assert_eq!(a.close(late, &late_side).await.status, 204);
    // The cleanup job removes what is left.
    let report = sync_server::cleanup::run_once(&ts.server().state, sync_server::time::now_ms()).await.unwrap();
    assert_eq!(report.expired_mailboxes, 1);
    a.join(mailbox).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn openings_and_joins_are_rate_limited_per_account() {
    let ts = TestServer::start_with(|c| c.limits.pair_starts_per_minute_per_account = 2).await;
    let token = ts.add_user("vic@example.com", "pro").await;
    let a = Pair::new(&ts, &token);
    let (mailbox, _) = a.open().await;
    a.join(mailbox).await.ok();
    let limited = a.join(mailbox).await;
    limited.expect_error(429, "RATE_LIMITED");
    assert!(limited.headers.get("retry-after").is_some());
    // Another account is not affected.
    Pair::new(&ts, &ts.add_user("wes@example.com", "pro").await).open().await;
}
