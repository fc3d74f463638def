//! Frames, their elements, and accessibility records, into each generation:
//!
//! - **0.4**: a frame becomes one `frames` row with its text (`full_text`, `text_source`,
//!   `text_json`, `accessibility_text`, ...), its snapshot (`snapshot_path` and `name`: the
//!   pulled file, when it is there) or its video chunk; its elements follow, parents mapped
//!   within the bundle. An `accessibility` record (February 2026 and older) becomes a frame
//!   without media: `full_text` = `accessibility_text` = its text, `text_source` =
//!   `accessibility` (recorded as `accessibility>frames`).
//! - **February 2026**: `frames.video_chunk_id` is NOT NULL there. A frame with a video chunk
//!   points to it; any other frame gets a `video_chunks` row of its own (recorded as
//!   `frames>video_chunks`): `file_path` = the pulled snapshot (a JPEG; its offset 0 is the
//!   image), or `''` when the frame has no media; `fps` 0.5 (the column's default). The text
//!   goes to an `ocr_text` row (`text`, `text_json`, `ocr_engine` or `'unknown'`,
//!   `text_length` in bytes; recorded as `frames>ocr_text`). Elements cannot be held there:
//!   skipped and counted as not representable. The other 0.4 frame columns
//!   (`accessibility_text`, `accessibility_tree_json`, `capture_trigger`, `document_path`,
//!   `text_source`) have no place there either and are dropped. `accessibility` records go to
//!   the `accessibility` table.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sync_core::records::{FrameRecord, RecordsBundle, tables};

use super::records::stored_time;
use super::{ImportCounts, snapshot_dest};
use crate::error::Result;
use crate::screenpipe::Generation;
use crate::screenpipe::imports::{ACCESSIBILITY_AS_FRAME, FRAME_AS_OCR_TEXT, FRAME_AS_VIDEO_CHUNK};
use crate::screenpipe::unpacker_writes::ImportTx;
use crate::screenpipe::values::{Value, boolean, element_columns, int, real, text};

/// The frame rate of the video chunk a February 2026 frame without one gets (the column's
/// default: the rate is meaningless for one image).
const SYNTHETIC_CHUNK_FPS: f64 = 0.5;

