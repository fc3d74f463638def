//! Frames as the packager reads them, per generation:
//! - 0.4: a `frames` row holds everything (`full_text`, `text_source`, `text_json`,
//!   `accessibility_text`, ..., `snapshot_path`); its `elements` are read by frame id range.
//! - February 2026: the frame's text is in its `ocr_text` rows (read in the same snapshot, by
//!   frame id range, and folded in with the core's rule, [`FrameRecord::set_ocr_rows`]).
//!
//! Also: the snapshot frames past the snapshot media cursor, and the frames whose text
//! screenpipe has not written yet (0.4 inserts a frame, then sets `full_text` when OCR ends).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use sync_core::records::{ElementRecord, FrameRecord, OcrRow};

use super::PackagerReads;
use crate::error::{DbContext, Result};
use crate::screenpipe::generation::Generation;
use crate::screenpipe::imports::{imported, not_imported};
use crate::screenpipe::values::{opt_bool, opt_text};

/// A frame as read: its record (`snapshot` is the packager's to fill; `name` is left out when
/// it is the snapshot's local path) and its snapshot's stored path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FrameRow {
    /// The record.
    pub(crate) record: FrameRecord,
    /// `snapshot_path` as stored (0.4).
    pub(crate) snapshot_path: Option<String>,
}

/// A frame with a snapshot, for the media pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SnapshotRow {
    /// The frame's row id.
    pub(crate) row_id: i64,
    /// Its timestamp, as stored.
    pub(crate) timestamp: String,
    /// `snapshot_path` as stored.
    pub(crate) snapshot_path: String,
    /// True when the unpacker imported it from another device (never packaged).
    pub(crate) imported: bool,
}

/// An `ocr_text` row: text, `text_json`, `ocr_engine`.
type OcrText = (String, Option<String>, Option<String>);

/// The columns every generation's frame has, after `id, video_chunk_id, offset_index,
/// timestamp` (`name` left out when it is the video chunk's local path: screenpipe of February
/// 2026 stores the video file there; the unpacker sets the new path).
const FRAME_COLUMNS: &str = "CASE WHEN f.name = vc.file_path THEN NULL ELSE f.name END, f.browser_url, f.app_name, \
                             f.window_name, f.focused, f.device_name";
/// The frame's video chunk, for [`FRAME_COLUMNS`].
const CHUNK_JOIN: &str = "frames f LEFT JOIN video_chunks vc ON vc.id = f.video_chunk_id";
/// The 0.4 columns, after [`FRAME_COLUMNS`].
const V0_4_COLUMNS: &str = "f.snapshot_path, f.full_text, f.text_source, f.text_json, f.accessibility_text, \
                            f.accessibility_tree_json, f.capture_trigger, f.document_path";

/// A frame row: `id, video_chunk_id, offset_index, timestamp` and [`FRAME_COLUMNS`].
fn frame_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<FrameRecord> {
    Ok(FrameRecord {
        video_chunk_row_id: r.get(1)?,
        offset_index: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
        name: r.get(4)?,
        browser_url: r.get(5)?,
        app_name: r.get(6)?,
        window_name: r.get(7)?,
        focused: opt_bool(r, 8)?,
        device_name: r.get(9)?,
        ..FrameRecord::new(r.get(0)?, opt_text(r, 3)?.unwrap_or_default())
    })
}

/// A 0.4 frame row: [`frame_record`]'s columns, then [`V0_4_COLUMNS`].
fn frame_row_v0_4(r: &rusqlite::Row<'_>) -> rusqlite::Result<FrameRow> {
    let mut record = frame_record(r)?;
    let snapshot_path: Option<String> = r.get(10)?;
    record.text = r.get(11)?;
    record.text_source = r.get(12)?;
    record.text_json = r.get(13)?;
    record.accessibility_text = r.get(14)?;
    record.accessibility_tree_json = r.get(15)?;
    record.capture_trigger = r.get(16)?;
    record.document_path = r.get(17)?;
    // screenpipe stores the snapshot's absolute path in `name` too: a local path, not carried.
    if snapshot_path.is_some() && record.name == snapshot_path {
        record.name = None;
    }
    Ok(FrameRow { record, snapshot_path })
}

