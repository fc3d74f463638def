//! Test harness: a real sync server on loopback (port 0, temporary data directory), accounts,
//! devices over fixture folders, and a canonical dump of a screenpipe database for comparing
//! two devices.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod views;
#[allow(unused_imports)]
pub use views::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use sync_client::config::SyncConfig;
use sync_client::{NoProgress, Progress};
pub use sync_fixture::Generation;
use sync_fixture::{FixtureOptions, FixtureSummary, write_fixture};
use sync_server::cli::UserCommand;
use sync_server::config::Config;
use sync_server::{RunningServer, start};

pub const PASSWORD: &str = "violet harbor engine 1987 plum";

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub server: RunningServer,
    pub url: String,
}

pub fn server_config(dir: &Path) -> Config {
    let mut config = Config::with_data_dir(dir);
    config.bind = "127.0.0.1:0".parse().unwrap();
    config
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server with adjusted settings (a short pairing mailbox life, ...).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = server_config(dir.path());
        adjust(&mut config);
        let server = start(config).await.unwrap();
        let url = format!("http://{}", server.addr);
        TestServer { dir, server, url }
    }

    /// A server whose signed URLs name `public_url` (a proxy in front of it).
    pub async fn start_behind(public_url: &str) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = server_config(dir.path());
        config.public_url = Some(public_url.to_owned());
        let server = start(config).await.unwrap();
        let url = format!("http://{}", server.addr);
        TestServer { dir, server, url }
    }

    /// `sync-server user add EMAIL --tier TIER`: the bearer token.
    pub async fn add_user(&self, email: &str, tier: &str) -> String {
        let mut out = Vec::new();
        sync_server::cli::user_command(
            &server_config(self.dir.path()),
            UserCommand::Add { email: email.into(), tier: tier.into() },
            &mut out,
        )
        .await
        .unwrap();
        String::from_utf8(out).unwrap().lines().last().unwrap().trim().to_owned()
    }

    pub fn sql(&self, sql: &str) {
        let conn = Connection::open(self.dir.path().join(sync_server::app::DATABASE_FILE)).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute_batch(sql).unwrap();
    }

    pub fn query_i64(&self, sql: &str) -> i64 {
        let conn = Connection::open(self.dir.path().join(sync_server::app::DATABASE_FILE)).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Completed blob ids (hex) of a user, by email.
    pub fn blob_ids(&self, email: &str) -> BTreeSet<String> {
        let conn = Connection::open(self.dir.path().join(sync_server::app::DATABASE_FILE)).unwrap();
        let mut stmt = conn
            .prepare("SELECT hex(b.blob_id) FROM blobs b JOIN users u ON u.id = b.user_id WHERE u.email = ?1 AND b.state = 1")
            .unwrap();
        let ids = stmt.query_map([email], |r| r.get::<_, String>(0)).unwrap();
        ids.map(|s| s.unwrap().to_lowercase()).collect()
    }

    /// The object file of a blob.
    pub fn object_path(&self, email: &str, blob_hex: &str) -> PathBuf {
        let user = self.query_i64(&format!("SELECT id FROM users WHERE email = '{email}'"));
        self.dir.path().join(sync_server::app::OBJECTS_DIR).join(user.to_string()).join(&blob_hex[..2]).join(blob_hex)
    }
}

/// A small fixture of the default generation (screenpipe 0.4.50): `hours` hours of one day,
/// two monitors, small media files.
pub fn small_fixture(dir: &Path, hours: u32, seed: u64) -> FixtureSummary {
    small_fixture_of(dir, hours, seed, Generation::default())
}

/// A small fixture of `generation`.
pub fn small_fixture_of(dir: &Path, hours: u32, seed: u64, generation: Generation) -> FixtureSummary {
    let options = FixtureOptions {
        generation,
        days: 1,
        hours_per_day: hours,
        monitors: 2,
        frame_interval_secs: 10,
        chunk_secs: 60,
        video_kib: 8,
        snapshot_kib: 4,
        audio_kib: 4,
        seed,
        ..FixtureOptions::default()
    };
    write_fixture(dir, &options, false).unwrap()
}

/// An empty database of the default generation (screenpipe 0.4.50).
pub fn empty_fixture(dir: &Path) {
    empty_fixture_of(dir, Generation::default());
}

