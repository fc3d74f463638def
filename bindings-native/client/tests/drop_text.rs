//! `archive --drop-text` (issue 18) against a real server on loopback, for both screenpipe
//! generations. After a push, every text row of this device is proven by its bundle (listed
//! complete with the sealed checksum, decrypted, equal to the local row); a cutoff covers only
//! the bundles ending before it. The drop removes exactly those rows (0.4.50: frames' text,
//! elements, transcriptions; February 2026: transcriptions), the local search no longer finds
//! their words but the cloud search does, newer rows are untouched and the FTS indexes stay
//! consistent; a second drop does nothing; `restore` writes them back with the same ids and
//! columns, the local search finds them again, and a second restore writes nothing. A row
//! changed after its push is kept (`row_changed`); a bundle corrupted or not complete on the
//! server keeps its rows (`read_back_failed`, `not_in_cloud`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;

use common::*;
use rusqlite::Connection;
use sync_client::archive::{MediaKind, RestoreOptions, TextDropReport};
use sync_client::search::{CloudQuery, SearchOptions};
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

const WORD: &str = "palimpsestoid";
const FRAME_WORD: &str = "quillworthy";

/// Every row of `sql`'s result, each as the debug text of its values.
fn dump(db: &Path, sql: &str) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// screenpipe's FTS indexes agree with their tables.
fn check_fts(db: &Path, generation: Generation) {
    match generation {
        Generation::V0_4_50 => {
            for fts in ["frames_fts", "elements_fts", "audio_transcriptions_fts"] {
                sql(db, &format!("INSERT INTO {fts}({fts}) VALUES('integrity-check');"));
            }
        }
        Generation::Feb2026 => assert_eq!(
            one_i64(db, "SELECT count(*) FROM audio_transcriptions_fts"),
            one_i64(db, "SELECT count(*) FROM audio_transcriptions WHERE transcription != ''"),
        ),
    }
}

