//! The offloaded mark (`archive` and `restore`): screenpipe 0.4.50's `evicted_at` column of
//! `video_chunks` and `audio_chunks`, set when a chunk's file is offloaded to the cloud and
//! cleared when it is restored, so that screenpipe shows the chunk as offloaded rather than
//! broken. The February 2026 generation has no such column, nor has any generation for a
//! frame's snapshot (`frames`): there the file is simply absent until restored (the rows stay,
//! and the local search still finds them). `cloud_blob_id` is left alone: it names a blob of
//! screenpipe's own cloud archive, which this client's blobs are not.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use sync_core::UnixMillis;

use super::generation::{Schema, detect};
use crate::error::{DbContext, Result, SyncError};

/// The tables whose media files `archive` offloads, with the column holding the file's path.
const MEDIA_PATH_COLUMNS: [(&str, &str); 3] =
    [("video_chunks", "file_path"), ("audio_chunks", "file_path"), ("frames", "snapshot_path")];

/// A read-write connection to screenpipe's database for marking files offloaded.
pub struct Evictions {
    conn: Connection,
    schema: Schema,
}

impl std::fmt::Debug for Evictions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evictions").field("generation", &self.schema.generation.name()).finish_non_exhaustive()
    }
}

/// The path column of a media table, or an error for any other table.
fn path_column(table: &str) -> Result<&'static str> {
    MEDIA_PATH_COLUMNS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, c)| *c)
        .ok_or_else(|| SyncError::State(format!("{table} holds no media file")))
}

impl Evictions {
    /// Opens screenpipe's database for writing and detects its generation (refusing a schema
    /// no adapter fully understands).
    pub fn open(db_path: &Path) -> Result<Evictions> {
        let conn = super::open::open_read_write(db_path)?;
        let schema = detect(&conn)?;
        super::open::prepare_for_writes(&conn)?;
        Ok(Evictions { conn, schema })
    }

    /// The database's schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// True when rows of `table` can be marked offloaded (the generation has `evicted_at`).
    pub fn can_mark(&self, table: &str) -> bool {
        self.schema.tables.has(table, "evicted_at")
    }

    /// The media path a row stores, `None` when the row is gone (or holds no path).
    pub fn stored_path(&self, table: &str, row_id: i64) -> Result<Option<String>> {
        let column = path_column(table)?;
        if !self.schema.tables.has(table, column) {
            return Ok(None);
        }
        let sql = format!("SELECT {column} FROM {table} WHERE id = ?1");
        let path: Option<Option<String>> =
            self.conn.query_row(&sql, [row_id], |r| r.get(0)).optional().ctx("screenpipe media path")?;
        Ok(path.flatten())
    }

    /// Marks a row offloaded at `at` where the generation can (a no-op elsewhere, and for a row
    /// already marked). Returns whether the generation holds the mark.
    pub fn mark(&self, table: &str, row_id: i64, at: UnixMillis) -> Result<bool> {
        path_column(table)?;
        if !self.can_mark(table) {
            return Ok(false);
        }
        let sql = format!("UPDATE {table} SET evicted_at = ?2 WHERE id = ?1 AND evicted_at IS NULL");
        self.conn.execute(&sql, params![row_id, at.to_rfc3339()?]).ctx("screenpipe evicted_at")?;
        Ok(true)
    }

    /// Clears a row's offloaded mark (where the generation has it).
    pub fn clear(&self, table: &str, row_id: i64) -> Result<()> {
        path_column(table)?;
        if self.can_mark(table) {
            let sql = format!("UPDATE {table} SET evicted_at = NULL WHERE id = ?1 AND evicted_at IS NOT NULL");
            self.conn.execute(&sql, [row_id]).ctx("screenpipe evicted_at")?;
        }
        Ok(())
    }

    /// Points a frame whose `snapshot_path` screenpipe cleared (0.4 clears it for a frame whose
    /// file is missing) at its restored file again; a frame with a path is left alone.
    pub fn repoint_snapshot(&self, frame_id: i64, path: &Path) -> Result<()> {
        if self.schema.tables.has("frames", "snapshot_path") {
            self.conn
                .execute(
                    "UPDATE frames SET snapshot_path = ?2 WHERE id = ?1 AND snapshot_path IS NULL",
                    params![frame_id, path.to_string_lossy()],
                )
                .ctx("screenpipe snapshot_path")?;
        }
        Ok(())
    }

    /// Whether a row is marked offloaded (`false` where the generation has no mark).
    pub fn is_marked(&self, table: &str, row_id: i64) -> Result<bool> {
        path_column(table)?;
        if !self.can_mark(table) {
            return Ok(false);
        }
        let sql = format!("SELECT evicted_at IS NOT NULL FROM {table} WHERE id = ?1");
        let marked: Option<bool> =
            self.conn.query_row(&sql, [row_id], |r| r.get(0)).optional().ctx("screenpipe evicted_at")?;
        Ok(marked.unwrap_or(false))
    }
}
