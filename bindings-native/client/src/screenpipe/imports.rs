//! The sync client's own table in screenpipe's database, [`IMPORTS_TABLE`]: which local row
//! holds which record of another device. It is the row id mapping, the idempotence check of
//! the unpacker, the marker that keeps imported rows out of this device's packager, and the
//! origin a local search result reports.
//!
//! `table_name` is the record's table on the origin device when the local row is in the same
//! table, or `origin_table>local_table` when a record becomes a row of another table (the
//! labels below): an `accessibility` record imported as a 0.4 frame
//! (`accessibility>frames`), the video chunk a February 2026 target needs for a frame without
//! one (`frames>video_chunks`, keyed by the frame's origin row id), the `ocr_text` row that holds
//! a frame's text there (`frames>ocr_text`). Elements have no entries: they are imported with
//! their frame, in the same transaction, and never packaged apart from it.

use rusqlite::{Connection, OptionalExtension, params};
use sync_core::records::tables;
use sync_core::{BlobId, DeviceId};

use crate::error::{DbContext, Result};

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
CREATE TABLE IF NOT EXISTS screenpipe_sync_waiting_frames (
    origin_device TEXT NOT NULL,
    origin_frame_row_id INTEGER NOT NULL,
    local_table TEXT NOT NULL,
    local_row_id INTEGER NOT NULL,
    PRIMARY KEY (origin_device, origin_frame_row_id, local_table, local_row_id)
) WITHOUT ROWID;
";

/// The sync client's table of imported rows (memories, UI events) whose frame (`frame_id`) was
/// not imported yet: `(origin device, origin frame row) → (local table, local row)`. When that
/// frame is imported, in a later bundle or a later pull of a wider range, the row's `frame_id`
/// is set (if still NULL) and the entry removed (`ImportTx::link_waiting_frames`).
pub const WAITING_FRAMES_TABLE: &str = "screenpipe_sync_waiting_frames";

/// An `accessibility` record held by a 0.4 `frames` row.
pub const ACCESSIBILITY_AS_FRAME: &str = "accessibility>frames";
/// The synthetic `video_chunks` row a February 2026 frame needs (keyed by the frame's origin
/// row id).
pub const FRAME_AS_VIDEO_CHUNK: &str = "frames>video_chunks";
/// The `ocr_text` row holding a frame's text on a February 2026 target (keyed by the frame's
/// origin row id).
pub const FRAME_AS_OCR_TEXT: &str = "frames>ocr_text";

/// Every label whose local rows are in `local_table`.
fn labels_in(local_table: &str) -> &'static [&'static str] {
    match local_table {
        tables::FRAMES => &[tables::FRAMES, ACCESSIBILITY_AS_FRAME],
        tables::VIDEO_CHUNKS => &[tables::VIDEO_CHUNKS, FRAME_AS_VIDEO_CHUNK],
        tables::OCR_TEXT => &[tables::OCR_TEXT, FRAME_AS_OCR_TEXT],
        tables::ELEMENTS => &[tables::ELEMENTS],
        tables::AUDIO_CHUNKS => &[tables::AUDIO_CHUNKS],
        tables::AUDIO_TRANSCRIPTIONS => &[tables::AUDIO_TRANSCRIPTIONS],
        tables::ACCESSIBILITY => &[tables::ACCESSIBILITY],
        tables::UI_EVENTS => &[tables::UI_EVENTS],
        tables::MEMORIES => &[tables::MEMORIES],
        tables::MEETINGS => &[tables::MEETINGS],
        _ => &[],
    }
}

/// The origin table of a label (`accessibility>frames` → `accessibility`).
pub(crate) fn origin_table(label: &str) -> &'static str {
    let origin = label.split('>').next().unwrap_or(label);
    [
        tables::VIDEO_CHUNKS,
        tables::FRAMES,
        tables::ELEMENTS,
        tables::AUDIO_CHUNKS,
        tables::AUDIO_TRANSCRIPTIONS,
        tables::ACCESSIBILITY,
        tables::UI_EVENTS,
        tables::MEMORIES,
        tables::MEETINGS,
        tables::OCR_TEXT,
    ]
    .into_iter()
    .find(|t| *t == origin)
    .unwrap_or("")
}

/// The SQL list of labels of `local_table`: `'frames', 'accessibility>frames'`.
fn label_list(local_table: &str) -> String {
    let labels = labels_in(local_table);
    if labels.is_empty() {
        return "''".to_owned();
    }
    labels.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ")
}

/// A SQL condition true for rows of `local_table` (row id `id_expr`) that were not imported;
/// `1` when the database has no imports table.
pub(super) fn not_imported(has_imports: bool, local_table: &str, id_expr: &str) -> String {
    if has_imports { format!("NOT {}", imported(true, local_table, id_expr)) } else { "1".to_owned() }
}

/// A SQL expression true for rows of `local_table` (row id `id_expr`) that were imported; `0`
/// when the database has no imports table.
pub(super) fn imported(has_imports: bool, local_table: &str, id_expr: &str) -> String {
    if has_imports {
        format!(
            "EXISTS (SELECT 1 FROM {IMPORTS_TABLE} i WHERE i.table_name IN ({}) AND i.local_row_id = {id_expr})",
            label_list(local_table)
        )
    } else {
        "0".to_owned()
    }
}

/// The local row holding record `origin_row` of label `label` from device `origin`, if
/// imported.
pub(super) fn lookup(conn: &Connection, origin: &DeviceId, label: &str, origin_row: i64) -> Result<Option<i64>> {
    conn.prepare_cached(&format!(
        "SELECT local_row_id FROM {IMPORTS_TABLE} WHERE origin_device = ?1 AND table_name = ?2 AND origin_row_id = ?3"
    ))
    .ctx("imports lookup")?
    .query_row(params![origin.as_str(), label, origin_row], |r| r.get(0))
    .optional()
    .ctx("imports lookup")
}

