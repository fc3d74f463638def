//! The `screenpipe-sync` binary against a real server on loopback: `kill -9` at random points
//! of a push then resume (at least 20 runs: nothing missing, nothing duplicated, server and
//! state consistent), the same for a pull (rows and media bytes equal to the pushing device's),
//! quota exceeded and device limit as clear errors, a wrong password, a
//! missing media file reported and skipped, the fixture command, status and devices.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../client/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sync_client::session::SyncSession;
use sync_core::UnixMillis;
use sync_core::wire::{DownloadRequest, TimeRange};

fn cli(dir: &Path, server: &str, token: &str, args: &[&str]) -> Command {
    let mut cmd = support::device_command(dir, server, token, args);
    cmd.env("SCREENPIPE_SYNC_PASSWORD", PASSWORD);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A tiny xorshift for kill delays (deterministic per run index).
fn delay_for(run: u64, max_ms: u64) -> u64 {
    let mut x = run.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % max_ms.max(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_push_then_resume() {
    let options = sync_fixture::FixtureOptions {
        generation: sync_fixture::Generation::Feb2026,
        days: 1,
        hours_per_day: 1,
        monitors: 2,
        frame_interval_secs: 10,
        chunk_secs: 300,
        video_kib: 16,
        audio_kib: 4,
        seed: 11,
        ..Default::default()
    };
    let runs: u64 = std::env::var("KILL_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    kill_runs(&options, runs, 20).await;
}

/// The same on screenpipe 0.4.50: snapshots in media packs, elements, memories, meetings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_push_then_resume_v0_4() {
    let options = sync_fixture::FixtureOptions {
        generation: sync_fixture::Generation::V0_4_50,
        days: 1,
        hours_per_day: 1,
        monitors: 1,
        frame_interval_secs: 20,
        chunk_secs: 300,
        snapshot_kib: 8,
        audio_kib: 4,
        seed: 12,
        ..Default::default()
    };
    let runs: u64 = std::env::var("KILL_RUNS_V04").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    kill_runs(&options, runs, 6).await;
}

/// At least `runs` runs of one to three `kill -9` at random points of a push then a push that
/// runs to the end (more runs, up to 60, until `min_kills` kills landed inside a push), each
/// checked: server and state agree, nothing pending, every record in the cloud exactly once,
/// every media file in exactly one blob.
async fn kill_runs(options: &sync_fixture::FixtureOptions, runs: u64, min_kills: u64) {
    let server = TestServer::start().await;
    let template = tempfile::tempdir().unwrap();
    sync_fixture::write_fixture(template.path(), options, false).unwrap();
    let a_rows = dump(&template.path().join("db.sqlite"), "origin", None);

    // Calibrate: how long a whole push takes here.
    let calib_dir = tempfile::tempdir().unwrap();
    copy_dir(template.path(), calib_dir.path());
    let token = server.add_user("calibrate@example.com", "pro").await;
    assert!(run(cli(calib_dir.path(), &server.url, &token, &["init", "--json"]).arg("--quiet")).status.success());
    let started = Instant::now();
    let out = run(&mut cli(calib_dir.path(), &server.url, &token, &["push", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The push proper (unlock included) takes this long; kills land anywhere inside it.
    let mut full_ms = started.elapsed().as_millis() as u64;
    eprintln!("a whole push (with unlock) takes {full_ms} ms here");

    let mut killed_mid_push = 0;
    let mut i = 0;
    while i < runs || (killed_mid_push < min_kills && i < 60) {
        let run_started = Instant::now();
        let email = format!("kill{i}@example.com");
        let token = server.add_user(&email, "pro").await;
        let dir = tempfile::tempdir().unwrap();
        copy_dir(template.path(), dir.path());
        let init = run(&mut cli(dir.path(), &server.url, &token, &["init", "--json"]));
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));

        // One to three kills at random points, then a push that runs to the end.
        let kills = 1 + (i % 3);
        for k in 0..kills {
            let mut child = cli(dir.path(), &server.url, &token, &["push", "--json"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let delay = delay_for(i * 7 + k, full_ms);
            std::thread::sleep(Duration::from_millis(delay));
            let finished_before = child.try_wait().unwrap().is_some();
            child.kill().ok(); // SIGKILL
            child.wait().unwrap();
            if !finished_before {
                killed_mid_push += 1;
            }
        }
        let resume_started = Instant::now();
        let out = run(&mut cli(dir.path(), &server.url, &token, &["push", "--json"]));
        assert!(out.status.success(), "resume failed: {}", String::from_utf8_lossy(&out.stderr));
        // Kills of later runs aim inside a push as long as the ones seen here.
        full_ms = full_ms.max(resume_started.elapsed().as_millis() as u64);
        let again = json_of(&run(&mut cli(dir.path(), &server.url, &token, &["push", "--json"])));
        assert_eq!(again["uploaded_blobs"], 0, "a second resume has nothing left");

        // Server and state consistent: the same blobs, nothing pending, no staging left.
        let mut config = device_config(dir.path(), &server.url, &token, "verify");
        let session = SyncSession::unlock(&config, PASSWORD).await.unwrap();
        let state_ids: BTreeSet<String> =
            session.with_state(|s| s.synced_blobs()).unwrap().into_iter().map(|b| b.blob_id.to_hex()).collect();
        assert_eq!(state_ids, server.blob_ids(&email), "run {i}: server and state agree");
        assert!(session.with_state(|s| s.pending()).unwrap().is_empty());
        let staging = std::fs::read_dir(config.staging_dir()).map(|d| d.count()).unwrap_or(0);
        assert_eq!(staging, 0, "run {i}: no staged file left");
        assert_eq!(server.query_i64(&format!(
            "SELECT COUNT(*) FROM blobs b JOIN users u ON u.id = b.user_id WHERE u.email = '{email}' AND b.state != 1"
        )), 0, "run {i}: no pending blob on the server");

        // Nothing missing, nothing duplicated: every row is in the cloud, and every record that
        // is not a repeated parent appears in exactly one bundle; one media blob per file.
        let mut seen: BTreeMap<(String, i64), u32> = BTreeMap::new();
        let mut media: BTreeMap<sync_core::BlobType, BTreeSet<String>> = BTreeMap::new();
        let mut snapshot_blobs: BTreeSet<String> = BTreeSet::new();
        let mut cursor = None;
        loop {
            let page = session
                .client()
                .download(&DownloadRequest {
                    time_range: Some(TimeRange { start: UnixMillis(0), end: UnixMillis(4_102_444_800_000) }),
                    limit: Some(1000),
                    cursor: cursor.clone(),
                    ..Default::default()
                })
                .await
                .unwrap();
            for blob in &page.blobs {
                if blob.blob_type != sync_core::BlobType::Text {
                    media.entry(blob.blob_type).or_default().insert(blob.blob_id.to_hex());
                    continue;
                }
                let b = session.open_text_blob(blob, &sync_client::NoProgress).await.unwrap();
                let mut add = |t: &str, id: i64| *seen.entry((t.to_owned(), id)).or_default() += 1;
                b.video_chunks.iter().for_each(|r| add("video_chunks", r.row_id));
                b.frames.iter().for_each(|r| add("frames", r.row_id));
                // A February frame carries the text of its `ocr_text` row (one per frame there).
                if options.generation == sync_fixture::Generation::Feb2026 {
                    b.frames.iter().filter(|f| f.text.is_some()).for_each(|r| add("ocr_text", r.row_id));
                }
                b.audio_chunks.iter().for_each(|r| add("audio_chunks", r.row_id));
                b.audio_transcriptions.iter().for_each(|r| add("audio_transcriptions", r.row_id));
                b.accessibility.iter().for_each(|r| add("accessibility", r.row_id));
                b.ui_events.iter().for_each(|r| add("ui_events", r.row_id));
                b.memories.iter().for_each(|r| add("memories", r.row_id));
                b.meetings.iter().for_each(|r| add("meetings", r.row_id));
                // Elements travel with their frame: keyed as the dump keys them (frame, rank).
                let mut rank: BTreeMap<i64, i64> = BTreeMap::new();
                for e in &b.elements {
                    let r = rank.entry(e.frame_row_id).or_default();
                    add("elements", e.frame_row_id * 1_000_000 + *r);
                    *r += 1;
                }
                for f in &b.frames {
                    if let Some(s) = &f.snapshot {
                        snapshot_blobs.insert(s.blob_id.expect("every snapshot is in a pack").to_hex());
                    }
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let expected: BTreeSet<(String, i64)> = a_rows.keys().map(|(_, t, id)| (t.clone(), *id)).collect();
        let got: BTreeSet<(String, i64)> = seen.keys().cloned().collect();
        let missing: Vec<_> = expected.difference(&got).take(10).collect();
        let extra: Vec<_> = got.difference(&expected).take(10).collect();
        assert!(missing.is_empty() && extra.is_empty(), "run {i}: missing {missing:?}, extra {extra:?}");
        for ((table, id), n) in &seen {
            if !["frames", "video_chunks", "audio_chunks"].contains(&table.as_str()) {
                assert_eq!(*n, 1, "run {i}: {table}#{id} uploaded {n} times");
            }
        }
        let files = |t: &str| a_rows.keys().filter(|(_, table, _)| table == t).count();
        let blobs = |t: sync_core::BlobType| media.get(&t).map_or(0, |s| s.len());
        assert_eq!(blobs(sync_core::BlobType::Audio), files("audio_chunks"), "run {i}: one audio blob per file");
        if options.generation == sync_fixture::Generation::Feb2026 {
            assert_eq!(blobs(sync_core::BlobType::Frames), files("video_chunks"), "run {i}: one video blob per file");
        } else {
            // Every snapshot is in a pack on the server, and the server holds no other pack.
            let packs = media.get(&sync_core::BlobType::Frames).cloned().unwrap_or_default();
            assert_eq!(snapshot_blobs, packs, "run {i}: the packs the frames name, and no other");
            assert!(!packs.is_empty());
        }
        config.device_name = String::new();
        eprintln!("run {i}: {} kills, verified in {} ms", kills, run_started.elapsed().as_millis());
        i += 1;
    }
    assert!(
        killed_mid_push >= min_kills || runs < min_kills,
        "at least {min_kills} pushes killed mid-way ({killed_mid_push})"
    );
}

/// Files a pull writes only while it runs (temporary names of atomic writes), under `dir`.
fn temporary_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            out.extend(temporary_files(&path));
        } else if name.ends_with(".part") || name.ends_with(".sealed") {
            out.push(path.display().to_string());
        }
    }
    out
}

/// `kill -9` at random points of a pull (several blobs and media files in flight), then a pull
/// that runs to the end: the pulling device holds exactly the rows and media bytes of the
/// pushing one (nothing missing, nothing twice), and a further pull imports nothing. Both
/// generations (video chunks; snapshots in media packs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_pull_then_resume() {
    let runs: u64 = std::env::var("KILL_RUNS_PULL").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    for (generation, seed) in [(sync_fixture::Generation::Feb2026, 31), (sync_fixture::Generation::V0_4_50, 32)] {
        let server = TestServer::start().await;
        let token = server.add_user(&format!("pull{seed}@example.com"), "team").await;
        let a_dir = tempfile::tempdir().unwrap();
        small_fixture_of(a_dir.path(), 1, seed, generation);
        assert!(run(cli(a_dir.path(), &server.url, &token, &["init"]).arg("--quiet")).status.success());
        let out = run(&mut cli(a_dir.path(), &server.url, &token, &["push", "--json"]));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let a_id = json_of(&run(&mut cli(a_dir.path(), &server.url, &token, &["status", "--json"])))["device_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let a_dump = dump(&a_dir.path().join("db.sqlite"), &a_id, None);

        // B, initialised once (one device), copied fresh for every run.
        let template = tempfile::tempdir().unwrap();
        empty_fixture_of(template.path(), generation);
        assert!(run(cli(template.path(), &server.url, &token, &["init"]).arg("--quiet")).status.success());
        let b_id = json_of(&run(&mut cli(template.path(), &server.url, &token, &["status", "--json"])))["device_id"]
            .as_str()
            .unwrap()
            .to_owned();

        // Calibrate: a whole pull here.
        let calib = tempfile::tempdir().unwrap();
        copy_dir(template.path(), calib.path());
        let started = Instant::now();
        let out = run(&mut cli(calib.path(), &server.url, &token, &["pull", "--json"]));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let full_ms = started.elapsed().as_millis() as u64;
        assert_eq!(dump(&calib.path().join("db.sqlite"), &b_id, None), a_dump, "{generation:?}: a whole pull");

        let mut killed_mid_pull = 0;
        for i in 0..runs {
            let dir = tempfile::tempdir().unwrap();
            copy_dir(template.path(), dir.path());
            for k in 0..1 + (i % 3) {
                let mut child = cli(dir.path(), &server.url, &token, &["pull", "--json"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                std::thread::sleep(Duration::from_millis(delay_for(seed * 100 + i * 7 + k, full_ms)));
                if child.try_wait().unwrap().is_none() {
                    killed_mid_pull += 1;
                }
                child.kill().ok(); // SIGKILL
                child.wait().unwrap();
            }
            let out = run(&mut cli(dir.path(), &server.url, &token, &["pull", "--json"]));
            assert!(out.status.success(), "resume failed: {}", String::from_utf8_lossy(&out.stderr));
            assert!(
                json_of(&out)["failures"].as_array().unwrap().is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
            let b_dump = dump(&dir.path().join("db.sqlite"), &b_id, None);
            assert_eq!(b_dump.len(), a_dump.len(), "{generation:?} run {i}: as many rows");
            assert_eq!(b_dump, a_dump, "{generation:?} run {i}: every row and media byte equal");
            assert_eq!(temporary_files(&dir.path().join("data")), Vec::<String>::new(), "run {i}: no temporary file");
            let again = json_of(&run(&mut cli(dir.path(), &server.url, &token, &["pull", "--json"])));
            assert_eq!((again["imported_blobs"].as_u64(), again["media_written"].as_u64()), (Some(0), Some(0)));
        }
        assert!(killed_mid_pull >= runs / 2, "{generation:?}: most kills land inside a pull ({killed_mid_pull})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_errors_for_quota_device_limit_and_password() {
    let server = TestServer::start().await;
    let token = server.add_user("cy@example.com", "starter").await;
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    small_fixture(dirs[0].path(), 1, 5);
    for d in &dirs[1..] {
        empty_fixture(d.path());
    }

    // A wrong password at init of a new account is impossible (it creates it); create, then
    // try another device with a wrong one.
    let out = run(&mut cli(dirs[0].path(), &server.url, &token, &["init", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["created"], true);
    assert_eq!(v["recovery_phrase"].as_str().unwrap().split_whitespace().count(), 24);

    let out = run(cli(dirs[1].path(), &server.url, &token, &["init"])
        .env("SCREENPIPE_SYNC_PASSWORD", "wrong password entirely 99"));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong password"), "{err}");
    let out = run(cli(dirs[1].path(), &server.url, &token, &["push", "--json"])
        .env("SCREENPIPE_SYNC_PASSWORD", "nope nope nope 1"));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json_of(&out)["code"], "wrong_password");

    // Starter allows three devices: the fourth is refused with a clear message.
    assert!(run(&mut cli(dirs[1].path(), &server.url, &token, &["init"])).status.success());
    assert!(run(&mut cli(dirs[2].path(), &server.url, &token, &["init"])).status.success());
    let out = run(&mut cli(dirs[3].path(), &server.url, &token, &["init"]));
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DEVICE_LIMIT_EXCEEDED") && err.contains("devices remove"), "{err}");

    // `devices` lists three; removing one lets the fourth in.
    let v = json_of(&run(&mut cli(dirs[0].path(), &server.url, &token, &["devices", "--json"])));
    let devices = v["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 3);
    let victim = json_of(&run(&mut cli(dirs[2].path(), &server.url, &token, &["status", "--json"])))["device_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = run(&mut cli(dirs[0].path(), &server.url, &token, &["devices", "remove", &victim, "--json"]));
    assert_eq!(json_of(&out)["removed"], true);
    assert!(run(&mut cli(dirs[3].path(), &server.url, &token, &["init"])).status.success());

    // A nearly full account: the push stops with QUOTA_EXCEEDED and a hint; what was sealed
    // stays pending and goes once there is room.
    server.sql("UPDATE users SET storage_used = 20000000000 - 5000 WHERE email = 'cy@example.com'");
    let out = run(&mut cli(dirs[0].path(), &server.url, &token, &["push"]));
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("QUOTA_EXCEEDED") && err.contains("storage is full"), "{err}");
    let status = json_of(&run(&mut cli(dirs[0].path(), &server.url, &token, &["status", "--json"])));
    assert!(status["local"]["pending_uploads"].as_u64().unwrap() > 0);
    server.sql("UPDATE users SET storage_used = 0 WHERE email = 'cy@example.com'");
    let out = run(&mut cli(dirs[0].path(), &server.url, &token, &["push", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status = json_of(&run(&mut cli(dirs[0].path(), &server.url, &token, &["status", "--json"])));
    assert_eq!(status["local"]["pending_uploads"], 0);
    assert!(status["server"]["stats"]["total_blobs"].as_u64().unwrap() > 0);

    // Search through the CLI, in screenpipe's shape.
    let v =
        json_of(&run(&mut cli(dirs[1].path(), &server.url, &token, &["search", "budget", "--json", "--limit", "5"])));
    let data = v["data"].as_array().unwrap();
    assert!(!data.is_empty() && data.len() <= 5);
    assert!(data.iter().all(|i| i["type"] == "OCR" || i["type"] == "Audio"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_media_is_reported_and_skipped() {
    let server = TestServer::start().await;
    let token = server.add_user("di@example.com", "pro").await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut cli(
        dir.path(),
        &server.url,
        &token,
        &[
            "dev",
            "fixture",
            "--out",
            dir.path().to_str().unwrap(),
            "--generation",
            "2026-02",
            "--days",
            "1",
            "--hours-per-day",
            "1",
            "--video-kib",
            "4",
            "--audio-kib",
            "2",
            "--frame-interval",
            "20",
            "--json",
        ],
    ));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = json_of(&out);
    assert!(summary["frames"].as_u64().unwrap() > 0);
    // Remove the first video file (not the newest chunk: a later one exists).
    let conn = rusqlite::Connection::open(dir.path().join("db.sqlite")).unwrap();
    let first: String =
        conn.query_row("SELECT file_path FROM video_chunks ORDER BY id LIMIT 1", [], |r| r.get(0)).unwrap();
    std::fs::remove_file(&first).unwrap();
    assert!(run(&mut cli(dir.path(), &server.url, &token, &["init"])).status.success());
    let out = run(&mut cli(dir.path(), &server.url, &token, &["push", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    let missing = v["missing_media"].as_array().unwrap();
    assert_eq!(missing.len(), 1);
    assert!(missing[0].as_str().unwrap().contains("video_chunks#1"));
    assert_eq!(v["media_files"].as_u64().unwrap(), summary["media_files"].as_u64().unwrap() - 1);
    // The fixture command refuses to overwrite without --force.
    let out =
        run(&mut cli(dir.path(), &server.url, &token, &["dev", "fixture", "--out", dir.path().to_str().unwrap()]));
    assert!(!out.status.success());
}
