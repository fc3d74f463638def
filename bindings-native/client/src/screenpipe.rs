//! screenpipe's database, as the packager reads it and the unpacker writes it (DESIGN.md 4).
//!
//! [`SCHEMA_SQL`] is the relevant part of screenpipe's schema after its migrations (tables,
//! the FTS5 tables `frames_fts`, `ocr_text_fts`, `audio_transcriptions_fts`,
//! `accessibility_fts`, `ui_events_fts`, and the `AFTER INSERT` triggers that fill them): the
//! fixture writes it, and tests check the unpacker against it. Real databases differ by
//! version, so both sides introspect columns ([`Tables`]) and read or write only those present.
//!
//! The unpacker adds one table of its own, [`IMPORTS_TABLE`]: which local row holds which
//! record of another device. It is the row id mapping, the idempotence check, and the marker
//! that keeps imported rows out of this device's packager.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{DbContext, Result, SyncError};

/// The sync client's own table in screenpipe's database.
pub const IMPORTS_TABLE: &str = "screenpipe_sync_imports";

/// DDL of [`IMPORTS_TABLE`].
pub const IMPORTS_SQL: &str = "
CREATE TABLE IF NOT EXISTS screenpipe_sync_imports (
    origin_device TEXT NOT NULL,
    table_name TEXT NOT NULL,
    origin_row_id INTEGER NOT NULL,
    local_row_id INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (origin_device, table_name, origin_row_id)
);
CREATE INDEX IF NOT EXISTS screenpipe_sync_imports_local ON screenpipe_sync_imports(table_name, local_row_id);
";

/// screenpipe's tables, FTS tables and triggers as of its current migrations (the parts the
/// sync client reads and writes).
pub const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS video_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL,
    device_name TEXT NOT NULL DEFAULT '',
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME,
    fps REAL NOT NULL DEFAULT 0.5
);
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    video_chunk_id INTEGER NOT NULL,
    offset_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    name TEXT,
    browser_url TEXT DEFAULT NULL,
    app_name TEXT DEFAULT NULL,
    window_name TEXT DEFAULT NULL,
    focused BOOLEAN DEFAULT NULL,
    device_name TEXT NOT NULL DEFAULT '',
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME,
    FOREIGN KEY (video_chunk_id) REFERENCES video_chunks(id)
);
CREATE TABLE IF NOT EXISTS ocr_text (
    frame_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_json TEXT,
    ocr_engine TEXT NOT NULL DEFAULT 'unknown',
    text_length INTEGER,
    app_name TEXT NOT NULL DEFAULT '',
    window_name TEXT,
    focused BOOLEAN DEFAULT FALSE,
    sync_id TEXT,
    synced_at DATETIME,
    FOREIGN KEY (frame_id) REFERENCES frames(id)
);
CREATE TABLE IF NOT EXISTS audio_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL,
    timestamp TIMESTAMP,
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME
);
CREATE TABLE IF NOT EXISTS audio_transcriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    audio_chunk_id INTEGER NOT NULL,
    offset_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    transcription TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    is_input_device BOOLEAN NOT NULL DEFAULT TRUE,
    speaker_id INTEGER,
    transcription_engine TEXT NOT NULL DEFAULT 'Whisper',
    start_time REAL,
    end_time REAL,
    text_length INTEGER,
    sync_id TEXT,
    synced_at DATETIME,
    FOREIGN KEY (audio_chunk_id) REFERENCES audio_chunks(id)
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_audio_transcription_chunk_text ON audio_transcriptions(audio_chunk_id, transcription);
CREATE TABLE IF NOT EXISTS accessibility (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    app_name TEXT NOT NULL,
    window_name TEXT NOT NULL,
    text_content TEXT NOT NULL,
    browser_url TEXT,
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME
);
CREATE TABLE IF NOT EXISTS ui_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    session_id TEXT,
    relative_ms INTEGER NOT NULL DEFAULT 0,
    event_type TEXT NOT NULL,
    x INTEGER,
    y INTEGER,
    delta_x INTEGER,
    delta_y INTEGER,
    button INTEGER,
    click_count INTEGER,
    key_code INTEGER,
    modifiers INTEGER,
    text_content TEXT,
    text_length INTEGER,
    app_name TEXT,
    app_pid INTEGER,
    window_title TEXT,
    browser_url TEXT,
    element_role TEXT,
    element_name TEXT,
    element_value TEXT,
    element_description TEXT,
    element_automation_id TEXT,
    element_bounds TEXT,
    frame_id INTEGER,
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME
);
CREATE INDEX IF NOT EXISTS idx_frames_video_chunk_id ON frames(video_chunk_id);
CREATE INDEX IF NOT EXISTS idx_frames_timestamp ON frames(timestamp);
CREATE INDEX IF NOT EXISTS idx_ocr_text_frame_id ON ocr_text(frame_id);
CREATE INDEX IF NOT EXISTS idx_audio_transcriptions_audio_chunk_id ON audio_transcriptions(audio_chunk_id);
CREATE INDEX IF NOT EXISTS idx_audio_transcriptions_timestamp ON audio_transcriptions(timestamp);
CREATE INDEX IF NOT EXISTS idx_accessibility_timestamp ON accessibility(timestamp);
CREATE INDEX IF NOT EXISTS idx_ui_events_timestamp ON ui_events(timestamp);

