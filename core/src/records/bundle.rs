//! Records bundle v1: types and their JSON encoding.
//!
//! The bundle is UTF-8 JSON (then zstd and padding, as every `text` blob payload). Decoding is
//! strict and bounded: `v` other than 1 is `unsupported`; unknown fields, wrong types, more than
//! [`MAX_RECORDS`] records, or a string longer than [`MAX_FIELD_LEN`] bytes is `malformed`.
//! Timestamps are kept as screenpipe stored them (so a round trip is byte-exact); `row_id` is the
//! origin device's local row id (SQLite rowid for `ocr_text`, which has no key of its own).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::encoding::UnixMillis;
use crate::error::{Error, Result};
use crate::ids::{BlobId, DeviceId};

/// Version of the bundle format.
pub const BUNDLE_VERSION: u32 = 1;
/// Most records of all kinds in one bundle.
pub const MAX_RECORDS: usize = 2_000_000;
/// Longest string field, in bytes.
pub const MAX_FIELD_LEN: usize = 16 << 20;
/// Most `extra` columns of a UI event.
pub const MAX_EXTRA_FIELDS: usize = 64;

/// A row of `video_chunks`: one video file, shipped as its own `frames` blob.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoChunkRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// The `frames` blob holding the file; `null` when the file was missing at packaging.
    pub blob_id: Option<BlobId>,
    /// File name (no directory) of the chunk on the origin device.
    pub file_name: String,
    /// Recording device (monitor) name.
    #[serde(default)]
    pub device_name: Option<String>,
    /// Frames per second.
    #[serde(default)]
    pub fps: Option<f64>,
}

/// A row of `frames`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// The video chunk row it belongs to.
    pub video_chunk_row_id: Option<i64>,
    /// Offset of the frame in its video chunk.
    pub offset_index: i64,
    /// Timestamp as stored.
    pub timestamp: String,
    /// `name` column.
    #[serde(default)]
    pub name: Option<String>,
    /// Browser URL.
    #[serde(default)]
    pub browser_url: Option<String>,
    /// App name.
    #[serde(default)]
    pub app_name: Option<String>,
    /// Window title.
    #[serde(default)]
    pub window_name: Option<String>,
    /// Whether the window was focused.
    #[serde(default)]
    pub focused: Option<bool>,
    /// Recording device (monitor) name.
    #[serde(default)]
    pub device_name: Option<String>,
}

/// A row of `ocr_text` (one per window in a frame).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcrRecord {
    /// SQLite rowid on the origin device.
    pub row_id: i64,
    /// The frame row it belongs to.
    pub frame_row_id: i64,
    /// Recognised text.
    pub text: String,
    /// Raw OCR JSON (positions), as stored.
    #[serde(default)]
    pub text_json: Option<String>,
    /// OCR engine name.
    #[serde(default)]
    pub ocr_engine: Option<String>,
    /// `text_length` column.
    #[serde(default)]
    pub text_length: Option<i64>,
    /// App name.
    #[serde(default)]
    pub app_name: Option<String>,
    /// Window title.
    #[serde(default)]
    pub window_name: Option<String>,
    /// Whether the window was focused.
    #[serde(default)]
    pub focused: Option<bool>,
}

/// A row of `audio_chunks`: one audio file, shipped as its own `audio` blob.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioChunkRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// The `audio` blob holding the file; `null` when the file was missing at packaging.
    pub blob_id: Option<BlobId>,
    /// File name (no directory) on the origin device.
    pub file_name: String,
    /// Timestamp as stored.
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// A row of `audio_transcriptions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptionRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// The audio chunk row it belongs to.
    pub audio_chunk_row_id: i64,
    /// `offset_index` column.
    pub offset_index: i64,
    /// The transcription's own timestamp, as stored.
    pub timestamp: String,
    /// The text.
    pub transcription: String,
    /// Audio device name.
    #[serde(default)]
    pub device: Option<String>,
    /// True for an input (microphone), false for an output device.
    #[serde(default)]
    pub is_input_device: Option<bool>,
    /// Speaker id.
    #[serde(default)]
    pub speaker_id: Option<i64>,
    /// Engine name.
    #[serde(default)]
    pub transcription_engine: Option<String>,
    /// Start within the chunk, seconds.
    #[serde(default)]
    pub start_time: Option<f64>,
    /// End within the chunk, seconds.
    #[serde(default)]
    pub end_time: Option<f64>,
    /// `text_length` column.
    #[serde(default)]
    pub text_length: Option<i64>,
}

/// A row of `accessibility`.
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

