//! "Keep on this device" in the background service: after a cycle's push, the media older than
//! the chosen days are offloaded once proven in the cloud (screen here; audio kept forever),
//! the status reports the space freed, and a second cycle has nothing more to do; the same for
//! text rows (`archive --drop-text`), media kept.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::Duration;

use common::*;
use sync_client::service::{ServiceOptions, SyncInterval, SyncService};
use sync_client::{KeepLocal, SyncSession};
use sync_core::UnixMillis;

/// An hour of recordings of `generation`, ten days old.
fn ten_days_old(dir: &std::path::Path, generation: Generation) -> sync_fixture::FixtureSummary {
    let ten_days_ago = UnixMillis((sync_server::time::now_ms().0 / 86_400_000 - 10) * 86_400_000);
    let options = sync_fixture::FixtureOptions {
        generation,
        days: 1,
        hours_per_day: 1,
        monitors: 1,
        chunk_secs: 300,
        video_kib: 8,
        audio_kib: 4,
        first_day: Some(ten_days_ago),
        seed: 41,
        ..Default::default()
    };
    sync_fixture::write_fixture(dir, &options, false).unwrap()
}

/// A manual service keeping `keep`, after one cycle without an offload failure, and its status.
async fn one_cycle(session: &SyncSession, keep: KeepLocal) -> (SyncService, sync_client::service::ServiceStatus) {
    let service = SyncService::new(
        session.clone(),
        ServiceOptions { interval: SyncInterval::Manual, keep_local: keep, ..ServiceOptions::default() },
    );
    tokio::time::timeout(Duration::from_secs(120), service.sync_now()).await.unwrap().unwrap();
    let status = service.status();
    assert_eq!(status.archive_error, None);
    (service, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_offloads_media_older_than_keep_local() {
    let server = TestServer::start().await;
    let token = server.add_user("keep@example.com", "pro").await;
    let dir = tempfile::tempdir().unwrap();
    let summary = ten_days_old(dir.path(), Generation::Feb2026);
    let cfg = device_config(dir.path(), &server.url, &token, "keeper");
    let (session, _) = SyncSession::init(&cfg, PASSWORD).await.unwrap();
    let (service, status) = one_cycle(&session, KeepLocal { screen: Some(7), audio: None, text: None }).await;
    let report = status.last_archive.clone().expect("an offload ran");
    assert_eq!(report.files, summary.video_chunks, "{report:?}");
    assert!(report.skipped.is_empty(), "{report:?}");
    let proofs = session
        .with_state(|s| s.uploaded_proofs(&["video_chunks", "audio_chunks"], UnixMillis(0), UnixMillis(i64::MAX)))
        .unwrap();
    let mut freed = 0;
    for p in &proofs {
        let video = p.source_table == "video_chunks";
        assert_eq!(p.path.exists(), !video, "{}", p.path.display());
        if video {
            freed += p.plain_size;
        }
    }
    assert_eq!(report.bytes_freed, freed);
    assert!(proofs.iter().any(|p| p.source_table == "audio_chunks"));
    // The next cycle has nothing more to offload.
    service.sync_now().await.unwrap();
    let again = service.status().last_archive.unwrap();
    assert_eq!((again.files, again.already_offloaded), (0, summary.video_chunks));
    assert_eq!(session.with_state(|s| s.offloaded_totals()).unwrap(), (summary.video_chunks, freed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_drops_text_older_than_keep_local() {
    let server = TestServer::start().await;
    let token = server.add_user("keep-text@example.com", "pro").await;
    let dir = tempfile::tempdir().unwrap();
    ten_days_old(dir.path(), Generation::V0_4_50);
    let cfg = device_config(dir.path(), &server.url, &token, "text keeper");
    let count = |sql: &str| -> u64 {
        let conn = rusqlite::Connection::open(&cfg.db_path).unwrap();
        conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
    };
    let elements = count("SELECT COUNT(*) FROM elements");
    let transcriptions = count("SELECT COUNT(*) FROM audio_transcriptions");
    assert!(elements > 0 && transcriptions > 0);
    let (session, _) = SyncSession::init(&cfg, PASSWORD).await.unwrap();
    let (service, status) = one_cycle(&session, KeepLocal { screen: None, audio: None, text: Some(7) }).await;
    assert!(status.last_archive.is_none(), "media are kept forever");
    let report = status.last_text_drop.clone().expect("a text drop ran");
    assert!(report.bundles_proven > 0 && report.kept.is_empty(), "{report:?}");
    // Every element and transcription is ten days old: all dropped, each journaled.
    assert_eq!(report.rows.get("elements").copied(), Some(elements), "{report:?}");
    assert_eq!(report.rows.get("audio_transcriptions").copied(), Some(transcriptions), "{report:?}");
    assert_eq!(count("SELECT COUNT(*) FROM elements") + count("SELECT COUNT(*) FROM audio_transcriptions"), 0);
    // The status counts records: each frame once (its text and its elements), each transcription.
    let records = report.rows["frames"] + report.rows["audio_transcriptions"];
    assert_eq!(session.with_state(|s| s.text_drops_count()).unwrap(), records);
    // The media stay; the next cycle has no text left to drop.
    let proofs = session
        .with_state(|s| s.uploaded_proofs(&["video_chunks", "audio_chunks"], UnixMillis(0), UnixMillis(i64::MAX)))
        .unwrap();
    assert!(!proofs.is_empty() && proofs.iter().all(|p| p.path.exists()));
    service.sync_now().await.unwrap();
    let again = service.status().last_text_drop.unwrap();
    assert_eq!(again.total_rows(), 0, "{again:?}");
    assert_eq!(session.with_state(|s| s.text_drops_count()).unwrap(), records);
}
