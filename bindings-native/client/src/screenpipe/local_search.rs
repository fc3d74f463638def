//! The local search's reads: screenpipe's own FTS tables (`ocr_text_fts`,
//! `audio_transcriptions_fts`) with the rows they find, each with its record identity (origin
//! device and row id: an imported row knows its origin), and the oldest record time. The
//! search module filters and shapes the results.

use rusqlite::{Connection, OptionalExtension, params};
use sync_core::UnixMillis;
use sync_core::records::parse_timestamp;

use super::imports::{IMPORTS_TABLE, origin_of};
use super::tables::Tables;
use crate::error::{DbContext, Result};

/// An OCR row found by the FTS, with its frame's fields.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LocalOcrRow {
    /// `ocr_text.rowid`.
    pub(crate) row_id: i64,
    /// Its frame.
    pub(crate) frame_id: i64,
    /// The OCR text.
    pub(crate) text: String,
    /// The OCR row's app name.
    pub(crate) app_name: Option<String>,
    /// The OCR row's window name.
    pub(crate) window_name: Option<String>,
    /// The frame's timestamp, as stored.
    pub(crate) timestamp: String,
    /// The frame's offset in its video file.
    pub(crate) offset_index: i64,
    /// The frame's browser URL.
    pub(crate) browser_url: Option<String>,
    /// The OCR row's `focused`.
    pub(crate) focused: Option<bool>,
    /// The frame's `name`.
    pub(crate) frame_name: Option<String>,
    /// The frame's monitor name.
    pub(crate) device_name: Option<String>,
    /// The frame's app name.
    pub(crate) frame_app_name: Option<String>,
    /// The video file.
    pub(crate) file_path: Option<String>,
}

/// A transcription found by the FTS, with its chunk's file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LocalAudioRow {
    /// `audio_transcriptions.id`.
    pub(crate) row_id: i64,
    /// Its audio chunk.
    pub(crate) chunk_id: i64,
    /// The transcription.
    pub(crate) text: String,
    /// Its timestamp, as stored.
    pub(crate) timestamp: String,
    /// `offset_index`.
    pub(crate) offset_index: i64,
    /// The audio device.
    pub(crate) device: Option<String>,
    /// Input (microphone) or output.
    pub(crate) is_input_device: Option<bool>,
    /// The speaker.
    pub(crate) speaker_id: Option<i64>,
    /// Start within the chunk, seconds.
    pub(crate) start_time: Option<f64>,
    /// End within the chunk, seconds.
    pub(crate) end_time: Option<f64>,
    /// The audio file.
    pub(crate) file_path: Option<String>,
}

/// An FTS5 query: every term as a quoted string (implicit AND).
fn fts_query(terms: &[String]) -> String {
    terms.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

/// screenpipe's database for the local search.
pub(crate) struct LocalSearch<'a> {
    conn: &'a Connection,
    tables: Tables,
    has_imports: bool,
}

