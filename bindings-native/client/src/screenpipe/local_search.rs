//! The local search's reads: screenpipe's own FTS tables with the rows they find, each with
//! its record identity (origin device, table and row id: an imported row knows its origin),
//! and the oldest record time. Per generation: 0.4 frames by `frames_fts` (screen text, app,
//! window, URL), transcriptions by `audio_transcriptions_fts` keyed by row id; February 2026
//! frames by `ocr_text_fts` or `frames_fts` (metadata), transcriptions by their chunk. The
//! search module filters and shapes the results.

use rusqlite::{Connection, OptionalExtension, params};
use sync_core::UnixMillis;
use sync_core::records::parse_timestamp;

use super::generation::{Generation, Schema, detect};
use super::imports::{IMPORTS_TABLE, origin_of};
use crate::error::{DbContext, Result};

/// A frame found by the FTS, with its screen text (0.4 `full_text`, or its February 2026
/// `ocr_text` rows joined by new lines, as the records model holds it).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LocalFrameRow {
    /// `frames.id`.
    pub(crate) frame_id: i64,
    /// The screen text.
    pub(crate) text: String,
    /// The accessibility text (0.4).
    pub(crate) accessibility_text: Option<String>,
    /// The frame's app name.
    pub(crate) app_name: Option<String>,
    /// The frame's window name.
    pub(crate) window_name: Option<String>,
    /// The frame's timestamp, as stored.
    pub(crate) timestamp: String,
    /// The frame's offset in its video file.
    pub(crate) offset_index: i64,
    /// The frame's browser URL.
    pub(crate) browser_url: Option<String>,
    /// The frame's `focused`.
    pub(crate) focused: Option<bool>,
    /// The frame's `name`.
    pub(crate) frame_name: Option<String>,
    /// The frame's monitor name.
    pub(crate) device_name: Option<String>,
    /// The snapshot or the video file.
    pub(crate) file_path: Option<String>,
    /// The video file only.
    pub(crate) chunk_file_path: Option<String>,
    /// Where the text comes from (0.4 `text_source`).
    pub(crate) text_source: Option<String>,
    /// What made screenpipe capture the frame (0.4 `capture_trigger`).
    pub(crate) capture_trigger: Option<String>,
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
    /// The transcription engine.
    pub(crate) engine: Option<String>,
}

/// A memory found by the FTS (0.4).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LocalMemoryRow {
    /// `memories.id`.
    pub(crate) id: i64,
    /// The note.
    pub(crate) content: String,
    /// Who wrote it.
    pub(crate) source: String,
    /// Its source's context.
    pub(crate) source_context: Option<String>,
    /// Tags: the JSON array text.
    pub(crate) tags: Option<String>,
    /// Importance.
    pub(crate) importance: Option<f64>,
    /// The frame it was taken from.
    pub(crate) frame_id: Option<i64>,
    /// Creation time, as stored.
    pub(crate) created_at: String,
    /// Last change, as stored.
    pub(crate) updated_at: String,
}

/// An FTS5 query: every term as a quoted string (implicit AND).
fn fts_query(terms: &[String]) -> String {
    terms.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

/// screenpipe's database for the local search.
pub(crate) struct LocalSearch<'a> {
    conn: &'a Connection,
    schema: Schema,
    has_imports: bool,
}

