//! Every read the packager makes in screenpipe's database, over a read-only connection:
//! the rows past a cursor (frames, OCR text, transcriptions, accessibility text, UI events,
//! chunk rows) as the core's records, the media chunks to seal, the timestamps that date a
//! chunk, and the bounds of a pass. Rows imported from another device are never returned.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use sync_core::records::{
    AccessibilityRecord, FrameRecord, MAX_EXTRA_FIELDS, OcrRecord, TranscriptionRecord, UiEventRecord,
};

use super::imports::{IMPORTS_TABLE, imported, not_imported};
use super::tables::Tables;
use super::values::{opt_bool, opt_text, sql_value_to_json};
use crate::error::{DbContext, Result, SyncError};

/// Columns of `ui_events` carried as named fields (the rest go to `extra`), plus the sync
/// columns, which stay local.
const UI_FIELDS: [&str; 10] = [
    "id",
    "timestamp",
    "event_type",
    "app_name",
    "window_title",
    "browser_url",
    "text_content",
    "sync_id",
    "machine_id",
    "synced_at",
];

/// A media chunk row (`video_chunks` or `audio_chunks`) past the media cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MediaRow {
    /// Its row id.
    pub(crate) row_id: i64,
    /// `file_path` as stored (absolute, or relative to the data folder).
    pub(crate) file_path: String,
    /// True when the unpacker imported it from another device (never packaged).
    pub(crate) imported: bool,
}

/// A `video_chunks` row, as a bundle carries it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VideoChunkRow {
    /// Its row id.
    pub(crate) row_id: i64,
    /// `file_path` as stored.
    pub(crate) file_path: Option<String>,
    /// The monitor's name.
    pub(crate) device_name: Option<String>,
    /// Frames per second.
    pub(crate) fps: Option<f64>,
}

/// An `audio_chunks` row, as a bundle carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AudioChunkRow {
    /// Its row id.
    pub(crate) row_id: i64,
    /// `file_path` as stored.
    pub(crate) file_path: Option<String>,
    /// Its timestamp, as stored.
    pub(crate) timestamp: Option<String>,
}

/// A read-only connection to screenpipe's database for one packaging run.
pub(crate) struct PackagerReads {
    conn: Connection,
    tables: Tables,
    has_imports: bool,
}

impl PackagerReads {
    /// Opens screenpipe's database read-only and checks that it looks like one.
    pub(crate) fn open(db_path: &Path) -> Result<PackagerReads> {
        let conn = super::open::open_read_only(db_path)?;
        let tables = Tables::load(&conn)?;
        if !tables.has_table("frames") && !tables.has_table("audio_transcriptions") {
            return Err(SyncError::Schema(format!(
                "{} has neither frames nor audio_transcriptions: is it screenpipe's database?",
                db_path.display()
            )));
        }
        let has_imports = tables.has_table(IMPORTS_TABLE);
        Ok(PackagerReads { conn, tables, has_imports })
    }

