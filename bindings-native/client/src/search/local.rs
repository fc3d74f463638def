//! The local search: screenpipe's own FTS over screen text and transcriptions
//! ([`crate::screenpipe::local_search`]), checked with the core's term rule and the time
//! range, as [`SearchItem`]s that name each record's origin (an imported row knows it).

use rusqlite::Connection;
use sync_core::UnixMillis;
use sync_core::records::{parse_timestamp, tables};
use sync_core::search::terms;

use super::items::{AudioView, FrameView, MemoryView, SearchItem, holds_all};
use crate::error::Result;
use crate::screenpipe::local_search::LocalSearch;

/// screenpipe's own FTS search over frames (screen text, window titles, URLs; an `OCR` item per
/// frame and a `UI` item per frame with accessibility text) and transcriptions, checked with the core's term rule and the time range (the same fields as the
/// cloud's hits), newest first.
pub fn search_local(
    conn: &Connection,
    own_device: &str,
    query: &str,
    start: UnixMillis,
    end: UnixMillis,
    max: usize,
) -> Result<Vec<SearchItem>> {
    let wanted = terms(query);
    let db = LocalSearch::new(conn)?;
    let limit = i64::try_from(max.saturating_mul(4)).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for row in db.frame_matches(&wanted, limit)? {
        let Ok(time) = parse_timestamp(&row.timestamp) else { continue };
        if time < start || time > end {
            continue;
        }
        let fields = [
            row.text.as_str(),
            row.accessibility_text.as_deref().unwrap_or(""),
            row.window_name.as_deref().unwrap_or(""),
            row.browser_url.as_deref().unwrap_or(""),
        ];
        if !holds_all(&wanted, &fields) {
            continue;
        }
        let (device, table, origin_row) = db.identity(own_device, tables::FRAMES, row.frame_id)?;
        let view = FrameView {
            frame_id: row.frame_id,
            stored_timestamp: &row.timestamp,
            time,
            text: Some(&row.text),
            accessibility_text: row.accessibility_text.as_deref(),
            app_name: row.app_name.as_deref(),
            window_name: row.window_name.as_deref(),
            offset_index: row.offset_index,
            browser_url: row.browser_url.as_deref(),
            focused: row.focused,
            frame_name: row.frame_name.as_deref(),
            device_name: row.device_name.as_deref(),
            file_path: row.file_path.clone().unwrap_or_default(),
            chunk_file_path: row.chunk_file_path.clone().unwrap_or_default(),
            text_source: row.text_source.as_deref(),
            capture_trigger: row.capture_trigger.as_deref(),
        };
        for content in std::iter::once(view.ocr()).chain(view.ui()) {
            out.push(SearchItem {
                content,
                source: "local",
                device_id: device.clone(),
                table,
                origin_row_id: origin_row,
                time,
                snapshot: None,
            });
        }
    }
    for row in db.audio_matches(&wanted, limit)? {
        let Ok(time) = parse_timestamp(&row.timestamp) else { continue };
        if time < start || time > end || !holds_all(&wanted, &[&row.text]) {
            continue;
        }
        let (device, table, origin_row) = db.identity(own_device, tables::AUDIO_TRANSCRIPTIONS, row.row_id)?;
        let content = AudioView {
            chunk_id: row.chunk_id,
            transcription: &row.text,
            stored_timestamp: &row.timestamp,
            time,
            file_path: row.file_path.clone().unwrap_or_default(),
            offset_index: row.offset_index,
            device: row.device.as_deref(),
            is_input_device: row.is_input_device,
            speaker_id: row.speaker_id,
            start_time: row.start_time,
            end_time: row.end_time,
            engine: row.engine.as_deref(),
        }
        .audio();
        out.push(SearchItem {
            content,
            source: "local",
            device_id: device,
            table,
            origin_row_id: origin_row,
            time,
            snapshot: None,
        });
    }
    for row in db.memory_matches(&wanted, limit)? {
        let Ok(time) = parse_timestamp(&row.updated_at) else { continue };
        if time < start || time > end || !holds_all(&wanted, &[&row.content, row.tags.as_deref().unwrap_or("")]) {
            continue;
        }
        let (device, table, origin_row) = db.identity(own_device, tables::MEMORIES, row.id)?;
        let content = MemoryView {
            id: row.id,
            content: &row.content,
            source: &row.source,
            source_context: row.source_context.as_deref(),
            tags: row.tags.as_deref(),
            importance: row.importance,
            frame_id: row.frame_id,
            created_at: &row.created_at,
            updated_at: &row.updated_at,
            time,
        }
        .memory();
        out.push(SearchItem {
            content,
            source: "local",
            device_id: device,
            table,
            origin_row_id: origin_row,
            time,
            snapshot: None,
        });
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.time));
    Ok(out)
}