/// An empty database of `generation`.
pub fn empty_fixture_of(dir: &Path, generation: Generation) {
    write_fixture(dir, &FixtureOptions { generation, days: 0, ..FixtureOptions::default() }, false).unwrap();
}

/// Runs the February 2026 generation's background FTS indexer once on `db` (as screenpipe
/// does every 30 s): what makes imported rows findable there.
pub fn run_feb_indexer(db: &Path) -> u64 {
    let mut conn = Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let tx = conn.transaction().unwrap();
    let n = sync_fixture::run_fts_indexer(&tx).unwrap();
    tx.commit().unwrap();
    n
}

pub fn device_config(dir: &Path, server: &str, token: &str, name: &str) -> SyncConfig {
    let mut config = SyncConfig::for_screenpipe_dir(dir);
    config.server = Some(server.to_owned());
    config.token = Some(token.to_owned());
    config.device_name = name.to_owned();
    config.media_settle = Duration::ZERO;
    config.client.max_retries = 1;
    config.client.backoff_base = Duration::from_millis(10);
    config
}

pub fn no_progress() -> Arc<dyn Progress> {
    Arc::new(NoProgress)
}

fn value_text(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => format!("i{i}"),
        ValueRef::Real(f) => format!("r{f}"),
        ValueRef::Text(t) => format!("t{}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("b{}", b.len()),
    }
}

/// The imports labels whose local rows are in `table` (see the client's `screenpipe/imports.rs`).
fn labels(table: &str) -> &'static [&'static str] {
    match table {
        "frames" => &["frames", "accessibility>frames"],
        "video_chunks" => &["video_chunks", "frames>video_chunks"],
        "ocr_text" => &["ocr_text", "frames>ocr_text"],
        "audio_chunks" => &["audio_chunks"],
        "audio_transcriptions" => &["audio_transcriptions"],
        "accessibility" => &["accessibility"],
        "ui_events" => &["ui_events"],
        "memories" => &["memories"],
        "meetings" => &["meetings"],
        _ => &[],
    }
}

fn has_table(conn: &Connection, table: &str) -> bool {
    conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap()
        > 0
}

/// The identity of a local row of `table`: (origin device, origin table, origin row id) from
/// the imports table, else (`own`, `table`, local id).
pub fn identity(conn: &Connection, own: &str, table: &str, id: i64) -> (String, String, i64) {
    if has_table(conn, "screenpipe_sync_imports") {
        let list = labels(table).iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ");
        if let Ok((origin, label, row)) = conn.query_row(
            &format!(
                "SELECT origin_device, table_name, origin_row_id FROM screenpipe_sync_imports
                 WHERE table_name IN ({list}) AND local_row_id = ?1"
            ),
            [id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)),
        ) {
            let origin_table = label.split('>').next().unwrap_or_default().to_owned();
            return (origin, origin_table, row);
        }
    }
    (own.to_owned(), table.to_owned(), id)
}

/// Columns screenpipe keeps for itself, not synced.
const NOT_SYNCED: &[&str] = &[
    "id",
    "sync_id",
    "machine_id",
    "synced_at",
    "cloud_blob_id",
    "evicted_at",
    "content_hash",
    "simhash",
    "elements_ref_frame_id",
    "semantic_run_id",
    "accessibility_redacted_at",
    "image_redacted_at",
    "full_text_redacted_at",
    "accessibility_tree_redacted_at",
    "window_name_redacted_at",
    "browser_url_redacted_at",
    "text_json_redacted_at",
    "redacted_at",
    "transcription_attempts",
    "last_transcription_attempt_at",
    "transcription_failure_reason",
    "sync_modified_by",
];

/// Every row of the synced tables, keyed by record identity, with its columns (ids mapped to
/// identities, file paths reduced to the media file's bytes hash, screenpipe's own columns left
/// out). `ocr_text` rows are keyed by their frame's identity, elements by their frame's and
/// their rank in it (their parent by its rank).
pub type Dump = BTreeMap<(String, String, i64), BTreeMap<String, String>>;

/// A media path column as the hash of its file's bytes.
fn file_text(path: Option<String>) -> String {
    match path {
        None => "NULL".into(),
        Some(p) if p.is_empty() => "no media".into(),
        Some(p) => match std::fs::read(&p) {
            Ok(bytes) => format!("file {} bytes {:x}", bytes.len(), fxhash(&bytes)),
            Err(_) => "file missing".into(),
        },
    }
}

