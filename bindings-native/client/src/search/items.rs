//! [`SearchItem`]: one search result in screenpipe's `/search` shape, `{"type": "OCR" |
//! "Audio" | "UI", "content": {...screenpipe's fields...}}`, plus `"source": "local" | "cloud"`
//! and `"device_id"` (the origin device), which screenpipe's clients ignore. The content fields
//! are those screenpipe 0.4.50 returns for each type (tests/screenpipe/SCHEMA.md, section d).
//! This JSON shape is a contract (the CLI prints it, the daemon serves it, the bindings pass it
//! on).

use std::collections::HashSet;

use serde::Serialize;
use sync_core::UnixMillis;
use sync_core::search::terms;

/// screenpipe's OCR result content.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OcrContent {
    /// Frame row id (local for local results, the origin's for cloud ones).
    pub frame_id: i64,
    /// The OCR text.
    pub text: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// The video file.
    pub file_path: String,
    /// Frame offset in the video file.
    pub offset_index: i64,
    /// App name.
    pub app_name: String,
    /// Window name.
    pub window_name: String,
    /// Tags (none from sync).
    pub tags: Vec<String>,
    /// Frame image, base64 (only when asked for, see the daemon's `include_frames`).
    pub frame: Option<String>,
    /// The frame's `name` (`""` when it has none, as screenpipe answers).
    pub frame_name: String,
    /// Browser URL.
    pub browser_url: Option<String>,
    /// Focused.
    pub focused: Option<bool>,
    /// Monitor name.
    pub device_name: String,
    /// Where the text comes from (`ocr`, `accessibility`; null when not recorded).
    pub text_source: Option<String>,
    /// What made screenpipe capture the frame (its `capture_trigger`; null when not recorded).
    pub event_source: Option<String>,
}

/// screenpipe's `UI` result content: a frame with accessibility text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UiContent {
    /// Frame row id.
    pub id: i64,
    /// The frame's text (screen text, else accessibility text).
    pub text: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// App name.
    pub app_name: String,
    /// Window name.
    pub window_name: String,
    /// Always null (screenpipe 0.4.50 answers null).
    pub initial_traversal_at: Option<String>,
    /// The video chunk's file, or `""` (never the snapshot, as screenpipe answers).
    pub file_path: String,
    /// Frame offset in the video file.
    pub offset_index: i64,
    /// The frame's `name`.
    pub frame_name: String,
    /// Browser URL.
    pub browser_url: Option<String>,
    /// What made screenpipe capture the frame.
    pub event_source: Option<String>,
}

/// screenpipe's audio result content.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AudioContent {
    /// Audio chunk row id.
    pub chunk_id: i64,
    /// The transcription.
    pub transcription: String,
    /// The transcription again (screenpipe 0.4.50 answers both).
    pub text: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// The audio file.
    pub file_path: String,
    /// `offset_index`.
    pub offset_index: i64,
    /// Tags (none from sync).
    pub tags: Vec<String>,
    /// Audio device name.
    pub device_name: String,
    /// `Input` or `Output`.
    pub device_type: String,
    /// Speaker (`{"id": n}` when known).
    pub speaker: Option<serde_json::Value>,
    /// Start within the chunk, seconds.
    pub start_time: Option<f64>,
    /// End within the chunk, seconds.
    pub end_time: Option<f64>,
    /// The speaker's label (null: sync does not carry speaker names).
    pub speaker_label: Option<String>,
    /// How the speaker was found (null here).
    pub speaker_source: Option<String>,
    /// The speaker's confidence (null here).
    pub speaker_confidence: Option<f64>,
    /// Always false here.
    pub speaker_provisional: bool,
    /// `background` (recorded audio, as screenpipe names it).
    pub source: String,
    /// The transcription engine.
    pub model: Option<String>,
}

/// screenpipe's `Memory` result content.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryContent {
    /// Memory row id (local for local results, the origin's for cloud ones).
    pub id: i64,
    /// The note.
    pub content: String,
    /// Who wrote it (`user`, a pipe's name, ...).
    pub source: String,
    /// Its source's context.
    pub source_context: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Importance, 0 to 1.
    pub importance: Option<f64>,
    /// The frame it was taken from.
    pub frame_id: Option<i64>,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// A memory's fields, shaped as screenpipe's `Memory` item.
#[derive(Debug)]
pub(super) struct MemoryView<'a> {
    pub(super) id: i64,
    pub(super) content: &'a str,
    pub(super) source: &'a str,
    pub(super) source_context: Option<&'a str>,
    /// The JSON array text as stored.
    pub(super) tags: Option<&'a str>,
    pub(super) importance: Option<f64>,
    pub(super) frame_id: Option<i64>,
    pub(super) created_at: &'a str,
    pub(super) updated_at: &'a str,
    /// Its time (`updated_at`).
    pub(super) time: UnixMillis,
}