CREATE VIRTUAL TABLE IF NOT EXISTS frames_fts USING fts5(
    name, browser_url, app_name, window_name, focused, id UNINDEXED, tokenize='unicode61'
);
CREATE VIRTUAL TABLE IF NOT EXISTS ocr_text_fts USING fts5(
    text, app_name, window_name, frame_id UNINDEXED, tokenize='unicode61'
);
CREATE VIRTUAL TABLE IF NOT EXISTS audio_transcriptions_fts USING fts5(
    transcription, device, speaker_id, audio_chunk_id UNINDEXED, tokenize='unicode61'
);
CREATE VIRTUAL TABLE IF NOT EXISTS accessibility_fts USING fts5(
    text_content, app_name, window_name, content='accessibility', content_rowid='id', tokenize='unicode61'
);
CREATE VIRTUAL TABLE IF NOT EXISTS ui_events_fts USING fts5(
    text_content, app_name, window_title, element_name, content='ui_events', content_rowid='id', tokenize='unicode61'
);

CREATE TRIGGER IF NOT EXISTS frames_ai AFTER INSERT ON frames BEGIN
    INSERT INTO frames_fts(id, name, browser_url, app_name, window_name, focused)
    VALUES (NEW.id, COALESCE(NEW.name, ''), COALESCE(NEW.browser_url, ''), COALESCE(NEW.app_name, ''),
            COALESCE(NEW.window_name, ''), COALESCE(NEW.focused, 0));
END;
CREATE TRIGGER IF NOT EXISTS ocr_text_ai AFTER INSERT ON ocr_text
WHEN NEW.text IS NOT NULL AND NEW.text != '' AND NEW.frame_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO ocr_text_fts(frame_id, text, app_name, window_name)
    VALUES (NEW.frame_id, NEW.text, COALESCE(NEW.app_name, ''), COALESCE(NEW.window_name, ''));
END;
CREATE TRIGGER IF NOT EXISTS audio_transcriptions_ai AFTER INSERT ON audio_transcriptions
WHEN NEW.transcription IS NOT NULL AND NEW.transcription != '' AND NEW.audio_chunk_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO audio_transcriptions_fts(audio_chunk_id, transcription, device, speaker_id)
    VALUES (NEW.audio_chunk_id, NEW.transcription, COALESCE(NEW.device, ''), NEW.speaker_id);
END;
CREATE TRIGGER IF NOT EXISTS accessibility_ai AFTER INSERT ON accessibility BEGIN
    INSERT OR IGNORE INTO accessibility_fts(rowid, text_content, app_name, window_name)
    VALUES (NEW.id, NEW.text_content, NEW.app_name, NEW.window_name);
END;
CREATE TRIGGER IF NOT EXISTS ui_events_ai AFTER INSERT ON ui_events BEGIN
    INSERT OR IGNORE INTO ui_events_fts(rowid, text_content, app_name, window_title, element_name)
    VALUES (NEW.id, NEW.text_content, NEW.app_name, NEW.window_title, NEW.element_name);
END;
";

