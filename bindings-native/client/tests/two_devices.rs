//! Two devices of the February 2026 generation against a real server on loopback: push from A,
//! pull into an empty database on B (every row and media byte equal), pulling twice changes
//! nothing, B pushes nothing of A's, search finds exactly the records it should (locally, in
//! the cloud, merged), a corrupted blob is rejected with nothing of it imported, rotation and
//! rollback. (The pairs of generations with 0.4.50: `two_generations.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::BTreeSet;

use common::*;
use sync_client::search::{CloudQuery, SearchOptions};
use sync_client::session::SyncSession;
use sync_core::UnixMillis;
use sync_core::records::parse_timestamp;
use sync_core::search::terms;

/// The records of A's database that hold every term of `query` (a frame's screen text,
/// accessibility text, window name or URL; a transcription), as `(table, row id)`: the fields
/// the records model searches, whatever the generation.
pub(crate) fn expected_hits(
    db: &std::path::Path,
    query: &str,
    start: UnixMillis,
    end: UnixMillis,
) -> BTreeSet<(String, i64)> {
    let wanted = terms(query);
    let conn = rusqlite::Connection::open(db).unwrap();
    let feb: bool = conn
        .query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ocr_text'", [], |r| r.get::<_, i64>(0))
        .unwrap()
        > 0;
    let sql = if feb {
        "SELECT f.id, COALESCE((SELECT group_concat(text, char(10)) FROM
            (SELECT text FROM ocr_text o WHERE o.frame_id = f.id ORDER BY o.rowid)), ''), '',
            COALESCE(f.window_name, ''), COALESCE(f.browser_url, ''), f.timestamp FROM frames f"
    } else {
        "SELECT id, COALESCE(full_text, ''), COALESCE(accessibility_text, ''), COALESCE(window_name, ''),
            COALESCE(browser_url, ''), timestamp FROM frames"
    };
    let mut out = BTreeSet::new();
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                [r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?],
                r.get::<_, String>(5)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (id, fields, ts) = row.unwrap();
        let t = parse_timestamp(&ts).unwrap();
        let have: BTreeSet<String> = fields.iter().flat_map(|f| terms(f)).collect();
        if t >= start && t <= end && wanted.iter().all(|w| have.contains(w)) {
            out.insert(("frames".into(), id));
        }
    }
    let mut stmt = conn.prepare("SELECT id, transcription, timestamp FROM audio_transcriptions").unwrap();
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))).unwrap();
    for row in rows {
        let (id, text, ts) = row.unwrap();
        let t = parse_timestamp(&ts).unwrap();
        let have: BTreeSet<String> = terms(&text).into_iter().collect();
        if t >= start && t <= end && wanted.iter().all(|w| have.contains(w)) {
            out.insert(("audio_transcriptions".into(), id));
        }
    }
    out
}