impl MemoryView<'_> {
    /// The memory as a `Memory` item.
    pub(super) fn memory(&self) -> Content {
        let created = sync_core::records::parse_timestamp(self.created_at).unwrap_or(self.time);
        Content::Memory(MemoryContent {
            id: self.id,
            content: self.content.to_owned(),
            source: self.source.to_owned(),
            source_context: self.source_context.map(str::to_owned),
            tags: self.tags.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default(),
            importance: self.importance,
            frame_id: self.frame_id,
            created_at: api_timestamp(self.created_at, created),
            updated_at: api_timestamp(self.updated_at, self.time),
        })
    }
}

/// The content of an item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "content")]
pub enum Content {
    /// Screen text.
    #[serde(rename = "OCR")]
    Ocr(OcrContent),
    /// A transcription.
    Audio(AudioContent),
    /// A frame with accessibility text.
    #[serde(rename = "UI")]
    Ui(UiContent),
    /// A memory.
    Memory(MemoryContent),
}

impl Content {
    /// `OCR` or `Audio`, as the JSON's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Content::Ocr(_) => "OCR",
            Content::Audio(_) => "Audio",
            Content::Ui(_) => "UI",
            Content::Memory(_) => "Memory",
        }
    }

    /// The OCR text or the transcription.
    pub fn text(&self) -> &str {
        match self {
            Content::Ocr(o) => &o.text,
            Content::Audio(a) => &a.transcription,
            Content::Ui(u) => &u.text,
            Content::Memory(m) => &m.content,
        }
    }

    /// The record's time, RFC 3339.
    pub fn timestamp(&self) -> &str {
        match self {
            Content::Ocr(o) => &o.timestamp,
            Content::Audio(a) => &a.timestamp,
            Content::Ui(u) => &u.timestamp,
            Content::Memory(m) => &m.updated_at,
        }
    }

    /// The media file the record comes from (none for a memory).
    pub fn file_path(&self) -> &str {
        match self {
            Content::Memory(_) => "",
            Content::Ocr(o) => &o.file_path,
            Content::Audio(a) => &a.file_path,
            Content::Ui(u) => &u.file_path,
        }
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchItem {
    /// The screenpipe-shaped part.
    #[serde(flatten)]
    pub content: Content,
    /// `local` or `cloud`.
    pub source: &'static str,
    /// The device the record comes from.
    pub device_id: String,
    /// Its table on the origin device (`ocr_text` or `audio_transcriptions`).
    #[serde(skip)]
    pub table: &'static str,
    /// Its row id on the origin device.
    #[serde(skip)]
    pub origin_row_id: i64,
    /// Its time, for ordering.
    #[serde(skip)]
    pub time: UnixMillis,
    /// A cloud frame's snapshot: its media pack and entry (to show it without pulling).
    #[serde(skip)]
    pub snapshot: Option<(sync_core::BlobId, String)>,
}

impl SearchItem {
    /// The record identity: origin device, table, origin row id, and the item's type (a frame
    /// gives an `OCR` and a `UI` item).
    pub fn identity(&self) -> (String, &'static str, i64, &'static str) {
        (self.device_id.clone(), self.table, self.origin_row_id, self.content.kind())
    }
}

/// A time as screenpipe's API gives it: the stored RFC 3339 text with its fraction and a
/// `+00:00` offset; a stored time in another form is rendered from `ms`.
pub(super) fn api_timestamp(stored: &str, ms: UnixMillis) -> String {
    let rfc = stored.len() > 19 && stored.as_bytes().get(10) == Some(&b'T');
    match stored.strip_suffix('Z') {
        Some(head) if rfc => format!("{head}+00:00"),
        _ if rfc && stored.ends_with("+00:00") => stored.to_owned(),
        _ => {
            let text = ms.to_rfc3339().unwrap_or_default();
            match text.strip_suffix('Z') {
                Some(head) => format!("{head}+00:00"),
                None => text,
            }
        }
    }
}

/// `Input` or `Output`, as screenpipe names an audio device's direction (input when unknown).
fn device_type(is_input: Option<bool>) -> String {
    if is_input.unwrap_or(true) { "Input" } else { "Output" }.into()
}

/// A frame's fields, from a local row or a cloud record, shaped as screenpipe's `OCR` and `UI`
/// items (one rule for both sources).
#[derive(Debug)]
pub(super) struct FrameView<'a> {
    pub(super) frame_id: i64,
    pub(super) stored_timestamp: &'a str,
    pub(super) time: UnixMillis,
    pub(super) text: Option<&'a str>,
    pub(super) accessibility_text: Option<&'a str>,
    pub(super) app_name: Option<&'a str>,
    pub(super) window_name: Option<&'a str>,
    pub(super) offset_index: i64,
    pub(super) browser_url: Option<&'a str>,
    pub(super) focused: Option<bool>,
    pub(super) frame_name: Option<&'a str>,
    pub(super) device_name: Option<&'a str>,
    /// The snapshot, else the video file.
    pub(super) file_path: String,
    /// The video file only.
    pub(super) chunk_file_path: String,
    pub(super) text_source: Option<&'a str>,
    pub(super) capture_trigger: Option<&'a str>,
}

