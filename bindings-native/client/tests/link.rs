//! Linking a new device with a short code ([`SyncSession::link_start`] on an unlocked device,
//! [`SyncSession::join`] on a new one) through a real server's mailbox: the keys arrive, the new
//! device pulls without the password and keeps the rollback guard; a wrong code, a refusal and
//! a second joiner fail with their codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Mutex;

use common::*;
use sync_client::session::{JoinStep, SyncSession};

fn no_steps(_: JoinStep) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_joins_with_the_code_and_pulls_without_the_password() {
    let server = TestServer::start().await;
    let token = server.add_user("link@example.com", "pro").await;
    let a = tempfile::tempdir().unwrap();
    small_fixture(a.path(), 1, 5);
    let a_config = device_config(a.path(), &server.url, &token, "laptop");
    let (laptop, _) = SyncSession::init(&a_config, PASSWORD).await.unwrap();
    let pushed = laptop.push(no_progress()).await.unwrap();
    assert!(pushed.uploaded_blobs > 0);

    let mut linking = laptop.link_start().await.unwrap();
    let code = linking.code().to_string();
    assert_eq!(code.split('-').count(), 4, "{code}");
    assert!(code.starts_with(&format!("{}-", linking.mailbox())));
    assert!(!format!("{linking:?}").contains(code.split('-').nth(1).unwrap()), "Debug hides the code");
    let uri = linking.link_uri().unwrap().to_string();
    assert!(uri.starts_with("screenpipe-sync://link?v=1&code="), "{uri}");

    let b = tempfile::tempdir().unwrap();
    empty_fixture(b.path());
    let b_config = device_config(b.path(), &server.url, &token, "phone");
    let steps = Mutex::new(Vec::new());
    let record = |s: JoinStep| steps.lock().unwrap().push(s);
    let initiator = async {
        let device = linking.wait_for_joiner().await.unwrap();
        assert_eq!(
            (device.name(), device.os()),
            ("phone", format!("{} {}", std::env::consts::OS, std::env::consts::ARCH).as_str())
        );
        linking.approve().await.unwrap();
    };
    // The joiner typed the link URI (as a QR code scanner would give it).
    let ((), joined) = tokio::join!(initiator, SyncSession::join(&b_config, &uri, &record));
    let (phone, exported) = joined.unwrap();
    assert_eq!(*steps.lock().unwrap(), vec![JoinStep::Joined, JoinStep::Confirmed, JoinStep::KeysReceived]);
    assert_eq!(phone.keys().current_key_id(), laptop.keys().current_key_id());
    assert_eq!(exported.current_key_id(), laptop.keys().current_key_id());
    assert_ne!(phone.device_id(), laptop.device_id());
    // Registered with /init, and pulls the laptop's data with the keys it received.
    let report = phone.pull(None, None, no_progress()).await.unwrap();
    assert!(report.imported_blobs > 0 && report.failures.is_empty(), "{report:?}");
    // What an unlock persists: the guard (so the same keys resume) and the revision; the
    // password unlocks this device as any other.
    drop(phone);
    SyncSession::resume(&b_config, &exported).await.unwrap();
    SyncSession::unlock(&b_config, PASSWORD).await.unwrap();
    // The mailbox was closed by the joiner: nothing is left on the server.
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM pair_mailboxes"), 0);
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM pair_messages"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_a_refusal_and_a_second_joiner_fail_with_their_codes() {
    let server = TestServer::start().await;
    let token = server.add_user("nolink@example.com", "pro").await;
    let a = tempfile::tempdir().unwrap();
    empty_fixture(a.path());
    let a_config = device_config(a.path(), &server.url, &token, "laptop");
    let (laptop, _) = SyncSession::init(&a_config, PASSWORD).await.unwrap();
    let b = tempfile::tempdir().unwrap();
    empty_fixture(b.path());
    let b_config = device_config(b.path(), &server.url, &token, "phone");

    // A wrong code (the right mailbox, other words): both sides fail with pairing_failed.
    let mut linking = laptop.link_start().await.unwrap();
    let right = linking.code().to_string();
    let mut words: Vec<&str> = right.split('-').collect();
    words[1] = if words[1] == "abandon" { "ability" } else { "abandon" };
    let wrong = words.join("-");
    let (waited, joined) = tokio::join!(linking.wait_for_joiner(), SyncSession::join(&b_config, &wrong, &no_steps));
    assert_eq!(waited.unwrap_err().code(), "pairing_failed");
    assert_eq!(joined.unwrap_err().code(), "pairing_failed");
    // The code is spent: the right words cannot be tried on that mailbox any more.
    let again = SyncSession::join(&b_config, &right, &no_steps).await.unwrap_err();
    assert!(["NOT_FOUND", "PAIR_TAKEN"].contains(&again.code().as_str()), "{again}");
    linking.cancel().await;

    // The user refuses the device: pairing_denied on the new device.
    let mut linking = laptop.link_start().await.unwrap();
    let code = linking.code().to_string();
    let initiator = async {
        linking.wait_for_joiner().await.unwrap();
        linking.deny().await.unwrap();
    };
    let ((), joined) = tokio::join!(initiator, SyncSession::join(&b_config, &code, &no_steps));
    assert_eq!(joined.unwrap_err().code(), "pairing_denied");

    // A second joiner on a code being used is refused by the server.
    let mut linking = laptop.link_start().await.unwrap();
    let code = linking.code().to_string();
    let c = tempfile::tempdir().unwrap();
    empty_fixture(c.path());
    let c_config = device_config(c.path(), &server.url, &token, "intruder");
    let initiator = async {
        linking.wait_for_joiner().await.unwrap();
        let second = SyncSession::join(&c_config, &code, &no_steps).await.unwrap_err();
        assert_eq!(second.code(), "PAIR_TAKEN");
        linking.approve().await.unwrap();
    };
    let ((), joined) = tokio::join!(initiator, SyncSession::join(&b_config, &code, &no_steps));
    joined.unwrap();
}
