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