    /// The tables and columns present.
    pub(crate) fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Runs `f` inside one read transaction: every query it makes sees the same snapshot
    /// (screenpipe keeps writing meanwhile).
    pub(crate) fn in_snapshot<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN").ctx("begin read")?;
        let result = f();
        let _ = self.conn.execute_batch("COMMIT");
        result
    }

    /// The highest row id of `table` (0 when empty).
    pub(crate) fn max_id(&self, table: &str, id_col: &str) -> Result<i64> {
        self.conn.query_row(&format!("SELECT COALESCE(MAX({id_col}), 0) FROM {table}"), [], |r| r.get(0)).ctx(table)
    }

    /// The row id `n` rows above `lo` (`n = 0` is the first row above it), if there is one.
    pub(crate) fn nth_id_after(&self, table: &str, id_col: &str, lo: i64, n: i64) -> Result<Option<i64>> {
        self.conn
            .query_row(
                &format!("SELECT {id_col} FROM {table} WHERE {id_col} > ?1 ORDER BY {id_col} LIMIT 1 OFFSET ?2"),
                params![lo, n],
                |r| r.get(0),
            )
            .optional()
            .ctx(table)
    }

    /// Up to `limit` media chunk rows of `table` above `after`, in row order.
    pub(crate) fn media_rows(&self, table: &str, after: i64, limit: usize) -> Result<Vec<MediaRow>> {
        let sql = format!(
            "SELECT id, file_path, {} FROM {table} WHERE id > ?1 ORDER BY id LIMIT ?2",
            imported(self.has_imports, table, &format!("{table}.id"))
        );
        let mut stmt = self.conn.prepare(&sql).ctx(table)?;
        let mapped = stmt
            .query_map(params![after, i64::try_from(limit).unwrap_or(64)], |r| {
                Ok(MediaRow {
                    row_id: r.get(0)?,
                    file_path: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    imported: r.get::<_, bool>(2)?,
                })
            })
            .ctx(table)?;
        mapped.collect::<std::result::Result<_, _>>().ctx(table)
    }

    /// The timestamps that date a media chunk, as stored: its frames' (video), or its own and
    /// its transcriptions' (audio).
    pub(crate) fn chunk_timestamps(&self, table: &str, row_id: i64) -> Result<Vec<String>> {
        let mut times = Vec::new();
        let mut collect = |sql: &str| -> Result<()> {
            let mut stmt = self.conn.prepare_cached(sql).ctx(table)?;
            let rows = stmt.query_map([row_id], |r| r.get::<_, Option<String>>(0)).ctx(table)?;
            for ts in rows {
                times.extend(ts.ctx(table)?);
            }
            Ok(())
        };
        if table == "video_chunks" && self.tables.has_table("frames") {
            collect("SELECT timestamp FROM frames WHERE video_chunk_id = ?1")?;
        }
        if table == "audio_chunks" {
            if self.tables.has(table, "timestamp") {
                collect("SELECT timestamp FROM audio_chunks WHERE id = ?1")?;
            }
            if self.tables.has_table("audio_transcriptions") {
                collect("SELECT timestamp FROM audio_transcriptions WHERE audio_chunk_id = ?1")?;
            }
        }
        Ok(times)
    }

    /// The stored `file_path` of a chunk row.
    pub(crate) fn chunk_file_path(&self, table: &str, id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT file_path FROM {table} WHERE id = ?1"))
            .ctx(table)?
            .query_row([id], |r| r.get(0))
            .optional()
            .ctx(table)?
            .flatten())
    }

    /// The rows `sql` selects with `?1 = lo` and `?2 = hi`, each mapped by `map`; errors name
    /// `table`.
    fn rows_in<T>(
        &self,
        table: &str,
        sql: &str,
        lo: i64,
        hi: i64,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).ctx(table)?;
        let rows = stmt.query_map(params![lo, hi], map).ctx(table)?;
        rows.collect::<std::result::Result<_, _>>().ctx(table)
    }

    /// The chunk rows of `table` in `(lo, hi]` recorded here (not imported).
    pub(crate) fn new_chunk_ids(&self, table: &str, lo: i64, hi: i64) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT id FROM {table} WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            not_imported(self.has_imports, table, &format!("{table}.id"))
        );
        self.rows_in(table, &sql, lo, hi, |r| r.get::<_, i64>(0))
    }

    /// The columns of a frame, after `id, video_chunk_id, offset_index, timestamp`.
    fn frame_columns(&self) -> String {
        let t = &self.tables;
        ["name", "browser_url", "app_name", "window_name", "focused", "device_name"]
            .map(|c| t.col_or_null("frames", c))
            .join(", ")
    }

    /// One frame by row id (the parent of an OCR row), imported or not.
    pub(crate) fn frame_by_id(&self, id: i64) -> Result<Option<FrameRecord>> {
        let sql = format!(
            "SELECT id, video_chunk_id, offset_index, timestamp, {} FROM frames WHERE id = ?1",
            self.frame_columns()
        );
        let mut stmt = self.conn.prepare_cached(&sql).ctx("frames")?;
        stmt.query_row([id], frame_row).optional().ctx("frames")
    }

    /// The frames in `(lo, hi]` recorded here.
    pub(crate) fn frames_in(&self, lo: i64, hi: i64) -> Result<Vec<FrameRecord>> {
        let sql = format!(
            "SELECT id, video_chunk_id, offset_index, timestamp, {} FROM frames
             WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            self.frame_columns(),
            not_imported(self.has_imports, "frames", "frames.id"),
        );
        self.rows_in("frames", &sql, lo, hi, frame_row)
    }

    /// The OCR rows in `(lo, hi]` (by SQLite `rowid`) recorded here.
    pub(crate) fn ocr_in(&self, lo: i64, hi: i64) -> Result<Vec<OcrRecord>> {
        let t = &self.tables;
        let sql = format!(
            "SELECT rowid, frame_id, text, {}, {}, {}, {}, {}, {} FROM ocr_text
             WHERE rowid > ?1 AND rowid <= ?2 AND {} ORDER BY rowid",
            t.col_or_null("ocr_text", "text_json"),
            t.col_or_null("ocr_text", "ocr_engine"),
            t.col_or_null("ocr_text", "text_length"),
            t.col_or_null("ocr_text", "app_name"),
            t.col_or_null("ocr_text", "window_name"),
            t.col_or_null("ocr_text", "focused"),
            not_imported(self.has_imports, "ocr_text", "ocr_text.rowid"),
        );
        self.rows_in("ocr_text", &sql, lo, hi, |r| {
            Ok(OcrRecord {
                row_id: r.get(0)?,
                frame_row_id: r.get(1)?,
                text: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                text_json: r.get(3)?,
                ocr_engine: r.get(4)?,
                text_length: r.get(5)?,
                app_name: r.get(6)?,
                window_name: r.get(7)?,
                focused: opt_bool(r, 8)?,
            })
        })
    }

    /// One `video_chunks` row (none when the table or the row is missing).
    pub(crate) fn video_chunk(&self, id: i64) -> Result<Option<VideoChunkRow>> {
        let t = &self.tables;
        if !t.has_table("video_chunks") {
            return Ok(None);
        }
        let sql = format!(
            "SELECT id, file_path, {}, {} FROM video_chunks WHERE id = ?1",
            t.col_or_null("video_chunks", "device_name"),
            t.col_or_null("video_chunks", "fps")
        );
        self.conn
            .prepare_cached(&sql)
            .ctx("video_chunks")?
            .query_row([id], |r| {
                Ok(VideoChunkRow { row_id: r.get(0)?, file_path: r.get(1)?, device_name: r.get(2)?, fps: r.get(3)? })
            })
            .optional()
            .ctx("video_chunks")
    }

    /// One `audio_chunks` row (none when the table or the row is missing).
    pub(crate) fn audio_chunk(&self, id: i64) -> Result<Option<AudioChunkRow>> {
        let t = &self.tables;
        if !t.has_table("audio_chunks") {
            return Ok(None);
        }
        let sql = format!(
            "SELECT id, file_path, {} FROM audio_chunks WHERE id = ?1",
            t.col_or_null("audio_chunks", "timestamp")
        );
        self.conn
            .prepare_cached(&sql)
            .ctx("audio_chunks")?
            .query_row([id], |r| {
                Ok(AudioChunkRow { row_id: r.get(0)?, file_path: r.get(1)?, timestamp: opt_text(r, 2)? })
            })
            .optional()
            .ctx("audio_chunks")
    }

    /// The transcriptions in `(lo, hi]` recorded here.
    pub(crate) fn transcriptions_in(&self, lo: i64, hi: i64) -> Result<Vec<TranscriptionRecord>> {
        let t = &self.tables;
        let c = |name| t.col_or_null("audio_transcriptions", name);
        let sql = format!(
            "SELECT id, audio_chunk_id, offset_index, timestamp, transcription, {}, {}, {}, {}, {}, {}, {}
             FROM audio_transcriptions WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("device"),
            c("is_input_device"),
            c("speaker_id"),
            c("transcription_engine"),
            c("start_time"),
            c("end_time"),
            c("text_length"),
            not_imported(self.has_imports, "audio_transcriptions", "audio_transcriptions.id"),
        );
        self.rows_in("audio_transcriptions", &sql, lo, hi, |r| {
            Ok(TranscriptionRecord {
                row_id: r.get(0)?,
                audio_chunk_row_id: r.get(1)?,
                offset_index: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                timestamp: opt_text(r, 3)?.unwrap_or_default(),
                transcription: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                device: r.get(5)?,
                is_input_device: opt_bool(r, 6)?,
                speaker_id: r.get(7)?,
                transcription_engine: r.get(8)?,
                start_time: r.get(9)?,
                end_time: r.get(10)?,
                text_length: r.get(11)?,
            })
        })
    }

    /// The accessibility rows in `(lo, hi]` recorded here.
    pub(crate) fn accessibility_in(&self, lo: i64, hi: i64) -> Result<Vec<AccessibilityRecord>> {
        let t = &self.tables;
        let c = |name| t.col_or_null("accessibility", name);
        let sql = format!(
            "SELECT id, timestamp, {}, {}, {}, {} FROM accessibility WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("app_name"),
            c("window_name"),
            c("text_content"),
            c("browser_url"),
            not_imported(self.has_imports, "accessibility", "accessibility.id"),
        );
        self.rows_in("accessibility", &sql, lo, hi, |r| {
            Ok(AccessibilityRecord {
                row_id: r.get(0)?,
                timestamp: opt_text(r, 1)?.unwrap_or_default(),
                app_name: r.get(2)?,
                window_name: r.get(3)?,
                text_content: r.get(4)?,
                browser_url: r.get(5)?,
            })
        })
    }

    /// The UI events in `(lo, hi]` recorded here; columns other than the named ones go to
    /// `extra` (at most the format's bound).
    pub(crate) fn ui_events_in(&self, lo: i64, hi: i64) -> Result<Vec<UiEventRecord>> {
        let extra_cols: Vec<String> = self
            .tables
            .columns("ui_events")
            .filter(|c| !UI_FIELDS.contains(c))
            .take(MAX_EXTRA_FIELDS)
            .map(str::to_owned)
            .collect();
        let t = &self.tables;
        let c = |name| t.col_or_null("ui_events", name);
        let extra_sql: String = extra_cols.iter().map(|c| format!(", \"{c}\"")).collect();
        let sql = format!(
            "SELECT id, timestamp, {}, {}, {}, {}, {}{extra_sql} FROM ui_events WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("event_type"),
            c("app_name"),
            c("window_title"),
            c("browser_url"),
            c("text_content"),
            not_imported(self.has_imports, "ui_events", "ui_events.id"),
        );
        self.rows_in("ui_events", &sql, lo, hi, |r| {
            let mut extra = BTreeMap::new();
            for (i, name) in extra_cols.iter().enumerate() {
                let v = sql_value_to_json(r.get_ref(7 + i)?);
                if !v.is_null() {
                    extra.insert(name.clone(), v);
                }
            }
            Ok(UiEventRecord {
                row_id: r.get(0)?,
                timestamp: opt_text(r, 1)?.unwrap_or_default(),
                event_type: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                app_name: r.get(3)?,
                window_title: r.get(4)?,
                browser_url: r.get(5)?,
                text_content: r.get(6)?,
                extra,
            })
        })
    }
}

/// A frame row (`id, video_chunk_id, offset_index, timestamp` and [`PackagerReads::frame_columns`]).
fn frame_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FrameRecord> {
    Ok(FrameRecord {
        row_id: r.get(0)?,
        video_chunk_row_id: r.get(1)?,
        offset_index: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
        timestamp: opt_text(r, 3)?.unwrap_or_default(),
        name: r.get(4)?,
        browser_url: r.get(5)?,
        app_name: r.get(6)?,
        window_name: r.get(7)?,
        focused: opt_bool(r, 8)?,
        device_name: r.get(9)?,
    })
}
