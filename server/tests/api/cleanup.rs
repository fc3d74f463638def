//! The cleanup job: tier retention, abandoned uploads, partial files and orphan objects.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn retention_and_abandoned_upload_cleanup() {
    let ts = TestServer::start().await;
    let starter = ts.api(&ts.add_user("lee@example.com", "starter").await, "l1");
    let pro = ts.api(&ts.add_user("max@example.com", "pro").await, "m1");
    starter.init().await.ok();
    pro.init().await.ok();
    let now = sync_server::time::now_ms().0;
    let old = TestBlob::new(61, "audio", now - 200 * DAY, 500, &["old"]);
    let recent = TestBlob::new(62, "audio", now - 10 * DAY, 600, &["old"]);
    starter.upload_blob(&old).await;
    starter.upload_blob(&recent).await;
    pro.upload_blob(&old).await;
    let pending = TestBlob::new(63, "text", now, 700, &[]);
    let declared = starter.post("/upload", pending.upload_request("l1")).await.ok();
    let pending_url = declared["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(starter.put_object(&pending_url, &pending.bytes).await.status, 200);
    assert_eq!(ts.object_files().await, 4);

    let state = &ts.server().state;
    let report = sync_server::cleanup::run_once(state, sync_core::UnixMillis(now)).await.unwrap();
    assert_eq!(report.expired_blobs, 1);
    assert_eq!(report.abandoned_uploads, 0);
    starter.post("/download", json!({"blob_ids": [old.id]})).await.expect_error(404, "NOT_FOUND");
    assert_eq!(
        starter.post("/download", json!({"blob_ids": [recent.id]})).await.ok()["blobs"].as_array().unwrap().len(),
        1
    );
    assert_eq!(pro.post("/download", json!({"blob_ids": [old.id]})).await.ok()["blobs"].as_array().unwrap().len(), 1);
    assert_eq!(starter.get("/status").await.ok()["quota"]["storage_used"], 600);
    assert_eq!(starter.post("/search", json!({"search_tokens": [tok("old")]})).await.ok()["total_matches"], 1);
    assert_eq!(ts.object_files().await, 3);

    // A day and more later the pending upload is abandoned: its row and object go.
    let later = sync_core::UnixMillis(now + 25 * 3600 * 1000);
    let report = sync_server::cleanup::run_once(state, later).await.unwrap();
    assert_eq!(report.abandoned_uploads, 1);
    assert_eq!(ts.object_files().await, 2);
    starter.post("/upload/complete", json!({"blob_id": pending.id})).await.expect_error(404, "NOT_FOUND");
    let late_put = starter.put_object(&pending_url, &pending.bytes).await;
    if ts.is_s3() {
        // A presigned URL cannot be revoked: the store takes the PUT, leaving an object that no
        // blob row names. The next pass deletes it.
        assert_eq!(late_put.status, 200);
        assert_eq!(ts.object_files().await, 3);
        let report = sync_server::cleanup::run_once(state, later).await.unwrap();
        assert_eq!(report.orphan_objects, 1);
        assert_eq!(ts.object_files().await, 2);
    } else {
        late_put.expect_error(404, "NOT_FOUND");
    }
    // Partial upload files (local) or orphan objects (S3) older than the cutoff are swept;
    // objects of blobs stay.
    let stray = ts.plant_stray().await;
    assert!(ts.stray_exists(&stray).await);
    let report = sync_server::cleanup::run_once(state, later).await.unwrap();
    assert_eq!(report.partial_files + report.orphan_objects, 1);
    assert!(!ts.stray_exists(&stray).await);
    assert_eq!(ts.object_files().await, 2);
    assert_eq!(pro.post("/download", json!({"blob_ids": [old.id]})).await.ok()["blobs"].as_array().unwrap().len(), 1);
}

/// The retention an account chooses per type: the job removes exactly that account's expired
/// blobs of that type, with their objects; other types and accounts keep theirs.
#[tokio::test]
async fn chosen_retention_cleanup() {
    let ts = TestServer::start().await;
    let max = ts.api(&ts.add_user("max@example.com", "pro").await, "m1");
    let kim = ts.api(&ts.add_user("kim@example.com", "pro").await, "k1");
    max.init().await.ok();
    kim.init().await.ok();
    let now = sync_server::time::now_ms().0;
    let old_audio = TestBlob::new(71, "audio", now - 40 * DAY, 500, &[]);
    let new_audio = TestBlob::new(72, "audio", now - 5 * DAY, 600, &[]);
    let old_text = TestBlob::new(73, "text", now - 400 * DAY, 700, &["kept"]);
    for b in [&old_audio, &new_audio, &old_text] {
        max.upload_blob(b).await;
        kim.upload_blob(b).await;
    }
    let set = max.call("PUT", "/account/retention", Some(&json!({"audio": 30, "text": null}))).await.ok();
    assert_eq!(set["policy"]["audio"], 30);
    let files = ts.object_files().await;

    let report = sync_server::cleanup::run_once(&ts.server().state, sync_core::UnixMillis(now)).await.unwrap();
    assert_eq!(report.expired_blobs, 1);
    assert_eq!(ts.object_files().await, files - 1);
    max.post("/download", json!({"blob_ids": [old_audio.id]})).await.expect_error(404, "NOT_FOUND");
    let kept = max.post("/download", json!({"blob_ids": [new_audio.id, old_text.id]})).await.ok();
    assert_eq!(kept["blobs"].as_array().unwrap().len(), 2);
    let kims = kim.post("/download", json!({"blob_ids": [old_audio.id, new_audio.id, old_text.id]})).await.ok();
    assert_eq!(kims["blobs"].as_array().unwrap().len(), 3);
    assert_eq!(max.get("/status").await.ok()["quota"]["storage_used"], 1300);
}