async fn search(a: &SyncSession, word: &str, local: bool) -> Vec<(&'static str, i64)> {
    let options = SearchOptions { local, cloud: !local, ..Default::default() };
    let mut found: Vec<(&'static str, i64)> = CloudQuery::new(a)
        .query_all(word, &options)
        .await
        .unwrap()
        .iter()
        .map(|i| (i.table, i.origin_row_id))
        .collect();
    found.sort_unstable();
    found
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
    let first = one_i64(&db, "SELECT min(id) FROM audio_transcriptions");
    let last = one_i64(&db, "SELECT max(id) FROM audio_transcriptions");
    sql(
        &db,
        &format!(
            "UPDATE audio_transcriptions SET transcription = transcription || ' {WORD}' WHERE id IN ({first}, {last})"
        ),
    );
    let old_frame = match generation {
        Generation::V0_4_50 => {
            let id = one_i64(&db, "SELECT min(id) FROM frames WHERE COALESCE(full_text, '') != ''");
            sql(&db, &format!("UPDATE frames SET full_text = full_text || ' {FRAME_WORD}' WHERE id = {id}"));
            Some(id)
        }
        Generation::Feb2026 => {
            run_feb_indexer(&db);
            None
        }
    };
    check_fts(&db, generation);
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
    match generation {
        Generation::V0_4_50 => {
            assert_eq!(rows(&all, "elements"), one_i64(&db, "SELECT count(*) FROM elements"), "{all:?}");
            let text_frames = one_i64(
                &db,
                "SELECT count(*) FROM frames WHERE COALESCE(full_text, '') || COALESCE(text_json, '')
                 || COALESCE(accessibility_text, '') || COALESCE(accessibility_tree_json, '') != ''",
            );
            assert!(text_frames > 0);
            assert_eq!(rows(&all, "frames"), text_frames, "{all:?}");
        }
        Generation::Feb2026 => {
            let text_frames = one_i64(&db, "SELECT count(DISTINCT frame_id) FROM ocr_text WHERE text != ''");
            assert!(text_frames > 0);
            assert_eq!(rows(&all, "frames"), 0, "{all:?}");
            assert_eq!(all.not_droppable.get("frames").copied(), Some(text_frames as u64), "{all:?}");
        }
    }
    assert!(all.text_bytes > 0);

    // A cutoff covers only the bundles ending before it.
    let mut text_blobs: Vec<_> =
        a.with_state(|s| s.synced_blobs()).unwrap().into_iter().filter(|b| b.blob_type == BlobType::Text).collect();
    text_blobs.sort_by_key(|b| (b.time_end, b.time_start));
    let mid = text_blobs[text_blobs.len() / 2].time_end;
    let part = a.text_drop_dry_run(mid, progress.as_ref()).await.unwrap();
    assert_eq!(part.bundles, text_blobs.iter().filter(|b| b.time_end < mid).count() as u64);
    assert!(part.total_rows() < all.total_rows(), "{part:?}");

    // The drop, with the cutoff in the middle.
    let transcriptions_sql = "SELECT * FROM audio_transcriptions ORDER BY id";
    let frames_sql = "SELECT * FROM frames ORDER BY id";
    let elements_sql = "SELECT * FROM elements ORDER BY id";
    let before_t = dump(&db, transcriptions_sql);
    let before_f = dump(&db, frames_sql);
    let before_e = if generation == Generation::V0_4_50 { dump(&db, elements_sql) } else { Vec::new() };
    assert_eq!(search(&a, WORD, true).await, vec![("audio_transcriptions", first), ("audio_transcriptions", last)]);
    let dropped = a.drop_text(mid, false, no_progress()).await.unwrap();
    assert!(!dropped.dry_run);
    assert_eq!(dropped.rows, part.rows, "the drop drops what the dry run counted: {dropped:?}");
    assert!(dropped.kept.is_empty() && dropped.not_restorable.is_empty(), "{dropped:?}");
    let n_t = rows(&dropped, "audio_transcriptions");
    assert!(n_t > 0);
    assert_eq!(one_i64(&db, "SELECT count(*) FROM audio_transcriptions"), transcriptions - n_t);
    // Newer rows untouched, byte for byte.
    let after_t = dump(&db, transcriptions_sql);
    assert!(after_t.iter().all(|r| before_t.contains(r)));
    assert_eq!(search(&a, WORD, true).await, vec![("audio_transcriptions", last)], "the old word is gone locally");
    assert_eq!(
        search(&a, WORD, false).await,
        vec![("audio_transcriptions", first), ("audio_transcriptions", last)],
        "the cloud search still finds it"
    );
    match generation {
        Generation::V0_4_50 => {
            let frame = old_frame.unwrap();
            assert!(rows(&dropped, "frames") > 0 && rows(&dropped, "elements") > 0, "{dropped:?}");
            assert_eq!(one_i64(&db, &format!("SELECT full_text IS NULL FROM frames WHERE id = {frame}")), 1);
            assert_eq!(
                one_i64(&db, "SELECT count(*) FROM frames"),
                before_f.len() as i64,
                "frames stay (their text goes)"
            );
            assert_eq!(
                one_i64(&db, "SELECT count(*) FROM elements"),
                before_e.len() as i64 - rows(&dropped, "elements")
            );
            assert_eq!(search(&a, FRAME_WORD, true).await, vec![]);
            assert_eq!(search(&a, FRAME_WORD, false).await, vec![("frames", frame)]);
        }
        Generation::Feb2026 => {
            assert_eq!(rows(&dropped, "frames"), 0, "February 2026 OCR rows are kept: {dropped:?}");
            assert_eq!(dump(&db, frames_sql), before_f);
        }
    }
    check_fts(&db, generation);

    // Again: nothing left to drop.
    let again = a.drop_text(mid, false, no_progress()).await.unwrap();
    assert_eq!(again.total_rows(), 0, "{again:?}");
    assert!(again.kept.is_empty(), "{again:?}");
    assert!(again.already_absent >= n_t as u64, "{again:?}");

    // Restore brings every row back, same ids, same columns; the local search finds them again.
    let opts = RestoreOptions {
        since: UnixMillis(0),
        until: UnixMillis(i64::MAX),
        kinds: MediaKind::ALL.to_vec(),
        other_devices: false,
    };
    let restored = a.restore(&opts, no_progress()).await.unwrap();
    assert!(restored.complete(), "{restored:?}");
    assert_eq!(restored.text.transcriptions as i64, n_t, "{restored:?}");
    assert_eq!(restored.text.frames as i64, rows(&dropped, "frames"));
    assert_eq!(restored.text.elements as i64, rows(&dropped, "elements"));
    assert_eq!(restored.text.skipped, 0);
    assert_eq!(dump(&db, transcriptions_sql), before_t);
    assert_eq!(dump(&db, frames_sql), before_f);
    if generation == Generation::V0_4_50 {
        assert_eq!(dump(&db, elements_sql), before_e);
        assert_eq!(search(&a, FRAME_WORD, true).await, vec![("frames", old_frame.unwrap())]);
    }
    check_fts(&db, generation);
    assert_eq!(search(&a, WORD, true).await, vec![("audio_transcriptions", first), ("audio_transcriptions", last)]);
    let twice = a.restore(&opts, no_progress()).await.unwrap();
    assert_eq!((twice.text.rows(), twice.text.bundles), (0, 0), "a second restore writes nothing: {twice:?}");
    assert_eq!(dump(&db, transcriptions_sql), before_t);

    // A row changed after its push, a bundle corrupted and one not complete on the server.
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

    // The drop itself keeps the same rows: the changed one, and those of the two bundles.
    let real = a.drop_text(everything, false, no_progress()).await.unwrap();
    assert_eq!(real.rows, damaged.rows, "the drop drops what the dry run counted: {real:?}");
    assert_eq!(kept_reason(&real, "audio_transcriptions", Some(first), None), Some("row_changed"), "{real:?}");
    assert_eq!(kept_reason(&real, "*", None, Some(&last)), Some("read_back_failed"), "{real:?}");
    assert_eq!(
        one_i64(
            &db,
            &format!("SELECT count(*) FROM audio_transcriptions WHERE id = {first} AND transcription LIKE '% edited'")
        ),
        1,
        "the changed row stays with its change"
    );
    assert_eq!(
        one_i64(&db, "SELECT count(*) FROM audio_transcriptions"),
        transcriptions - rows(&real, "audio_transcriptions")
    );
    check_fts(&db, generation);
    let back = a.restore(&opts, no_progress()).await.unwrap();
    assert!(back.complete(), "{back:?}");
    assert_eq!(one_i64(&db, "SELECT count(*) FROM audio_transcriptions"), transcriptions);
    check_fts(&db, generation);
}
