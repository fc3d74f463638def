//! Records of what a person did besides the screen and audio: accessibility text (the February
//! 2026 generation's standalone table), UI events, memories and meetings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A row of `accessibility` (the February 2026 generation and older).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessibilityRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// Timestamp as stored.
    pub timestamp: String,
    /// App name.
    #[serde(default)]
    pub app_name: Option<String>,
    /// Window title.
    #[serde(default)]
    pub window_name: Option<String>,
    /// The text.
    #[serde(default)]
    pub text_content: Option<String>,
    /// Browser URL.
    #[serde(default)]
    pub browser_url: Option<String>,
}

/// A row of `ui_events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiEventRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// Timestamp as stored.
    pub timestamp: String,
    /// Event type (click, key, ...).
    pub event_type: String,
    /// App name.
    #[serde(default)]
    pub app_name: Option<String>,
    /// Window title.
    #[serde(default)]
    pub window_title: Option<String>,
    /// Browser URL.
    #[serde(default)]
    pub browser_url: Option<String>,
    /// Text.
    #[serde(default)]
    pub text_content: Option<String>,
    /// The table's other columns, by name.
    #[serde(default)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A row of `memories`: a note the person (or a pipe) kept. Memories change: the one with the
/// newest `updated_at` wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// The note.
    pub content: String,
    /// Who wrote it (`user`, a pipe's name, ...).
    pub source: String,
    /// Context of the source, as stored.
    #[serde(default)]
    pub source_context: Option<String>,
    /// Tags: the JSON array text as stored.
    pub tags: String,
    /// Importance, 0 to 1.
    #[serde(default)]
    pub importance: Option<f64>,
    /// The frame it was taken from.
    #[serde(default)]
    pub frame_row_id: Option<i64>,
    /// Creation time as stored.
    pub created_at: String,
    /// Last change as stored (its version).
    pub updated_at: String,
    /// screenpipe's own sync identifier, as stored.
    #[serde(default)]
    pub sync_uuid: Option<String>,
}

/// A row of `meetings`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// Start, as stored.
    pub meeting_start: String,
    /// End, as stored (none while it runs).
    #[serde(default)]
    pub meeting_end: Option<String>,
    /// The meeting app (`zoom.us`, `Google Meet`, ...).
    pub meeting_app: String,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Attendees, as stored.
    #[serde(default)]
    pub attendees: Option<String>,
    /// How it was detected (`app`, `calendar`, ...).
    #[serde(default)]
    pub detection_source: Option<String>,
    /// Creation time, as stored.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The person's note.
    #[serde(default)]
    pub note: Option<String>,
    /// Why it ended.
    #[serde(default)]
    pub end_reason: Option<String>,
    /// The calendar event it belongs to.
    #[serde(default)]
    pub calendar_event_id: Option<String>,
}