/// Opens screenpipe's database read-only, without locking screenpipe out (WAL readers never
/// block its writer).
pub fn open_read_only(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(SyncError::Schema(format!("no screenpipe database at {}", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .ctx("open screenpipe's database read-only")?;
    conn.busy_timeout(Duration::from_secs(30)).ctx("busy_timeout")?;
    Ok(conn)
}

/// Opens screenpipe's database for writing (the unpacker), with a long busy timeout so that it
/// waits for screenpipe's writer rather than failing.
pub fn open_read_write(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(SyncError::Schema(format!(
            "no screenpipe database at {} (start screenpipe once, or `screenpipe-sync dev fixture --days 0`)",
            path.display()
        )));
    }
    let conn = Connection::open(path).ctx("open screenpipe's database")?;
    conn.busy_timeout(Duration::from_secs(60)).ctx("busy_timeout")?;
    conn.pragma_update(None, "journal_mode", "WAL").ctx("WAL")?;
    Ok(conn)
}

/// Creates an empty screenpipe database with [`SCHEMA_SQL`] (fixtures and tests).
pub fn create_database(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| SyncError::io(format!("create {}", dir.display()), e))?;
    }
    let conn = Connection::open(path).ctx("create screenpipe database")?;
    conn.pragma_update(None, "journal_mode", "WAL").ctx("WAL")?;
    conn.execute_batch(SCHEMA_SQL).ctx("screenpipe schema")?;
    Ok(conn)
}

/// The columns of every table of interest, as present in a database.
#[derive(Clone, Debug, Default)]
pub struct Tables {
    columns: BTreeMap<String, BTreeSet<String>>,
    not_null: BTreeSet<(String, String)>,
    insert_triggers: BTreeSet<String>,
    fts_columns: BTreeMap<String, BTreeSet<String>>,
}

/// Tables the client reads or writes.
pub const KNOWN_TABLES: [&str; 7] =
    ["video_chunks", "frames", "ocr_text", "audio_chunks", "audio_transcriptions", "accessibility", "ui_events"];

impl Tables {
    /// Introspects `conn`.
    pub fn load(conn: &Connection) -> Result<Tables> {
        let mut t = Tables::default();
        for table in KNOWN_TABLES.iter().copied().chain([IMPORTS_TABLE]) {
            let cols = table_info(conn, table)?;
            if !cols.is_empty() {
                for (c, nn) in &cols {
                    if *nn {
                        t.not_null.insert((table.to_owned(), c.clone()));
                    }
                }
                t.columns.insert(table.to_owned(), cols.into_iter().map(|(c, _)| c).collect());
            }
            let fts = format!("{table}_fts");
            let cols: BTreeSet<String> = table_info(conn, &fts)?.into_iter().map(|(c, _)| c).collect();
            if !cols.is_empty() {
                t.fts_columns.insert(table.to_owned(), cols);
            }
        }
        let mut stmt =
            conn.prepare("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").ctx("read triggers")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
            .ctx("read triggers")?;
        for row in rows {
            let (table, sql) = row.ctx("read triggers")?;
            if sql.is_some_and(|s| s.to_ascii_uppercase().contains("AFTER INSERT")) {
                t.insert_triggers.insert(table);
            }
        }
        Ok(t)
    }

    /// True when the table exists.
    pub fn has_table(&self, table: &str) -> bool {
        self.columns.contains_key(table)
    }

    /// True when the table has the column.
    pub fn has(&self, table: &str, column: &str) -> bool {
        self.columns.get(table).is_some_and(|c| c.contains(column))
    }

    /// True when the column is declared `NOT NULL`.
    pub fn is_not_null(&self, table: &str, column: &str) -> bool {
        self.not_null.contains(&(table.to_owned(), column.to_owned()))
    }

    /// Every column of a table.
    pub fn columns(&self, table: &str) -> impl Iterator<Item = &str> {
        self.columns.get(table).into_iter().flatten().map(String::as_str)
    }

    /// `column` if present, else `NULL` (for SELECT lists over optional columns).
    pub fn col_or_null(&self, table: &str, column: &str) -> String {
        if self.has(table, column) { format!("\"{column}\"") } else { "NULL".to_owned() }
    }

    /// True when an `AFTER INSERT` trigger maintains the table's FTS index.
    pub fn has_insert_trigger(&self, table: &str) -> bool {
        self.insert_triggers.contains(table)
    }

    /// Columns of the table's FTS5 table, if it has one.
    pub fn fts_columns(&self, table: &str) -> Option<&BTreeSet<String>> {
        self.fts_columns.get(table)
    }

    /// True when screenpipe's background FTS indexer (a 2026 interlude without insert
    /// triggers) is present: it indexes new rows itself.
    pub fn has_background_indexer(conn: &Connection) -> Result<bool> {
        Ok(conn
            .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fts_index_progress'", [], |_| {
                Ok(())
            })
            .optional()
            .ctx("sqlite_master")?
            .is_some())
    }
}

fn table_info(conn: &Connection, table: &str) -> Result<Vec<(String, bool)>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{table}\")")).ctx("table_info")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(3)? != 0))).ctx("table_info")?;
    rows.collect::<std::result::Result<Vec<_>, _>>().ctx("table_info")
}
