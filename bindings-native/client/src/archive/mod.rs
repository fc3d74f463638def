//! Free the disk, keep the history (issue 18): local media files already in the cloud are
//! offloaded (deleted here, marked offloaded in screenpipe's database), restored on request,
//! and the cloud copy is verified.
//!
//! - [`offload`] (`screenpipe-sync archive`): a media file older than the cutoff is deleted only
//!   when it is **proven** ([`prove`]): the server lists its blob as complete with the size and
//!   ciphertext checksum recorded when it was sealed (`state::proofs`), and the local file still
//!   has the size and SHA-256 that were sealed; with `read_back`, the blob is also downloaded,
//!   decrypted and compared byte for byte. The order per file is: journal `intent` (durable) →
//!   mark the row offloaded (`evicted_at`, where the generation has it) → delete the file →
//!   journal `done`. screenpipe never sees a row pointing at a deleted file without the mark;
//!   a kill anywhere leaves only proven files in `intent`, which the next run finishes.
//! - [`restore`] (`screenpipe-sync restore`): downloads, decrypts and writes the files of a time
//!   range back at their paths (temporary file, fsync, rename), then clears the mark and the
//!   journal entry; a file already in place with the sealed bytes is left alone.
//! - [`verify`] (`screenpipe-sync verify`): every blob the state says is uploaded is listed
//!   complete with the recorded size and checksum; with `read_data`, downloaded and decrypted.
//!
//! The server's listing (`POST /download` by time range, this device's blobs) is the proof of
//! completeness: the server lists a blob only once its upload completed with the declared
//! checksum. A later loss or corruption of the stored object is found by reading it back
//! (`--verify-read`, `verify --read-data`); the state remembers such damage (`cloud_damage`),
//! and no later `archive` deletes a file whose cloud copy is known damaged until a read
//! succeeds.

pub mod drop_text;
pub mod offload;
pub mod prove;
pub mod restore;
pub mod text_proof;
pub mod verify;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use sync_core::wire::{BlobDownload, Checksum, DownloadRequest, TimeRange};
use sync_core::{BlobId, BlobType, UnixMillis};

pub use drop_text::TextRestoreReport;
pub use offload::{ArchiveOptions, ArchiveReport};
pub use restore::{RestoreOptions, RestoreReport};
pub use text_proof::{KeptText, TextDropReport};
pub use verify::{VerifyOptions, VerifyReport};

use crate::error::{IoContext, Result, SyncError};
use crate::progress::Progress;
use crate::session::SyncSession;
use crate::state::FileProof;

/// A kind of media the archive handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// Screen recordings: video chunk files and frames' snapshots.
    Screen,
    /// Audio chunk files.
    Audio,
}

impl MediaKind {
    /// Both kinds.
    pub const ALL: [MediaKind; 2] = [MediaKind::Screen, MediaKind::Audio];

    /// screenpipe's tables holding files of this kind.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            MediaKind::Screen => &["video_chunks", "frames"],
            MediaKind::Audio => &["audio_chunks"],
        }
    }

    /// The kind of a table's files.
    pub fn of_table(table: &str) -> Option<MediaKind> {
        MediaKind::ALL.into_iter().find(|k| k.tables().contains(&table))
    }

    /// Parses `screen` or `audio`.
    pub fn parse(text: &str) -> Result<MediaKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "screen" | "frames" | "video" => Ok(MediaKind::Screen),
            "audio" => Ok(MediaKind::Audio),
            other => Err(SyncError::Config(format!("unknown media type {other:?} (screen, audio)"))),
        }
    }

    /// Parses a comma-separated list (`screen,audio`).
    pub fn parse_list(text: &str) -> Result<Vec<MediaKind>> {
        let mut out = Vec::new();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let kind = MediaKind::parse(part)?;
            if !out.contains(&kind) {
                out.push(kind);
            }
        }
        if out.is_empty() {
            return Err(SyncError::Config("no media type given (screen, audio)".into()));
        }
        Ok(out)
    }
}

/// The tables of some kinds.
pub(crate) fn tables_of(kinds: &[MediaKind]) -> Vec<&'static str> {
    kinds.iter().flat_map(|k| k.tables().iter().copied()).collect()
}

/// A file left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// `video_chunks`, `audio_chunks` or `frames`.
    pub table: String,
    /// The row in screenpipe's database.
    pub row_id: i64,
    /// The local file.
    pub path: String,
    /// A stable reason: `not_in_cloud`, `cloud_copy_differs`, `missing_locally`,
    /// `changed_since_push`, `no_proof_recorded`, `read_back_failed`, `cloud_copy_damaged`
    /// (a read of its cloud copy failed before), `row_changed`; for `restore`,
    /// `changed_locally`.
    pub reason: &'static str,
    /// Details.
    pub detail: String,
}