pub fn dump(db: &Path, own: &str, only_origin: Option<&str>) -> Dump {
    let conn = Connection::open(db).unwrap();
    let mut out = Dump::new();
    let frame_id = |id: Option<i64>| match id {
        Some(f) => format!("{:?}", identity(&conn, own, "frames", f)),
        None => "NULL".into(),
    };
    // Elements: (frame id, rank) by element id.
    let mut element_rank: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    if has_table(&conn, "elements") {
        let mut stmt = conn.prepare("SELECT id, frame_id FROM elements ORDER BY frame_id, id").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).unwrap();
        let mut last = (i64::MIN, 0);
        for row in rows {
            let (id, frame) = row.unwrap();
            last = if last.0 == frame { (frame, last.1 + 1) } else { (frame, 0) };
            element_rank.insert(id, last);
        }
    }
    for table in [
        "video_chunks",
        "frames",
        "ocr_text",
        "elements",
        "audio_chunks",
        "audio_transcriptions",
        "accessibility",
        "ui_events",
        "memories",
        "meetings",
    ] {
        if !has_table(&conn, table) {
            continue;
        }
        let mut stmt = conn.prepare(&format!("SELECT rowid AS __id, * FROM {table}")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let id: i64 = row.get(0).unwrap();
            let (origin, _, origin_id) = match table {
                "ocr_text" => identity(&conn, own, "frames", row.get::<_, i64>("frame_id").unwrap()),
                "elements" => {
                    let (frame, rank) = element_rank[&id];
                    let (o, _, f) = identity(&conn, own, "frames", frame);
                    (o, String::new(), f * 1_000_000 + rank)
                }
                _ => identity(&conn, own, table, id),
            };
            if only_origin.is_some_and(|o| o != origin) {
                continue;
            }
            let mut cols = BTreeMap::new();
            for (i, name) in names.iter().enumerate().skip(1) {
                if NOT_SYNCED.contains(&name.as_str()) {
                    continue;
                }
                let text = match (table, name.as_str()) {
                    (_, "file_path" | "snapshot_path") => file_text(row.get(i).unwrap()),
                    ("frames", "name") => match row.get::<_, Option<String>>(i).unwrap() {
                        Some(p) if p.starts_with('/') => file_text(Some(p)),
                        other => format!("{other:?}"),
                    },
                    ("frames", "video_chunk_id") => match row.get::<_, Option<i64>>(i).unwrap() {
                        Some(c) => format!("{:?}", identity(&conn, own, "video_chunks", c)),
                        None => "NULL".into(),
                    },
                    ("ocr_text" | "ui_events" | "memories" | "elements", "frame_id") => {
                        frame_id(row.get::<_, Option<i64>>(i).unwrap())
                    }
                    ("elements", "parent_id") => match row.get::<_, Option<i64>>(i).unwrap() {
                        Some(p) => format!("rank {}", element_rank[&p].1),
                        None => "NULL".into(),
                    },
                    ("audio_transcriptions", "audio_chunk_id") => {
                        format!("{:?}", identity(&conn, own, "audio_chunks", row.get(i).unwrap()))
                    }
                    _ => value_text(row.get_ref(i).unwrap()),
                };
                cols.insert(name.clone(), text);
            }
            out.insert((origin, table.to_owned(), origin_id), cols);
        }
    }
    out
}

fn fxhash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Row counts per table (those the database has).
pub fn counts(db: &Path) -> BTreeMap<String, i64> {
    let conn = Connection::open(db).unwrap();
    let mut out = BTreeMap::new();
    for t in [
        "video_chunks",
        "frames",
        "ocr_text",
        "elements",
        "audio_chunks",
        "audio_transcriptions",
        "accessibility",
        "ui_events",
        "memories",
        "meetings",
    ] {
        if has_table(&conn, t) {
            out.insert(t.to_owned(), conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0)).unwrap());
        }
    }
    out
}

/// Copies a fixture folder (database and media).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
            let mtime = entry.metadata().unwrap().modified().unwrap();
            std::fs::File::options().write(true).open(&dest).unwrap().set_modified(mtime).unwrap();
        }
    }
}
