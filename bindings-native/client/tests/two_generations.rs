//! Two devices for each pair of screenpipe generations with 0.4.50 (0.4 → 0.4, February 2026 →
//! 0.4, 0.4 → February 2026; February → February is `two_devices.rs`), against a real server on
//! loopback: every record and every media byte arrives (row by row for the same generation,
//! field by field where the generations differ), pulling twice changes nothing, the target
//! pushes nothing back, and screenpipe's own search on the target finds a word seen only on
//! the source exactly once, with a `file_path` that exists (the real 0.4.50 binary when it is
//! installed; the February generation's indexer and search SQL otherwise).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;

use common::*;
use rusqlite::Connection;
use sync_client::search::{CloudQuery, SearchOptions};
use sync_client::session::SyncSession;

/// Words no fixture holds, put on one source record each before the push.
const SCREEN_WORD: &str = "xylophonique";
const AUDIO_WORD: &str = "quixotrombone";
const MEMORY_WORD: &str = "zebrafinchery";

fn sql(db: &Path, sql: &str) {
    let conn = Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn one_i64(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Puts the unique words on the source: the text of its 5th frame, its first transcription,
/// its first memory (0.4).
fn mark_source(db: &Path, generation: Generation) {
    match generation {
        Generation::V0_4_50 => sql(
            db,
            &format!(
                "UPDATE frames SET full_text = full_text || ' {SCREEN_WORD}' WHERE id = 5;
                 UPDATE memories SET content = content || ' {MEMORY_WORD}' WHERE id = 1;"
            ),
        ),
        Generation::Feb2026 => {
            sql(db, &format!("UPDATE ocr_text SET text = text || ' {SCREEN_WORD}' WHERE frame_id = 5;"));
        }
    }
    sql(db, &format!("UPDATE audio_transcriptions SET transcription = transcription || ' {AUDIO_WORD}' WHERE id = 1;"));
    if generation == Generation::Feb2026 {
        // The February generation indexes updates by trigger, new rows by its indexer.
        run_feb_indexer(db);
    }
}

/// Runs one pair: returns nothing, asserts everything.
async fn pair(source: Generation, target: Generation) {
    let server = TestServer::start().await;
    let token = server.add_user("pairs@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    let summary = small_fixture_of(a_dir.path(), 1, 21, source);
    mark_source(&a_dir.path().join("db.sqlite"), source);
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "source");
    let (a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    let pushed = a.push(no_progress()).await.unwrap();
    assert!(pushed.missing_media.is_empty() && pushed.skipped_rows.is_empty(), "{pushed:?}");
    assert_eq!(pushed.media_files, summary.media_files, "{pushed:?}");
    if source == Generation::V0_4_50 {
        // Snapshots travel many to a blob: one pack per 5-minute window and monitor run.
        assert!(pushed.snapshot_packs > 0 && pushed.snapshot_packs * 10 < summary.snapshots, "{pushed:?}");
        assert!(pushed.schema.starts_with("0.4 (116 migrations"), "{}", pushed.schema);
    }

    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture_of(b_dir.path(), target);
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "target");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    let pulled = b.pull(None, None, no_progress()).await.unwrap();
    assert!(pulled.failures.is_empty(), "{:?}", pulled.failures);
    assert_eq!(pulled.media_written, summary.media_files, "{pulled:?}");
    let a_id = a.device_id().to_string();
    let b_id = b.device_id().to_string();
    let (a_db, b_db) = (&a_cfg.db_path, &b_cfg.db_path);

    // Every record and media byte arrives.
    if source == target {
        let a_dump = dump(a_db, &a_id, None);
        let b_dump = dump(b_db, &b_id, Some(&a_id));
        assert_eq!(a_dump.len(), b_dump.len());
        for (key, row) in &a_dump {
            assert_eq!(b_dump.get(key), Some(row), "{key:?}");
        }
        assert!(b_dump.values().all(|c| c.values().all(|v| v != "file missing")));
    } else {
        let a_view = neutral_view(a_db, &a_id, None);
        let b_view = neutral_view(b_db, &b_id, Some(&a_id));
        assert_eq!(a_view.len(), b_view.len());
        for (key, row) in &a_view {
            assert_eq!(b_view.get(key), Some(row), "{key:?}");
        }
        assert!(b_view.values().flatten().all(|v| v != "file missing"));
    }
    if target == Generation::Feb2026 && source == Generation::V0_4_50 {
        // What February 2026 cannot hold is counted, not silently lost.
        let skipped = &pulled.not_representable;
        assert_eq!(skipped.get("elements").copied(), Some(summary.elements), "{pulled:?}");
        assert_eq!(skipped.get("memories").copied(), Some(summary.memories));
        assert_eq!(skipped.get("meetings").copied(), Some(summary.meetings));
    } else {
        assert!(pulled.not_representable.is_empty(), "{pulled:?}");
    }

    // Pulling twice changes nothing; the target pushes nothing of the source's.
    let before = counts(b_db);
    let twice = b.pull(None, None, no_progress()).await.unwrap();
    assert_eq!((twice.imported_blobs, twice.rows_inserted, twice.media_written), (0, 0, 0));
    assert_eq!(counts(b_db), before);
    let back = b.push(no_progress()).await.unwrap();
    assert_eq!((back.uploaded_blobs, back.rows, back.media_files), (0, 0, 0), "{back:?}");

    // The sync client's own local search on the target finds the source's word, once, as the
    // source's record.
    if target == Generation::Feb2026 {
        run_feb_indexer(b_db);
    }
    let local = CloudQuery::new(&b)
        .query_all(SCREEN_WORD, &SearchOptions { cloud: false, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(local.len(), 1, "{local:?}");
    assert_eq!((local[0].device_id.as_str(), local[0].table, local[0].origin_row_id), (a_id.as_str(), "frames", 5));

    // screenpipe's own search on the target.
    match target {
        Generation::V0_4_50 => screenpipe_finds(b_dir.path(), source),
        Generation::Feb2026 => feb_search_finds(b_dir.path()),
    }
}

/// The audio items whose transcription holds `word` (screenpipe's audio search returns every
/// transcription of a chunk that matched).
fn with_word(items: Vec<serde_json::Value>, word: &str) -> Vec<serde_json::Value> {
    items.into_iter().filter(|i| i["content"]["transcription"].as_str().is_some_and(|t| t.contains(word))).collect()
}

/// The real 0.4.50 binary's search on `dir` finds each unique word exactly once, with a file
/// that exists.
fn screenpipe_finds(dir: &Path, source: Generation) {
    let Some(bin) = real_screenpipe() else { return };
    let ocr = screenpipe_search(&bin, dir, SCREEN_WORD, "ocr");
    assert_eq!(ocr.len(), 1, "{ocr:?}");
    let path = ocr[0]["content"]["file_path"].as_str().unwrap();
    assert!(Path::new(path).is_file(), "{path} exists");
    let audio = with_word(screenpipe_search(&bin, dir, AUDIO_WORD, "audio"), AUDIO_WORD);
    assert_eq!(audio.len(), 1, "{audio:?}");
    assert!(Path::new(audio[0]["content"]["file_path"].as_str().unwrap()).is_file());
    if source == Generation::V0_4_50 {
        let memory = screenpipe_search(&bin, dir, MEMORY_WORD, "memory");
        assert_eq!(memory.len(), 1, "{memory:?}");
    }
}

/// The February generation's own search SQL (after its indexer) finds the unique words once,
/// with files that exist; the real 0.4.50 binary, on a copy it migrates, finds them too.
fn feb_search_finds(dir: &Path) {
    let db = dir.join("db.sqlite");
    let conn = Connection::open(&db).unwrap();
    let ocr: Vec<String> = conn
        .prepare(
            "SELECT vc.file_path FROM frames f JOIN video_chunks vc ON f.video_chunk_id = vc.id
             JOIN ocr_text ON ocr_text.frame_id = f.id
             WHERE f.id IN (SELECT frame_id FROM ocr_text_fts WHERE ocr_text_fts MATCH ?1)",
        )
        .unwrap()
        .query_map([SCREEN_WORD], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(ocr.len(), 1, "{ocr:?}");
    assert!(Path::new(&ocr[0]).is_file(), "{} exists", ocr[0]);
    let audio: Vec<String> = conn
        .prepare(
            "SELECT ac.file_path FROM audio_transcriptions t JOIN audio_chunks ac ON ac.id = t.audio_chunk_id
             WHERE t.audio_chunk_id IN (SELECT audio_chunk_id FROM audio_transcriptions_fts
                                        WHERE audio_transcriptions_fts MATCH ?1)
               AND t.transcription LIKE '%' || ?1 || '%'",
        )
        .unwrap()
        .query_map([AUDIO_WORD], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(audio.len(), 1, "{audio:?}");
    assert!(Path::new(&audio[0]).is_file());
    drop(conn);
    let Some(bin) = real_screenpipe() else { return };
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path());
    let ocr = screenpipe_search(&bin, copy.path(), SCREEN_WORD, "ocr");
    assert_eq!(ocr.len(), 1, "{ocr:?}");
    let audio = with_word(screenpipe_search(&bin, copy.path(), AUDIO_WORD, "audio"), AUDIO_WORD);
    assert_eq!(audio.len(), 1, "{audio:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v0_4_to_v0_4() {
    pair(Generation::V0_4_50, Generation::V0_4_50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feb2026_to_v0_4() {
    pair(Generation::Feb2026, Generation::V0_4_50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v0_4_to_feb2026() {
    pair(Generation::V0_4_50, Generation::Feb2026).await;
}

/// The real screenpipe 0.4.50 database committed in `tests/screenpipe/fixtures/v0.4.50`
/// (recorded by the binary under Xvfb) pushed and pulled into an empty 0.4.50 database: its
/// frames, text, elements and snapshots arrive, and screenpipe finds a word of it on the target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorded_database_syncs() {
    let recorded = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/screenpipe/fixtures/v0.4.50");
    let a_dir = tempfile::tempdir().unwrap();
    copy_dir(&recorded, a_dir.path());
    let a_db = a_dir.path().join("db.sqlite");
    let prefix = "/tmp/screenpipe-fixture-v0.4.50";
    let here = a_dir.path().display().to_string();
    sql(
        &a_db,
        &format!(
            "UPDATE frames SET snapshot_path = replace(snapshot_path, '{prefix}', '{here}'),
                               name = replace(name, '{prefix}', '{here}')"
        ),
    );
    let frames = one_i64(&a_db, "SELECT COUNT(*) FROM frames");
    assert!(frames >= 3);
    let server = TestServer::start().await;
    let token = server.add_user("recorded@example.com", "pro").await;
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "recorder");
    let (a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    let pushed = a.push(no_progress()).await.unwrap();
    assert!(pushed.missing_media.is_empty(), "{pushed:?}");
    assert_eq!(pushed.media_files as i64, frames);
    assert!(pushed.schema.starts_with("0.4 (116 migrations, last 20260828143000)"), "{}", pushed.schema);

    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture(b_dir.path());
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "laptop");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    let pulled = b.pull(None, None, no_progress()).await.unwrap();
    assert!(pulled.failures.is_empty(), "{:?}", pulled.failures);
    let a_dump = dump(&a_db, a.device_id().as_str(), None);
    let b_dump = dump(&b_cfg.db_path, b.device_id().as_str(), Some(a.device_id().as_str()));
    assert_eq!(a_dump, b_dump);
    assert!(b_dump.keys().any(|(_, t, _)| t == "elements"));
    // The elements went in as multi-row statements with ids chosen in the transaction: the FTS
    // index agrees with its table, and AUTOINCREMENT's counter covers every id given.
    for fts in ["elements_fts", "frames_fts"] {
        sql(&b_cfg.db_path, &format!("INSERT INTO {fts}({fts}) VALUES('integrity-check');"));
    }
    assert!(
        one_i64(&b_cfg.db_path, "SELECT seq FROM sqlite_sequence WHERE name = 'elements'")
            >= one_i64(&b_cfg.db_path, "SELECT MAX(id) FROM elements")
    );
    if let Some(bin) = real_screenpipe() {
        let hits = screenpipe_search(&bin, b_dir.path(), "zanzibar", "ocr");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(Path::new(hits[0]["content"]["file_path"].as_str().unwrap()).is_file());
    }
}
