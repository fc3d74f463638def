//! The writes of `archive --drop-text` and of its `restore`: this device's old text rows
//! dropped from screenpipe's database once proven in the cloud, and written back (same ids,
//! same text) from their bundles.
//!
//! What is dropped, per generation:
//! - **0.4.50**: a frame's text columns (`full_text`, `text_json`, `accessibility_text`,
//!   `accessibility_tree_json`, set to NULL; the frame row stays: the timeline and the
//!   offloaded marks depend on it), its `elements` (all of a frame's, in one statement, so that
//!   `parent_id` never dangles), and `audio_transcriptions` rows. screenpipe's triggers keep
//!   `frames_fts`, `elements_fts` and `audio_transcriptions_fts` in step, both ways.
//! - **February 2026**: `audio_transcriptions` rows. Its delete trigger empties the FTS rows of
//!   the whole audio chunk, so the chunk's other transcriptions that the background indexer had
//!   indexed are indexed again with the indexer's own statement; a restored row (an id below the
//!   indexer's progress) is indexed the same way. Its `ocr_text` rows are kept: a bundle folds a
//!   frame's OCR rows into one text and could not give them back row for row.
//!
//! A row is dropped only when its bundle's record gives back every column: `redacted_at`,
//! `sync_id`, `synced_at` NULL, a text timestamp, an element's bounds all set or all NULL.
//! Others are kept (counted as not restorable). Each batch is one `IMMEDIATE` transaction, and
//! the proof of its rows is read inside it ([`TextDrops::drop_batch`]).

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sync_core::records::{ElementRecord, FrameRecord, TranscriptionRecord};

use super::generation::{Generation, Schema, detect};
use super::values::{Value, boolean, element_columns, int, real, text};
use crate::error::{DbContext, Result, SyncError};

/// A 0.4 frame's text columns that a drop clears.
const FRAME_TEXT_COLUMNS: [&str; 4] = ["full_text", "text_json", "accessibility_text", "accessibility_tree_json"];

/// What one drop batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// Frames whose text was cleared.
    pub(crate) frames: Vec<i64>,
    /// Frames whose elements were deleted (all of them).
    pub(crate) element_frames: Vec<i64>,
    /// Elements deleted.
    pub(crate) elements: u64,
    /// Transcriptions deleted.
    pub(crate) transcriptions: Vec<i64>,
    /// Rows left because their record could not give them back (`table#id`).
    pub(crate) not_restorable: Vec<String>,
}

/// What one restore batch wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Restored {
    /// Frames whose text was set back.
    pub(crate) frames: u64,
    /// Elements inserted.
    pub(crate) elements: u64,
    /// Transcriptions inserted.
    pub(crate) transcriptions: u64,
    /// Rows not written: their parent (frame, audio chunk) is gone, or the row was there.
    pub(crate) skipped: u64,
}

/// A read-write connection to screenpipe's database for dropping and restoring text rows.
pub(crate) struct TextDrops {
    conn: Connection,
    schema: Schema,
}

impl std::fmt::Debug for TextDrops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextDrops").field("generation", &self.schema.generation.name()).finish_non_exhaustive()
    }
}

/// The rows of a batch to drop: frames' text, frames' elements, transcriptions.
#[derive(Clone, Debug, Default)]
pub(crate) struct DropBatch {
    /// Frames whose text columns are cleared.
    pub(crate) frames: Vec<i64>,
    /// Frames whose elements (all of them) are deleted.
    pub(crate) element_frames: Vec<i64>,
    /// Transcription ids.
    pub(crate) transcriptions: Vec<i64>,
}

impl TextDrops {
    /// Opens screenpipe's database for writing and detects its generation (refusing a schema
    /// no adapter fully understands).
    pub(crate) fn open(db_path: &Path) -> Result<TextDrops> {
        let conn = super::open::open_read_write(db_path)?;
        let schema = detect(&conn)?;
        super::open::prepare_for_writes(&conn)?;
        Ok(TextDrops { conn, schema })
    }

    /// True when this generation's rows of `table` can be dropped (and given back).
    pub(crate) fn can_drop(generation: Generation, table: &str) -> bool {
        match generation {
            Generation::V0_4 => matches!(table, "frames" | "elements" | "audio_transcriptions"),
            Generation::Feb2026 => table == "audio_transcriptions",
        }
    }

    /// `AND col IS NULL` for each of `cols` that `table` has.
    fn null_checks(&self, table: &str, cols: &[&str]) -> String {
        cols.iter().filter(|c| self.schema.tables.has(table, c)).map(|c| format!(" AND {c} IS NULL")).collect()
    }