/// One device's records for one time window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordsBundle {
    /// Bundle format version, 1.
    pub v: u32,
    /// The origin device of every record.
    pub device_id: DeviceId,
    /// Start of the window.
    pub time_start: UnixMillis,
    /// End of the window.
    pub time_end: UnixMillis,
    /// Video chunks referenced by the frames.
    #[serde(default)]
    pub video_chunks: Vec<VideoChunkRecord>,
    /// Frames.
    #[serde(default)]
    pub frames: Vec<FrameRecord>,
    /// OCR text of the frames.
    #[serde(default)]
    pub ocr_text: Vec<OcrRecord>,
    /// Audio chunks referenced by the transcriptions.
    #[serde(default)]
    pub audio_chunks: Vec<AudioChunkRecord>,
    /// Transcriptions.
    #[serde(default)]
    pub audio_transcriptions: Vec<TranscriptionRecord>,
    /// Accessibility text.
    #[serde(default)]
    pub accessibility: Vec<AccessibilityRecord>,
    /// UI events.
    #[serde(default)]
    pub ui_events: Vec<UiEventRecord>,
}

#[derive(Deserialize)]
struct VersionProbe {
    v: u32,
}

fn check_len(field: &Option<String>) -> Result<()> {
    match field {
        Some(s) if s.len() > MAX_FIELD_LEN => Err(Error::Malformed("a bundle field is too long")),
        _ => Ok(()),
    }
}

impl RecordsBundle {
    /// An empty bundle for a device and window.
    pub fn new(device_id: DeviceId, time_start: UnixMillis, time_end: UnixMillis) -> RecordsBundle {
        RecordsBundle {
            v: BUNDLE_VERSION,
            device_id,
            time_start,
            time_end,
            video_chunks: Vec::new(),
            frames: Vec::new(),
            ocr_text: Vec::new(),
            audio_chunks: Vec::new(),
            audio_transcriptions: Vec::new(),
            accessibility: Vec::new(),
            ui_events: Vec::new(),
        }
    }

    /// Records of all kinds.
    pub fn record_count(&self) -> usize {
        self.video_chunks.len()
            + self.frames.len()
            + self.ocr_text.len()
            + self.audio_chunks.len()
            + self.audio_transcriptions.len()
            + self.accessibility.len()
            + self.ui_events.len()
    }

    /// True when the bundle holds no record.
    pub fn is_empty(&self) -> bool {
        self.record_count() == 0
    }

    /// The JSON encoding.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        self.validate()?;
        serde_json::to_vec(self).map_err(|_| Error::InvalidInput("a bundle field cannot be encoded (NaN?)"))
    }

    /// Decodes and checks a bundle.
    pub fn from_json(bytes: &[u8]) -> Result<RecordsBundle> {
        let probe: VersionProbe = serde_json::from_slice(bytes).map_err(|_| Error::Malformed("bundle JSON"))?;
        if probe.v != BUNDLE_VERSION {
            return Err(Error::Unsupported("records bundle version"));
        }
        let bundle: RecordsBundle = serde_json::from_slice(bytes).map_err(|_| Error::Malformed("bundle JSON"))?;
        bundle.validate()?;
        Ok(bundle)
    }

    /// Checks the bounds (record count, field lengths).
    pub fn validate(&self) -> Result<()> {
        if self.record_count() > MAX_RECORDS {
            return Err(Error::Malformed("too many records in a bundle"));
        }
        let long = |s: &String| s.len() > MAX_FIELD_LEN;
        for f in &self.frames {
            for field in [&f.name, &f.browser_url, &f.app_name, &f.window_name, &f.device_name] {
                check_len(field)?;
            }
        }
        for o in &self.ocr_text {
            if long(&o.text) {
                return Err(Error::Malformed("a bundle field is too long"));
            }
            for field in [&o.text_json, &o.ocr_engine, &o.app_name, &o.window_name] {
                check_len(field)?;
            }
        }
        for t in &self.audio_transcriptions {
            if long(&t.transcription) {
                return Err(Error::Malformed("a bundle field is too long"));
            }
        }
        for a in &self.accessibility {
            check_len(&a.text_content)?;
        }
        for u in &self.ui_events {
            check_len(&u.text_content)?;
            if u.extra.len() > MAX_EXTRA_FIELDS {
                return Err(Error::Malformed("too many extra columns in a UI event"));
            }
        }
        Ok(())
    }
}

/// The stable identity of a record: `device_id:table:row_id`.
pub fn record_identity(device_id: &DeviceId, table: &str, row_id: i64) -> String {
    format!("{device_id}:{table}:{row_id}")
}
