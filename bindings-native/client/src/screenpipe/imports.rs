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
";

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