impl FrameView<'_> {
    /// The text screenpipe shows: the screen text, else the accessibility text.
    fn shown_text(&self) -> String {
        self.text.filter(|t| !t.is_empty()).or(self.accessibility_text).unwrap_or_default().to_owned()
    }

    /// The frame as an `OCR` item.
    pub(super) fn ocr(&self) -> Content {
        Content::Ocr(OcrContent {
            frame_id: self.frame_id,
            text: self.shown_text(),
            timestamp: api_timestamp(self.stored_timestamp, self.time),
            file_path: self.file_path.clone(),
            offset_index: self.offset_index,
            app_name: self.app_name.unwrap_or_default().to_owned(),
            window_name: self.window_name.unwrap_or_default().to_owned(),
            tags: Vec::new(),
            frame: None,
            frame_name: self.frame_name.unwrap_or_default().to_owned(),
            browser_url: self.browser_url.map(str::to_owned),
            focused: self.focused,
            device_name: self.device_name.unwrap_or_default().to_owned(),
            text_source: self.text_source.map(str::to_owned),
            event_source: self.capture_trigger.map(str::to_owned),
        })
    }

    /// The frame as a `UI` item, when it has accessibility text (screenpipe's rule).
    pub(super) fn ui(&self) -> Option<Content> {
        self.accessibility_text.filter(|t| !t.is_empty())?;
        Some(Content::Ui(UiContent {
            id: self.frame_id,
            text: self.shown_text(),
            timestamp: api_timestamp(self.stored_timestamp, self.time),
            app_name: self.app_name.unwrap_or_default().to_owned(),
            window_name: self.window_name.unwrap_or_default().to_owned(),
            initial_traversal_at: None,
            file_path: self.chunk_file_path.clone(),
            offset_index: self.offset_index,
            frame_name: self.frame_name.unwrap_or_default().to_owned(),
            browser_url: self.browser_url.map(str::to_owned),
            event_source: self.capture_trigger.map(str::to_owned),
        }))
    }
}

/// A transcription's fields, shaped as screenpipe's `Audio` item.
#[derive(Debug)]
pub(super) struct AudioView<'a> {
    pub(super) chunk_id: i64,
    pub(super) transcription: &'a str,
    pub(super) stored_timestamp: &'a str,
    pub(super) time: UnixMillis,
    pub(super) file_path: String,
    pub(super) offset_index: i64,
    pub(super) device: Option<&'a str>,
    pub(super) is_input_device: Option<bool>,
    pub(super) speaker_id: Option<i64>,
    pub(super) start_time: Option<f64>,
    pub(super) end_time: Option<f64>,
    pub(super) engine: Option<&'a str>,
}

impl AudioView<'_> {
    /// The transcription as an `Audio` item.
    pub(super) fn audio(&self) -> Content {
        Content::Audio(AudioContent {
            chunk_id: self.chunk_id,
            transcription: self.transcription.to_owned(),
            text: self.transcription.to_owned(),
            timestamp: api_timestamp(self.stored_timestamp, self.time),
            file_path: self.file_path.clone(),
            offset_index: self.offset_index,
            tags: Vec::new(),
            device_name: self.device.unwrap_or_default().to_owned(),
            device_type: device_type(self.is_input_device),
            speaker: speaker(self.speaker_id),
            start_time: self.start_time,
            end_time: self.end_time,
            speaker_label: None,
            speaker_source: None,
            speaker_confidence: None,
            speaker_provisional: false,
            source: AUDIO_SOURCE.to_owned(),
            model: self.engine.map(str::to_owned),
        })
    }
}

/// screenpipe's audio source for recorded audio.
const AUDIO_SOURCE: &str = "background";

/// screenpipe's speaker object.
fn speaker(id: Option<i64>) -> Option<serde_json::Value> {
    id.map(|id| serde_json::json!({ "id": id }))
}

/// True when the fields hold every term of `wanted` (the core's term rule, the same for local
/// and cloud results).
pub(super) fn holds_all(wanted: &[String], fields: &[&str]) -> bool {
    if wanted.is_empty() {
        return true;
    }
    let have: HashSet<String> = fields.iter().flat_map(|f| terms(f)).collect();
    wanted.iter().all(|t| have.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_screenpipe_api_renders_them() {
        let ms = UnixMillis(1_796_477_928_598);
        assert_eq!(api_timestamp("2026-12-05T13:38:48.598204094Z", ms), "2026-12-05T13:38:48.598204094+00:00");
        assert_eq!(api_timestamp("2026-12-05T13:38:48.598204094+00:00", ms), "2026-12-05T13:38:48.598204094+00:00");
        assert_eq!(api_timestamp("2026-12-05 13:38:48", ms), "2026-12-05T13:38:48.598+00:00");
    }
}
