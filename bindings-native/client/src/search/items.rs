//! [`SearchItem`]: one search result in screenpipe's `/search` shape, `{"type": "OCR" |
//! "Audio", "content": {...screenpipe's fields...}}`, plus `"source": "local" | "cloud"` and
//! `"device_id"` (the origin device). This JSON shape is a contract (the CLI prints it, the
//! bindings pass it on).

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
    /// Frame image (never filled here).
    pub frame: Option<String>,
    /// The frame's `name`.
    pub frame_name: Option<String>,
    /// Browser URL.
    pub browser_url: Option<String>,
    /// Focused.
    pub focused: Option<bool>,
    /// Monitor name.
    pub device_name: String,
}

/// screenpipe's audio result content.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AudioContent {
    /// Audio chunk row id.
    pub chunk_id: i64,
    /// The transcription.
    pub transcription: String,
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
}

impl Content {
    /// `OCR` or `Audio`, as the JSON's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Content::Ocr(_) => "OCR",
            Content::Audio(_) => "Audio",
        }
    }

    /// The OCR text or the transcription.
    pub fn text(&self) -> &str {
        match self {
            Content::Ocr(o) => &o.text,
            Content::Audio(a) => &a.transcription,
        }
    }

    /// The record's time, RFC 3339.
    pub fn timestamp(&self) -> &str {
        match self {
            Content::Ocr(o) => &o.timestamp,
            Content::Audio(a) => &a.timestamp,
        }
    }

    /// The media file the record comes from.
    pub fn file_path(&self) -> &str {
        match self {
            Content::Ocr(o) => &o.file_path,
            Content::Audio(a) => &a.file_path,
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
}

impl SearchItem {
    /// The record identity: origin device, table, origin row id.
    pub fn identity(&self) -> (String, &'static str, i64) {
        (self.device_id.clone(), self.table, self.origin_row_id)
    }
}

/// A time as screenpipe's results give it (RFC 3339, UTC).
pub(super) fn rfc3339(ms: UnixMillis) -> String {
    ms.to_rfc3339().unwrap_or_default()
}

/// `Input` or `Output`, as screenpipe names an audio device's direction (input when unknown).
pub(super) fn device_type(is_input: Option<bool>) -> String {
    if is_input.unwrap_or(true) { "Input" } else { "Output" }.into()
}

/// screenpipe's speaker object.
pub(super) fn speaker(id: Option<i64>) -> Option<serde_json::Value> {
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
