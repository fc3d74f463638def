//! Keys remembered on a device ([`SyncSession::resume`] with exported keys) and unlinking
//! ([`session::unlink`]), against a real server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use sync_client::session::{self, SyncSession};
use sync_core::keys::ExportedKeys;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_with_exported_keys_then_rotation_then_unlink() {
    let server = TestServer::start().await;
    let token = server.add_user("remember@example.com", "pro").await;
    let a = tempfile::tempdir().unwrap();
    small_fixture(a.path(), 1, 3);
    let config = device_config(a.path(), &server.url, &token, "laptop");
    let (session, _) = SyncSession::init(&config, PASSWORD).await.unwrap();
    let json = session.keys().export().to_json().unwrap();
    let device = session.device_id().clone();
    drop(session);

    // The remembered keys open the account without the password, and push.
    let exported = ExportedKeys::from_json(&json).unwrap();
    let resumed = SyncSession::resume(&config, &exported).await.unwrap();
    assert_eq!(resumed.device_id(), &device);
    let report = resumed.push(no_progress()).await.unwrap();
    assert!(report.uploaded_blobs > 0);
    drop(resumed);

    // Another device rotates the key: the remembered keys are out of date.
    let b = tempfile::tempdir().unwrap();
    empty_fixture(b.path());
    let b_config = device_config(b.path(), &server.url, &token, "desktop");
    let (mut b_session, _) = SyncSession::init(&b_config, PASSWORD).await.unwrap();
    b_session.rotate_key(PASSWORD).await.unwrap();
    let err = SyncSession::resume(&config, &exported).await.unwrap_err();
    assert_eq!(err.code(), "keys_outdated");
    assert!(err.hint().is_some());
    // The password still works and moves the guard to version 2; then version 1 keys are a rollback.
    let unlocked = SyncSession::unlock(&config, PASSWORD).await.unwrap();
    assert_eq!(unlocked.keys().current_version(), 2);
    drop(unlocked);
    assert_eq!(SyncSession::resume(&config, &exported).await.unwrap_err().code(), "keys_outdated");

    // Unlink: the device leaves the account and its local state is forgotten.
    let devices = session::devices(&b_config).await.unwrap();
    assert!(devices.iter().any(|d| d.device_id == device));
    assert!(session::unlink(&config).await.unwrap());
    let devices = session::devices(&b_config).await.unwrap();
    assert!(!devices.iter().any(|d| d.device_id == device));
    assert!(!config.state_path().exists());
    assert!(!config.staging_dir().exists());
    assert_eq!(SyncSession::unlock(&config, PASSWORD).await.unwrap_err().code(), "not_initialized");
    // Signing in again makes a new device.
    let (again, _) = SyncSession::init(&config, PASSWORD).await.unwrap();
    assert_ne!(again.device_id(), &device);
}
