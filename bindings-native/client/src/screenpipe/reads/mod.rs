//! Every read the packager makes in screenpipe's database, over a read-only connection (a
//! WAL reader: it never blocks screenpipe's writer; each pass reads in one short read
//! transaction): the media chunks to seal, the timestamps that date a chunk, the bounds of a
//! pass ([`PackagerReads`], here), frames with their text, elements and snapshots
//! ([`frames`]), and the other rows as the core's records ([`rows`]). Rows imported from
//! another device are never returned. Each read follows the database's [`Generation`].

mod frames;
mod rows;

pub(crate) use frames::SnapshotRow;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::generation::{Generation, Schema, detect};
use super::imports::{IMPORTS_TABLE, imported, not_imported};
use super::tables::Tables;
use super::values::opt_text;
use crate::error::{DbContext, Result};

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
    /// Its transcription status (0.4).
    pub(crate) transcription_status: Option<String>,
}

/// A read-only connection to screenpipe's database for one packaging run.
pub(crate) struct PackagerReads {
    conn: Connection,
    schema: Schema,
    has_imports: bool,
}

impl PackagerReads {
    /// Opens screenpipe's database read-only and detects its generation (refusing a schema
    /// no adapter fully understands).
    pub(crate) fn open(db_path: &Path) -> Result<PackagerReads> {
        let conn = super::open::open_read_only(db_path)?;
        let schema = detect(&conn)?;
        let has_imports = schema.tables.has_table(IMPORTS_TABLE);
        Ok(PackagerReads { conn, schema, has_imports })
    }

    /// The tables and columns present.
    pub(crate) fn tables(&self) -> &Tables {
        &self.schema.tables
    }

    /// The database's schema.
    pub(crate) fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The database's generation.
    pub(crate) fn generation(&self) -> Generation {
        self.schema.generation
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
        if table == "video_chunks" && self.tables().has_table("frames") {
            collect("SELECT timestamp FROM frames WHERE video_chunk_id = ?1")?;
        }
        if table == "audio_chunks" {
            if self.tables().has(table, "timestamp") {
                collect("SELECT timestamp FROM audio_chunks WHERE id = ?1")?;
            }
            if self.tables().has_table("audio_transcriptions") {
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

    /// One `video_chunks` row (none when the table or the row is missing).
    pub(crate) fn video_chunk(&self, id: i64) -> Result<Option<VideoChunkRow>> {
        let t = self.tables();
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
        let t = self.tables();
        if !t.has_table("audio_chunks") {
            return Ok(None);
        }
        let sql = format!(
            "SELECT id, file_path, {}, {} FROM audio_chunks WHERE id = ?1",
            t.col_or_null("audio_chunks", "timestamp"),
            t.col_or_null("audio_chunks", "transcription_status")
        );
        self.conn
            .prepare_cached(&sql)
            .ctx("audio_chunks")?
            .query_row([id], |r| {
                Ok(AudioChunkRow {
                    row_id: r.get(0)?,
                    file_path: r.get(1)?,
                    timestamp: opt_text(r, 2)?,
                    transcription_status: r.get(3)?,
                })
            })
            .optional()
            .ctx("audio_chunks")
    }
}