/// Records that local row `local` holds record `origin_row` of label `label` from `origin`,
/// imported from blob `blob_id`.
pub(super) fn record(
    conn: &Connection,
    origin: &DeviceId,
    blob_id: &BlobId,
    label: &str,
    origin_row: i64,
    local: i64,
) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {IMPORTS_TABLE} (origin_device, table_name, origin_row_id, local_row_id, blob_id, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
    ))
    .ctx("imports record")?
    .execute(params![origin.as_str(), label, origin_row, local, blob_id.to_hex()])
    .ctx("imports record")?;
    Ok(())
}

/// The identity of a local row of `local_table`: `(origin device, origin table, origin row
/// id)` from the imports table, or `(own, local_table, id)` for a row recorded here.
pub(super) fn origin_of(
    conn: &Connection,
    has_imports: bool,
    own: &str,
    local_table: &'static str,
    id: i64,
) -> Result<(String, &'static str, i64)> {
    if has_imports {
        let origin: Option<(String, String, i64)> = conn
            .prepare_cached(&format!(
                "SELECT origin_device, table_name, origin_row_id FROM {IMPORTS_TABLE}
                 WHERE table_name IN ({}) AND local_row_id = ?1",
                label_list(local_table)
            ))
            .ctx("imports")?
            .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .ctx("imports")?;
        if let Some((device, label, row)) = origin {
            return Ok((device, origin_table(&label), row));
        }
    }
    Ok((own.to_owned(), local_table, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_their_tables() {
        assert_eq!(origin_table(ACCESSIBILITY_AS_FRAME), tables::ACCESSIBILITY);
        assert_eq!(origin_table(FRAME_AS_OCR_TEXT), tables::FRAMES);
        assert_eq!(origin_table("ocr_text"), tables::OCR_TEXT);
        assert_eq!(label_list("frames"), "'frames', 'accessibility>frames'");
        assert_eq!(imported(false, "frames", "f.id"), "0");
        assert_eq!(not_imported(false, "frames", "f.id"), "1");
    }
}

/// Notes that local row `local` of `local_table` (a table with a `frame_id` column) wants frame
/// `origin_frame` of `origin`, not imported yet.
pub(super) fn wait_for_frame(
    conn: &Connection,
    origin: &DeviceId,
    origin_frame: i64,
    local_table: &str,
    local: i64,
) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT OR IGNORE INTO {WAITING_FRAMES_TABLE} (origin_device, origin_frame_row_id, local_table, local_row_id)
         VALUES (?1, ?2, ?3, ?4)"
    ))
    .ctx("waiting frames")?
    .execute(params![origin.as_str(), origin_frame, local_table, local])
    .ctx("waiting frames")?;
    Ok(())
}

/// A row waiting for a frame that has been imported since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ArrivedFrame {
    /// The row's device (the frame's too).
    origin_device: String,
    /// The frame's row on that device.
    origin_frame: i64,
    /// The waiting row's table (`memories` or `ui_events`).
    pub(super) table: &'static str,
    /// The waiting row.
    pub(super) row: i64,
    /// The local frame.
    pub(super) frame: i64,
}

/// The rows waiting for a frame imported since.
pub(super) fn arrived_frames(conn: &Connection) -> Result<Vec<ArrivedFrame>> {
    let any: bool = conn
        .prepare_cached(&format!("SELECT EXISTS (SELECT 1 FROM {WAITING_FRAMES_TABLE})"))
        .ctx("waiting frames")?
        .query_row([], |r| r.get(0))
        .ctx("waiting frames")?;
    if !any {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64, String, i64, i64)> = conn
        .prepare_cached(&format!(
            "SELECT w.origin_device, w.origin_frame_row_id, w.local_table, w.local_row_id, i.local_row_id
             FROM {WAITING_FRAMES_TABLE} w JOIN {IMPORTS_TABLE} i ON i.origin_device = w.origin_device
              AND i.table_name = '{frames}' AND i.origin_row_id = w.origin_frame_row_id",
            frames = tables::FRAMES
        ))
        .ctx("waiting frames")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .ctx("waiting frames")?
        .collect::<rusqlite::Result<_>>()
        .ctx("waiting frames")?;
    // Only the tables that wait (the name goes into SQL).
    Ok(rows
        .into_iter()
        .filter_map(|(origin_device, origin_frame, table, row, frame)| {
            let table = [tables::MEMORIES, tables::UI_EVENTS].into_iter().find(|t| *t == table)?;
            Some(ArrivedFrame { origin_device, origin_frame, table, row, frame })
        })
        .collect())
}

/// Sets the waiting row's `frame_id` (unless set meanwhile) and removes its entry; true when
/// the row was linked.
pub(super) fn link_arrived(conn: &Connection, a: &ArrivedFrame) -> Result<bool> {
    let linked = conn
        .prepare_cached(&format!("UPDATE {} SET frame_id = ?1 WHERE rowid = ?2 AND frame_id IS NULL", a.table))
        .ctx("link waiting frames")?
        .execute(params![a.frame, a.row])
        .ctx("link waiting frames")?;
    conn.prepare_cached(&format!(
        "DELETE FROM {WAITING_FRAMES_TABLE} WHERE origin_device = ?1 AND origin_frame_row_id = ?2
         AND local_table = ?3 AND local_row_id = ?4"
    ))
    .ctx("waiting frames")?
    .execute(params![a.origin_device, a.origin_frame, a.table, a.row])
    .ctx("waiting frames")?;
    Ok(linked > 0)
}
