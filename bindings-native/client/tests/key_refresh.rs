//! A running session and a key changed on another device (issue 14.1): a rotation elsewhere
//! stops the next push with `keys_outdated` before anything is sealed under the old key; a
//! password changed elsewhere is picked up (the session's revision moves with it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use sync_client::SyncSession;

#[tokio::test]
async fn a_rotation_elsewhere_asks_for_an_unlock_and_seals_nothing_under_the_old_key() {
    let server = TestServer::start().await;
    let token = server.add_user("rot@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    empty_fixture(a_dir.path());
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "laptop");
    let (mut a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();

    // B is unlocked and running, with data to push.
    let b_dir = tempfile::tempdir().unwrap();
    small_fixture(b_dir.path(), 1, 11);
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "desktop");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    assert_eq!(b.keys().current_version(), 1);

    // A rotates (B was stolen, say).
    a.rotate_key(PASSWORD).await.unwrap();
    assert_eq!(a.keys().current_version(), 2);

    let err = b.push(no_progress()).await.unwrap_err();
    assert_eq!(err.code(), "keys_outdated", "{err}");
    assert!(err.hint().is_some());
    // Nothing was sealed under the old key: no pending upload, no staged file, no blob.
    let summary = b.with_state(|s| s.summary()).unwrap();
    assert_eq!(summary.pending_uploads, 0);
    assert_eq!(summary.uploaded_blobs, 0);
    let staged = std::fs::read_dir(b_cfg.staging_dir()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(staged, 0);
    assert!(server.blob_ids("rot@example.com").is_empty());

    // Unlocking with the password opens the new key; the push then goes through under it.
    let b = SyncSession::unlock(&b_cfg, PASSWORD).await.unwrap();
    assert_eq!(b.keys().current_version(), 2);
    let report = b.push(no_progress()).await.unwrap();
    assert!(report.uploaded_blobs > 0);
    let key_ids = server.query_i64(
        "SELECT COUNT(DISTINCT key_id) FROM blobs b JOIN users u ON u.id = b.user_id WHERE u.email = 'rot@example.com'",
    );
    assert_eq!(key_ids, 1, "every blob under the one current key");
}

#[tokio::test]
async fn a_password_changed_elsewhere_moves_the_running_sessions_revision() {
    let server = TestServer::start().await;
    let token = server.add_user("pw@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    empty_fixture(a_dir.path());
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "laptop");
    let (mut a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    small_fixture(b_dir.path(), 1, 12);
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "desktop");
    let (mut b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();

    let second = "a second fine password 2027 fig";
    a.change_password(second).await.unwrap();
    // Same key: B keeps pushing, and learns the new revision on the way.
    assert!(b.push(no_progress()).await.unwrap().uploaded_blobs > 0);
    // So B's own key change names the current revision (else STALE_REVISION).
    let third = "a third fine password 2028 pear";
    b.change_password(third).await.unwrap();
    SyncSession::unlock(&a_cfg, third).await.unwrap();
}

#[tokio::test]
async fn blobs_staged_under_the_old_key_are_sealed_again_and_uploaded_after_the_unlock() {
    let server = TestServer::start().await;
    let token = server.add_user("reseal@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    empty_fixture(a_dir.path());
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "laptop");
    let (mut a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();

    // B packaged its data under key version 1 (text and media staged) but had not uploaded it
    // when A rotated the key.
    let b_dir = tempfile::tempdir().unwrap();
    small_fixture(b_dir.path(), 1, 13);
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "desktop");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    let old_key = b.keys().current_key_id();
    b.with_state(|state| {
        let packager = sync_client::pack::Packager::new(b.config(), b.keys(), b.device_id())?;
        while packager.plan_media(state, 16, &sync_client::NoProgress)?.staged > 0 {}
        while packager.plan_text(state, &sync_client::NoProgress)?.more {}
        Ok(())
    })
    .unwrap();
    let staged: Vec<_> = b.with_state(|s| s.pending()).unwrap();
    assert!(staged.iter().any(|p| p.blob_type == sync_core::BlobType::Text), "text staged");
    assert!(staged.iter().any(|p| p.blob_type != sync_core::BlobType::Text), "media staged");
    assert!(staged.iter().all(|p| p.key_id == old_key));
    a.rotate_key(PASSWORD).await.unwrap();

    // The running session stops; after the unlock, the push seals them again and uploads them.
    assert_eq!(b.push(no_progress()).await.unwrap_err().code(), "keys_outdated");
    let b = SyncSession::unlock(&b_cfg, PASSWORD).await.unwrap();
    let report = b.push(no_progress()).await.unwrap();
    assert!(report.uploaded_blobs >= staged.len() as u64, "{report:?}");
    assert_eq!(b.with_state(|s| s.pending()).unwrap().len(), 0, "nothing left pending");
    let key_ids = server.query_i64(
        "SELECT COUNT(DISTINCT key_id) FROM blobs b JOIN users u ON u.id = b.user_id WHERE u.email = 'reseal@example.com'",
    );
    assert_eq!(key_ids, 1, "every blob under the one current key");
    let uploaded = server.blob_ids("reseal@example.com");
    for p in &staged {
        assert!(uploaded.contains(&p.blob_id.to_hex()), "blob {} kept its id and was uploaded", p.blob_id);
    }

    // A (the current key) opens everything B sealed again: its pull imports B's rows.
    let a = SyncSession::unlock(&a_cfg, PASSWORD).await.unwrap();
    let pulled = a.pull(None, None, no_progress()).await.unwrap();
    assert!(pulled.rows_inserted > 0, "{pulled:?}");
}
