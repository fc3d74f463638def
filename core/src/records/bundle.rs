//! Records bundle v2: the bundle type and its JSON encoding.
//!
//! The bundle is UTF-8 JSON (then zstd and padding, as every `text` blob payload). Writers write
//! v2 only. Decoding is strict and bounded: `v` 2 is read as is, `v` 1 is read with the v1 types
//! and upgraded ([`super::v1`]), any other `v` is `unsupported`; unknown fields (a v2 field in a
//! v1 document, `ocr_text` in a v2 one), wrong types, more than [`MAX_RECORDS`] records, a string
//! longer than [`MAX_FIELD_LEN`] bytes or more than [`MAX_EXTRA_FIELDS`] `extra` columns is
//! `malformed`. Timestamps are kept as screenpipe stored them (so a round trip is byte-exact);
//! `row_id` is the origin device's local row id.

use serde::{Deserialize, Serialize};

use super::activity::{AccessibilityRecord, MeetingRecord, MemoryRecord, UiEventRecord};
use super::screen::{AudioChunkRecord, ElementRecord, FrameRecord, TranscriptionRecord, VideoChunkRecord};
use super::v1::BundleV1;
use crate::encoding::UnixMillis;
use crate::error::{Error, Result};
use crate::ids::DeviceId;

/// Version of the bundle format that writers write.
pub const BUNDLE_VERSION: u32 = 2;
/// The older version readers still accept (upgraded in memory).
pub const BUNDLE_VERSION_V1: u32 = 1;
/// Most records of all kinds in one bundle.
pub const MAX_RECORDS: usize = 2_000_000;
/// Longest string field, in bytes.
pub const MAX_FIELD_LEN: usize = 16 << 20;
/// Most `extra` columns of a UI event.
pub const MAX_EXTRA_FIELDS: usize = 64;

/// Table names of a record's identity, as [`record_identity`] and the hits of
/// [`find_hits`](super::find_hits) name them.
pub mod tables {
    /// `video_chunks`.
    pub const VIDEO_CHUNKS: &str = "video_chunks";
    /// `frames`.
    pub const FRAMES: &str = "frames";
    /// `elements`.
    pub const ELEMENTS: &str = "elements";
    /// `audio_chunks`.
    pub const AUDIO_CHUNKS: &str = "audio_chunks";
    /// `audio_transcriptions`.
    pub const AUDIO_TRANSCRIPTIONS: &str = "audio_transcriptions";
    /// `accessibility`.
    pub const ACCESSIBILITY: &str = "accessibility";
    /// `ui_events`.
    pub const UI_EVENTS: &str = "ui_events";
    /// `memories`.
    pub const MEMORIES: &str = "memories";
    /// `meetings`.
    pub const MEETINGS: &str = "meetings";
    /// `ocr_text`: rows that older (v1) clients imported; no v2 bundle holds them.
    pub const OCR_TEXT: &str = "ocr_text";
}

/// One device's records for one time window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordsBundle {
    /// Bundle format version: 2 (a v1 document is upgraded when read).
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
    /// Frames, with their screen text and snapshot.
    #[serde(default)]
    pub frames: Vec<FrameRecord>,
    /// Elements of the frames (OCR words, accessibility nodes).
    #[serde(default)]
    pub elements: Vec<ElementRecord>,
    /// Audio chunks referenced by the transcriptions.
    #[serde(default)]
    pub audio_chunks: Vec<AudioChunkRecord>,
    /// Transcriptions.
    #[serde(default)]
    pub audio_transcriptions: Vec<TranscriptionRecord>,
    /// Accessibility text (the February 2026 generation's table).
    #[serde(default)]
    pub accessibility: Vec<AccessibilityRecord>,
    /// UI events.
    #[serde(default)]
    pub ui_events: Vec<UiEventRecord>,
    /// Memories (notes).
    #[serde(default)]
    pub memories: Vec<MemoryRecord>,
    /// Meetings.
    #[serde(default)]
    pub meetings: Vec<MeetingRecord>,
}

#[derive(Deserialize)]
struct VersionProbe {
    v: u32,
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
            elements: Vec::new(),
            audio_chunks: Vec::new(),
            audio_transcriptions: Vec::new(),
            accessibility: Vec::new(),
            ui_events: Vec::new(),
            memories: Vec::new(),
            meetings: Vec::new(),
        }
    }

    /// Records of all kinds.
    pub fn record_count(&self) -> usize {
        self.video_chunks.len()
            + self.frames.len()
            + self.elements.len()
            + self.audio_chunks.len()
            + self.audio_transcriptions.len()
            + self.accessibility.len()
            + self.ui_events.len()
            + self.memories.len()
            + self.meetings.len()
    }

    /// True when the bundle holds no record.
    pub fn is_empty(&self) -> bool {
        self.record_count() == 0
    }

    /// The JSON encoding (always the current version).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        if self.v != BUNDLE_VERSION {
            return Err(Error::InvalidInput("only the current bundle version is written"));
        }
        self.validate()?;
        serde_json::to_vec(self).map_err(|_| Error::InvalidInput("a bundle field cannot be encoded (NaN?)"))
    }

    /// Decodes and checks a bundle; a v1 bundle comes back upgraded to the v2 model.
    pub fn from_json(bytes: &[u8]) -> Result<RecordsBundle> {
        let probe: VersionProbe = serde_json::from_slice(bytes).map_err(|_| Error::Malformed("bundle JSON"))?;
        let bundle = match probe.v {
            BUNDLE_VERSION => {
                serde_json::from_slice::<RecordsBundle>(bytes).map_err(|_| Error::Malformed("bundle JSON"))?
            }
            BUNDLE_VERSION_V1 => {
                let v1: BundleV1 = serde_json::from_slice(bytes).map_err(|_| Error::Malformed("bundle JSON"))?;
                if v1.record_count() > MAX_RECORDS {
                    return Err(Error::Malformed("too many records in a bundle"));
                }
                v1.upgrade()
            }
            _ => return Err(Error::Unsupported("records bundle version")),
        };
        bundle.validate()?;
        Ok(bundle)
    }

    /// Checks the bounds (record count, every string field's length, `extra` columns).
    pub fn validate(&self) -> Result<()> {
        if self.record_count() > MAX_RECORDS {
            return Err(Error::Malformed("too many records in a bundle"));
        }
        super::bounds::check_fields(self)
    }
}

/// The stable identity of a record: `device_id:table:row_id`.
pub fn record_identity(device_id: &DeviceId, table: &str, row_id: i64) -> String {
    format!("{device_id}:{table}:{row_id}")
}
