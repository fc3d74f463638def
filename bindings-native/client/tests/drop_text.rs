//! `archive --drop-text` (issue 18) against a real server on loopback, for both screenpipe
//! generations: the proof. After a push, every text row of this device is proven by its bundle
//! (listed complete with the sealed checksum, decrypted, equal to the local row); a row changed
//! after its push is kept (`row_changed`); a bundle corrupted, deleted or not complete on the
//! server keeps its rows (`read_back_failed`, `not_in_cloud`); a cutoff covers only the bundles
//! ending before it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;

use common::*;
use rusqlite::Connection;
use sync_client::archive::TextDropReport;
use sync_client::session::SyncSession;
use sync_core::{BlobType, UnixMillis};

fn sql(db: &Path, sql: &str) {
    let conn = Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn one_i64(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn rows(report: &TextDropReport, table: &str) -> i64 {
    report.rows.get(table).copied().unwrap_or(0) as i64
}

fn kept_reason(report: &TextDropReport, table: &str, row_id: Option<i64>, blob: Option<&str>) -> Option<&'static str> {
    report
        .kept
        .iter()
        .find(|k| k.table == table && k.row_id == row_id && blob.is_none_or(|b| b == k.blob_id))
        .map(|k| k.reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_proof_v0_4_50() {
    run(Generation::V0_4_50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_proof_feb_2026() {
    run(Generation::Feb2026).await;
}

async fn run(generation: Generation) {
    let server = TestServer::start().await;
    let email = "droptext@example.com";
    let token = server.add_user(email, "pro").await;
    let dir = tempfile::tempdir().unwrap();
    small_fixture_of(dir.path(), 2, 41, generation);
    let db = dir.path().join("db.sqlite");
    if generation == Generation::Feb2026 {
        run_feb_indexer(&db);
    }
    let cfg = device_config(dir.path(), &server.url, &token, "dropper");
    let (a, _) = SyncSession::init(&cfg, PASSWORD).await.unwrap();
    a.push(no_progress()).await.unwrap();
    let progress = no_progress();

    // Everything pushed is proven: each local text row is counted once.
    let everything = UnixMillis(i64::MAX);
    let all = a.text_drop_dry_run(everything, progress.as_ref()).await.unwrap();
    assert!(all.dry_run);
    assert!(all.bundles >= 2, "{all:?}");
    assert_eq!(all.bundles, all.bundles_proven, "{all:?}");
    assert!(all.kept.is_empty(), "{all:?}");
    assert_eq!(all.already_absent, 0);
    let transcriptions = one_i64(&db, "SELECT count(*) FROM audio_transcriptions");
    assert!(transcriptions > 0);
    assert_eq!(rows(&all, "audio_transcriptions"), transcriptions, "{all:?}");
    let text_frames = match generation {
        Generation::V0_4_50 => {
            assert_eq!(rows(&all, "elements"), one_i64(&db, "SELECT count(*) FROM elements"), "{all:?}");
            one_i64(&db, "SELECT count(*) FROM frames WHERE COALESCE(full_text, '') != ''")
        }
        Generation::Feb2026 => one_i64(&db, "SELECT count(DISTINCT frame_id) FROM ocr_text WHERE text != ''"),
    };
    assert!(text_frames > 0);
    assert_eq!(rows(&all, "frames"), text_frames, "{all:?}");
    assert!(all.text_bytes > 0);

    // A cutoff covers only the bundles ending before it.
    let mut text_blobs: Vec<_> =
        a.with_state(|s| s.synced_blobs()).unwrap().into_iter().filter(|b| b.blob_type == BlobType::Text).collect();
    text_blobs.sort_by_key(|b| (b.time_end, b.time_start));
    let mid = text_blobs[text_blobs.len() / 2].time_end;
    let part = a.text_drop_dry_run(mid, progress.as_ref()).await.unwrap();
    assert_eq!(part.bundles, text_blobs.iter().filter(|b| b.time_end < mid).count() as u64);
    assert!(part.total_rows() < all.total_rows(), "{part:?}");

    // A row changed after its push, a bundle corrupted and one not complete on the server.
    let first = one_i64(&db, "SELECT min(id) FROM audio_transcriptions");
    sql(&db, &format!("UPDATE audio_transcriptions SET transcription = transcription || ' edited' WHERE id = {first}"));
    let last = text_blobs.last().unwrap().blob_id.to_hex();
    let obj = server.object_path(email, &last);
    let mut bytes = std::fs::read(&obj).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&obj, &bytes).unwrap();
    let second_last = text_blobs[text_blobs.len() - 2].blob_id.to_hex();
    server.sql(&format!("UPDATE blobs SET state = 0 WHERE lower(hex(blob_id)) = '{second_last}'"));

    let damaged = a.text_drop_dry_run(everything, progress.as_ref()).await.unwrap();
    assert_eq!(damaged.bundles_proven, all.bundles - 2, "{damaged:?}");
    assert_eq!(kept_reason(&damaged, "*", None, Some(&last)), Some("read_back_failed"), "{damaged:?}");
    assert_eq!(kept_reason(&damaged, "*", None, Some(&second_last)), Some("not_in_cloud"), "{damaged:?}");
    assert_eq!(kept_reason(&damaged, "audio_transcriptions", Some(first), None), Some("row_changed"), "{damaged:?}");
    assert!(damaged.total_rows() < all.total_rows() - 1, "{damaged:?}");
    assert!(rows(&damaged, "audio_transcriptions") < transcriptions, "the changed row is not droppable: {damaged:?}");
    // Nothing changed locally.
    assert_eq!(one_i64(&db, "SELECT count(*) FROM audio_transcriptions"), transcriptions);
}
