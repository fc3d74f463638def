//! What two devices of different screenpipe generations can agree on: a generation-neutral view
//! of a database (each record by identity, with the fields both schemas hold: a frame's time,
//! text, window, media bytes; a transcription; an accessibility row; a UI event), and the real
//! screenpipe binary's own `search` on a data folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::Connection;
use sync_core::records::parse_timestamp;

use super::{file_text, has_table, identity, value_text};

/// Records by identity, each as the fields every generation holds.
pub type View = BTreeMap<(String, String, i64), Vec<String>>;

fn ms(ts: Option<String>) -> String {
    ts.and_then(|t| parse_timestamp(&t).ok()).map_or("NULL".into(), |t| t.0.to_string())
}

/// The generation-neutral view of a screenpipe database (see the module doc).
pub fn neutral_view(db: &Path, own: &str, only_origin: Option<&str>) -> View {
    let conn = Connection::open(db).unwrap();
    let feb = has_table(&conn, "ocr_text");
    let mut out = View::new();
    let mut keep = |key: (String, String, i64), value: Vec<String>| {
        if only_origin.is_none_or(|o| o == key.0) {
            out.insert(key, value);
        }
    };
    let frames_sql = if feb {
        "SELECT f.id, f.timestamp, (SELECT group_concat(text, char(10)) FROM
            (SELECT text FROM ocr_text o WHERE o.frame_id = f.id ORDER BY o.rowid)),
          f.app_name, f.window_name, f.browser_url, f.focused, f.device_name, vc.file_path, f.offset_index
         FROM frames f LEFT JOIN video_chunks vc ON vc.id = f.video_chunk_id"
    } else {
        "SELECT f.id, f.timestamp, f.full_text, f.app_name, f.window_name, f.browser_url, f.focused, f.device_name,
                COALESCE(f.snapshot_path, vc.file_path), f.offset_index
         FROM frames f LEFT JOIN video_chunks vc ON vc.id = f.video_chunk_id"
    };
    let mut stmt = conn.prepare(frames_sql).unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let key = identity(&conn, own, "frames", r.get(0).unwrap());
        let t = |i: usize| value_text(r.get_ref(i).unwrap());
        let value = if key.1 == "accessibility" {
            // An accessibility row held as a 0.4 frame.
            vec![ms(r.get(1).unwrap()), t(2), t(3), t(4), t(5)]
        } else {
            vec![ms(r.get(1).unwrap()), t(2), t(3), t(4), t(5), t(6), t(7), file_text(r.get(8).unwrap()), t(9)]
        };
        keep(key, value);
    }
    if feb {
        let mut stmt = conn
            .prepare("SELECT id, timestamp, text_content, app_name, window_name, browser_url FROM accessibility")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let key = identity(&conn, own, "accessibility", r.get(0).unwrap());
            let t = |i: usize| value_text(r.get_ref(i).unwrap());
            keep(key, vec![ms(r.get(1).unwrap()), t(2), t(3), t(4), t(5)]);
        }
    }
    let mut stmt = conn
        .prepare(
            "SELECT t.id, t.timestamp, t.transcription, t.device, t.is_input_device, t.speaker_id, t.transcription_engine,
                    t.start_time, t.end_time, c.file_path
             FROM audio_transcriptions t JOIN audio_chunks c ON c.id = t.audio_chunk_id",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let key = identity(&conn, own, "audio_transcriptions", r.get(0).unwrap());
        let t = |i: usize| value_text(r.get_ref(i).unwrap());
        keep(key, vec![ms(r.get(1).unwrap()), t(2), t(3), t(4), t(5), t(6), t(7), t(8), file_text(r.get(9).unwrap())]);
    }
    let mut stmt = conn
        .prepare("SELECT id, timestamp, event_type, text_content, app_name, window_title, browser_url FROM ui_events")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let key = identity(&conn, own, "ui_events", r.get(0).unwrap());
        let t = |i: usize| value_text(r.get_ref(i).unwrap());
        keep(key, vec![ms(r.get(1).unwrap()), t(2), t(3), t(4), t(5), t(6)]);
    }
    out
}

/// The real screenpipe binary, when installed (`tests/screenpipe/install.sh`; `SCREENPIPE_BIN`
/// overrides). With `SCREENPIPE_REQUIRE_REAL=1` (what `scripts/test.sh` sets) a missing binary
/// fails the test instead of skipping its real-binary part.
pub fn real_screenpipe() -> Option<PathBuf> {
    let bin = std::env::var_os("SCREENPIPE_BIN").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("SCREENPIPE_CACHE").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/screenpipe-real")
        });
        cache.join("bin/screenpipe")
    });
    if bin.is_file() {
        return Some(bin);
    }
    assert!(
        std::env::var("SCREENPIPE_REQUIRE_REAL").ok().as_deref() != Some("1"),
        "the real screenpipe is required but not installed at {} (tests/screenpipe/install.sh)",
        bin.display()
    );
    eprintln!("real screenpipe not installed ({}): its search is not checked here", bin.display());
    None
}

/// `screenpipe search WORD --data-dir DIR --json --content-type TYPE`: the items (one JSON
/// object per line), with a private HOME.
pub fn screenpipe_search(bin: &Path, data_dir: &Path, word: &str, content_type: &str) -> Vec<serde_json::Value> {
    let home = data_dir.with_extension("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(bin)
        .args(["search", word, "--data-dir"])
        .arg(data_dir)
        .args(["--json", "--content-type", content_type, "--limit", "50"])
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(out.status.success(), "screenpipe search failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
