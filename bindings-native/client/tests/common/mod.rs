//! Test harness: a real sync server on loopback (port 0, temporary data directory), accounts,
//! devices over fixture folders, and a canonical dump of a screenpipe database for comparing
//! two devices.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use sync_client::config::SyncConfig;
use sync_client::{NoProgress, Progress};
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
        let dir = tempfile::tempdir().unwrap();
        let server = start(server_config(dir.path())).await.unwrap();
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

/// A small fixture: `hours` hours of one day, two monitors, small media files.
pub fn small_fixture(dir: &Path, hours: u32, seed: u64) -> FixtureSummary {
    let options = FixtureOptions {
        days: 1,
        hours_per_day: hours,
        monitors: 2,
        frame_interval_secs: 10,
        chunk_secs: 60,
        video_kib: 8,
        audio_kib: 4,
        seed,
        ..FixtureOptions::default()
    };
    write_fixture(dir, &options, false).unwrap()
}

pub fn empty_fixture(dir: &Path) {
    write_fixture(dir, &FixtureOptions { days: 0, ..FixtureOptions::default() }, false).unwrap();
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

/// The identity of a local row: (origin device, origin row id) from the imports table, else
/// (`own`, local id).
fn identity(conn: &Connection, own: &str, table: &str, id: i64) -> (String, i64) {
    let has: bool = conn
        .query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'screenpipe_sync_imports'", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
        > 0;
    if has && let Ok(o) = conn.query_row(
        "SELECT origin_device, origin_row_id FROM screenpipe_sync_imports WHERE table_name = ?1 AND local_row_id = ?2",
        rusqlite::params![table, id],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    ) {
        return o;
    }
    (own.to_owned(), id)
}

/// Every row of the synced tables, keyed by record identity, with its columns (ids mapped to
/// identities, file paths reduced to the media file's bytes hash, sync columns left out).
pub type Dump = BTreeMap<(String, String, i64), BTreeMap<String, String>>;

pub fn dump(db: &Path, own: &str, only_origin: Option<&str>) -> Dump {
    let conn = Connection::open(db).unwrap();
    let mut out = Dump::new();
    let tables: [(&str, &str); 7] = [
        ("video_chunks", "id"),
        ("frames", "id"),
        ("ocr_text", "rowid"),
        ("audio_chunks", "id"),
        ("audio_transcriptions", "id"),
        ("accessibility", "id"),
        ("ui_events", "id"),
    ];
    for (table, id_col) in tables {
        let mut stmt = conn.prepare(&format!("SELECT {id_col} AS __id, * FROM {table}")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let id: i64 = row.get(0).unwrap();
            let (origin, origin_id) = identity(&conn, own, table, id);
            if only_origin.is_some_and(|o| o != origin) {
                continue;
            }
            let mut cols = BTreeMap::new();
            for (i, name) in names.iter().enumerate().skip(1) {
                if ["id", "sync_id", "machine_id", "synced_at"].contains(&name.as_str()) {
                    continue;
                }
                let v = row.get_ref(i).unwrap();
                let text = match (table, name.as_str()) {
                    (_, "file_path") => {
                        let path: String = row.get(i).unwrap();
                        match std::fs::read(&path) {
                            Ok(bytes) => format!("file {} bytes {:x}", bytes.len(), fxhash(&bytes)),
                            Err(_) => "file missing".into(),
                        }
                    }
                    ("frames", "video_chunk_id") => {
                        format!("{:?}", identity(&conn, own, "video_chunks", row.get(i).unwrap()))
                    }
                    ("ocr_text", "frame_id") | ("ui_events", "frame_id") => match row.get::<_, Option<i64>>(i).unwrap()
                    {
                        Some(f) => format!("{:?}", identity(&conn, own, "frames", f)),
                        None => "NULL".into(),
                    },
                    ("audio_transcriptions", "audio_chunk_id") => {
                        format!("{:?}", identity(&conn, own, "audio_chunks", row.get(i).unwrap()))
                    }
                    _ => value_text(v),
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

/// Row counts per table.
pub fn counts(db: &Path) -> BTreeMap<String, i64> {
    let conn = Connection::open(db).unwrap();
    let mut out = BTreeMap::new();
    for t in
        ["video_chunks", "frames", "ocr_text", "audio_chunks", "audio_transcriptions", "accessibility", "ui_events"]
    {
        out.insert(t.to_owned(), conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0)).unwrap());
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