impl<'a> LocalSearch<'a> {
    /// Introspects `conn` for a search (refusing a schema no adapter fully understands).
    pub(crate) fn new(conn: &'a Connection) -> Result<LocalSearch<'a>> {
        let schema = detect(conn)?;
        let has_imports = schema.tables.has_table(IMPORTS_TABLE);
        Ok(LocalSearch { conn, schema, has_imports })
    }

    /// The identity of a local row of `table`: its origin (from the imports table) or `own`.
    pub(crate) fn identity(&self, own: &str, table: &'static str, id: i64) -> Result<(String, &'static str, i64)> {
        origin_of(self.conn, self.has_imports, own, table, id)
    }

    /// At most `limit` frames, newest first, whose FTS entries match every term of `terms`
    /// (every frame when `terms` is empty).
    pub(crate) fn frame_matches(&self, terms: &[String], limit: i64) -> Result<Vec<LocalFrameRow>> {
        let tables = &self.schema.tables;
        let fts_has = |table: &str, col: &str| tables.fts_columns(table).is_some_and(|c| c.contains(col));
        let mut sources = Vec::new();
        let (text, accessibility, file_path, extra) = match self.schema.generation {
            Generation::V0_4 => {
                if tables.fts_columns("frames").is_some() {
                    sources.push("f.id IN (SELECT rowid FROM frames_fts WHERE frames_fts MATCH ?1)");
                }
                (
                    "COALESCE(f.full_text, '')",
                    "f.accessibility_text",
                    "COALESCE(f.snapshot_path, vc.file_path)",
                    "f.text_source, f.capture_trigger",
                )
            }
            Generation::Feb2026 => {
                if fts_has("ocr_text", "frame_id") {
                    sources.push("f.id IN (SELECT frame_id FROM ocr_text_fts WHERE ocr_text_fts MATCH ?1)");
                }
                if fts_has("frames", "id") {
                    sources.push("f.id IN (SELECT id FROM frames_fts WHERE frames_fts MATCH ?1)");
                }
                (
                    "COALESCE((SELECT group_concat(text, char(10)) FROM
                       (SELECT text FROM ocr_text o WHERE o.frame_id = f.id ORDER BY o.rowid)), '')",
                    "NULL",
                    "vc.file_path",
                    "NULL, NULL",
                )
            }
        };
        let filter = if terms.is_empty() || sources.is_empty() { "1".to_owned() } else { sources.join(" OR ") };
        let sql = format!(
            "SELECT f.id, {text}, {accessibility}, f.app_name, f.window_name, f.timestamp, f.offset_index, f.browser_url,
                    f.focused, f.name, COALESCE(vc.device_name, f.device_name), {file_path},
                    vc.file_path, {extra}
             FROM frames f LEFT JOIN video_chunks vc ON vc.id = f.video_chunk_id
             WHERE {filter} ORDER BY f.id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql).ctx("local frame search")?;
        let rows = stmt
            .query_map(params![fts_query(terms), limit], |r| {
                Ok(LocalFrameRow {
                    frame_id: r.get(0)?,
                    text: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    accessibility_text: r.get(2)?,
                    app_name: r.get(3)?,
                    window_name: r.get(4)?,
                    timestamp: super::values::opt_text(r, 5)?.unwrap_or_default(),
                    offset_index: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                    browser_url: r.get(7)?,
                    focused: super::values::opt_bool(r, 8)?,
                    frame_name: r.get(9)?,
                    device_name: r.get(10)?,
                    file_path: r.get(11)?,
                    chunk_file_path: r.get(12)?,
                    text_source: r.get(13)?,
                    capture_trigger: r.get(14)?,
                })
            })
            .ctx("local frame search")?;
        rows.collect::<std::result::Result<_, _>>().ctx("local frame search")
    }

    /// At most `limit` transcriptions, newest first, whose chunk's FTS entry matches every term
    /// of `terms` (every row when `terms` is empty or there is no FTS table).
    pub(crate) fn audio_matches(&self, terms: &[String], limit: i64) -> Result<Vec<LocalAudioRow>> {
        let tables = &self.schema.tables;
        let filter = match tables.fts_columns("audio_transcriptions") {
            _ if terms.is_empty() => "1",
            None => "1",
            // February 2026 and older: the FTS rows are keyed by chunk.
            Some(c) if c.contains("audio_chunk_id") => {
                "t.audio_chunk_id IN (SELECT audio_chunk_id FROM audio_transcriptions_fts WHERE audio_transcriptions_fts MATCH ?1)"
            }
            // 0.4: external content, rowid = the transcription's id.
            Some(_) => "t.id IN (SELECT rowid FROM audio_transcriptions_fts WHERE audio_transcriptions_fts MATCH ?1)",
        };
        let sql = format!(
            "SELECT t.id, t.audio_chunk_id, t.transcription, t.timestamp, t.offset_index, t.device, t.is_input_device,
                    t.speaker_id, t.start_time, t.end_time, {}, t.transcription_engine
             FROM audio_transcriptions t {}
             WHERE {filter} ORDER BY t.id DESC LIMIT ?2",
            "ac.file_path", "LEFT JOIN audio_chunks ac ON ac.id = t.audio_chunk_id",
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
                    is_input_device: super::values::opt_bool(r, 6)?,
                    speaker_id: r.get(7)?,
                    start_time: r.get(8)?,
                    end_time: r.get(9)?,
                    file_path: r.get(10)?,
                    engine: r.get(11)?,
                })
            })
            .ctx("local audio search")?;
        rows.collect::<std::result::Result<_, _>>().ctx("local audio search")
    }
}

impl LocalSearch<'_> {
    /// At most `limit` memories, newest change first, whose FTS entry matches every term of
    /// `terms` (every memory when `terms` is empty); none where the generation has no memories.
    pub(crate) fn memory_matches(&self, terms: &[String], limit: i64) -> Result<Vec<LocalMemoryRow>> {
        let tables = &self.schema.tables;
        if !tables.has_table("memories") {
            return Ok(Vec::new());
        }
        let filter = if terms.is_empty() || tables.fts_columns("memories").is_none() {
            "1"
        } else {
            "m.id IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?1)"
        };
        let sql = format!(
            "SELECT m.id, m.content, m.source, m.source_context, m.tags, m.importance, m.frame_id, m.created_at,
                    m.updated_at
             FROM memories m WHERE {filter} ORDER BY m.updated_at DESC, m.id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql).ctx("local memory search")?;
        let rows = stmt
            .query_map(params![fts_query(terms), limit], |r| {
                Ok(LocalMemoryRow {
                    id: r.get(0)?,
                    content: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    source: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    source_context: r.get(3)?,
                    tags: r.get(4)?,
                    importance: r.get(5)?,
                    frame_id: r.get(6)?,
                    created_at: super::values::opt_text(r, 7)?.unwrap_or_default(),
                    updated_at: super::values::opt_text(r, 8)?.unwrap_or_default(),
                })
            })
            .ctx("local memory search")?;
        rows.collect::<std::result::Result<_, _>>().ctx("local memory search")
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
