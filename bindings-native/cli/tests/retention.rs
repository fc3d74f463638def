//! `retention` and `status` against a real server: the choice is set type by type (the others
//! kept), refused beyond the tier's retention with a clear error, and shown by `status`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../client/tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::process::Output;

use common::*;

fn cli(dir: &Path, server: &str, token: &str, args: &[&str]) -> Output {
    support::device_command(dir, server, token, args).env("SCREENPIPE_SYNC_PASSWORD", PASSWORD).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_set_shown_and_bounded() {
    let server = TestServer::start().await;
    let token = server.add_user("ret@example.com", "starter").await;
    let dir = tempfile::tempdir().unwrap();
    empty_fixture(dir.path());
    let d = dir.path();
    assert!(cli(d, &server.url, &token, &["init", "--json"]).status.success());

    let shown = json(&cli(d, &server.url, &token, &["retention", "--json"]));
    assert_eq!(shown["tier_retention_days"], 183);
    assert_eq!(shown["policy"], serde_json::json!({"text": null, "frames": null, "audio": null}));
    let set = cli(d, &server.url, &token, &["retention", "set", "--screen", "90d", "--audio", "12w", "--json"]);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    assert_eq!(json(&set)["policy"], serde_json::json!({"text": null, "frames": 90, "audio": 84}));
    // One type changed, the others kept.
    let again = json(&cli(d, &server.url, &token, &["retention", "set", "--audio", "forever", "--json"]));
    assert_eq!(again["policy"], serde_json::json!({"text": null, "frames": 90, "audio": null}));
    // Beyond the tier: refused, nothing changed.
    let refused = cli(d, &server.url, &token, &["retention", "set", "--text", "1y"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("INVALID_REQUEST") && err.contains("183"), "{err}");
    let bad = cli(d, &server.url, &token, &["retention", "set", "--text", "36h"]);
    assert_eq!(bad.status.code(), Some(1));
    // status shows it.
    let status = json(&cli(d, &server.url, &token, &["status", "--json"]));
    assert_eq!(status["retention"]["policy"]["frames"], 90);
    assert_eq!(status["offloaded_files"], 0);
    let human = cli(d, &server.url, &token, &["status"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("cloud retention: screen 90 days, audio as the tier (183 days), text as the tier"), "{text}");
}