    /// Drops one batch in one `IMMEDIATE` transaction (see the module). `decide` runs inside
    /// it, once screenpipe's writers are held off: the rows it proves (reading through another
    /// connection, whose snapshot then sees every committed write and no later one until this
    /// commits) are the rows dropped, so no row can change between its proof and its drop. An
    /// error from `decide` rolls back and drops nothing.
    pub(crate) fn drop_batch(&mut self, decide: impl FnOnce() -> Result<DropBatch>) -> Result<Dropped> {
        let generation = self.schema.generation;
        let frame_sql = format!(
            "UPDATE frames SET {} WHERE id = ?1",
            FRAME_TEXT_COLUMNS.iter().map(|c| format!("{c} = NULL")).collect::<Vec<_>>().join(", ")
        );
        let element_check = format!(
            "SELECT COUNT(*) FROM elements WHERE frame_id = ?1 AND NOT (1 {} AND ((left_bound IS NULL AND top_bound IS NULL
               AND width_bound IS NULL AND height_bound IS NULL) OR (left_bound IS NOT NULL AND top_bound IS NOT NULL
               AND width_bound IS NOT NULL AND height_bound IS NOT NULL)))",
            self.null_checks("elements", &["redacted_at"])
        );
        let transcription_sql = format!(
            "DELETE FROM audio_transcriptions WHERE id = ?1 AND typeof(timestamp) = 'text'{} RETURNING audio_chunk_id",
            self.null_checks("audio_transcriptions", &["redacted_at", "sync_id", "synced_at"])
        );
        let redacted_frame = self.null_checks(
            "frames",
            &[
                "full_text_redacted_at",
                "text_json_redacted_at",
                "accessibility_redacted_at",
                "accessibility_tree_redacted_at",
            ],
        );
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin text drop")?;
        let batch = &decide()?;
        let mut out = Dropped::default();
        if generation == Generation::V0_4 {
            for &frame in &batch.element_frames {
                let odd: i64 = tx.query_row(&element_check, [frame], |r| r.get(0)).ctx("elements")?;
                if odd == 0 {
                    out.elements += tx
                        .execute("DELETE FROM elements WHERE frame_id = ?1", [frame])
                        .map_err(|e| SyncError::db("delete elements", e))? as u64;
                    out.element_frames.push(frame);
                } else {
                    out.not_restorable.push(format!("elements of frames#{frame}"));
                }
            }
            for &frame in &batch.frames {
                let restorable = tx
                    .query_row(&format!("SELECT 1 FROM frames WHERE id = ?1{redacted_frame}"), [frame], |_| Ok(()))
                    .optional()
                    .ctx("frames")?
                    .is_some();
                if !restorable {
                    out.not_restorable.push(format!("frames#{frame}"));
                    continue;
                }
                tx.execute(&frame_sql, [frame]).map_err(|e| SyncError::db("clear a frame's text", e))?;
                out.frames.push(frame);
            }
        }
        let mut chunks = BTreeSet::new();
        for &id in &batch.transcriptions {
            let chunk: Option<i64> = tx
                .query_row(&transcription_sql, [id], |r| r.get(0))
                .optional()
                .map_err(|e| SyncError::db("delete a transcription", e))?;
            match chunk {
                Some(chunk) => {
                    chunks.insert(chunk);
                    out.transcriptions.push(id);
                }
                None => out.not_restorable.push(format!("audio_transcriptions#{id}")),
            }
        }
        if generation == Generation::Feb2026 {
            for chunk in chunks {
                reindex_chunk(&tx, chunk)?;
            }
        }
        tx.commit().ctx("commit text drop")?;
        Ok(out)
    }

    /// Writes back a bundle's frames' text, elements and transcriptions (those given: the
    /// dropped ones), in one transaction. Idempotent: a frame whose text is set again, a row
    /// already there, or a row whose parent is gone is left alone.
    pub(crate) fn restore_batch(
        &mut self,
        frames: &[&FrameRecord],
        elements: &[&ElementRecord],
        transcriptions: &[&TranscriptionRecord],
    ) -> Result<Restored> {
        let generation = self.schema.generation;
        let tables = self.schema.tables.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin text restore")?;
        let mut out = Restored::default();
        let exists = |table: &str, id: i64| -> Result<bool> {
            Ok(tx
                .prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))
                .ctx(table)?
                .query_row([id], |_| Ok(()))
                .optional()
                .ctx(table)?
                .is_some())
        };
        if generation == Generation::V0_4 {
            let sets: Vec<String> =
                FRAME_TEXT_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 2)).collect();
            let still_cleared: String = FRAME_TEXT_COLUMNS.iter().map(|c| format!(" AND {c} IS NULL")).collect();
            let sql = format!("UPDATE frames SET {} WHERE id = ?1{still_cleared}", sets.join(", "));
            for f in frames {
                let n = tx
                    .execute(
                        &sql,
                        params![f.row_id, f.text, f.text_json, f.accessibility_text, f.accessibility_tree_json],
                    )
                    .map_err(|e| SyncError::db("restore a frame's text", e))?;
                if n == 1 {
                    out.frames += 1;
                } else {
                    out.skipped += 1;
                }
            }
            // Parents first: by depth, then id.
            let mut sorted: Vec<&&ElementRecord> = elements.iter().collect();
            sorted.sort_by_key(|e| (e.depth, e.row_id));
            for e in sorted {
                if exists("elements", e.row_id)? || !exists("frames", e.frame_row_id)? {
                    out.skipped += 1;
                    continue;
                }
                let parent = e.parent_row_id.filter(|p| exists("elements", *p).unwrap_or(false));
                let mut cols = vec![("id".to_owned(), Value::Integer(e.row_id))];
                cols.extend(element_columns(e, e.frame_row_id, parent));
                insert(&tx, &tables, "elements", &cols)?;
                out.elements += 1;
            }
        }
        for t in transcriptions {
            if exists("audio_transcriptions", t.row_id)? || !exists("audio_chunks", t.audio_chunk_row_id)? {
                out.skipped += 1;
                continue;
            }
            let cols: Vec<(&str, Value)> = vec![
                ("id", Value::Integer(t.row_id)),
                ("audio_chunk_id", Value::Integer(t.audio_chunk_row_id)),
                ("offset_index", Value::Integer(t.offset_index)),
                ("timestamp", Value::Text(t.timestamp.clone())),
                ("transcription", Value::Text(t.transcription.clone())),
                ("device", text(&t.device)),
                ("is_input_device", boolean(t.is_input_device)),
                ("speaker_id", int(t.speaker_id)),
                ("transcription_engine", text(&t.transcription_engine)),
                ("start_time", real(t.start_time)),
                ("end_time", real(t.end_time)),
                ("text_length", int(t.text_length)),
            ];
            if !insert(&tx, &tables, "audio_transcriptions", &cols)? {
                // Another row holds the same (chunk, transcription) pair now.
                out.skipped += 1;
                continue;
            }
            out.transcriptions += 1;
            if generation == Generation::Feb2026
                && super::Tables::indexed_up_to(&tx, "audio_transcriptions")? >= t.row_id
            {
                index_transcription(&tx, t.row_id)?;
            }
        }
        tx.commit().ctx("commit text restore")?;
        Ok(out)
    }
}