impl<'a> LocalSearch<'a> {
    /// Introspects `conn` for a search.
    pub(crate) fn new(conn: &'a Connection) -> Result<LocalSearch<'a>> {
        let tables = Tables::load(conn)?;
        let has_imports = tables.has_table(IMPORTS_TABLE);
        Ok(LocalSearch { conn, tables, has_imports })
    }

    /// The identity of a local row: its origin (from the imports table) or `own`.
    pub(crate) fn identity(&self, own: &str, table: &str, id: i64) -> Result<(String, i64)> {
        origin_of(self.conn, self.has_imports, own, table, id)
    }

    /// At most `limit` OCR rows, newest frame first, whose FTS entry matches every term of
    /// `terms` (every row when `terms` is empty or there is no FTS table).
    pub(crate) fn ocr_matches(&self, terms: &[String], limit: i64) -> Result<Vec<LocalOcrRow>> {
        let tables = &self.tables;
        if !(tables.has_table("ocr_text") && tables.has_table("frames")) {
            return Ok(Vec::new());
        }
        let filter = if terms.is_empty() || tables.fts_columns("ocr_text").is_none() {
            "1".to_owned()
        } else {
            "o.frame_id IN (SELECT frame_id FROM ocr_text_fts WHERE ocr_text_fts MATCH ?1)".to_owned()
        };
        let q = |table: &str, alias: &str, col: &str| {
            if tables.has(table, col) { format!("{alias}.\"{col}\"") } else { "NULL".to_owned() }
        };
        let sql = format!(
            "SELECT o.rowid, o.frame_id, o.text, {}, {}, f.timestamp, f.offset_index, {}, {}, {}, {}, {}, {}
             FROM ocr_text o JOIN frames f ON f.id = o.frame_id
             {}
             WHERE {filter} ORDER BY f.id DESC LIMIT ?2",
            q("ocr_text", "o", "app_name"),
            q("ocr_text", "o", "window_name"),
            q("frames", "f", "browser_url"),
            q("ocr_text", "o", "focused"),
            q("frames", "f", "name"),
            q("frames", "f", "device_name"),
            q("frames", "f", "app_name"),
            if tables.has_table("video_chunks") { "vc.file_path" } else { "NULL" },
            if tables.has_table("video_chunks") { "LEFT JOIN video_chunks vc ON vc.id = f.video_chunk_id" } else { "" },
        );
        let mut stmt = self.conn.prepare(&sql).ctx("local OCR search")?;
        let rows = stmt
            .query_map(params![fts_query(terms), limit], |r| {
                Ok(LocalOcrRow {
                    row_id: r.get(0)?,
                    frame_id: r.get(1)?,
                    text: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    app_name: r.get(3)?,
                    window_name: r.get(4)?,
                    timestamp: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    offset_index: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                    browser_url: r.get(7)?,
                    focused: r.get(8)?,
                    frame_name: r.get(9)?,
                    device_name: r.get(10)?,
                    frame_app_name: r.get(11)?,
                    file_path: r.get(12)?,
                })
            })
            .ctx("local OCR search")?;
        rows.collect::<std::result::Result<_, _>>().ctx("local OCR search")
    }

    /// At most `limit` transcriptions, newest first, whose chunk's FTS entry matches every term
    /// of `terms` (every row when `terms` is empty or there is no FTS table).
    pub(crate) fn audio_matches(&self, terms: &[String], limit: i64) -> Result<Vec<LocalAudioRow>> {
        let tables = &self.tables;
        if !tables.has_table("audio_transcriptions") {
            return Ok(Vec::new());
        }
        let filter = if terms.is_empty() || tables.fts_columns("audio_transcriptions").is_none() {
            "1".to_owned()
        } else {
            "t.audio_chunk_id IN (SELECT audio_chunk_id FROM audio_transcriptions_fts WHERE audio_transcriptions_fts MATCH ?1)"
                .to_owned()
        };
        let sql = format!(
            "SELECT t.id, t.audio_chunk_id, t.transcription, t.timestamp, t.offset_index, t.device, t.is_input_device,
                    t.speaker_id, t.start_time, t.end_time, {}
             FROM audio_transcriptions t {}
             WHERE {filter} ORDER BY t.id DESC LIMIT ?2",
            if tables.has_table("audio_chunks") { "ac.file_path" } else { "NULL" },
            if tables.has_table("audio_chunks") { "LEFT JOIN audio_chunks ac ON ac.id = t.audio_chunk_id" } else { "" },
        );
        let mut stmt = self.conn.prepare(&sql).ctx("local audio search")?;
        let rows = stmt
            .query_map(params![fts_query(terms), limit], |r| {
                Ok(LocalAudioRow {
                    row_id: r.get(0)?,
                    chunk_id: r.get(1)?,
                    text: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    timestamp: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    offset_index: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    device: r.get(5)?,
                    is_input_device: r.get(6)?,
                    speaker_id: r.get(7)?,
                    start_time: r.get(8)?,
                    end_time: r.get(9)?,
                    file_path: r.get(10)?,
                })
            })
            .ctx("local audio search")?;
        rows.collect::<std::result::Result<_, _>>().ctx("local audio search")
    }
}

/// The oldest record time in a screenpipe database (frames and transcriptions), if any.
pub(crate) fn oldest_record(conn: &Connection) -> Result<Option<UnixMillis>> {
    let mut oldest: Option<UnixMillis> = None;
    for (table, col) in [("frames", "id"), ("audio_transcriptions", "id")] {
        let exists: Option<i64> = conn
            .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
            .optional()
            .ctx("sqlite_master")?;
        if exists.is_none() {
            continue;
        }
        let sql = format!(
            "SELECT timestamp FROM (SELECT timestamp FROM {table} ORDER BY {col} LIMIT 1)
             UNION ALL SELECT timestamp FROM (SELECT timestamp FROM {table} ORDER BY timestamp LIMIT 5)"
        );
        let mut stmt = conn.prepare(&sql).ctx(table)?;
        let rows = stmt.query_map([], |r| r.get::<_, Option<String>>(0)).ctx(table)?;
        for ts in rows {
            if let Some(ts) = ts.ctx(table)?
                && let Ok(ms) = parse_timestamp(&ts)
            {
                oldest = Some(oldest.map_or(ms, |o| o.min(ms)));
            }
        }
    }
    Ok(oldest)
}
