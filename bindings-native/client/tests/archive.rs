//! Archive, restore and verify (issue 18) against a real server on loopback, for both screenpipe
//! generations: push a fixture, archive with a cutoff covering part of it. Exactly the proven
//! older files are deleted (and marked `evicted_at` where the generation has it), the rest is
//! untouched; a blob not complete on the server, an object corrupted or deleted on the server, a
//! file modified after its push and a file without a proof (unless read back) keep their file;
//! the local and the cloud search still find the rows; `verify` reports the broken blobs;
//! `restore` brings every file back byte for byte, idempotently.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use rusqlite::Connection;
use sync_client::archive::{ArchiveOptions, MediaKind, RestoreOptions, VerifyOptions};
use sync_client::search::{CloudQuery, SearchOptions};
use sync_client::session::SyncSession;
use sync_client::state::FileProof;
use sync_core::UnixMillis;

const WORD: &str = "archipelagoish";
const TABLES: [&str; 3] = ["video_chunks", "audio_chunks", "frames"];

fn sql(db: &Path, sql: &str) {
    let conn = Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn one_i64(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn all_proofs(s: &SyncSession) -> Vec<FileProof> {
    s.with_state(|st| st.uploaded_proofs(&TABLES, UnixMillis(i64::MIN), UnixMillis(i64::MAX))).unwrap()
}

fn skipped_reason(report: &[sync_client::archive::Skipped], p: &FileProof) -> Option<&'static str> {
    report.iter().find(|s| s.table == p.source_table && s.row_id == p.row_id).map(|s| s.reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_restore_verify_v0_4_50() {
    run(Generation::V0_4_50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_restore_verify_feb_2026() {
    run(Generation::Feb2026).await;
}

async fn run(generation: Generation) {
    let server = TestServer::start().await;
    let email = "archive@example.com";
    let token = server.add_user(email, "pro").await;
    let dir = tempfile::tempdir().unwrap();
    let summary = small_fixture_of(dir.path(), 1, 31, generation);
    let db = dir.path().join("db.sqlite");
    match generation {
        Generation::V0_4_50 => sql(&db, &format!("UPDATE frames SET full_text = full_text || ' {WORD}' WHERE id = 5;")),
        Generation::Feb2026 => {
            sql(&db, &format!("UPDATE ocr_text SET text = text || ' {WORD}' WHERE frame_id = 5;"));
            run_feb_indexer(&db);
        }
    }
    let cfg = device_config(dir.path(), &server.url, &token, "archiver");
    let (a, _) = SyncSession::init(&cfg, PASSWORD).await.unwrap();
    let pushed = a.push(no_progress()).await.unwrap();
    assert_eq!(pushed.media_files, summary.media_files, "{pushed:?}");

    // Every media file pushed has a proof, with the bytes on disk.
    let proofs = all_proofs(&a);
    assert_eq!(proofs.len() as u64, summary.media_files);
    let before: BTreeMap<PathBuf, Vec<u8>> =
        proofs.iter().map(|p| (p.path.clone(), std::fs::read(&p.path).unwrap())).collect();
    let mut times: Vec<i64> = proofs.iter().map(|p| p.time.0).collect();
    times.sort_unstable();
    let cutoff = UnixMillis(times[times.len() / 2]);
    let old: Vec<&FileProof> = proofs.iter().filter(|p| p.time < cutoff).collect();
    let wholes: Vec<&FileProof> = old.iter().filter(|p| p.entry.is_none()).copied().collect();
    assert!(wholes.len() >= 5, "{}", wholes.len());

    // The broken cases: a blob not complete on the server, an object corrupted, an object gone,
    // a file modified after its push, a file without a proof (pushed by an older version).
    let (incomplete, corrupted, gone, modified, legacy) = (wholes[0], wholes[1], wholes[2], wholes[3], wholes[4]);
    server.sql(&format!("UPDATE blobs SET state = 0 WHERE lower(hex(blob_id)) = '{}'", incomplete.blob_id.to_hex()));
    let obj = server.object_path(email, &corrupted.blob_id.to_hex());
    let mut bytes = std::fs::read(&obj).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&obj, &bytes).unwrap();
    std::fs::remove_file(server.object_path(email, &gone.blob_id.to_hex())).unwrap();
    let mut changed = std::fs::read(&modified.path).unwrap();
    changed.extend_from_slice(b"edited after the push");
    std::fs::write(&modified.path, &changed).unwrap();
    let state_db = cfg.state_path();
    sql(
        &state_db,
        &format!(
            "DELETE FROM file_proofs WHERE source_table = '{}' AND row_id = {};
             DELETE FROM blob_checksums WHERE blob_id = '{}';",
            legacy.source_table,
            legacy.row_id,
            legacy.blob_id.to_hex()
        ),
    );
    assert_eq!(a.with_state(|s| s.blob_seal(&legacy.blob_id)).unwrap(), None);

    let all = vec![MediaKind::Screen, MediaKind::Audio];
    let opts = |dry_run, read_back| ArchiveOptions { before: cutoff, kinds: all.clone(), dry_run, read_back };

    // A dry run changes nothing and names the refusals it can see without reading blobs.
    let dry = a.archive(&opts(true, false), no_progress()).await.unwrap();
    assert!(before.keys().all(|p| p.exists()), "a dry run deleted a file");
    assert_eq!(skipped_reason(&dry.skipped, incomplete), Some("not_in_cloud"), "{dry:?}");
    assert_eq!(skipped_reason(&dry.skipped, modified), Some("changed_since_push"));
    assert_eq!(skipped_reason(&dry.skipped, legacy), Some("no_proof_recorded"));
    assert_eq!(dry.files, old.len() as u64 - 3, "{dry:?}");

    // The real run, reading each blob back.
    let report = a.archive(&opts(false, true), no_progress()).await.unwrap();
    assert_eq!(skipped_reason(&report.skipped, incomplete), Some("not_in_cloud"), "{report:?}");
    assert_eq!(skipped_reason(&report.skipped, corrupted), Some("read_back_failed"));
    assert_eq!(skipped_reason(&report.skipped, gone), Some("read_back_failed"));
    assert_eq!(skipped_reason(&report.skipped, modified), Some("changed_since_push"));
    assert_eq!(skipped_reason(&report.skipped, legacy), None, "read back, the legacy file is proven");
    let seal = a.with_state(|s| s.blob_seal(&legacy.blob_id)).unwrap().expect("its seal recorded once read back");
    let synced = a.with_state(|s| s.synced_blobs()).unwrap();
    assert_eq!(Some(seal.size_bytes), synced.iter().find(|b| b.blob_id == legacy.blob_id).map(|b| b.size_bytes));
    let kept = [incomplete, corrupted, gone, modified];
    let mut freed = 0;
    for p in &proofs {
        let expect_gone =
            p.time < cutoff && !kept.iter().any(|k| k.source_table == p.source_table && k.row_id == p.row_id);
        assert_eq!(!p.path.exists(), expect_gone, "{} {}#{}", p.path.display(), p.source_table, p.row_id);
        if expect_gone {
            freed += p.plain_size;
        } else if p.row_id != modified.row_id || p.source_table != modified.source_table {
            assert_eq!(std::fs::read(&p.path).unwrap(), before[&p.path], "an untouched file changed");
        }
    }
    assert_eq!(report.files, old.len() as u64 - 4, "{report:?}");
    assert_eq!(report.bytes_freed, freed);
    assert_eq!(report.read_back, report.files);
    assert_eq!(std::fs::read(&modified.path).unwrap(), changed, "the modified file is left as it is");
    assert_eq!(report.repushed, 1, "the modified file is sealed again for the next push");
    assert_eq!(dry.repushed, 0);

    // screenpipe's mark, where the generation has it; every row stays.
    let offloaded = |t: &str| old.iter().filter(|p| p.source_table == t && !p.path.exists()).count() as i64;
    match generation {
        Generation::V0_4_50 => {
            for t in ["video_chunks", "audio_chunks"] {
                let marked = one_i64(&db, &format!("SELECT COUNT(*) FROM {t} WHERE evicted_at IS NOT NULL"));
                assert_eq!(marked, offloaded(t), "{t}");
            }
            assert!(report.schema.contains("evicted_at): video_chunks, audio_chunks"), "{}", report.schema);
        }
        Generation::Feb2026 => assert!(report.schema.ends_with("evicted_at): none"), "{}", report.schema),
    }
    assert_eq!(one_i64(&db, "SELECT COUNT(*) FROM video_chunks"), summary.video_chunks as i64);
    assert_eq!(one_i64(&db, "SELECT COUNT(*) FROM audio_chunks"), summary.audio_chunks as i64);

    // The rows are still found locally, and their cloud copies by the sync search.
    let local =
        CloudQuery::new(&a).query_all(WORD, &SearchOptions { cloud: false, ..Default::default() }).await.unwrap();
    assert_eq!(local.len(), 1, "{local:?}");
    let cloud =
        CloudQuery::new(&a).query_all(WORD, &SearchOptions { local: false, ..Default::default() }).await.unwrap();
    assert_eq!(cloud.len(), 1, "{cloud:?}");
    assert_eq!((cloud[0].table, cloud[0].origin_row_id), ("frames", 5));

    // Again, without reading back: nothing more to do; the damage seen is remembered.
    let again = a.archive(&opts(false, false), no_progress()).await.unwrap();
    assert_eq!((again.files, again.already_offloaded), (0, report.files), "{again:?}");
    assert_eq!(skipped_reason(&again.skipped, corrupted), Some("cloud_copy_damaged"), "{again:?}");
    assert_eq!(skipped_reason(&again.skipped, gone), Some("cloud_copy_damaged"));
    assert!(corrupted.path.exists() && gone.path.exists());

    // verify: the listing finds the incomplete blob; reading finds the corrupted and the gone.
    let v = a.verify(&VerifyOptions::default(), no_progress()).await.unwrap();
    let problems = |r: &sync_client::archive::VerifyReport| {
        r.mismatches.iter().map(|m| (m.blob_id.clone(), m.problem)).collect::<BTreeMap<_, _>>()
    };
    assert_eq!(problems(&v), BTreeMap::from([(incomplete.blob_id.to_hex(), "missing")]), "{v:?}");
    assert_eq!(v.checked, v.checksums_compared + 1, "every blob but the missing one has its checksum compared");
    assert_eq!(v.checked, a.with_state(|s| s.synced_blobs()).unwrap().len() as u64);
    let vr = a.verify(&VerifyOptions { read_data: true, ..Default::default() }, no_progress()).await.unwrap();
    assert_eq!(
        problems(&vr),
        BTreeMap::from([
            (incomplete.blob_id.to_hex(), "missing"),
            (corrupted.blob_id.to_hex(), "unreadable"),
            (gone.blob_id.to_hex(), "unreadable"),
        ]),
        "{vr:?}"
    );
    assert_eq!(vr.read, vr.checked - 3);

    // screenpipe 0.4 clears the snapshot path of a frame whose file is missing: restore sets it
    // back to the restored file.
    let snapshot = old.iter().find(|p| p.source_table == "frames" && !p.path.exists()).copied();
    if generation == Generation::V0_4_50 {
        let s = snapshot.expect("an offloaded snapshot");
        sql(&db, &format!("UPDATE frames SET snapshot_path = NULL WHERE id = {}", s.row_id));
    }

    // restore brings every file back byte for byte and clears the mark; twice is a no-op.
    let ropts =
        RestoreOptions { since: UnixMillis(0), until: UnixMillis(i64::MAX), kinds: all.clone(), other_devices: false };
    let restored = a.restore(&ropts, no_progress()).await.unwrap();
    assert_eq!(restored.restored, report.files, "{restored:?}");
    assert_eq!(restored.bytes, freed);
    // The modified file's proof names its new blob, not uploaded yet: restore leaves it alone.
    assert_eq!(skipped_reason(&restored.skipped, modified), None);
    for (path, bytes) in &before {
        if *path != modified.path {
            assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
        }
    }
    if generation == Generation::V0_4_50 {
        for t in ["video_chunks", "audio_chunks"] {
            assert_eq!(one_i64(&db, &format!("SELECT COUNT(*) FROM {t} WHERE evicted_at IS NOT NULL")), 0);
        }
    }
    if let Some(s) = snapshot {
        let path: String = Connection::open(&db)
            .unwrap()
            .query_row("SELECT snapshot_path FROM frames WHERE id = ?1", [s.row_id], |r| r.get(0))
            .unwrap();
        assert_eq!(PathBuf::from(path), s.path, "the frame points at its restored snapshot again");
    }
    let twice = a.restore(&ropts, no_progress()).await.unwrap();
    assert_eq!(twice.restored, 0, "{twice:?}");
    assert_eq!(twice.already_present, summary.media_files - 1);
    assert!(a.with_state(|s| s.journal(None)).unwrap().is_empty());

    // The next push uploads the modified file's new blob; then it is proven with its new bytes,
    // offloaded, and restored with them.
    let repushed = a.push(no_progress()).await.unwrap();
    assert_eq!(repushed.uploaded_blobs, 1, "{repushed:?}");
    let third = a.archive(&opts(false, true), no_progress()).await.unwrap();
    assert_eq!(third.files, report.files + 1, "{third:?}");
    assert!(!modified.path.exists());
    assert_eq!(skipped_reason(&third.skipped, modified), None);
    let back = a.restore(&ropts, no_progress()).await.unwrap();
    assert_eq!(back.restored, third.files, "{back:?}");
    assert_eq!(std::fs::read(&modified.path).unwrap(), changed, "the new bytes come back");
}

/// A snapshot (a media pack's entry) changed after its push is kept and sealed again alone, as a
/// media pack of one entry; the next push uploads it, then it is offloaded, verified as a pack
/// and restored with its new bytes (0.4.50: the generation with snapshots).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_snapshot_is_sealed_again() {
    let server = TestServer::start().await;
    let token = server.add_user("snapshot@example.com", "pro").await;
    let dir = tempfile::tempdir().unwrap();
    small_fixture_of(dir.path(), 1, 31, Generation::V0_4_50);
    let cfg = device_config(dir.path(), &server.url, &token, "snapper");
    let (a, _) = SyncSession::init(&cfg, PASSWORD).await.unwrap();
    a.push(no_progress()).await.unwrap();
    let proofs = all_proofs(&a);
    let snap = proofs.iter().find(|p| p.entry.is_some()).expect("a snapshot in a media pack").clone();
    let old_blob = snap.blob_id;
    let mut changed = std::fs::read(&snap.path).unwrap();
    changed.extend_from_slice(b"edited after the push");
    std::fs::write(&snap.path, &changed).unwrap();

    let opts = ArchiveOptions {
        before: UnixMillis(snap.time.0 + 1),
        kinds: vec![MediaKind::Screen],
        dry_run: false,
        read_back: true,
    };
    let report = a.archive(&opts, no_progress()).await.unwrap();
    assert_eq!(skipped_reason(&report.skipped, &snap), Some("changed_since_push"), "{report:?}");
    assert_eq!(report.repushed, 1, "{report:?}");
    assert_eq!(std::fs::read(&snap.path).unwrap(), changed, "the changed snapshot is kept");
    let resealed = a.with_state(|s| s.file_proof("frames", snap.row_id)).unwrap().unwrap();
    assert_ne!(resealed.blob_id, old_blob, "its proof names a new blob");
    assert_eq!(resealed.entry, snap.entry, "under the same entry name");
    assert_eq!((resealed.plain_size, resealed.plain_sha256), (changed.len() as u64, sync_core_sha(&changed)));
    assert!(a.with_state(|s| s.is_pack(&resealed.blob_id)).unwrap(), "the new blob is a media pack");
    // Not uploaded yet: not offloaded by another run.
    let again = a.archive(&opts, no_progress()).await.unwrap();
    assert!(snap.path.exists(), "{again:?}");

    let pushed = a.push(no_progress()).await.unwrap();
    assert_eq!(pushed.uploaded_blobs, 1, "{pushed:?}");
    let third = a.archive(&opts, no_progress()).await.unwrap();
    assert_eq!(skipped_reason(&third.skipped, &snap), None, "{third:?}");
    assert!(!snap.path.exists(), "proven with its new bytes, offloaded");
    let v = a.verify(&VerifyOptions { read_data: true, ..Default::default() }, no_progress()).await.unwrap();
    assert!(v.mismatches.is_empty(), "{v:?}");
    assert_eq!(v.read, v.checked);

    let ropts = RestoreOptions {
        since: UnixMillis(0),
        until: UnixMillis(i64::MAX),
        kinds: vec![MediaKind::Screen],
        other_devices: false,
    };
    let back = a.restore(&ropts, no_progress()).await.unwrap();
    assert!(back.skipped.is_empty(), "{back:?}");
    assert_eq!(std::fs::read(&snap.path).unwrap(), changed, "the new bytes come back");
}

fn sync_core_sha(bytes: &[u8]) -> sync_core::wire::Checksum {
    use sha2::Digest;
    sync_core::wire::Checksum(sha2::Sha256::digest(bytes).into())
}

/// Restore on another device of the account: device A pushes, then frees its disk; device B, a
/// new device unlocked with the password, runs `restore` over all time and gets A's rows and
/// files at the paths `pull` writes, byte for byte (the same rows and media bytes as A had
/// before its archive); restoring again changes nothing. Device C restores only the later half:
/// part of A's rows, its media rows with A's bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_on_another_device() {
    let server = TestServer::start().await;
    let token = server.add_user("two@example.com", "pro").await;
    let a_dir = tempfile::tempdir().unwrap();
    let summary = small_fixture_of(a_dir.path(), 1, 32, Generation::V0_4_50);
    let a_cfg = device_config(a_dir.path(), &server.url, &token, "laptop");
    let (a, _) = SyncSession::init(&a_cfg, PASSWORD).await.unwrap();
    a.push(no_progress()).await.unwrap();
    let a_id = a.device_id().to_string();
    let a_dump = dump(&a_cfg.db_path, &a_id, None);
    let proofs = all_proofs(&a);
    let mut times: Vec<i64> = proofs.iter().map(|p| p.time.0).collect();
    times.sort_unstable();
    let cutoff = UnixMillis(times[times.len() / 2]);
    let all = vec![MediaKind::Screen, MediaKind::Audio];
    let archived = a
        .archive(
            &ArchiveOptions { before: UnixMillis(i64::MAX), kinds: all.clone(), dry_run: false, read_back: false },
            no_progress(),
        )
        .await
        .unwrap();
    assert_eq!(archived.files, summary.media_files, "A's disk freed: {archived:?}");

    let new_device = |dir: &Path, name: &str| {
        empty_fixture_of(dir, Generation::V0_4_50);
        device_config(dir, &server.url, &token, name)
    };
    let range = |since, until| RestoreOptions { since, until, kinds: all.clone(), other_devices: true };

    // Device C restores the later half: some of A's rows, not all, its media rows with A's bytes.
    let c_dir = tempfile::tempdir().unwrap();
    let c_cfg = new_device(c_dir.path(), "tablet");
    let (c, _) = SyncSession::init(&c_cfg, PASSWORD).await.unwrap();
    let later = c.restore(&range(cutoff, UnixMillis(i64::MAX)), no_progress()).await.unwrap();
    let pulled = later.other_devices.as_ref().expect("the other devices' part ran");
    assert!(later.complete() && pulled.imported_blobs > 0 && pulled.media_written > 0, "{later:?}");
    assert_eq!((later.restored, later.already_present), (0, 0), "C has no files of its own");
    let partial = dump(&c_cfg.db_path, c.device_id().as_str(), None);
    assert!(!partial.is_empty() && partial.len() < a_dump.len(), "{} of {}", partial.len(), a_dump.len());
    let media = partial.iter().filter(|(_, c)| c.contains_key("file_path") || c.contains_key("snapshot_path"));
    assert!(media.clone().count() > 0);
    for (key, row) in media {
        assert_eq!(a_dump.get(key), Some(row), "{key:?}: as on A, media bytes included");
    }
    // Then the earlier half: every row as on A, references across the two halves included (a
    // memory or UI event of the later half whose frame is in the earlier one gets it now).
    let earlier = c.restore(&range(UnixMillis(0), cutoff), no_progress()).await.unwrap();
    assert!(earlier.complete(), "{earlier:?}");
    assert_eq!(dump(&c_cfg.db_path, c.device_id().as_str(), None), a_dump, "C has all of A after both halves");

    // Device B restores everything: every row and media byte as A had them before its archive.
    let b_dir = tempfile::tempdir().unwrap();
    let b_cfg = new_device(b_dir.path(), "desktop");
    let (b, _) = SyncSession::init(&b_cfg, PASSWORD).await.unwrap();
    let b_id = b.device_id().to_string();
    let rest = b.restore(&range(UnixMillis(0), UnixMillis(i64::MAX)), no_progress()).await.unwrap();
    assert!(rest.complete(), "{rest:?}");
    let b_dump = dump(&b_cfg.db_path, &b_id, None);
    assert_eq!(b_dump, a_dump, "every row and media byte of A");
    assert!(b_dump.values().filter(|c| c.contains_key("file_path")).all(|c| c["file_path"] != "file missing"));
    for p in &proofs {
        assert!(!p.path.exists(), "A's files stay offloaded: {}", p.path.display());
    }

    // Again: nothing new.
    let again = b.restore(&range(UnixMillis(0), UnixMillis(i64::MAX)), no_progress()).await.unwrap();
    let twice = again.other_devices.unwrap();
    assert_eq!((twice.imported_blobs, twice.rows_inserted, twice.media_written), (0, 0, 0), "{twice:?}");
    assert_eq!(dump(&b_cfg.db_path, &b_id, None), b_dump);
}
