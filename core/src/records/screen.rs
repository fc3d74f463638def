//! Screen records of a bundle: video chunks, frames (with their screen text and snapshot) and
//! the frames' elements (word and accessibility-node boxes).

use serde::{Deserialize, Serialize};

use crate::ids::BlobId;

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

/// Where a frame's snapshot (a JPEG screenpipe 0.4.x took instead of a video frame) travels:
/// an entry of a media pack in a `frames` blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRef {
    /// The `frames` blob holding the pack; `null` when the file was missing at packaging (or
    /// screenshots were left out of the push).
    pub blob_id: Option<BlobId>,
    /// The entry's name in the pack.
    pub entry: String,
    /// The file's name (no directory) on the origin device.
    pub file_name: String,
}

/// A row of `frames`: one capture of one monitor (0.4.x) or of one window (February 2026 and
/// older), with its screen text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// The video chunk row it belongs to (none for a snapshot frame or a frame without media).
    #[serde(default)]
    pub video_chunk_row_id: Option<i64>,
    /// Offset of the frame in its video chunk.
    pub offset_index: i64,
    /// Timestamp as stored.
    pub timestamp: String,
    /// `name` column (not carried when it is the snapshot's local path).
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
    /// The snapshot, for a frame captured as a JPEG.
    #[serde(default)]
    pub snapshot: Option<SnapshotRef>,
    /// The frame's screen text (0.4.x `full_text`; the OCR rows' text in older generations).
    #[serde(default)]
    pub text: Option<String>,
    /// Where the text comes from (`ocr`, `accessibility`, `hybrid`, ... as stored).
    #[serde(default)]
    pub text_source: Option<String>,
    /// Word positions of the text, as stored (screenpipe's JSON text).
    #[serde(default)]
    pub text_json: Option<String>,
    /// OCR engine name.
    #[serde(default)]
    pub ocr_engine: Option<String>,
    /// Accessibility text of the frame.
    #[serde(default)]
    pub accessibility_text: Option<String>,
    /// Accessibility tree, as stored (JSON text).
    #[serde(default)]
    pub accessibility_tree_json: Option<String>,
    /// What made screenpipe capture the frame (`manual`, `visual_change`, `idle`, ...).
    #[serde(default)]
    pub capture_trigger: Option<String>,
    /// The document open in the window, when known.
    #[serde(default)]
    pub document_path: Option<String>,
}

/// One OCR row of a frame (the February 2026 generation's `ocr_text`, a v1 bundle's
/// `ocr_text` record), as [`FrameRecord::set_ocr_rows`] takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OcrRow<'a> {
    /// The row's text.
    pub text: &'a str,
    /// Its word positions, as stored.
    pub text_json: Option<&'a str>,
    /// Its OCR engine.
    pub ocr_engine: Option<&'a str>,
}

impl FrameRecord {
    /// Sets the frame's text from its OCR rows, given in row order: `text` = their texts
    /// joined by `"\n"`, `text_json` = the first non-empty one, `ocr_engine` = the first row's,
    /// `text_source` = `ocr`. No rows leave the frame as it is.
    pub fn set_ocr_rows(&mut self, rows: &[OcrRow<'_>]) {
        let Some(first) = rows.first() else { return };
        let texts: Vec<&str> = rows.iter().map(|o| o.text).collect();
        self.text = Some(texts.join("\n"));
        self.text_json = rows.iter().find_map(|o| o.text_json.filter(|j| !j.is_empty())).map(str::to_owned);
        self.ocr_engine = first.ocr_engine.map(str::to_owned);
        self.text_source = Some("ocr".to_owned());
    }

    /// A frame with the given identity and time and nothing else.
    pub fn new(row_id: i64, timestamp: impl Into<String>) -> FrameRecord {
        FrameRecord {
            row_id,
            video_chunk_row_id: None,
            offset_index: 0,
            timestamp: timestamp.into(),
            name: None,
            browser_url: None,
            app_name: None,
            window_name: None,
            focused: None,
            device_name: None,
            snapshot: None,
            text: None,
            text_source: None,
            text_json: None,
            ocr_engine: None,
            accessibility_text: None,
            accessibility_tree_json: None,
            capture_trigger: None,
            document_path: None,
        }
    }
}

/// A row of `elements`: one OCR word or accessibility node of a frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementRecord {
    /// Local row id on the origin device.
    pub row_id: i64,
    /// The frame it belongs to.
    pub frame_row_id: i64,
    /// `ocr` or `accessibility`.
    pub source: String,
    /// Role (`word`, `line`, `AXButton`, ...).
    pub role: String,
    /// Text.
    #[serde(default)]
    pub text: Option<String>,
    /// The parent element (of the same frame).
    #[serde(default)]
    pub parent_row_id: Option<i64>,
    /// Depth in the tree.
    pub depth: i64,
    /// `[left, top, width, height]`, normalised to the screen (0 to 1).
    #[serde(default)]
    pub bounds: Option<[f64; 4]>,
    /// Recognition confidence.
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Order among its siblings.
    pub sort_order: i64,
    /// Other properties, as stored (JSON text).
    #[serde(default)]
    pub properties: Option<String>,
    /// Whether the node was on screen.
    #[serde(default)]
    pub on_screen: Option<bool>,
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
    /// `pending`, `transcribed`, `silent` or `failed` (0.4.x).
    #[serde(default)]
    pub transcription_status: Option<String>,
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
