//! The records the bindings hand out (uniffi records and enums): what `init`, `push`, `pull`,
//! `status`, `list_devices`, `search` and `delete_cloud_data` return, and the progress events,
//! each made from the library's typed result.

use sync_client::progress::Stage;
use sync_client::search::{Content, SearchItem};
use sync_client::session::{PullReport, PushReport};

/// What `init` did.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct InitResult {
    /// True when this call created the account's keys.
    pub is_new: bool,
    /// The 24-word recovery phrase, only for a new account: show it once, never store it.
    pub recovery_phrase: Option<String>,
}

impl std::fmt::Debug for InitResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitResult").field("is_new", &self.is_new).finish_non_exhaustive()
    }
}

/// A stage of long work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ProgressStage {
    /// Reading screenpipe's database and sealing (unit: records or files).
    Packaging,
    /// Sending (unit: bytes).
    Uploading,
    /// Receiving (unit: bytes).
    Downloading,
    /// Writing rows into screenpipe's database (unit: blobs).
    Importing,
}

impl From<Stage> for ProgressStage {
    fn from(s: Stage) -> ProgressStage {
        match s {
            Stage::Packaging => ProgressStage::Packaging,
            Stage::Uploading => ProgressStage::Uploading,
            Stage::Downloading => ProgressStage::Downloading,
            Stage::Importing => ProgressStage::Importing,
        }
    }
}

/// One progress event.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ProgressEvent {
    /// The stage.
    pub stage: ProgressStage,
    /// Units done.
    pub done: u64,
    /// Units known so far (grows while work is discovered).
    pub total: u64,
    /// True when the unit is bytes.
    pub is_bytes: bool,
}

/// What the background service is doing.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Nothing running (waiting for the next cycle, or stopped).
    Idle,
    /// A cycle is running.
    Syncing {
        /// The stage last reported, if any yet.
        stage: Option<ProgressStage>,
        /// Units of that stage done.
        done: u64,
        /// Units of that stage known so far.
        total: u64,
    },
    /// The last cycle failed.
    Error {
        /// The stable code (`network`, `QUOTA_EXCEEDED`, ...).
        code: String,
        /// What happened.
        message: String,
        /// True when the service retries on its own soon (backoff with jitter).
        retrying: bool,
    },
}

/// The manager's status: the service's state, the last sync, the account's storage and
/// devices, and this device's local state.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncStatus {
    /// True when keys are unlocked.
    pub unlocked: bool,
    /// True while the background service runs.
    pub running: bool,
    /// Idle, syncing (with progress) or error (with code and message).
    pub state: SyncState,
    /// End of the last successful sync (or the last completed upload), Unix milliseconds.
    pub last_sync_ms: Option<i64>,
    /// When the next automatic sync is due, Unix milliseconds.
    pub next_sync_ms: Option<i64>,
    /// Failed cycles since the last success.
    pub consecutive_failures: u32,
    /// Successful cycles of the service.
    pub completed_cycles: u64,
    /// Bytes the account stores.
    pub storage_used: Option<u64>,
    /// Bytes the account may store.
    pub storage_limit: Option<u64>,
    /// Devices on the account.
    pub device_count: Option<u32>,
    /// This device's id (none before `init`).
    pub device_id: Option<String>,
    /// Blobs sealed and waiting for upload.
    pub pending_uploads: u64,
    /// Blobs this device uploaded.
    pub uploaded_blobs: u64,
}

/// What a push did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PushResult {
    /// Blobs uploaded (text and media).
    pub uploaded_blobs: u64,
    /// Their bytes.
    pub uploaded_bytes: u64,
    /// New rows packaged.
    pub rows: u64,
    /// Text bundles made.
    pub text_bundles: u64,
    /// Media files packaged.
    pub media_files: u64,
    /// Uploads the server already had (a resumed push).
    pub already_uploaded: u64,
    /// Media files missing on disk, reported and skipped.
    pub missing_media: Vec<String>,
}

impl From<PushReport> for PushResult {
    fn from(r: PushReport) -> PushResult {
        PushResult {
            uploaded_blobs: r.uploaded_blobs,
            uploaded_bytes: r.uploaded_bytes,
            rows: r.rows,
            text_bundles: r.text_bundles,
            media_files: r.media_files,
            already_uploaded: r.already_uploaded,
            missing_media: r.missing_media,
        }
    }
}

/// What a pull did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PullResult {
    /// Text blobs of other devices listed.
    pub listed: u64,
    /// Text blobs imported now.
    pub imported_blobs: u64,
    /// Text blobs imported before.
    pub already_imported: u64,
    /// Rows inserted.
    pub rows_inserted: u64,
    /// Media files written.
    pub media_written: u64,
    /// Media files not available yet.
    pub media_pending: u64,
    /// `blob_id: code: message` of every blob rejected (nothing of it imported).
    pub failures: Vec<String>,
}

impl From<PullReport> for PullResult {
    fn from(r: PullReport) -> PullResult {
        PullResult {
            listed: r.listed,
            imported_blobs: r.imported_blobs,
            already_imported: r.already_imported,
            rows_inserted: r.rows_inserted,
            media_written: r.media_written,
            media_pending: r.media_pending,
            failures: r.failures.into_iter().map(|f| format!("{}: {}: {}", f.blob_id, f.code, f.message)).collect(),
        }
    }
}

/// One device of the account.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DeviceRecord {
    /// Its id.
    pub device_id: String,
    /// Its name.
    pub device_name: String,
    /// Its operating system.
    pub device_os: String,
    /// Its last completed upload, Unix milliseconds.
    pub last_sync_ms: Option<i64>,
    /// When it was registered, Unix milliseconds.
    pub created_ms: i64,
    /// True for the device this manager runs on.
    pub is_this_device: bool,
}

/// One search result (screenpipe's OCR or audio item, flattened).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SearchHit {
    /// `OCR` or `Audio`.
    pub kind: String,
    /// The OCR text or the transcription.
    pub text: String,
    /// Unix milliseconds.
    pub timestamp_ms: i64,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// App name (OCR).
    pub app_name: Option<String>,
    /// Window name (OCR).
    pub window_name: Option<String>,
    /// The video or audio file.
    pub file_path: String,
    /// `local` or `cloud`.
    pub source: String,
    /// The device the record comes from.
    pub device_id: String,
    /// The whole item as screenpipe's `/search` returns it (JSON), plus `source` and `device_id`.
    pub json: String,
}

impl From<SearchItem> for SearchHit {
    fn from(item: SearchItem) -> SearchHit {
        let json = serde_json::to_string(&item).unwrap_or_default();
        let (app_name, window_name) = match &item.content {
            Content::Ocr(o) => (Some(o.app_name.clone()), Some(o.window_name.clone())),
            Content::Ui(u) => (Some(u.app_name.clone()), Some(u.window_name.clone())),
            Content::Audio(_) | Content::Memory(_) => (None, None),
        };
        SearchHit {
            kind: item.content.kind().to_owned(),
            text: item.content.text().to_owned(),
            timestamp_ms: item.time.0,
            timestamp: item.content.timestamp().to_owned(),
            app_name,
            window_name,
            file_path: item.content.file_path().to_owned(),
            source: item.source.to_owned(),
            device_id: item.device_id.clone(),
            json,
        }
    }
}

/// What `delete_cloud_data` removed.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DeleteResult {
    /// Blobs removed.
    pub deleted_blobs: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
}
