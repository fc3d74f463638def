//! The local search: screenpipe's own FTS over screen text and transcriptions
//! ([`crate::screenpipe::local_search`]), checked with the core's term rule and the time
//! range, as [`SearchItem`]s that name each record's origin (an imported row knows it).

use rusqlite::Connection;
use sync_core::UnixMillis;
use sync_core::records::{parse_timestamp, tables};
use sync_core::search::terms;

use super::items::{AudioContent, Content, OcrContent, SearchItem, device_type, holds_all, rfc3339, speaker};
use crate::error::Result;
use crate::screenpipe::local_search::LocalSearch;

/// screenpipe's own FTS search over frames (screen text, window titles, URLs) and
/// transcriptions, checked with the core's term rule and the time range (the same fields as the
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
        let text = if row.text.is_empty() { row.accessibility_text.unwrap_or_default() } else { row.text };
        out.push(SearchItem {
            content: Content::Ocr(OcrContent {
                frame_id: row.frame_id,
                text,
                timestamp: rfc3339(time),
                file_path: row.file_path.unwrap_or_default(),
                offset_index: row.offset_index,
                app_name: row.app_name.unwrap_or_default(),
                window_name: row.window_name.unwrap_or_default(),
                tags: Vec::new(),
                frame: None,
                frame_name: row.frame_name,
                browser_url: row.browser_url,
                focused: row.focused,
                device_name: row.device_name.unwrap_or_default(),
            }),
            source: "local",
            device_id: device,
            table,
            origin_row_id: origin_row,
            time,
        });
    }
    for row in db.audio_matches(&wanted, limit)? {
        let Ok(time) = parse_timestamp(&row.timestamp) else { continue };
        if time < start || time > end || !holds_all(&wanted, &[&row.text]) {
            continue;
        }
        let (device, table, origin_row) = db.identity(own_device, tables::AUDIO_TRANSCRIPTIONS, row.row_id)?;
        out.push(SearchItem {
            content: Content::Audio(AudioContent {
                chunk_id: row.chunk_id,
                transcription: row.text,
                timestamp: rfc3339(time),
                file_path: row.file_path.unwrap_or_default(),
                offset_index: row.offset_index,
                tags: Vec::new(),
                device_name: row.device.unwrap_or_default(),
                device_type: device_type(row.is_input_device),
                speaker: speaker(row.speaker_id),
                start_time: row.start_time,
                end_time: row.end_time,
            }),
            source: "local",
            device_id: device,
            table,
            origin_row_id: origin_row,
            time,
        });
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.time));
    Ok(out)
}
