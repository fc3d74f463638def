//! Records bundle v1, read only: its own types (strict: a field of v2 in a v1 document is
//! unknown, so `malformed`) and the upgrade to the v2 model. v1 carried screen text as
//! `ocr_text` rows beside the frames; v2 keeps it on the frame.
//!
//! Upgrade: the OCR rows of a frame, in row id order, give the frame's text
//! ([`FrameRecord::set_ocr_rows`]: their texts joined by `"\n"`, the first non-empty
//! `text_json`, the first row's `ocr_engine`, `text_source = "ocr"`). An OCR row whose frame is
//! not in the bundle is dropped (v1 writers always carried the parent frame; such a row has
//! nowhere to go).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::activity::{AccessibilityRecord, UiEventRecord};
use super::bundle::{BUNDLE_VERSION, RecordsBundle};
use super::screen::{AudioChunkRecord, FrameRecord, OcrRow, TranscriptionRecord, VideoChunkRecord};
use crate::encoding::UnixMillis;
use crate::ids::{BlobId, DeviceId};

/// A v1 `frames` row.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameV1 {
    row_id: i64,
    video_chunk_row_id: Option<i64>,
    offset_index: i64,
    timestamp: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    browser_url: Option<String>,
    #[serde(default)]
    app_name: Option<String>,
    #[serde(default)]
    window_name: Option<String>,
    #[serde(default)]
    focused: Option<bool>,
    #[serde(default)]
    device_name: Option<String>,
}

/// A v1 `ocr_text` row (one per window of a frame; `row_id` is the SQLite rowid).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OcrV1 {
    row_id: i64,
    frame_row_id: i64,
    text: String,
    #[serde(default)]
    text_json: Option<String>,
    #[serde(default)]
    ocr_engine: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    text_length: Option<i64>,
    #[serde(default)]
    #[allow(dead_code)]
    app_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    window_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    focused: Option<bool>,
}

/// A v1 `audio_chunks` row.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AudioChunkV1 {
    row_id: i64,
    blob_id: Option<BlobId>,
    file_name: String,
    #[serde(default)]
    timestamp: Option<String>,
}

/// A v1 bundle.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BundleV1 {
    #[allow(dead_code)]
    v: u32,
    device_id: DeviceId,
    time_start: UnixMillis,
    time_end: UnixMillis,
    #[serde(default)]
    video_chunks: Vec<VideoChunkRecord>,
    #[serde(default)]
    frames: Vec<FrameV1>,
    #[serde(default)]
    ocr_text: Vec<OcrV1>,
    #[serde(default)]
    audio_chunks: Vec<AudioChunkV1>,
    #[serde(default)]
    audio_transcriptions: Vec<TranscriptionRecord>,
    #[serde(default)]
    accessibility: Vec<AccessibilityRecord>,
    #[serde(default)]
    ui_events: Vec<UiEventRecord>,
}

impl BundleV1 {
    /// Records of all kinds, as v1 counted them (before the upgrade folds OCR rows in).
    pub(super) fn record_count(&self) -> usize {
        self.video_chunks.len()
            + self.frames.len()
            + self.ocr_text.len()
            + self.audio_chunks.len()
            + self.audio_transcriptions.len()
            + self.accessibility.len()
            + self.ui_events.len()
    }

    /// The v2 model of this bundle.
    pub(super) fn upgrade(self) -> RecordsBundle {
        let mut ocr: BTreeMap<i64, Vec<OcrV1>> = BTreeMap::new();
        let mut rows = self.ocr_text;
        rows.sort_by_key(|o| o.row_id);
        for o in rows {
            ocr.entry(o.frame_row_id).or_default().push(o);
        }
        let frames = self
            .frames
            .into_iter()
            .map(|f| {
                let mut frame = FrameRecord {
                    video_chunk_row_id: f.video_chunk_row_id,
                    offset_index: f.offset_index,
                    name: f.name,
                    browser_url: f.browser_url,
                    app_name: f.app_name,
                    window_name: f.window_name,
                    focused: f.focused,
                    device_name: f.device_name,
                    ..FrameRecord::new(f.row_id, f.timestamp)
                };
                if let Some(rows) = ocr.remove(&f.row_id) {
                    let rows: Vec<OcrRow<'_>> = rows
                        .iter()
                        .map(|o| OcrRow {
                            text: &o.text,
                            text_json: o.text_json.as_deref(),
                            ocr_engine: o.ocr_engine.as_deref(),
                        })
                        .collect();
                    frame.set_ocr_rows(&rows);
                }
                frame
            })
            .collect();
        RecordsBundle {
            v: BUNDLE_VERSION,
            device_id: self.device_id,
            time_start: self.time_start,
            time_end: self.time_end,
            video_chunks: self.video_chunks,
            frames,
            elements: Vec::new(),
            audio_chunks: self
                .audio_chunks
                .into_iter()
                .map(|a| AudioChunkRecord {
                    row_id: a.row_id,
                    blob_id: a.blob_id,
                    file_name: a.file_name,
                    timestamp: a.timestamp,
                    transcription_status: None,
                })
                .collect(),
            audio_transcriptions: self.audio_transcriptions,
            accessibility: self.accessibility,
            ui_events: self.ui_events,
            memories: Vec::new(),
            meetings: Vec::new(),
        }
    }
}