/// Writes the frames, elements and accessibility records of `b` that `tx` does not hold yet.
pub(super) fn write_frames(
    tx: &ImportTx<'_>,
    b: &RecordsBundle,
    data_dir: &Path,
    generation: Generation,
    counts: &mut ImportCounts,
) -> Result<()> {
    // Frames inserted now: origin row id → local row id (their elements follow).
    let mut inserted: HashMap<i64, i64> = HashMap::new();
    // 0.4 frames to insert, with their columns: they go in a few statements at the end.
    let mut v0_4: Vec<(i64, Vec<(String, Value)>)> = Vec::new();
    let mut queued: HashSet<i64> = HashSet::new();
    for f in &b.frames {
        if tx.lookup(tables::FRAMES, f.row_id)?.is_some() || queued.contains(&f.row_id) {
            counts.existing += 1;
            continue;
        }
        let chunk = match f.video_chunk_row_id {
            Some(c) => tx.lookup(tables::VIDEO_CHUNKS, c)?,
            None => None,
        };
        // The snapshot's path, once the pull wrote the file.
        let snapshot = f
            .snapshot
            .as_ref()
            .map(|s| snapshot_dest(data_dir, &b.device_id, f, s))
            .filter(|p| p.is_file())
            .map(|p| p.to_string_lossy().into_owned());
        // `name`: as carried, else the file the frame shows (screenpipe stores its path there).
        let name = match (&f.name, &snapshot, chunk) {
            (Some(n), _, _) => Some(n.clone()),
            (None, Some(s), _) => Some(s.clone()),
            (None, None, Some(c)) => tx.text_of(tables::VIDEO_CHUNKS, "file_path", c)?,
            (None, None, None) => None,
        };
        match generation {
            Generation::V0_4 => {
                let mut cols = frame_columns_v0_4(f, chunk, snapshot, name);
                tx.add_identity(tables::FRAMES, (tables::FRAMES, f.row_id), &mut cols);
                v0_4.push((f.row_id, cols));
                queued.insert(f.row_id);
            }
            Generation::Feb2026 => {
                if let Some(local) = insert_frame_feb(tx, f, chunk, snapshot, name, counts)? {
                    counts.inserted(tables::FRAMES);
                    tx.record(tables::FRAMES, f.row_id, local)?;
                    inserted.insert(f.row_id, local);
                }
            }
        }
    }
    if !v0_4.is_empty() {
        // Ids chosen up front, the rows in a few statements (see `ImportTx::insert_many`: one
        // statement per frame made FTS5 write a segment per frame).
        let ids = tx.next_ids(tables::FRAMES, v0_4.len())?;
        let mut mapping = Vec::with_capacity(v0_4.len());
        let mut rows = Vec::with_capacity(v0_4.len());
        for ((origin_row, cols), id) in v0_4.into_iter().zip(ids) {
            mapping.push((origin_row, id));
            rows.push((id, cols));
        }
        tx.insert_many(tables::FRAMES, rows)?;
        for (origin_row, id) in mapping {
            tx.record(tables::FRAMES, origin_row, id)?;
            inserted.insert(origin_row, id);
        }
        counts.inserted_many(tables::FRAMES, inserted.len() as u64);
    }
    write_elements(tx, b, generation, &inserted, counts)?;
    for a in &b.accessibility {
        let label = match generation {
            Generation::V0_4 => ACCESSIBILITY_AS_FRAME,
            Generation::Feb2026 => tables::ACCESSIBILITY,
        };
        if tx.lookup(label, a.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let (table, cols) = match generation {
            Generation::V0_4 => (
                tables::FRAMES,
                vec![
                    ("offset_index".into(), Value::Integer(0)),
                    ("timestamp".into(), stored_time(generation, &a.timestamp)),
                    ("app_name".into(), text(&a.app_name)),
                    ("window_name".into(), text(&a.window_name)),
                    ("browser_url".into(), text(&a.browser_url)),
                    ("full_text".into(), text(&a.text_content)),
                    ("accessibility_text".into(), text(&a.text_content)),
                    ("text_source".into(), Value::Text("accessibility".into())),
                ],
            ),
            Generation::Feb2026 => (
                tables::ACCESSIBILITY,
                vec![
                    ("timestamp".into(), Value::Text(a.timestamp.clone())),
                    ("app_name".into(), Value::Text(a.app_name.clone().unwrap_or_default())),
                    ("window_name".into(), Value::Text(a.window_name.clone().unwrap_or_default())),
                    ("text_content".into(), Value::Text(a.text_content.clone().unwrap_or_default())),
                    ("browser_url".into(), text(&a.browser_url)),
                ],
            ),
        };
        if let Some(id) = tx.insert(table, Some((tables::ACCESSIBILITY, a.row_id)), cols, false)? {
            counts.inserted(table);
            tx.record(label, a.row_id, id)?;
        }
    }
    Ok(())
}

/// The columns every generation's frame has.
fn common_columns(f: &FrameRecord, generation: Generation, offset: i64, name: Option<String>) -> Vec<(String, Value)> {
    vec![
        ("offset_index".into(), Value::Integer(offset)),
        ("timestamp".into(), stored_time(generation, &f.timestamp)),
        ("name".into(), text(&name)),
        ("browser_url".into(), text(&f.browser_url)),
        ("app_name".into(), text(&f.app_name)),
        ("window_name".into(), text(&f.window_name)),
        ("focused".into(), boolean(f.focused)),
        ("device_name".into(), text(&f.device_name)),
    ]
}

/// A 0.4 frame: everything on the `frames` row.
fn frame_columns_v0_4(
    f: &FrameRecord,
    chunk: Option<i64>,
    snapshot: Option<String>,
    name: Option<String>,
) -> Vec<(String, Value)> {
    let mut cols = common_columns(f, Generation::V0_4, f.offset_index, name);
    cols.extend([
        ("video_chunk_id".into(), int(chunk)),
        ("snapshot_path".into(), text(&snapshot)),
        ("full_text".into(), text(&f.text)),
        ("text_source".into(), text(&f.text_source)),
        ("text_json".into(), text(&f.text_json)),
        ("accessibility_text".into(), text(&f.accessibility_text)),
        ("accessibility_tree_json".into(), text(&f.accessibility_tree_json)),
        ("capture_trigger".into(), text(&f.capture_trigger)),
        ("document_path".into(), text(&f.document_path)),
    ]);
    cols
}

/// A February 2026 frame: a video chunk (its own, or one made for it), the frame, its text in
/// an `ocr_text` row.
fn insert_frame_feb(
    tx: &ImportTx<'_>,
    f: &FrameRecord,
    chunk: Option<i64>,
    snapshot: Option<String>,
    name: Option<String>,
    counts: &mut ImportCounts,
) -> Result<Option<i64>> {
    let (chunk, offset) = match chunk {
        Some(c) => (c, f.offset_index),
        None => {
            let cols = vec![
                ("file_path".into(), Value::Text(snapshot.clone().unwrap_or_default())),
                ("device_name".into(), text(&f.device_name)),
                ("fps".into(), real(Some(SYNTHETIC_CHUNK_FPS))),
            ];
            let Some(id) = tx.insert(tables::VIDEO_CHUNKS, Some((tables::FRAMES, f.row_id)), cols, false)? else {
                return Ok(None);
            };
            counts.inserted(tables::VIDEO_CHUNKS);
            tx.record(FRAME_AS_VIDEO_CHUNK, f.row_id, id)?;
            (id, 0)
        }
    };
    let mut cols = common_columns(f, Generation::Feb2026, offset, name);
    cols.push(("video_chunk_id".into(), Value::Integer(chunk)));
    let Some(local) = tx.insert(tables::FRAMES, Some((tables::FRAMES, f.row_id)), cols, false)? else {
        return Ok(None);
    };
    if let Some(t) = &f.text {
        let cols = vec![
            ("frame_id".into(), Value::Integer(local)),
            ("text".into(), Value::Text(t.clone())),
            ("text_json".into(), text(&f.text_json)),
            ("ocr_engine".into(), text(&f.ocr_engine)),
            ("text_length".into(), Value::Integer(i64::try_from(t.len()).unwrap_or(i64::MAX))),
        ];
        if let Some(id) = tx.insert(tables::OCR_TEXT, Some((tables::FRAMES, f.row_id)), cols, false)? {
            counts.inserted(tables::OCR_TEXT);
            tx.record(FRAME_AS_OCR_TEXT, f.row_id, id)?;
        }
    }
    Ok(Some(local))
}

/// The elements of the frames inserted now (0.4), parents mapped within the bundle; elements
/// of frames imported before are there already.
fn write_elements(
    tx: &ImportTx<'_>,
    b: &RecordsBundle,
    generation: Generation,
    inserted: &HashMap<i64, i64>,
    counts: &mut ImportCounts,
) -> Result<()> {
    let mut elements: Vec<_> = b.elements.iter().collect();
    elements.sort_by_key(|e| e.row_id);
    let mut skipped = 0;
    // The elements to write, each with its frame; their ids are chosen up front, so that a
    // child names its parent's and the rows go in a few statements (`ImportTx::insert_many`).
    let mut taken = Vec::new();
    for e in elements {
        let Some(frame) = inserted.get(&e.frame_row_id) else {
            if tx.lookup(tables::FRAMES, e.frame_row_id)?.is_some() {
                counts.existing += 1;
            } else {
                counts.orphans += 1;
            }
            continue;
        };
        if generation != Generation::V0_4 {
            skipped += 1;
            continue;
        }
        taken.push((e, *frame));
    }
    if !taken.is_empty() {
        let ids = tx.next_ids(tables::ELEMENTS, taken.len())?;
        let mapped: HashMap<i64, i64> = taken.iter().zip(ids.clone()).map(|((e, _), id)| (e.row_id, id)).collect();
        let rows = taken
            .iter()
            .zip(ids)
            .map(|((e, frame), id)| {
                // A parent later in the bundle than its child (never seen): no parent, as before.
                let parent = e.parent_row_id.and_then(|p| mapped.get(&p).copied()).filter(|p| *p < id);
                let cols = element_columns(e, *frame, parent);
                (id, cols)
            })
            .collect();
        tx.insert_many(tables::ELEMENTS, rows)?;
        counts.inserted_many(tables::ELEMENTS, taken.len() as u64);
    }
    counts.not_representable(tables::ELEMENTS, skipped);
    Ok(())
}