fn hit_set(items: &[sync_client::SearchItem], device: &str) -> BTreeSet<(String, i64)> {
    items.iter().inspect(|i| assert_eq!(i.device_id, device)).map(|i| (i.table.to_owned(), i.origin_row_id)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_search_and_corruption() {
    let server = TestServer::start().await;
    let token = server.add_user("ann@example.com", "pro").await;

    // Device A: an hour of recording, February 2026 generation.
    let a_dir = tempfile::tempdir().unwrap();
    let summary = small_fixture_of(a_dir.path(), 1, 7, Generation::Feb2026);
    assert!(summary.frames > 0 && summary.audio_transcriptions > 0);
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "laptop");
    let (a, outcome) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    assert!(matches!(outcome, sync_client::InitOutcome::Created { .. }));
    let report = a.push(no_progress()).await.unwrap();
    assert_eq!(report.media_files, summary.media_files);
    assert!(report.text_bundles > 0);
    assert!(report.missing_media.is_empty() && report.skipped_rows.is_empty(), "{report:?}");
    let pushed = server.blob_ids("ann@example.com");
    assert_eq!(pushed.len() as u64, report.uploaded_blobs);
    let state_ids: BTreeSet<String> =
        a.with_state(|s| s.synced_blobs()).unwrap().into_iter().map(|b| b.blob_id.to_hex()).collect();
    assert_eq!(state_ids, pushed, "server and state agree");

    // Pushing again uploads nothing.
    let again = a.push(no_progress()).await.unwrap();
    assert_eq!((again.uploaded_blobs, again.text_bundles, again.media_files), (0, 0, 0));

    // Device B: an empty screenpipe database.
    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture_of(b_dir.path(), Generation::Feb2026);
    let b_cfg = device_config(b_dir.path(), &server.url, &token, "desktop");
    let (b, outcome) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    assert!(matches!(outcome, sync_client::InitOutcome::Unlocked));
    let pulled = b.pull(None, None, no_progress()).await.unwrap();
    assert!(pulled.failures.is_empty(), "{:?}", pulled.failures);
    assert_eq!(pulled.media_written, summary.media_files);
    let a_id = a.device_id().to_string();
    let a_dump = dump(&a_cfg.db_path, &a_id, None);
    let b_dump = dump(&b_cfg.db_path, b.device_id().as_str(), None);
    assert_eq!(a_dump.len(), b_dump.len());
    assert_eq!(a_dump, b_dump, "every row and media byte equal");
    assert!(b_dump.values().filter(|c| c.contains_key("file_path")).all(|c| c["file_path"] != "file missing"));

    // Pulling twice changes nothing.
    let counts_before = counts(&b_cfg.db_path);
    let twice = b.pull(None, None, no_progress()).await.unwrap();
    assert_eq!((twice.imported_blobs, twice.rows_inserted, twice.media_written), (0, 0, 0));
    assert_eq!(counts(&b_cfg.db_path), counts_before);
    assert_eq!(dump(&b_cfg.db_path, b.device_id().as_str(), None), b_dump);

    // Importing a bundle again directly (as after a crash between import and state) adds nothing.
    {
        let listed = b
            .client()
            .download(&sync_core::wire::DownloadRequest {
                time_range: Some(sync_core::wire::TimeRange {
                    start: UnixMillis(0),
                    end: UnixMillis(4_102_444_800_000),
                }),
                blob_types: Some(vec![sync_core::BlobType::Text]),
                limit: Some(1),
                ..Default::default()
            })
            .await
            .unwrap();
        let blob = &listed.blobs[0];
        let bundle = b.open_text_blob(blob, &sync_client::NoProgress).await.unwrap();
        let mut unpacker = sync_client::unpack::Unpacker::open(&b_cfg.db_path, &b_cfg.data_dir).unwrap();
        let counts2 = unpacker.import(&bundle, &blob.blob_id).unwrap();
        assert_eq!(counts2.total_inserted(), 0);
        assert_eq!(counts2.existing as usize, bundle.record_count());
    }

    // B pushes none of A's rows back.
    let b_push = b.push(no_progress()).await.unwrap();
    assert_eq!((b_push.uploaded_blobs, b_push.rows, b_push.media_files), (0, 0, 0), "{b_push:?}");

    // screenpipe's own FTS finds the imported rows, once its background indexer ran (as it
    // does every 30 s on that generation).
    assert!(run_feb_indexer(&b_cfg.db_path) > 0);
    {
        let conn = rusqlite::Connection::open(&b_cfg.db_path).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM ocr_text_fts WHERE ocr_text_fts MATCH '\"budget\"'", [], |r| r.get(0))
            .unwrap();
        let m: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM audio_transcriptions_fts WHERE audio_transcriptions_fts MATCH '\"latency\"'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(n > 0 && m > 0, "FTS finds imported rows ({n}, {m})");
    }

    // Search: A locally, B locally (imported rows), C (a third device with nothing local) in
    // the cloud, and merged; each finds exactly the records that hold every term.
    let c_dir = tempfile::tempdir().unwrap();
    empty_fixture_of(c_dir.path(), Generation::Feb2026);
    let c_cfg = device_config(c_dir.path(), &server.url, &token, "phone");
    let (c, _) = SyncSession::init(&c_cfg, PASSWORD).await.unwrap();
    let all = SearchOptions { limit: 100_000, max_cloud_blobs: 10_000, ..SearchOptions::default() };
    for query in ["budget", "latency numbers", "Zürich roadmap", "café", "nonexistentword"] {
        let expected = expected_hits(&a_cfg.db_path, query, UnixMillis(0), UnixMillis(4_102_444_800_000));
        let local_a =
            CloudQuery::new(&a).query_all(query, &SearchOptions { cloud: false, ..all.clone() }).await.unwrap();
        assert_eq!(hit_set(&local_a, &a_id), expected, "local search on A for {query:?}");
        let local_b =
            CloudQuery::new(&b).query_all(query, &SearchOptions { cloud: false, ..all.clone() }).await.unwrap();
        assert_eq!(hit_set(&local_b, &a_id), expected, "local search on B for {query:?}");
        let cloud_c =
            CloudQuery::new(&c).query_all(query, &SearchOptions { local: false, ..all.clone() }).await.unwrap();
        assert_eq!(hit_set(&cloud_c, &a_id), expected, "cloud search for {query:?}");
        let merged_b = CloudQuery::new(&b).query_all(query, &all).await.unwrap();
        assert_eq!(merged_b.len(), expected.len(), "merged results are deduplicated for {query:?}");
        assert!(merged_b.windows(2).all(|w| w[0].time >= w[1].time), "newest first");
        if !expected.is_empty() {
            let v = serde_json::to_value(&merged_b[0]).unwrap();
            assert!(matches!(v["type"].as_str(), Some("OCR" | "Audio")));
            assert!(v["content"]["timestamp"].as_str().is_some());
        }
    }
    // A time range narrows the cloud search too.
    let range_start = parse_timestamp(&summary.time_range.as_ref().unwrap().0).unwrap();
    let range_end = UnixMillis(range_start.0 + 30 * 60_000);
    let expected = expected_hits(&a_cfg.db_path, "budget", range_start, range_end);
    let ranged = CloudQuery::new(&c)
        .query_all(
            "budget",
            &SearchOptions { start: Some(range_start), end: Some(range_end), local: false, ..all.clone() },
        )
        .await
        .unwrap();
    assert_eq!(hit_set(&ranged, &a_id), expected);
    assert!(CloudQuery::new(&c).needs_cloud_data(range_start, range_end).unwrap());
    assert!(!CloudQuery::new(&a).needs_cloud_data(UnixMillis(range_end.0 + 1), range_end).unwrap());
    let fetched = CloudQuery::new(&c).fetch_cloud_data(range_start, range_end, "budget").await.unwrap();
    assert_eq!(hit_set(&fetched, &a_id), expected);

    // Corruption on the server: one text blob with its object altered (checksum mismatch),
    // one altered with the checksum updated to match (the cipher rejects it).
    let d_dir = tempfile::tempdir().unwrap();
    empty_fixture_of(d_dir.path(), Generation::Feb2026);
    let d_cfg = device_config(d_dir.path(), &server.url, &token, "tablet");
    let (d, _) = SyncSession::init(&d_cfg, PASSWORD).await.unwrap();
    let text_blobs: Vec<_> = a
        .with_state(|s| s.synced_blobs())
        .unwrap()
        .into_iter()
        .filter(|b| b.blob_type == sync_core::BlobType::Text)
        .collect();
    let victims = [&text_blobs[0], &text_blobs[text_blobs.len() / 2]];
    for (i, victim) in victims.iter().enumerate() {
        let hex = victim.blob_id.to_hex();
        let path = server.object_path("ann@example.com", &hex);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        if i == 1 {
            use sha2::Digest;
            let sum = hex_upper(&sha2::Sha256::digest(&bytes));
            server.sql(&format!("UPDATE blobs SET checksum = X'{sum}' WHERE hex(blob_id) = '{}'", hex.to_uppercase()));
        }
    }
    let report = d.pull(None, None, no_progress()).await.unwrap();
    let failed: BTreeSet<String> = report.failures.iter().map(|f| f.blob_id.clone()).collect();
    assert_eq!(failed, victims.iter().map(|v| v.blob_id.to_hex()).collect::<BTreeSet<_>>());
    let codes: BTreeSet<String> = report.failures.iter().map(|f| f.code.clone()).collect();
    assert_eq!(codes, ["checksum_mismatch".to_owned(), "tampered".to_owned()].into_iter().collect());
    let conn = rusqlite::Connection::open(&d_cfg.db_path).unwrap();
    for v in victims {
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM screenpipe_sync_imports WHERE blob_id = ?1", [v.blob_id.to_hex()], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 0, "no row of a rejected blob is imported");
    }
    let d_status = d.with_state(|s| s.summary()).unwrap();
    assert_eq!(d_status.failed_pulls, 2);
    // The other blobs' rows are there; the rejected ones stay out until repaired.
    assert!(counts(&d_cfg.db_path)["frames"] > 0);
    assert!(counts(&d_cfg.db_path)["ocr_text"] < counts(&a_cfg.db_path)["ocr_text"]);
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_rollback_recovery_and_tokens_off() {
    let server = TestServer::start().await;
    let token = server.add_user("bo@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    small_fixture(a_dir.path(), 1, 3);
    let mut a_cfg = device_config(a_dir.path(), &server.url, &token, "laptop");
    a_cfg.search_tokens = false;
    let (mut a, created) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    let sync_client::InitOutcome::Created { recovery_phrase } = created else { panic!("new account") };
    a.push(no_progress()).await.unwrap();
    // Token setting off: the server holds no token for this account.
    assert_eq!(server.query_i64("SELECT COUNT(*) FROM postings"), 0, "posting lists");
    assert_eq!(server.query_i64("SELECT SUM(index_tokens) FROM users"), 0, "tokens counted against quota");
    assert!(server.query_i64("SELECT COUNT(*) FROM blobs WHERE state = 1") > 0, "the push uploaded blobs");
    let old_envelope: String = {
        let conn = rusqlite::Connection::open(server.dir.path().join(sync_server::app::DATABASE_FILE)).unwrap();
        conn.query_row("SELECT envelope FROM account_keys", [], |r| r.get(0)).unwrap()
    };

    // Wrong password.
    let err = SyncSession::unlock(&a_cfg, "not the password at all 42").await.unwrap_err();
    assert_eq!(err.code(), "wrong_password");

    // Rotation: new key version; data pushed before stays readable.
    let new_phrase = a.rotate_key(PASSWORD).await.unwrap();
    assert_eq!(a.keys().current_version(), 2);
    assert_ne!(new_phrase.expose(), recovery_phrase.expose());
    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture(b_dir.path());
    let mut b_cfg = device_config(b_dir.path(), &server.url, &token, "desktop");
    b_cfg.search_tokens = false;
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    assert_eq!(b.keys().current_version(), 2);
    let pulled = b.pull(None, None, no_progress()).await.unwrap();
    assert!(pulled.failures.is_empty() && pulled.imported_blobs > 0);
    // Without tokens the cloud search lists blobs by time and filters after decryption.
    let expected = CloudQuery::new(&b)
        .query_all("budget", &SearchOptions { cloud: false, limit: 10_000, ..Default::default() })
        .await
        .unwrap();
    let cloud = CloudQuery::new(&b)
        .query_all(
            "budget",
            &SearchOptions { local: false, limit: 10_000, max_cloud_blobs: 10_000, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(expected.len(), cloud.len());
    assert!(!cloud.is_empty());

    // Recovery with the new phrase sets a new password.
    let new_password = "another fine password 2026 kiwi";
    SyncSession::recover(&b_cfg, new_phrase.expose(), new_password).await.unwrap();
    SyncSession::unlock(&b_cfg, new_password).await.unwrap();
    assert_eq!(SyncSession::unlock(&b_cfg, PASSWORD).await.unwrap_err().code(), "wrong_password");

    // A server serving the old envelope again is refused (rollback), before any KDF.
    let escaped = old_envelope.replace('\'', "''");
    server.sql(&format!("UPDATE account_keys SET envelope = '{escaped}'"));
    let err = SyncSession::unlock(&a_cfg, PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), "rollback");
    // The old recovery phrase no longer opens the (new) recovery envelope; the new one does.
    let err = SyncSession::recover(&b_cfg, recovery_phrase.expose(), new_password).await.unwrap_err();
    assert!(matches!(err.code().as_str(), "wrong_password" | "rollback"), "{err}");
}
