//! The media pass: one `frames` blob per `video_chunks` file and one `audio` blob per
//! `audio_chunks` file, byte for byte, sealed into the staging folder and committed with the
//! media cursors; then the snapshots, many to a `frames` blob ([`super::snapshots`]).

use sync_core::blob::BlobContext;
use sync_core::records::parse_timestamp;
use sync_core::wire::limits::MAX_BLOB_SIZE;
use sync_core::{BlobId, UnixMillis};

use super::staging::seal_media_file;
use super::{MEDIA_TABLES, Packager, media_blob_id, mtime_ms};
use crate::error::{Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::state::{FileProof, PendingUpload, Plan, StateDb};

/// Largest media file packaged (the API's blob bound less the format's overhead).
const MAX_MEDIA_FILE: u64 = 1 << 30;

/// What one media pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaPass {
    /// Blobs sealed and staged (one per chunk file, one per media pack).
    pub staged: u64,
    /// Media files in them (chunk files and snapshots).
    pub files: u64,
    /// Their plaintext bytes.
    pub bytes: u64,
    /// Media packs of snapshots among the staged blobs.
    pub packs: u64,
    /// Chunks whose file was missing (`table#row: path`), reported and skipped.
    pub missing: Vec<String>,
    /// Chunks skipped for another reason (too large, not a file).
    pub skipped: Vec<String>,
    /// True when a chunk is still being written (a later pass takes it).
    pub waiting: bool,
}

impl Packager<'_> {
    /// The media pass: seals up to `batch` settled media files past the media cursors.
    pub fn plan_media(&self, state: &mut StateDb, batch: usize, progress: &dyn Progress) -> Result<MediaPass> {
        let mut pass = MediaPass::default();
        let staging = self.config.staging_dir();
        let settle_ms = i64::try_from(self.config.media_settle.as_millis()).unwrap_or(i64::MAX);
        let now = crate::os::now_ms();
        for (table, blob_type) in MEDIA_TABLES {
            if !self.db.tables().has_table(table) || !self.config.data_types.allows(blob_type) {
                continue;
            }
            let cursor_name = format!("media:{table}");
            let cursor = state.cursor(&cursor_name)?;
            let max_id = self.db.max_id(table, "id")?;
            let rows = self.db.media_rows(table, cursor, batch)?;
            let mut pending: Vec<PendingUpload> = Vec::new();
            let mut media: Vec<(String, i64, BlobId, &'static str)> = Vec::new();
            let mut proofs: Vec<FileProof> = Vec::new();
            let mut last_row: Option<i64> = None;
            for row in rows {
                let row_id = row.row_id;
                if row.imported {
                    last_row = Some(row_id);
                    continue;
                }
                let path = self.resolve_media_path(&row.file_path);
                let derived = media_blob_id(self.keys, self.device_id, table, row_id)?;
                let blob_id = state.assign_media_blob(table, row_id, derived)?;
                let meta = match std::fs::metadata(&path) {
                    Ok(m) => Some(m),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(SyncError::io(format!("stat {}", path.display()), e)),
                };
                let Some(meta) = meta.filter(|m| m.is_file()) else {
                    if row_id < max_id {
                        let note = format!("{table}#{row_id}: {}", path.display());
                        progress.warn(&format!("media file missing, skipped: {note}"));
                        tracing::warn!(table, row_id, path = %path.display(), "media file missing; skipped");
                        media.push((table.to_owned(), row_id, blob_id, "missing"));
                        last_row = Some(row_id);
                        pass.missing.push(note);
                        continue;
                    }
                    pass.waiting = true;
                    break;
                };
                let mtime = mtime_ms(&meta);
                if now.0.saturating_sub(mtime.0) < settle_ms {
                    pass.waiting = true;
                    break;
                }
                if meta.len() > MAX_MEDIA_FILE {
                    let note = format!("{table}#{row_id}: {} is larger than 1 GiB", path.display());
                    progress.warn(&format!("media file skipped: {note}"));
                    media.push((table.to_owned(), row_id, blob_id, "missing"));
                    last_row = Some(row_id);
                    pass.skipped.push(note);
                    continue;
                }
                let (start, end) = self.media_range(table, row_id, mtime)?;
                let ctx = BlobContext {
                    blob_id,
                    blob_type,
                    device_id: self.device_id.clone(),
                    time_start: start,
                    time_end: end,
                };
                let staged = seal_media_file(self.keys, &ctx, &path, &staging, progress)?;
                if staged.size > MAX_BLOB_SIZE {
                    return Err(SyncError::State(format!(
                        "a sealed media blob of {} bytes exceeds the API bound",
                        staged.size
                    )));
                }
                proofs.push(FileProof {
                    source_table: table.to_owned(),
                    row_id,
                    blob_id,
                    entry: None,
                    path: path.clone(),
                    time: end,
                    plain_size: staged.plain.0,
                    plain_sha256: staged.plain.1,
                });
                pending.push(PendingUpload {
                    blob_id,
                    blob_type,
                    time_start: start,
                    time_end: end,
                    size_bytes: staged.size,
                    checksum: staged.checksum,
                    key_id: self.keys.current_key_id(),
                    tokens: Vec::new(),
                    staging_file: staged.path,
                    records: 1,
                    media: Some((table.to_owned(), row_id)),
                });
                media.push((table.to_owned(), row_id, blob_id, "staged"));
                last_row = Some(row_id);
                progress.advance(Stage::Packaging, 1);
                pass.staged += 1;
                pass.files += 1;
                pass.bytes += meta.len();
            }
            if let Some(row) = last_row {
                if !pending.is_empty() {
                    crate::os::sync_dir(&staging)?;
                }
                let cursors = [(cursor_name.clone(), row)];
                state.commit_plan(&Plan {
                    pending: &pending,
                    media: &media,
                    cursors: &cursors,
                    proofs: &proofs,
                    ..Plan::default()
                })?;
            }
        }
        self.plan_snapshots(state, progress, &mut pass)?;
        Ok(pass)
    }

    /// The time range of a media blob: its frames' (video) or its own and its transcriptions'
    /// timestamps (audio); the file's modification time when there are none.
    pub(super) fn media_range(&self, table: &str, row_id: i64, mtime: UnixMillis) -> Result<(UnixMillis, UnixMillis)> {
        let times: Vec<i64> = self
            .db
            .chunk_timestamps(table, row_id)?
            .iter()
            .filter_map(|ts| parse_timestamp(ts).ok())
            .map(|ms| ms.0)
            .collect();
        let start = times.iter().min().copied().unwrap_or(mtime.0);
        let end = times.iter().max().copied().unwrap_or(mtime.0).max(start);
        Ok((UnixMillis(start), UnixMillis(end)))
    }
}
