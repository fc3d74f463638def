//! The rules around screenpipe's schemas and live databases, against a real server on loopback:
//! a database of an unknown schema (a column renamed, a table missing, neither generation's
//! shape) is refused before anything is uploaded or written; a memory edited after it was
//! synced reaches the other device; a 0.4 frame whose OCR is still pending waits for a later
//! push (an old one is taken as it is); a meeting still running waits; a snapshot whose file is
//! gone is reported and skipped while its frame still arrives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;

use common::*;
use rusqlite::Connection;
use sync_client::session::SyncSession;
use sync_core::UnixMillis;

fn sql(db: &Path, sql: &str) {
    let conn = Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn one_i64(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn one_text(db: &Path, sql: &str) -> Option<String> {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A fixture of 20 minutes: one monitor, a frame a minute.
fn tiny(dir: &Path, generation: Generation) {
    let options = sync_fixture::FixtureOptions {
        generation,
        days: 1,
        hours_per_day: 1,
        monitors: 1,
        frame_interval_secs: 60,
        chunk_secs: 300,
        video_kib: 2,
        snapshot_kib: 2,
        audio_kib: 1,
        seed: 5,
        ..Default::default()
    };
    sync_fixture::write_fixture(dir, &options, false).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_schemas_are_refused_before_anything_moves() {
    let server = TestServer::start().await;
    let token = server.add_user("future@example.com", "pro").await;

    // A future screenpipe renamed a column and added a migration: refused by name, nothing
    // uploaded (not even what an earlier push left pending), nothing written.
    let a_dir = tempfile::tempdir().unwrap();
    tiny(a_dir.path(), Generation::V0_4_50);
    let a_db = a_dir.path().join("db.sqlite");
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "future");
    let (a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    sql(
        &a_db,
        "ALTER TABLE frames RENAME COLUMN full_text TO screen_text;
         INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
           VALUES (20270101000000, 'rename full text', 1, x'00', 1);",
    );
    let err = a.push(no_progress()).await.unwrap_err();
    assert_eq!(err.code(), "unsupported_schema", "{err}");
    let message = err.to_string();
    assert!(
        message.contains("frames.full_text") && message.contains("117 migrations, last 20270101000000"),
        "{message}"
    );
    assert!(err.hint().is_some());
    assert!(server.blob_ids("future@example.com").is_empty(), "the server holds no blob");
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM blobs"), 0);
    assert!(a.with_state(|s| s.pending()).unwrap().is_empty());

    // A good device pushes; the future one cannot pull into its database either, and its
    // database is left as it was (no imports table, no row).
    let b_dir = tempfile::tempdir().unwrap();
    tiny(b_dir.path(), Generation::Feb2026);
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "good");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    assert!(b.push(no_progress()).await.unwrap().uploaded_blobs > 0);
    let frames_before = one_i64(&a_db, "SELECT COUNT(*) FROM frames");
    let err = a.pull(None, None, no_progress()).await.unwrap_err();
    assert_eq!(err.code(), "unsupported_schema", "{err}");
    assert_eq!(one_i64(&a_db, "SELECT COUNT(*) FROM frames"), frames_before);
    assert_eq!(one_i64(&a_db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'screenpipe_sync_imports'"), 0);

    // A table gone (February shape without its accessibility table), and a database of
    // neither shape: refused, naming what is missing.
    sql(&b_dir.path().join("db.sqlite"), "DROP TABLE accessibility;");
    let err = b.push(no_progress()).await.unwrap_err();
    assert_eq!(err.code(), "unsupported_schema");
    assert!(err.to_string().contains("lacks accessibility"), "{err}");
    let c_dir = tempfile::tempdir().unwrap();
    sql(&c_dir.path().join("db.sqlite"), "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);");
    let c_cfg = device_config(c_dir.path(), &server.url, &token, "other");
    let (c, _) = SyncSession::init(&c_cfg, PASSWORD).await.unwrap();
    let err = c.push(no_progress()).await.unwrap_err();
    assert_eq!(err.code(), "unsupported_schema");
    assert!(err.to_string().contains("no migration table") && err.to_string().contains("frames"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_database_rules() {
    let server = TestServer::start().await;
    let token = server.add_user("live@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    tiny(a_dir.path(), Generation::V0_4_50);
    let a_db = a_dir.path().join("db.sqlite");
    // The first snapshot is gone (compaction deletes old JPEGs).
    let first = one_text(&a_db, "SELECT snapshot_path FROM frames WHERE id = 1").unwrap();
    std::fs::remove_file(&first).unwrap();
    // A frame whose OCR is still running (text NULL, just taken), an old one whose OCR never
    // came, and a meeting still running.
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let now = UnixMillis(now_ms).to_rfc3339().unwrap().replace('Z', "+00:00");
    let old = UnixMillis(now_ms - 600_000).to_rfc3339().unwrap().replace('Z', "+00:00");
    sql(
        &a_db,
        &format!(
            "INSERT INTO frames (timestamp, device_name, text_source) VALUES ('{old}', 'monitor_1', NULL);
             INSERT INTO frames (timestamp, device_name) VALUES ('{now}', 'monitor_1');
             INSERT INTO meetings (meeting_start, meeting_app, title) VALUES ('{now}', 'zoom.us', 'Still running');"
        ),
    );
    let pending_id = one_i64(&a_db, "SELECT MAX(id) FROM frames");
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "live");
    let (a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    let pushed = a.push(no_progress()).await.unwrap();
    assert_eq!(pushed.missing_media.len(), 1, "{pushed:?}");
    assert!(pushed.missing_media[0].starts_with("frames#1:"), "{pushed:?}");

    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture(b_dir.path());
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "viewer");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    b.pull(None, None, no_progress()).await.unwrap();
    let b_db = b_dir.path().join("db.sqlite");
    let a_id = a.device_id().to_string();
    let imported = |table: &str, row: i64| -> i64 {
        one_i64(
            &b_db,
            &format!(
                "SELECT COUNT(*) FROM screenpipe_sync_imports WHERE origin_device = '{a_id}' AND table_name = '{table}'
                 AND origin_row_id = {row}"
            ),
        )
    };
    // The frame whose snapshot is gone arrived without a snapshot, with its text.
    assert_eq!(imported("frames", 1), 1);
    let local = one_i64(
        &b_db,
        &format!(
            "SELECT local_row_id FROM screenpipe_sync_imports WHERE table_name = 'frames' AND origin_row_id = 1 AND origin_device = '{a_id}'"
        ),
    );
    assert_eq!(one_text(&b_db, &format!("SELECT snapshot_path FROM frames WHERE id = {local}")), None);
    assert!(one_text(&b_db, &format!("SELECT full_text FROM frames WHERE id = {local}")).is_some());
    // The old frame without text came as it is; the pending one and the running meeting wait.
    assert_eq!(imported("frames", pending_id - 1), 1);
    assert_eq!(imported("frames", pending_id), 0);
    assert_eq!(one_i64(&b_db, "SELECT COUNT(*) FROM meetings WHERE title = 'Still running'"), 0);

    // OCR ends, the meeting ends, a memory is edited: the next push takes them, the next pull
    // has them (the memory updated in place, found by its new word).
    sql(
        &a_db,
        &format!(
            "UPDATE frames SET full_text = 'late ocr pomegranatine', text_source = 'ocr' WHERE id = {pending_id};
             UPDATE meetings SET meeting_end = '{now}' WHERE title = 'Still running';
             UPDATE memories SET content = 'edited later with the word tamarindola',
                                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 2;"
        ),
    );
    let again = a.push(no_progress()).await.unwrap();
    assert!(again.text_bundles > 0, "{again:?}");
    let pulled = b.pull(None, None, no_progress()).await.unwrap();
    assert!(pulled.failures.is_empty(), "{:?}", pulled.failures);
    assert_eq!(pulled.rows_updated, 1, "{pulled:?}");
    assert_eq!(imported("frames", pending_id), 1);
    assert_eq!(
        one_i64(&b_db, "SELECT COUNT(*) FROM meetings WHERE title = 'Still running' AND meeting_end IS NOT NULL"),
        1
    );
    assert_eq!(one_i64(&b_db, "SELECT COUNT(*) FROM frames_fts WHERE frames_fts MATCH 'pomegranatine'"), 1);
    assert_eq!(one_i64(&b_db, "SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'tamarindola'"), 1);
    assert_eq!(one_i64(&b_db, "SELECT COUNT(*) FROM memories"), one_i64(&a_db, "SELECT COUNT(*) FROM memories"));
    // An older version of the memory does not overwrite the newer one.
    let twice = b.pull(None, None, no_progress()).await.unwrap();
    assert_eq!((twice.rows_inserted, twice.rows_updated), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elements_count_toward_the_pass_bound() {
    let server = TestServer::start().await;
    let token = server.add_user("bounded@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    tiny(a_dir.path(), Generation::V0_4_50);
    let a_db = a_dir.path().join("db.sqlite");
    let elements = one_i64(&a_db, "SELECT COUNT(*) FROM elements");
    let mut a_cfg = device_config(a_dir.path(), &server.url, &token, "bounded");
    a_cfg.max_rows_per_pass = 300;
    let (a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    let pushed = a.push(no_progress()).await.unwrap();
    // Each pass holds at most 300 elements (or one frame): many passes, many bundles.
    assert!(pushed.text_bundles as i64 >= elements / 300, "{pushed:?} for {elements} elements");
    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture(b_dir.path());
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "reader");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    b.pull(None, None, no_progress()).await.unwrap();
    let a_id = a.device_id().to_string();
    assert_eq!(dump(&a_db, &a_id, None), dump(&b_cfg.db_path, b.device_id().as_str(), Some(&a_id)));
}
