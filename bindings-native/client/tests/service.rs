//! The background [`SyncService`] against a real sync server on loopback: periodic cycles with
//! progress and status events, new rows written while it runs reach the cloud, a server
//! restart in the middle (errors with backoff and jitter, then it resumes; nothing sent twice),
//! trigger now in manual mode, data types, stop.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use sync_client::progress::Stage;
use sync_client::search::{CloudQuery, SearchOptions};
use sync_client::service::{ServiceListener, ServiceOptions, ServiceState, ServiceStatus, SyncInterval, SyncService};
use sync_client::{DataTypes, SyncSession};

#[derive(Default)]
struct Recorder {
    statuses: Mutex<Vec<ServiceStatus>>,
    progress: Mutex<Vec<(Stage, u64, u64)>>,
}

impl ServiceListener for Recorder {
    fn status_changed(&self, status: &ServiceStatus) {
        self.statuses.lock().unwrap().push(status.clone());
    }
    fn progress(&self, stage: Stage, done: u64, total: u64) {
        self.progress.lock().unwrap().push((stage, done, total));
    }
}

async fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn fast_options(interval: SyncInterval) -> ServiceOptions {
    ServiceOptions {
        interval,
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_millis(800),
        ..ServiceOptions::default()
    }
}

/// Adds a transcription holding `words` (at the time of the newest one).
fn add_transcription(db: &Path, words: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let n = conn
        .execute(
            "INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device, is_input_device)
             SELECT audio_chunk_id, offset_index, timestamp, ?1, device, is_input_device
             FROM audio_transcriptions ORDER BY id DESC LIMIT 1",
            [words],
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn synced_ids(session: &SyncSession) -> BTreeSet<String> {
    session.with_state(|s| s.synced_blobs()).unwrap().into_iter().map(|b| b.blob_id.to_hex()).collect()
}

async fn cloud_finds(session: &SyncSession, words: &str) -> usize {
    let options = SearchOptions { local: false, ..SearchOptions::default() };
    CloudQuery::new(session).query_all(words, &options).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_syncs_new_rows_and_survives_a_server_restart() {
    let TestServer { dir: server_dir, server, url } = TestServer::start().await;
    let addr = server.addr;
    let mut ts = TestServer { dir: server_dir, server, url: url.clone() };
    let token = ts.add_user("svc@example.com", "pro").await;

    let a = tempfile::tempdir().unwrap();
    small_fixture(a.path(), 1, 7);
    let config_a = device_config(a.path(), &url, &token, "desktop A");
    let (session, _) = SyncSession::init(&config_a, PASSWORD).await.unwrap();

    let service = SyncService::new(session.clone(), fast_options(SyncInterval::Custom(Duration::from_secs(1))));
    let recorder = Arc::new(Recorder::default());
    service.set_listener(Some(recorder.clone()));
    assert!(!service.is_running());
    service.start().unwrap();
    assert!(service.is_running());

    // The first cycle runs at once and uploads the fixture.
    wait_for("the first cycle", Duration::from_secs(120), || service.status().completed_cycles >= 1).await;
    let status = service.status();
    assert_eq!(status.state, ServiceState::Idle);
    assert!(status.running);
    assert!(status.last_sync.is_some());
    assert!(status.next_sync.is_some());
    assert!(status.storage_used.unwrap() > 0);
    assert_eq!(status.storage_limit, Some(100_000_000_000));
    assert_eq!(status.device_count, Some(1));
    assert!(status.last_push.as_ref().unwrap().uploaded_blobs > 0);
    let progress = recorder.progress.lock().unwrap().clone();
    assert!(progress.iter().any(|(s, done, total)| *s == Stage::Uploading && done == total && *total > 0));
    assert!(recorder.statuses.lock().unwrap().iter().any(|s| matches!(s.state, ServiceState::Syncing { .. })));
    assert_eq!(synced_ids(&session), ts.blob_ids("svc@example.com"));

    // Rows written while it runs are sent by a later cycle.
    add_transcription(&config_a.db_path, "zanzibar quokka marmalade");
    let before = synced_ids(&session).len();
    wait_for("a cycle with the new row", Duration::from_secs(60), || synced_ids(&session).len() > before).await;
    let cycles = service.status().completed_cycles;

    // Another device finds them in the cloud.
    let b = tempfile::tempdir().unwrap();
    empty_fixture(b.path());
    let (session_b, _) = SyncSession::init(&device_config(b.path(), &url, &token, "phone B"), PASSWORD).await.unwrap();
    assert_eq!(cloud_finds(&session_b, "zanzibar quokka").await, 1);

    // The server goes away: cycles fail with `network` and are retried with backoff.
    let TestServer { dir: server_dir, server, .. } = ts;
    server.shutdown().await.unwrap();
    add_transcription(&config_a.db_path, "pangolin saxophone lighthouse");
    wait_for("a network error", Duration::from_secs(60), || {
        let s = service.status();
        matches!(&s.state, ServiceState::Error { code, retrying: true, .. } if code == "network")
            && s.consecutive_failures >= 2
    })
    .await;
    assert!(service.is_running());

    // It comes back on the same address and data: the service resumes by itself.
    let mut config = server_config(server_dir.path());
    config.bind = addr;
    let server = sync_server::start(config).await.unwrap();
    ts = TestServer { dir: server_dir, server, url: url.clone() };
    wait_for("a cycle after the restart", Duration::from_secs(60), || {
        let s = service.status();
        s.state == ServiceState::Idle && s.consecutive_failures == 0 && s.completed_cycles > cycles + 1
    })
    .await;
    assert_eq!(cloud_finds(&session_b, "pangolin saxophone").await, 1);

    service.stop().await;
    assert!(!service.is_running());
    assert!(!service.status().running);

    // Nothing duplicated: the server holds exactly what the state file recorded, nothing is
    // pending, and another push has nothing to send.
    assert_eq!(synced_ids(&session), ts.blob_ids("svc@example.com"));
    assert!(session.with_state(|s| s.pending()).unwrap().is_empty());
    let again = session.push(no_progress()).await.unwrap();
    assert_eq!(again.uploaded_blobs, 0);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_service_syncs_on_trigger_with_its_data_types() {
    let server = TestServer::start().await;
    let token = server.add_user("manual@example.com", "pro").await;
    let a = tempfile::tempdir().unwrap();
    small_fixture(a.path(), 1, 8);
    let (session, _) = SyncSession::init(&device_config(a.path(), &server.url, &token, "A"), PASSWORD).await.unwrap();

    // Text only: no media blob is sent.
    let mut options = fast_options(SyncInterval::Manual);
    options.data_types = DataTypes { frames: false, audio: false, text: true };
    options.bandwidth_limit_mbps = Some(100.0);
    let service = SyncService::new(session.clone(), options.clone());
    service.start().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(service.status().completed_cycles, 0, "manual: nothing before a trigger");
    assert_eq!(service.status().next_sync, None);
    assert!(service.trigger_now());
    wait_for("the triggered cycle", Duration::from_secs(120), || service.status().completed_cycles == 1).await;
    let blobs = session.with_state(|s| s.synced_blobs()).unwrap();
    assert!(!blobs.is_empty());
    assert!(blobs.iter().all(|b| b.blob_type == sync_core::BlobType::Text), "text only");

    // All types again: the media follow at the next trigger.
    options.data_types = DataTypes::default();
    service.set_options(options);
    service.sync_now().await.unwrap();
    let blobs = session.with_state(|s| s.synced_blobs()).unwrap();
    assert!(blobs.iter().any(|b| b.blob_type == sync_core::BlobType::Frames));
    assert!(blobs.iter().any(|b| b.blob_type == sync_core::BlobType::Audio));
    service.stop().await;
    assert!(!service.trigger_now(), "a stopped service is not triggered");

    // A permanent error (quota) is shown with its code and not retried by backoff.
    server.sql("UPDATE users SET storage_used = 100000000000 - 10 WHERE email = 'manual@example.com'");
    add_transcription(&a.path().join("db.sqlite"), "quota overflow words");
    let err = service.sync_now().await.unwrap_err();
    assert_eq!(err.code(), "QUOTA_EXCEEDED");
    match service.status().state {
        ServiceState::Error { code, retrying, .. } => {
            assert_eq!(code, "QUOTA_EXCEEDED");
            assert!(!retrying);
        }
        other => panic!("{other:?}"),
    }
    server.sql("UPDATE users SET storage_used = 0 WHERE email = 'manual@example.com'");
    service.sync_now().await.unwrap();
    assert_eq!(service.status().state, ServiceState::Idle);
    assert_eq!(synced_ids(&session), server.blob_ids("manual@example.com"));
}
