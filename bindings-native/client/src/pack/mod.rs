//! The packager: screenpipe's rows and media files into sealed blobs in the staging folder,
//! from the last synced position (docs/FORMAT.md, Records bundle; the crate README says what
//! happens to each table).
//!
//! Two passes, each committed to the state file in one transaction together with the cursor
//! advance it covers (so a crash before the commit packages the same rows again, a crash after
//! it finds them pending). Both read screenpipe's database through the adapter of its
//! generation ([`crate::screenpipe::Generation`]); a schema no adapter fully understands is
//! refused when the packager opens it, before anything is packaged.
//! - **media** ([`media`], [`Packager::plan_media`]): one `frames` blob per `video_chunks` file
//!   and one `audio` blob per `audio_chunks` file, byte for byte, in row order. A file is taken
//!   once it has not changed for `media_settle` (screenpipe finished writing it). A missing
//!   file is reported and skipped (status `missing`) once a later chunk exists; the newest
//!   chunk may simply not be written yet, so it waits. Then the 0.4 snapshots, many to a
//!   `frames` blob holding a media pack ([`snapshots`]).
//! - **text** ([`text`], [`Packager::plan_text`]): the rows of `frames` (with their screen text:
//!   0.4 `full_text`, or the February 2026 `ocr_text` rows folded in; their elements; their
//!   snapshot's pack entry), `audio_transcriptions`, `accessibility`, `ui_events`, `meetings`
//!   past their cursors (at most `max_rows_per_pass` per table) and the memories whose version
//!   `(updated_at, id)` is past theirs, grouped into bundles by the time window of their own
//!   timestamp. A bundle ([`bundles`]) carries the chunk rows its frames and transcriptions
//!   need even when those were sent before, so every bundle imports on its own; identities make
//!   the repeats harmless. A bundle whose search tokens or size would exceed the API's bounds
//!   is split. The frames cursor stops before a snapshot frame the media pass has not handled
//!   yet and before a 0.4 frame whose text is still pending (younger than
//!   [`text::PENDING_TEXT_GRACE`]); the meetings cursor before a meeting still running (for up
//!   to [`text::OPEN_MEETING_GRACE`]).
//!
//! Blob ids ([`ids`]) are deterministic, so that packaging the same rows again gives the same
//! id. Sealed blobs are written to the staging folder atomically ([`staging`]). Rows that the
//! unpacker imported from another device are never packaged. Every SQL statement is in
//! [`crate::screenpipe::reads`].

pub mod bundles;
pub mod ids;
pub mod media;
pub mod snapshots;
mod staging;

pub(crate) use snapshots::seal_snapshot_pack;
pub(crate) use staging::{Staged, reseal_staged, seal_media_file, sha256_of};
pub mod text;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sync_core::keys::KeySet;
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

pub use ids::{media_blob_id, repush_blob_id};
pub use media::MediaPass;
pub use text::TextPass;

use crate::config::SyncConfig;
use crate::error::Result;
use crate::screenpipe::reads::PackagerReads;
use crate::state::StateDb;

/// Text tables with their row id column, in packaging order (memories have a version cursor
/// of their own; elements travel with their frames).
pub const TEXT_TABLES: [(&str, &str); 7] = [
    ("video_chunks", "id"),
    ("audio_chunks", "id"),
    ("frames", "id"),
    ("audio_transcriptions", "id"),
    ("accessibility", "id"),
    ("ui_events", "id"),
    ("meetings", "id"),
];
/// Media tables and their blob type.
pub const MEDIA_TABLES: [(&str, BlobType); 2] = [("video_chunks", BlobType::Frames), ("audio_chunks", BlobType::Audio)];

/// Packages one device's screenpipe data with one key set.
pub struct Packager<'a> {
    db: PackagerReads,
    keys: &'a KeySet,
    device_id: &'a DeviceId,
    config: &'a SyncConfig,
}

impl std::fmt::Debug for Packager<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packager").field("device_id", &self.device_id).field("keys", &self.keys).finish_non_exhaustive()
    }
}

/// The last component of a stored media path (what a bundle carries).
fn file_name_of(path: &str) -> String {
    Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_owned())
}

/// A file's modification time (0 when the OS does not tell).
fn mtime_ms(meta: &std::fs::Metadata) -> UnixMillis {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| UnixMillis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
        .unwrap_or(UnixMillis(0))
}

impl<'a> Packager<'a> {
    /// Opens screenpipe's database read-only for one packaging run.
    pub fn new(config: &'a SyncConfig, keys: &'a KeySet, device_id: &'a DeviceId) -> Result<Packager<'a>> {
        let db = PackagerReads::open(&config.db_path)?;
        Ok(Packager { db, keys, device_id, config })
    }

    /// The length of a text bundle's time window, in milliseconds (at least a second).
    fn window_ms(&self) -> i64 {
        i64::try_from(self.config.window.as_millis()).unwrap_or(300_000).max(1000)
    }

    /// The database's schema, as the packager reads it.
    pub fn schema(&self) -> &crate::screenpipe::Schema {
        self.db.schema()
    }

    /// A stored media path, resolved against the data folder when relative.
    fn resolve_media_path(&self, stored: &str) -> PathBuf {
        let p = PathBuf::from(stored);
        if p.is_absolute() { p } else { self.config.data_dir.join(p) }
    }

    /// The blob id a chunk's file has or will have; `None` when it was reported missing.
    fn chunk_blob(&self, state: &StateDb, table: &str, row_id: i64) -> Result<Option<BlobId>> {
        match state.media_blob(table, row_id)? {
            Some((_, status)) if status == "missing" => Ok(None),
            Some((id, _)) => Ok(Some(id)),
            None => {
                let derived = media_blob_id(self.keys, self.device_id, table, row_id)?;
                Ok(Some(state.assign_media_blob(table, row_id, derived)?))
            }
        }
    }
}
