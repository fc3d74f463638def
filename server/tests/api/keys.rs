//! Keys: revisions, password changes, rotations, concurrent changes.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn keys_revisions_and_rotation() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("hal@example.com", "pro").await, "h1");
    api.init().await.ok();
    api.post("/keys", json!({"expected_revision": 0, "envelope": envelope(1, 1)})).await.expect_error(409, "CONFLICT");
    api.init_new_account().await.ok();
    // A different account creation on an account with keys.
    api.post("/init", json!({"device_id": "h1", "device_name": "x", "device_os": "y", "envelope": envelope(2, 1), "recovery_envelope": recovery(2, 1)}))
        .await
        .expect_error(409, "ACCOUNT_EXISTS");
    // The same creation again is a retry.
    assert_eq!(api.init_new_account().await.ok()["revision"], 1);
    // Password change, then a stale one.
    let mut new_password = envelope(1, 1);
    new_password["salt"] = json!(b64(&[0xaa; 32]));
    assert_eq!(api.post("/keys", json!({"expected_revision": 1, "envelope": new_password})).await.ok()["revision"], 2);
    let stale = api.post("/keys", json!({"expected_revision": 1, "envelope": envelope(1, 1)})).await;
    stale.expect_error(409, "STALE_REVISION");
    assert!(stale.json()["error"].as_str().unwrap().contains('2'));
    // A password change may not swap the key; a rotation must raise the version.
    api.post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 2)}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 1), "keyring": [keyring_entry(1)], "recovery_envelope": recovery(2, 1)}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    api.post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 2), "keyring": [keyring_entry(1)]}))
        .await
        .expect_error(400, "INVALID_REQUEST");
    // Rotation.
    let rotated = api
        .post("/keys", json!({"expected_revision": 2, "envelope": envelope(2, 2), "keyring": [keyring_entry(1)], "recovery_envelope": recovery(2, 2)}))
        .await
        .ok();
    assert_eq!(rotated["revision"], 3);
    let keys = api.on_device("h2").init().await.ok();
    assert_eq!(keys["is_new_user"], false);
    assert_eq!(keys["envelope"], envelope(2, 2));
    assert_eq!(keys["recovery_envelope"], recovery(2, 2));
    assert_eq!(keys["keyring"], json!([keyring_entry(1)]));
    assert_eq!(keys["revision"], 3);
    // Concurrent changes from two devices: exactly one wins.
    let other = api.on_device("h2");
    let a = api.post("/keys", json!({"expected_revision": 3, "envelope": envelope(2, 2)}));
    let b = other.post("/keys", json!({"expected_revision": 3, "envelope": envelope(2, 2)}));
    let (a, b) = tokio::join!(a, b);
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
}

/// After a rotation (the documented answer to a stolen device), a device still sealing under
/// the old key is refused: a new blob, and a blob declared before the rotation, both answer
/// `409 KEY_ROTATED` and store nothing; under the new key the same blobs go through.
#[tokio::test]
async fn uploads_under_a_rotated_key_are_refused() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("ida@example.com", "pro").await, "i1");
    api.init_new_account().await.ok();
    // Before the rotation the current key (1) is accepted; another one is not.
    let early = TestBlob::new(61, "text", T0, 100, &["early"]);
    api.upload_blob(&early).await;
    let mut foreign = TestBlob::new(60, "text", T0, 100, &[]);
    foreign.key_id = hex(&[9; 16]);
    api.post("/upload", foreign.upload_request("i1")).await.expect_error(409, "KEY_ROTATED");
    // A blob declared and uploaded under key 1, not yet completed, when the key rotates.
    let pending = TestBlob::new(62, "text", T0 + MINUTE, 200, &["pending"]);
    let declared = api.post("/upload", pending.upload_request("i1")).await.ok();
    assert_eq!(api.put_object(declared["upload_url"].as_str().unwrap(), &pending.bytes).await.status, 200);
    api.post("/keys", json!({"expected_revision": 1, "envelope": envelope(2, 2), "keyring": [keyring_entry(1)], "recovery_envelope": recovery(2, 2)}))
        .await
        .ok();
    api.post("/upload/complete", json!({"blob_id": pending.id})).await.expect_error(409, "KEY_ROTATED");
    let late = TestBlob::new(63, "text", T0 + 2 * MINUTE, 300, &["late"]);
    api.post("/upload", late.upload_request("i1")).await.expect_error(409, "KEY_ROTATED");
    // Nothing of them is visible or counted; the blob completed before stays, and declaring it
    // again is still a no-op.
    let status = api.get("/status").await.ok();
    assert_eq!(
        (status["stats"]["total_blobs"].clone(), status["quota"]["storage_used"].clone()),
        (json!(1), json!(100))
    );
    api.post("/download", json!({"blob_ids": [pending.id]})).await.expect_error(404, "NOT_FOUND");
    assert_eq!(api.post("/upload", early.upload_request("i1")).await.ok()["already_uploaded"], true);
    // Sealed again under the new key, both go through.
    for (mut blob, seed) in [(pending, 72u32), (late, 73)] {
        let resealed = TestBlob::new(seed, "text", blob.start, blob.bytes.len(), &[]);
        blob.bytes = resealed.bytes;
        blob.key_id = hex(&[2; 16]);
        api.upload_blob(&blob).await;
    }
    assert_eq!(api.get("/status").await.ok()["stats"]["total_blobs"], 3);
}
