//! `archive` and `restore` killed at 20+ points (the binary exits as `kill -9` would at a fault
//! point — after the journal's intent, after the mark, after the deletion, after a restored
//! file is written, after it is renamed — at its 1st to 40th passage, and timed kills), each
//! followed by a check and a run to the end: no file deleted without its journal entry and its
//! mark, nothing lost, every file back byte for byte after the restore, no leftover.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../client/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rusqlite::Connection;
use tempfile::TempDir;

fn cli(dir: &Path, server: &str, token: &str, args: &[&str]) -> Command {
    let mut cmd = support::device_command(dir, server, token, args);
    cmd.env("SCREENPIPE_SYNC_PASSWORD", PASSWORD);
    cmd
}

fn ok(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every media file under the data folder (hidden temporaries excluded), with its bytes.
fn media_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.join("data")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !e.file_name().to_string_lossy().starts_with('.') {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Leftover temporaries of a restore (`.name.restore`) under the data folder.
fn leftovers(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.join("data")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if e.file_name().to_string_lossy().ends_with(".restore") {
                n += 1;
            }
        }
    }
    n
}

/// After any kill: every file is there with its bytes, or gone with its journal entry and (for
/// chunks, on 0.4.50) its `evicted_at` mark.
fn check_invariant(dir: &Path, original: &BTreeMap<PathBuf, Vec<u8>>, label: &str) -> usize {
    let state = Connection::open(dir.join("sync").join("state.sqlite3")).unwrap();
    let db = Connection::open(dir.join("db.sqlite")).unwrap();
    let mut gone = 0;
    for (path, bytes) in original {
        match std::fs::read(path) {
            Ok(now) => assert_eq!(&now, bytes, "{label}: {} changed", path.display()),
            Err(_) => {
                gone += 1;
                let (table, row): (String, i64) = state
                    .query_row(
                        "SELECT p.source_table, p.row_id FROM file_proofs p JOIN archive_journal j
                           ON j.source_table = p.source_table AND j.row_id = p.row_id WHERE p.path = ?1",
                        [path.to_string_lossy()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap_or_else(|e| panic!("{label}: {} deleted without a journal entry: {e}", path.display()));
                if table != "frames" {
                    let marked: bool = db
                        .query_row(&format!("SELECT evicted_at IS NOT NULL FROM {table} WHERE id = ?1"), [row], |r| {
                            r.get(0)
                        })
                        .unwrap();
                    assert!(marked, "{label}: {} deleted before its row was marked", path.display());
                }
            }
        }
    }
    gone
}

fn marked_rows(dir: &Path) -> i64 {
    let db = Connection::open(dir.join("db.sqlite")).unwrap();
    let q = |t: &str| {
        db.query_row(&format!("SELECT COUNT(*) FROM {t} WHERE evicted_at IS NOT NULL"), [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    q("video_chunks") + q("audio_chunks")
}

/// A server, an account, and an hour of 0.4.50 recordings (video, snapshot and audio sizes in
/// KiB) pushed through the CLI.
async fn pushed_fixture(
    email: &str,
    seed: u64,
    (video, snapshot, audio): (u32, u32, u32),
) -> (TestServer, String, TempDir) {
    let server = TestServer::start().await;
    let token = server.add_user(email, "pro").await;
    let dir = tempfile::tempdir().unwrap();
    let options = sync_fixture::FixtureOptions {
        generation: sync_fixture::Generation::V0_4_50,
        days: 1,
        hours_per_day: 1,
        monitors: 1,
        frame_interval_secs: 20,
        chunk_secs: 120,
        video_kib: video,
        snapshot_kib: snapshot,
        audio_kib: audio,
        seed,
        ..Default::default()
    };
    sync_fixture::write_fixture(dir.path(), &options, false).unwrap();
    ok(&cli(dir.path(), &server.url, &token, &["init", "--json"]).output().unwrap());
    ok(&cli(dir.path(), &server.url, &token, &["push", "--json"]).output().unwrap());
    (server, token, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_archive_and_restore() {
    let (server, token, dir) = pushed_fixture("killarchive@example.com", 18, (8, 4, 4)).await;
    let d = dir.path();
    let original = media_files(d);
    let total = original.len();
    assert!(total > 40, "{total} media files");

    let archive = ["archive", "--before", "2100-01-01", "--json"];
    let restore = ["restore", "--json"];
    let mut kills = 0;
    let faults = [
        ("archive:intent", &archive[..]),
        ("archive:marked", &archive[..]),
        ("archive:deleted", &archive[..]),
        ("restore:written", &restore[..]),
        ("restore:renamed", &restore[..]),
    ];
    for nth in [1, 2, 9, 40] {
        for (point, args) in faults {
            let label = format!("{point}@{nth}");
            if point.starts_with("restore") {
                // A restore fault starts from an offloaded disk.
                ok(&cli(d, &server.url, &token, &archive).output().unwrap());
                assert_eq!(check_invariant(d, &original, &label), total);
            }
            let out = cli(d, &server.url, &token, args).env("SCREENPIPE_SYNC_FAULT", &label).output().unwrap();
            assert_eq!(out.status.code(), Some(137), "{label}: {}", String::from_utf8_lossy(&out.stderr));
            kills += 1;
            check_invariant(d, &original, &label);
            if point.starts_with("archive") {
                // The next run finishes: every file offloaded, each marked, the journal done.
                let report = ok(&cli(d, &server.url, &token, &archive).output().unwrap());
                assert!(report["skipped"].as_array().unwrap().is_empty(), "{label}: {report}");
                assert_eq!(check_invariant(d, &original, &label), total, "{label}: not everything offloaded");
                assert!(report["resumed"].as_u64().unwrap() <= 1, "{label}: {report}");
                assert!(marked_rows(d) > 0);
            }
            let report = ok(&cli(d, &server.url, &token, &restore).output().unwrap());
            assert!(report["skipped"].as_array().unwrap().is_empty(), "{label}: {report}");
            assert_eq!(media_files(d), original, "{label}: every file back byte for byte");
            assert_eq!(leftovers(d), 0, "{label}: no temporary left");
            assert_eq!(marked_rows(d), 0, "{label}: every mark cleared");
        }
    }

    // Timed kills anywhere in an archive or a restore.
    let started = Instant::now();
    ok(&cli(d, &server.url, &token, &archive).output().unwrap());
    let archive_ms = started.elapsed().as_millis() as u64;
    ok(&cli(d, &server.url, &token, &restore).output().unwrap());
    for i in 0..4u64 {
        let args: &[&str] = if i % 2 == 0 { &archive } else { &restore };
        let mut child = cli(d, &server.url, &token, args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(archive_ms * (i + 1) / 5));
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        check_invariant(d, &original, &format!("timed kill {i}"));
        ok(&cli(d, &server.url, &token, args).output().unwrap());
        check_invariant(d, &original, &format!("after timed kill {i}"));
        ok(&cli(d, &server.url, &token, &restore).output().unwrap());
        assert_eq!(media_files(d), original, "timed kill {i}: every file back");
    }
    assert!(kills >= 20, "{kills} kills");
    let state = Connection::open(d.join("sync").join("state.sqlite3")).unwrap();
    let journal: i64 = state.query_row("SELECT COUNT(*) FROM archive_journal", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, 0, "the journal is empty once everything is restored");
}

/// Every row of `table`, by id, as the debug text of its values.
fn table_rows(dir: &Path, table: &str) -> BTreeMap<i64, Vec<String>> {
    let db = Connection::open(dir.join("db.sqlite")).unwrap();
    let mut stmt = db.prepare(&format!("SELECT * FROM {table} ORDER BY id")).unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let id = names.iter().position(|c| c == "id").unwrap();
    stmt.query_map([], |r| {
        let values: Vec<String> = (0..names.len())
            .map(|i| format!("{}={:?}", names[i], r.get::<_, rusqlite::types::Value>(i).unwrap()))
            .collect();
        Ok((r.get::<_, i64>(id)?, values))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The text rows `archive --drop-text` may drop (0.4.50): frames, elements, transcriptions.
type TextRows = [BTreeMap<i64, Vec<String>>; 3];

fn text_rows(dir: &Path) -> TextRows {
    [table_rows(dir, "frames"), table_rows(dir, "elements"), table_rows(dir, "audio_transcriptions")]
}

/// After any kill of a drop or a restore: every text row is there as it was, or dropped with
/// its journal entry (a frame keeps its row with its text cleared, a frame's elements go all
/// together); returns the rows dropped.
fn check_text_invariant(dir: &Path, original: &TextRows, label: &str) -> usize {
    let state = Connection::open(dir.join("sync").join("state.sqlite3")).unwrap();
    let journaled = |table: &str, id: i64| -> bool {
        state
            .query_row(
                "SELECT 1 FROM text_drops WHERE source_table = ?1 AND row_id = ?2",
                rusqlite::params![table, id],
                |_| Ok(()),
            )
            .is_ok()
    };
    let [frames, elements, transcriptions] = text_rows(dir);
    let mut dropped = 0;
    for (id, before) in &original[0] {
        let now = frames.get(id).unwrap_or_else(|| panic!("{label}: frame {id} deleted"));
        if now != before {
            let text = ["full_text=", "text_json=", "accessibility_text=", "accessibility_tree_json="];
            for (b, n) in before.iter().zip(now) {
                if text.iter().any(|t| n.starts_with(t)) {
                    assert!(n.ends_with("=Null"), "{label}: frame {id}: {n} is neither the original nor cleared");
                } else {
                    assert_eq!(b, n, "{label}: frame {id} changed beyond its text");
                }
            }
            assert!(journaled("frames", *id), "{label}: frame {id}'s text cleared without a journal entry");
            dropped += 1;
        }
    }
    let mut frames_without_elements = std::collections::BTreeSet::new();
    for (id, before) in &original[1] {
        match elements.get(id) {
            Some(now) => assert_eq!(now, before, "{label}: element {id} changed"),
            None => {
                let frame = before.iter().find_map(|v| v.strip_prefix("frame_id=Integer(")).unwrap();
                let frame: i64 = frame.trim_end_matches(')').parse().unwrap();
                assert!(journaled("frame_elements", frame), "{label}: element {id} dropped without a journal entry");
                frames_without_elements.insert(frame);
                dropped += 1;
            }
        }
    }
    for (id, before) in &original[1] {
        let frame = before.iter().find_map(|v| v.strip_prefix("frame_id=Integer(")).unwrap();
        let frame: i64 = frame.trim_end_matches(')').parse().unwrap();
        if frames_without_elements.contains(&frame) {
            assert!(!elements.contains_key(id), "{label}: frame {frame}'s elements only partly dropped");
        }
    }
    for (id, before) in &original[2] {
        match transcriptions.get(id) {
            Some(now) => assert_eq!(now, before, "{label}: transcription {id} changed"),
            None => {
                assert!(
                    journaled("audio_transcriptions", *id),
                    "{label}: transcription {id} dropped without a journal entry"
                );
                dropped += 1;
            }
        }
    }
    assert!(elements.keys().all(|id| original[1].contains_key(id)), "{label}: an element appeared");
    assert!(transcriptions.keys().all(|id| original[2].contains_key(id)), "{label}: a transcription appeared");
    let db = Connection::open(dir.join("db.sqlite")).unwrap();
    for fts in ["frames_fts", "elements_fts", "audio_transcriptions_fts"] {
        db.execute_batch(&format!("INSERT INTO {fts}({fts}) VALUES('integrity-check');"))
            .unwrap_or_else(|e| panic!("{label}: {fts} disagrees with its table: {e}"));
    }
    dropped
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_drop_text_and_its_restore() {
    let (server, token, dir) = pushed_fixture("killdroptext@example.com", 19, (4, 2, 2)).await;
    let d = dir.path();
    let original = text_rows(d);
    assert!(original.iter().all(|t| !t.is_empty()), "the fixture has frames, elements and transcriptions");

    let drop = ["archive", "--before", "2100-01-01", "--types", "audio", "--drop-text", "--json"];
    let restore = ["restore", "--json"];
    let dry =
        ok(&cli(d, &server.url, &token, &["archive", "--before", "2100-01-01", "--drop-text", "--dry-run", "--json"])
            .output()
            .unwrap());
    let bundles = dry["text"]["bundles_proven"].as_u64().unwrap();
    let droppable: u64 = dry["text"]["rows"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert!(bundles >= 4, "{dry}");
    assert_eq!(check_text_invariant(d, &original, "dry run"), 0, "a dry run drops nothing");

    let mut kills = 0;
    for nth in [1, 2, bundles / 2, bundles] {
        for point in ["drop_text:journaled", "drop_text:dropped", "restore_text:written"] {
            let label = format!("{point}@{nth}");
            let args: &[&str] = if point.starts_with("restore") {
                // A restore fault starts from a dropped database.
                ok(&cli(d, &server.url, &token, &drop).output().unwrap());
                &restore
            } else {
                &drop
            };
            let out = cli(d, &server.url, &token, args).env("SCREENPIPE_SYNC_FAULT", &label).output().unwrap();
            assert_eq!(out.status.code(), Some(137), "{label}: {}", String::from_utf8_lossy(&out.stderr));
            kills += 1;
            check_text_invariant(d, &original, &label);
            if point.starts_with("drop") {
                // The next run finishes: every droppable row dropped.
                let report = ok(&cli(d, &server.url, &token, &drop).output().unwrap());
                assert!(report["text"]["kept"].as_array().unwrap().is_empty(), "{label}: {report}");
                let dropped = check_text_invariant(d, &original, &label) as u64;
                assert!(dropped > 0 && dropped <= droppable, "{label}: {dropped} of {droppable}");
                let again = ok(&cli(d, &server.url, &token, &drop).output().unwrap());
                assert!(again["text"]["rows"].as_object().unwrap().is_empty(), "{label}: nothing left: {again}");
            }
            ok(&cli(d, &server.url, &token, &restore).output().unwrap());
            assert_eq!(text_rows(d), original, "{label}: every text row back as it was");
        }
    }
    assert!(kills >= 12, "{kills} kills");
    let state = Connection::open(d.join("sync").join("state.sqlite3")).unwrap();
    let journal: i64 = state.query_row("SELECT COUNT(*) FROM text_drops", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, 0, "the journal is empty once everything is restored");
}
