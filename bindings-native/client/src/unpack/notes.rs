//! Memories and meetings (0.4 only; a February 2026 target cannot hold them: skipped and
//! counted as not representable).
//!
//! - A memory is inserted once; when it comes again with a newer `updated_at` than the
//!   imported row's, the row is updated (screenpipe's `memories_au` trigger re-indexes it).
//!   Its `sync_uuid` (screenpipe's own sync, unique when set) is kept unless a local memory
//!   has it already; its frame is mapped when that frame was imported, or when it is (a
//!   memory can come before its frame: another bundle, or a pull of a later range).
//! - A meeting is inserted once. screenpipe allows one open meeting and one meeting per
//!   calendar event: a `calendar_event_id` taken here is written NULL; an open meeting while
//!   one is open here cannot be held (counted as not representable).

use sync_core::records::{RecordsBundle, parse_timestamp, tables};

use super::ImportCounts;
use crate::error::Result;
use crate::screenpipe::Generation;
use crate::screenpipe::unpacker_writes::{FrameLink, ImportTx};
use crate::screenpipe::values::{Value, int, real, text};

/// Writes the memories and meetings of `b`.
pub(super) fn write_notes(
    tx: &ImportTx<'_>,
    b: &RecordsBundle,
    generation: Generation,
    counts: &mut ImportCounts,
) -> Result<()> {
    if generation != Generation::V0_4 {
        // Counted once: a memory or meeting imported before is not there either.
        counts.not_representable(tables::MEMORIES, b.memories.len());
        counts.not_representable(tables::MEETINGS, b.meetings.len());
        return Ok(());
    }
    for m in &b.memories {
        let frame = tx.frame_or_wait(m.frame_row_id)?;
        let mut cols = vec![
            ("content".into(), Value::Text(m.content.clone())),
            ("source".into(), Value::Text(m.source.clone())),
            ("source_context".into(), text(&m.source_context)),
            ("tags".into(), Value::Text(m.tags.clone())),
            ("importance".into(), real(m.importance)),
            ("frame_id".into(), int(frame.local())),
            ("created_at".into(), Value::Text(m.created_at.clone())),
            ("updated_at".into(), Value::Text(m.updated_at.clone())),
        ];
        if let Some(local) = tx.lookup(tables::MEMORIES, m.row_id)? {
            let stored = tx.text_of(tables::MEMORIES, "updated_at", local)?;
            let newer = match (parse_timestamp(&m.updated_at), stored.as_deref().map(parse_timestamp)) {
                (Ok(incoming), Some(Ok(here))) => incoming > here,
                (Ok(_), _) => true,
                (Err(_), _) => false,
            };
            if newer {
                tx.update(tables::MEMORIES, local, cols)?;
                if let FrameLink::Waiting(f) = frame {
                    tx.wait_for_frame(f, tables::MEMORIES, local)?;
                }
                counts.updated += 1;
            } else {
                counts.existing += 1;
            }
            continue;
        }
        let uuid = match &m.sync_uuid {
            Some(u) if !tx.exists(tables::MEMORIES, "sync_uuid", u)? => Value::Text(u.clone()),
            _ => Value::Null,
        };
        cols.push(("sync_uuid".into(), uuid));
        if let Some(id) = tx.insert(tables::MEMORIES, Some((tables::MEMORIES, m.row_id)), cols, false)? {
            counts.inserted(tables::MEMORIES);
            tx.record(tables::MEMORIES, m.row_id, id)?;
            if let FrameLink::Waiting(f) = frame {
                tx.wait_for_frame(f, tables::MEMORIES, id)?;
            }
        }
    }
    for m in &b.meetings {
        if tx.lookup(tables::MEETINGS, m.row_id)?.is_some() {
            counts.existing += 1;
            continue;
        }
        if m.meeting_end.is_none() && tx.open_meeting_exists()? {
            counts.not_representable(tables::MEETINGS, 1);
            continue;
        }
        let calendar = match &m.calendar_event_id {
            Some(c) if !tx.exists(tables::MEETINGS, "calendar_event_id", c)? => Value::Text(c.clone()),
            _ => Value::Null,
        };
        let cols = vec![
            ("meeting_start".into(), Value::Text(m.meeting_start.clone())),
            ("meeting_end".into(), text(&m.meeting_end)),
            ("meeting_app".into(), Value::Text(m.meeting_app.clone())),
            ("title".into(), text(&m.title)),
            ("attendees".into(), text(&m.attendees)),
            ("detection_source".into(), text(&m.detection_source)),
            ("created_at".into(), text(&m.created_at)),
            ("note".into(), text(&m.note)),
            ("end_reason".into(), text(&m.end_reason)),
            ("calendar_event_id".into(), calendar),
        ];
        if let Some(id) = tx.insert(tables::MEETINGS, Some((tables::MEETINGS, m.row_id)), cols, false)? {
            counts.inserted(tables::MEETINGS);
            tx.record(tables::MEETINGS, m.row_id, id)?;
        }
    }
    Ok(())
}