impl PackagerReads {
    /// The frames in `(lo, hi]` recorded here, with their text.
    pub(crate) fn frames_in(&self, lo: i64, hi: i64) -> Result<Vec<FrameRow>> {
        let keep = not_imported(self.has_imports, "frames", "f.id");
        match self.generation() {
            Generation::V0_4 => {
                let sql = format!(
                    "SELECT f.id, f.video_chunk_id, f.offset_index, f.timestamp, {FRAME_COLUMNS}, {V0_4_COLUMNS}
                     FROM {CHUNK_JOIN} WHERE f.id > ?1 AND f.id <= ?2 AND {keep} ORDER BY f.id"
                );
                self.rows_in("frames", &sql, lo, hi, frame_row_v0_4)
            }
            Generation::Feb2026 => {
                let sql = format!(
                    "SELECT f.id, f.video_chunk_id, f.offset_index, f.timestamp, {FRAME_COLUMNS} FROM {CHUNK_JOIN}
                     WHERE f.id > ?1 AND f.id <= ?2 AND {keep} ORDER BY f.id"
                );
                let mut frames = self.rows_in("frames", &sql, lo, hi, frame_record)?;
                let mut ocr: BTreeMap<i64, Vec<OcrText>> = BTreeMap::new();
                let rows = self.rows_in(
                    "ocr_text",
                    "SELECT frame_id, text, text_json, ocr_engine FROM ocr_text
                     WHERE frame_id > ?1 AND frame_id <= ?2 ORDER BY rowid",
                    lo,
                    hi,
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            (r.get::<_, Option<String>>(1)?.unwrap_or_default(), r.get(2)?, r.get(3)?),
                        ))
                    },
                )?;
                for (frame, row) in rows {
                    ocr.entry(frame).or_default().push(row);
                }
                for f in &mut frames {
                    if let Some(rows) = ocr.get(&f.row_id) {
                        let rows: Vec<OcrRow<'_>> = rows
                            .iter()
                            .map(|(text, json, engine)| OcrRow {
                                text,
                                text_json: json.as_deref(),
                                ocr_engine: engine.as_deref(),
                            })
                            .collect();
                        f.set_ocr_rows(&rows);
                    }
                }
                Ok(frames.into_iter().map(|record| FrameRow { record, snapshot_path: None }).collect())
            }
        }
    }

    /// The elements of the frames in `(lo, hi]` (0.4; none elsewhere), in row order.
    pub(crate) fn elements_in(&self, lo: i64, hi: i64) -> Result<Vec<ElementRecord>> {
        if self.generation() != Generation::V0_4 {
            return Ok(Vec::new());
        }
        let sql = "SELECT id, frame_id, source, role, text, parent_id, depth, left_bound, top_bound, width_bound,
                          height_bound, confidence, sort_order, properties, on_screen
                   FROM elements WHERE frame_id > ?1 AND frame_id <= ?2 ORDER BY id";
        self.rows_in("elements", sql, lo, hi, |r| {
            let bounds: [Option<f64>; 4] = [r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?];
            let bounds = match bounds {
                [Some(l), Some(t), Some(w), Some(h)] if [l, t, w, h].iter().all(|v| v.is_finite()) => {
                    Some([l, t, w, h])
                }
                _ => None,
            };
            Ok(ElementRecord {
                row_id: r.get(0)?,
                frame_row_id: r.get(1)?,
                source: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                role: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                text: r.get(4)?,
                parent_row_id: r.get(5)?,
                depth: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                bounds,
                confidence: r.get::<_, Option<f64>>(11)?.filter(|c| c.is_finite()),
                sort_order: r.get::<_, Option<i64>>(12)?.unwrap_or(0),
                properties: r.get(13)?,
                on_screen: opt_bool(r, 14)?,
            })
        })
    }

    /// The frame of the `n`-th element (0-based) of the frames above `after`, if there is one
    /// (0.4): where a pass must stop to hold at most `n` elements.
    pub(crate) fn nth_element_frame(&self, after: i64, n: i64) -> Result<Option<i64>> {
        if self.generation() != Generation::V0_4 {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT frame_id FROM elements WHERE frame_id > ?1 ORDER BY frame_id LIMIT 1 OFFSET ?2",
                params![after, n],
                |r| r.get(0),
            )
            .optional()
            .ctx("elements")
    }

    /// Up to `limit` frames with a snapshot above `after`, in row order (0.4; none elsewhere).
    pub(crate) fn snapshot_rows(&self, after: i64, limit: usize) -> Result<Vec<SnapshotRow>> {
        if !self.generation().has_snapshots() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, timestamp, snapshot_path, {} FROM frames WHERE id > ?1 AND snapshot_path IS NOT NULL
             ORDER BY id LIMIT ?2",
            imported(self.has_imports, "frames", "frames.id")
        );
        let mut stmt = self.conn.prepare(&sql).ctx("frames")?;
        let rows = stmt
            .query_map(params![after, i64::try_from(limit).unwrap_or(1000)], |r| {
                Ok(SnapshotRow {
                    row_id: r.get(0)?,
                    timestamp: opt_text(r, 1)?.unwrap_or_default(),
                    snapshot_path: r.get(2)?,
                    imported: r.get(3)?,
                })
            })
            .ctx("frames")?;
        rows.collect::<std::result::Result<_, _>>().ctx("frames")
    }

    /// The first frame recorded here with a snapshot above `after`, if any (0.4).
    pub(crate) fn first_snapshot_after(&self, after: i64) -> Result<Option<i64>> {
        if !self.generation().has_snapshots() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT MIN(id) FROM frames WHERE id > ?1 AND snapshot_path IS NOT NULL AND {}",
            not_imported(self.has_imports, "frames", "frames.id")
        );
        self.conn.query_row(&sql, [after], |r| r.get(0)).ctx("frames")
    }

    /// The frames in `(lo, hi]` recorded here whose text screenpipe has not written (0.4:
    /// `full_text` NULL), with their timestamps, in row order.
    pub(crate) fn frames_without_text(&self, lo: i64, hi: i64) -> Result<Vec<(i64, String)>> {
        if self.generation() != Generation::V0_4 {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, timestamp FROM frames WHERE id > ?1 AND id <= ?2 AND full_text IS NULL AND {} ORDER BY id",
            not_imported(self.has_imports, "frames", "frames.id")
        );
        self.rows_in("frames", &sql, lo, hi, |r| Ok((r.get(0)?, opt_text(r, 1)?.unwrap_or_default())))
    }
}
