//! Which columns each record of a bundle becomes, parents first: chunks, then frames with
//! their elements and accessibility rows ([`super::frames`]), transcriptions, UI events, then
//! memories and meetings ([`super::notes`]), with references mapped to local row ids. A record
//! already imported is skipped; one whose parent is missing is dropped as an orphan. A memory
//! or UI event whose frame is not imported yet gets its `frame_id` when the frame comes.

use std::path::Path;

use sync_core::BlobId;
use sync_core::records::{RecordsBundle, tables};

use super::{ImportCounts, media_dest};
use crate::error::Result;
use crate::screenpipe::Generation;
use crate::screenpipe::unpacker_writes::{FrameLink, ImportTx};
use crate::screenpipe::values::{Value, boolean, int, json_value, real, rfc3339_text, text};

/// Columns the unpacker never takes from a UI event's `extra` (set locally or mapped).
const UI_RESERVED: [&str; 13] = [
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
    "redacted_at",
    "cloud_blob_id",
];

/// A timestamp as the target stores it: RFC 3339 into 0.4, as it came elsewhere.
pub(super) fn stored_time(generation: Generation, ts: &str) -> Value {
    match generation {
        Generation::V0_4 => Value::Text(rfc3339_text(ts)),
        Generation::Feb2026 => Value::Text(ts.to_owned()),
    }
}

/// Writes every record of `b` that `tx` does not hold yet, parents first, counting into
/// `counts`.
pub(super) fn write_bundle(
    tx: &ImportTx<'_>,
    b: &RecordsBundle,
    data_dir: &Path,
    generation: Generation,
    counts: &mut ImportCounts,
) -> Result<()> {
    let origin = &b.device_id;
    for vc in &b.video_chunks {
        if tx.lookup(tables::VIDEO_CHUNKS, vc.row_id)?.is_some() {
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
        if let Some(id) = tx.insert(tables::VIDEO_CHUNKS, Some((tables::VIDEO_CHUNKS, vc.row_id)), cols, false)? {
            counts.inserted(tables::VIDEO_CHUNKS);
            tx.record(tables::VIDEO_CHUNKS, vc.row_id, id)?;
        }
    }
    super::frames::write_frames(tx, b, data_dir, generation, counts)?;
    for a in &b.audio_chunks {
        if tx.lookup(tables::AUDIO_CHUNKS, a.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let blob = a.blob_id.unwrap_or(BlobId([0; 16]));
        let path = media_dest(data_dir, origin, &a.file_name, &blob);
        let cols = vec![
            ("file_path".into(), Value::Text(path.to_string_lossy().into_owned())),
            ("timestamp".into(), a.timestamp.as_deref().map_or(Value::Null, |t| stored_time(generation, t))),
            ("transcription_status".into(), text(&a.transcription_status)),
        ];
        if let Some(id) = tx.insert(tables::AUDIO_CHUNKS, Some((tables::AUDIO_CHUNKS, a.row_id)), cols, false)? {
            counts.inserted(tables::AUDIO_CHUNKS);
            tx.record(tables::AUDIO_CHUNKS, a.row_id, id)?;
        }
    }
    for t in &b.audio_transcriptions {
        if tx.lookup(tables::AUDIO_TRANSCRIPTIONS, t.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let Some(chunk) = tx.lookup(tables::AUDIO_CHUNKS, t.audio_chunk_row_id)? else {
            counts.orphans += 1;
            continue;
        };
        let cols = vec![
            ("audio_chunk_id".into(), Value::Integer(chunk)),
            ("offset_index".into(), Value::Integer(t.offset_index)),
            ("timestamp".into(), stored_time(generation, &t.timestamp)),
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
        let identity = Some((tables::AUDIO_TRANSCRIPTIONS, t.row_id));
        let local = match tx.insert(tables::AUDIO_TRANSCRIPTIONS, identity, cols, true)? {
            Some(id) => {
                counts.inserted(tables::AUDIO_TRANSCRIPTIONS);
                id
            }
            None => tx.transcription_id(chunk, &t.transcription)?,
        };
        tx.record(tables::AUDIO_TRANSCRIPTIONS, t.row_id, local)?;
    }
    for u in &b.ui_events {
        if tx.lookup(tables::UI_EVENTS, u.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        let mut cols = vec![
            ("timestamp".into(), stored_time(generation, &u.timestamp)),
            ("event_type".into(), Value::Text(u.event_type.clone())),
            ("app_name".into(), text(&u.app_name)),
            ("window_title".into(), text(&u.window_title)),
            ("browser_url".into(), text(&u.browser_url)),
            ("text_content".into(), text(&u.text_content)),
        ];
        let mut frame = FrameLink::None;
        for (name, v) in &u.extra {
            if name == "frame_id" {
                frame = tx.frame_or_wait(v.as_i64())?;
                cols.push(("frame_id".into(), int(frame.local())));
            } else if !UI_RESERVED.contains(&name.as_str()) {
                cols.push((name.clone(), json_value(v)));
            }
        }
        if let Some(id) = tx.insert(tables::UI_EVENTS, Some((tables::UI_EVENTS, u.row_id)), cols, false)? {
            counts.inserted(tables::UI_EVENTS);
            tx.record(tables::UI_EVENTS, u.row_id, id)?;
            if let FrameLink::Waiting(f) = frame {
                tx.wait_for_frame(f, tables::UI_EVENTS, id)?;
            }
        }
    }
    super::notes::write_notes(tx, b, generation, counts)?;
    // Rows of earlier bundles whose frame came in this one.
    tx.link_waiting_frames()?;
    Ok(())
}
