//! Which columns each record of a bundle becomes, parents first (chunks, frames, OCR rows,
//! transcriptions, accessibility rows, UI events), with references mapped to local row ids.
//! A record already imported is skipped; one whose parent is missing is dropped as an orphan.

use std::path::Path;

use sync_core::BlobId;
use sync_core::records::RecordsBundle;

use super::{ImportCounts, media_dest};
use crate::error::Result;
use crate::screenpipe::unpacker_writes::ImportTx;
use crate::screenpipe::values::{Value, boolean, int, json_value, real, text};

/// Columns the unpacker never takes from a UI event's `extra` (set locally or mapped).
const UI_RESERVED: [&str; 11] = [
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
    "frame_id",
];

/// Writes every record of `b` that `tx` does not hold yet, parents first, counting into
/// `counts`.
pub(super) fn write_bundle(
    tx: &ImportTx<'_>,
    b: &RecordsBundle,
    data_dir: &Path,
    counts: &mut ImportCounts,
) -> Result<()> {
    let origin = &b.device_id;
    // Inserts a row and records its mapping; counts it.
    let insert = |table: &str, origin_row: i64, cols: Vec<(String, Value)>, counts: &mut ImportCounts| -> Result<()> {
        if let Some(id) = tx.insert(table, origin_row, cols, false)? {
            *counts.inserted.entry(table.to_owned()).or_default() += 1;
            tx.record(table, origin_row, id)?;
        }
        Ok(())
    };
    for vc in &b.video_chunks {
        if tx.lookup("video_chunks", vc.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let blob = vc.blob_id.unwrap_or(BlobId([0; 16]));
        let path = media_dest(data_dir, origin, &vc.file_name, &blob);
        let cols = vec![
            ("file_path".into(), Value::Text(path.to_string_lossy().into_owned())),
            ("device_name".into(), text(&vc.device_name)),
            ("fps".into(), real(vc.fps)),
        ];
        insert("video_chunks", vc.row_id, cols, counts)?;
    }
    for f in &b.frames {
        if tx.lookup("frames", f.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let chunk = match f.video_chunk_row_id {
            Some(c) => tx.lookup("video_chunks", c)?,
            None => None,
        };
        let cols = vec![
            ("video_chunk_id".into(), Value::Integer(chunk.unwrap_or(0))),
            ("offset_index".into(), Value::Integer(f.offset_index)),
            ("timestamp".into(), Value::Text(f.timestamp.clone())),
            ("name".into(), text(&f.name)),
            ("browser_url".into(), text(&f.browser_url)),
            ("app_name".into(), text(&f.app_name)),
            ("window_name".into(), text(&f.window_name)),
            ("focused".into(), boolean(f.focused)),
            ("device_name".into(), text(&f.device_name)),
        ];
        insert("frames", f.row_id, cols, counts)?;
    }
    for o in &b.ocr_text {
        if tx.lookup("ocr_text", o.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let Some(frame) = tx.lookup("frames", o.frame_row_id)? else {
            counts.orphans += 1;
            continue;
        };
        let cols = vec![
            ("frame_id".into(), Value::Integer(frame)),
            ("text".into(), Value::Text(o.text.clone())),
            ("text_json".into(), text(&o.text_json)),
            ("ocr_engine".into(), text(&o.ocr_engine)),
            ("text_length".into(), int(o.text_length)),
            ("app_name".into(), text(&o.app_name)),
            ("window_name".into(), text(&o.window_name)),
            ("focused".into(), boolean(o.focused)),
        ];
        insert("ocr_text", o.row_id, cols, counts)?;
    }
    for a in &b.audio_chunks {
        if tx.lookup("audio_chunks", a.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let blob = a.blob_id.unwrap_or(BlobId([0; 16]));
        let path = media_dest(data_dir, origin, &a.file_name, &blob);
        let cols = vec![
            ("file_path".into(), Value::Text(path.to_string_lossy().into_owned())),
            ("timestamp".into(), text(&a.timestamp)),
        ];
        insert("audio_chunks", a.row_id, cols, counts)?;
    }
    for t in &b.audio_transcriptions {
        if tx.lookup("audio_transcriptions", t.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let Some(chunk) = tx.lookup("audio_chunks", t.audio_chunk_row_id)? else {
            counts.orphans += 1;
            continue;
        };
        let cols = vec![
            ("audio_chunk_id".into(), Value::Integer(chunk)),
            ("offset_index".into(), Value::Integer(t.offset_index)),
            ("timestamp".into(), Value::Text(t.timestamp.clone())),
            ("transcription".into(), Value::Text(t.transcription.clone())),
            ("device".into(), text(&t.device)),
            ("is_input_device".into(), boolean(t.is_input_device)),
            ("speaker_id".into(), int(t.speaker_id)),
            ("transcription_engine".into(), text(&t.transcription_engine)),
            ("start_time".into(), real(t.start_time)),
            ("end_time".into(), real(t.end_time)),
            ("text_length".into(), int(t.text_length)),
        ];
        // screenpipe keeps (audio_chunk_id, transcription) unique: a duplicate maps to the
        // row already there.
        let local = match tx.insert("audio_transcriptions", t.row_id, cols, true)? {
            Some(id) => {
                *counts.inserted.entry("audio_transcriptions".to_owned()).or_default() += 1;
                id
            }
            None => tx.transcription_id(chunk, &t.transcription)?,
        };
        tx.record("audio_transcriptions", t.row_id, local)?;
    }
    for a in &b.accessibility {
        if tx.lookup("accessibility", a.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let cols = vec![
            ("timestamp".into(), Value::Text(a.timestamp.clone())),
            ("app_name".into(), Value::Text(a.app_name.clone().unwrap_or_default())),
            ("window_name".into(), Value::Text(a.window_name.clone().unwrap_or_default())),
            ("text_content".into(), Value::Text(a.text_content.clone().unwrap_or_default())),
            ("browser_url".into(), text(&a.browser_url)),
        ];
        insert("accessibility", a.row_id, cols, counts)?;
    }
    for u in &b.ui_events {
        if tx.lookup("ui_events", u.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let mut cols = vec![
            ("timestamp".into(), Value::Text(u.timestamp.clone())),
            ("event_type".into(), Value::Text(u.event_type.clone())),
            ("app_name".into(), text(&u.app_name)),
            ("window_title".into(), text(&u.window_title)),
            ("browser_url".into(), text(&u.browser_url)),
            ("text_content".into(), text(&u.text_content)),
        ];
        for (name, v) in &u.extra {
            if name == "frame_id" {
                let mapped = match v.as_i64() {
                    Some(f) => tx.lookup("frames", f)?,
                    None => None,
                };
                cols.push(("frame_id".into(), int(mapped)));
            } else if !UI_RESERVED.contains(&name.as_str()) {
                cols.push((name.clone(), json_value(v)));
            }
        }
        insert("ui_events", u.row_id, cols, counts)?;
    }
    Ok(())
}