/// Inserts a row with the columns `table` has (a NULL for a `NOT NULL` column left to its
/// default); false when a uniqueness conflict ignored it.
fn insert<S: AsRef<str>>(
    tx: &Transaction<'_>,
    tables: &super::Tables,
    table: &str,
    cols: &[(S, Value)],
) -> Result<bool> {
    let cols: Vec<(&str, &Value)> =
        cols.iter().map(|(c, v)| (c.as_ref(), v)).filter(|(c, v)| tables.writes(table, c, v)).collect();
    let names: Vec<String> = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT OR IGNORE INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
    let n = tx
        .prepare_cached(&sql)
        .ctx(table)?
        .execute(rusqlite::params_from_iter(cols.iter().map(|(_, v)| v)))
        .map_err(|e| SyncError::db(format!("restore into {table}"), e))?;
    Ok(n == 1)
}

/// Indexes one transcription with the February 2026 indexer's own statement.
fn index_transcription(tx: &Transaction<'_>, id: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO audio_transcriptions_fts(audio_chunk_id, transcription, device, speaker_id)
         SELECT audio_chunk_id, transcription, COALESCE(device, ''), speaker_id FROM audio_transcriptions
         WHERE rowid = ?1 AND transcription IS NOT NULL AND transcription != ''",
    )
    .ctx("audio_transcriptions_fts")?
    .execute([id])
    .ctx("audio_transcriptions_fts")?;
    Ok(())
}

/// Indexes again the transcriptions of `chunk` the indexer had indexed (February 2026: the
/// delete trigger emptied the chunk's FTS rows).
fn reindex_chunk(tx: &Transaction<'_>, chunk: i64) -> Result<()> {
    let up_to = super::Tables::indexed_up_to(tx, "audio_transcriptions")?;
    let ids: Vec<i64> = {
        let mut stmt = tx
            .prepare_cached("SELECT id FROM audio_transcriptions WHERE audio_chunk_id = ?1 AND id <= ?2 ORDER BY id")
            .ctx("audio_transcriptions")?;
        let rows = stmt.query_map(params![chunk, up_to], |r| r.get(0)).ctx("audio_transcriptions")?;
        rows.collect::<std::result::Result<_, _>>().ctx("audio_transcriptions")?
    };
    for id in ids {
        index_transcription(tx, id)?;
    }
    Ok(())
}
