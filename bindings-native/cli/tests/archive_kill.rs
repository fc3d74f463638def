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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_archive_and_restore() {
    let server = TestServer::start().await;
    let token = server.add_user("killarchive@example.com", "pro").await;
    let dir = tempfile::tempdir().unwrap();
    let options = sync_fixture::FixtureOptions {
        generation: sync_fixture::Generation::V0_4_50,
        days: 1,
        hours_per_day: 1,
        monitors: 1,
        frame_interval_secs: 20,
        chunk_secs: 120,
        video_kib: 8,
        snapshot_kib: 4,
        audio_kib: 4,
        seed: 18,
        ..Default::default()
    };
    sync_fixture::write_fixture(dir.path(), &options, false).unwrap();
    let d = dir.path();
    ok(&cli(d, &server.url, &token, &["init", "--json"]).output().unwrap());
    ok(&cli(d, &server.url, &token, &["push", "--json"]).output().unwrap());
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