impl Skipped {
    /// The file `proof` names, left alone for `reason`; said on `progress` as `what` (`not
    /// offloaded`, `not restored`) with the path, the reason and `detail`.
    fn warned(what: &str, proof: &FileProof, reason: &'static str, detail: String, progress: &dyn Progress) -> Self {
        progress.warn(&format!("{what}: {} ({reason}): {detail}", proof.path.display()));
        Skipped {
            table: proof.source_table.clone(),
            row_id: proof.row_id,
            path: proof.path.display().to_string(),
            reason,
            detail,
        }
    }
}

/// This device's complete blobs of the media types starting at or before `until` (every one:
/// `None`), by id (the server's listing: complete blobs only, each with its size, checksum and a
/// signed download URL). A blob holding a file of time `t` starts at or before `t`.
pub(crate) async fn list_own_media(
    session: &SyncSession,
    until: Option<UnixMillis>,
) -> Result<HashMap<BlobId, BlobDownload>> {
    list_own(session, Some(vec![BlobType::Frames, BlobType::Audio]), until).await
}

/// This device's complete blobs (of `types`, or all) starting at or before `until`, by id.
pub(crate) async fn list_own(
    session: &SyncSession,
    types: Option<Vec<BlobType>>,
    until: Option<UnixMillis>,
) -> Result<HashMap<BlobId, BlobDownload>> {
    let far = UnixMillis(crate::os::now_ms().0.saturating_add(10 * 366 * 86_400_000));
    let range = TimeRange { start: UnixMillis(0), end: until.map_or(far, |u| u.clamp(UnixMillis(0), far)) };
    let mut out = HashMap::new();
    let mut cursor: Option<String> = None;
    let mut cursors = crate::api::pages::Cursors::default();
    loop {
        let page = session
            .client()
            .download(&DownloadRequest {
                time_range: Some(range),
                blob_types: types.clone(),
                device_ids: Some(vec![session.device_id().clone()]),
                limit: Some(1000),
                cursor: cursor.clone(),
                ..DownloadRequest::default()
            })
            .await?;
        for blob in page.blobs {
            if blob.device_id == *session.device_id() {
                out.insert(blob.blob_id, blob);
            }
        }
        cursor = cursors.follow(page.next_cursor)?;
        if cursor.is_none() {
            return Ok(out);
        }
    }
}

/// The offloaded-mark connection (a `Mutex`, so that the archive's futures are `Send`; never
/// held across an `.await`).
pub(crate) fn lock_ev(
    m: &std::sync::Mutex<crate::screenpipe::evictions::Evictions>,
) -> std::sync::MutexGuard<'_, crate::screenpipe::evictions::Evictions> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Size and SHA-256 of a local file (`None` when it does not exist).
pub(crate) fn hash_file(path: &Path) -> Result<Option<(u64, Checksum)>> {
    use sha2::{Digest, Sha256};
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SyncError::io(format!("open {}", path.display()), e)),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).io_ctx(|| format!("read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&hasher.finalize());
    Ok(Some((size, Checksum(sum))))
}

/// A stored media path, resolved against the data folder when relative.
pub(crate) fn resolve(data_dir: &Path, stored: &str) -> std::path::PathBuf {
    let p = Path::new(stored);
    if p.is_absolute() { p.to_path_buf() } else { data_dir.join(p) }
}

/// A fault point for the crash tests: when `SCREENPIPE_SYNC_FAULT` is `point` or `point@n`,
/// the process exits at once (code 137, no destructor run, as a `kill -9` there would leave
/// it) the first (or `n`-th) time it reaches `point`. Never set outside tests.
pub(crate) fn fault(point: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static HITS: AtomicU64 = AtomicU64::new(0);
    let Ok(want) = std::env::var("SCREENPIPE_SYNC_FAULT") else { return };
    let (name, nth) = match want.split_once('@') {
        Some((name, n)) => (name.to_owned(), n.parse::<u64>().unwrap_or(1)),
        None => (want, 1),
    };
    if name == point && HITS.fetch_add(1, Ordering::SeqCst) + 1 >= nth {
        std::process::exit(137);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse() {
        assert_eq!(MediaKind::parse_list("screen,audio,screen").unwrap(), vec![MediaKind::Screen, MediaKind::Audio]);
        assert_eq!(MediaKind::parse_list(" Audio ").unwrap(), vec![MediaKind::Audio]);
        assert_eq!(MediaKind::parse_list("text").unwrap_err().code(), "config");
        assert_eq!(MediaKind::parse_list(",").unwrap_err().code(), "config");
        assert_eq!(MediaKind::of_table("frames"), Some(MediaKind::Screen));
        assert_eq!(MediaKind::of_table("ocr_text"), None);
        assert_eq!(tables_of(&[MediaKind::Audio]), vec!["audio_chunks"]);
    }

    #[test]
    fn files_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        assert_eq!(hash_file(&path).unwrap(), None);
        std::fs::write(&path, b"abc").unwrap();
        let (size, sum) = hash_file(&path).unwrap().unwrap();
        assert_eq!(size, 3);
        assert_eq!(sum, crate::pack::sha256_of(b"abc"));
    }
}
