//! Archive, restore and verify (issue 18) for apps: [`SyncManager::archive`] frees the disk of
//! proven media files older than a cutoff, [`SyncManager::drop_text`] of proven text rows,
//! [`SyncManager::restore`] brings a time range back (files and dropped text),
//! [`SyncManager::verify`] checks the cloud copy; each returns its report as a record, and
//! reports progress to the listener. Conversion only: the rules are `sync_client::archive`'s.

use std::collections::HashMap;

use sync_client::archive::{
    ArchiveOptions, ArchiveReport, KeptText, MediaKind, RestoreOptions, RestoreReport, Skipped, TextDropReport,
    TextRestoreReport, VerifyOptions, VerifyReport,
};
use sync_core::UnixMillis;

use crate::error::FfiResult;
use crate::manager::SyncManager;
use crate::records::PullResult;

/// A media file left alone by `archive` or `restore`, and why.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SkippedFile {
    /// `video_chunks`, `audio_chunks` or `frames`.
    pub table: String,
    /// The row in screenpipe's database.
    pub row_id: i64,
    /// The local file.
    pub path: String,
    /// A stable reason (`not_in_cloud`, `cloud_copy_differs`, `changed_since_push`,
    /// `missing_locally`, `read_back_failed`, `cloud_copy_damaged`, `no_proof_recorded`,
    /// `row_changed`, `changed_locally`).
    pub reason: String,
    /// Details.
    pub detail: String,
}

impl From<Skipped> for SkippedFile {
    fn from(s: Skipped) -> SkippedFile {
        SkippedFile { table: s.table, row_id: s.row_id, path: s.path, reason: s.reason.to_owned(), detail: s.detail }
    }
}

/// What `archive` did (or, for a dry run, would do).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ArchiveResult {
    /// True for a dry run (nothing changed).
    pub dry_run: bool,
    /// Files offloaded (or that would be).
    pub files: u64,
    /// Their bytes, freed on this disk.
    pub bytes_freed: u64,
    /// Screen files offloaded.
    pub screen_files: u64,
    /// Audio files offloaded.
    pub audio_files: u64,
    /// Files an interrupted run had proven, finished now.
    pub resumed: u64,
    /// Files offloaded before (left alone).
    pub already_offloaded: u64,
    /// Rows marked offloaded (`evicted_at`) in screenpipe's database.
    pub marked: u64,
    /// Files read back from the cloud before deletion.
    pub read_back: u64,
    /// Files changed since their push, sealed again for the next push (kept now).
    pub repushed: u64,
    /// Files left alone, with the reason.
    pub skipped: Vec<SkippedFile>,
    /// screenpipe's schema, and whether it holds the offloaded mark.
    pub schema: String,
}

impl From<ArchiveReport> for ArchiveResult {
    fn from(r: ArchiveReport) -> ArchiveResult {
        let kind = |k: &str| r.by_kind.get(k).copied().unwrap_or(0);
        ArchiveResult {
            dry_run: r.dry_run,
            files: r.files,
            bytes_freed: r.bytes_freed,
            screen_files: kind("screen"),
            audio_files: kind("audio"),
            resumed: r.resumed,
            already_offloaded: r.already_offloaded,
            marked: r.marked,
            read_back: r.read_back,
            repushed: r.repushed,
            skipped: r.skipped.into_iter().map(SkippedFile::from).collect(),
            schema: r.schema,
        }
    }
}

/// A text row (or a whole bundle's rows) kept by `drop_text`, and why.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct KeptTextRow {
    /// The table (`*` for every row of a bundle).
    pub table: String,
    /// The row (none for a whole bundle).
    pub row_id: Option<i64>,
    /// The bundle it was compared with, hex.
    pub blob_id: String,
    /// A stable reason (`not_in_cloud`, `no_proof_recorded`, `cloud_copy_differs`,
    /// `read_back_failed`, `row_changed`).
    pub reason: String,
    /// Details.
    pub detail: String,
}

impl From<KeptText> for KeptTextRow {
    fn from(k: KeptText) -> KeptTextRow {
        KeptTextRow {
            table: k.table,
            row_id: k.row_id,
            blob_id: k.blob_id,
            reason: k.reason.to_owned(),
            detail: k.detail,
        }
    }
}

/// What `drop_text` did (or, for a dry run, would do).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct TextDropResult {
    /// True for a dry run (nothing changed).
    pub dry_run: bool,
    /// This device's text bundles ending before the cutoff.
    pub bundles: u64,
    /// Of those, the bundles proven (listed complete with the sealed checksum, decrypted).
    pub bundles_proven: u64,
    /// Rows dropped (or droppable), all tables.
    pub rows_dropped: u64,
    /// Rows dropped by table (`frames`: frames whose screen text was cleared; `elements`,
    /// `audio_transcriptions`).
    pub rows: HashMap<String, u64>,
    /// Rows proven but kept because this generation cannot give them back exactly, by table.
    pub not_droppable: HashMap<String, u64>,
    /// Rows proven but kept because their record cannot give every column back, `table#id`.
    pub not_restorable: Vec<String>,
    /// Rows of proven bundles no longer in the local database.
    pub already_absent: u64,
    /// Approximate bytes of text freed.
    pub text_bytes: u64,
    /// Rows and bundles kept, with the reason.
    pub kept: Vec<KeptTextRow>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

impl From<TextDropReport> for TextDropResult {
    fn from(r: TextDropReport) -> TextDropResult {
        TextDropResult {
            dry_run: r.dry_run,
            bundles: r.bundles,
            bundles_proven: r.bundles_proven,
            rows_dropped: r.total_rows(),
            rows: r.rows.into_iter().collect(),
            not_droppable: r.not_droppable.into_iter().collect(),
            not_restorable: r.not_restorable,
            already_absent: r.already_absent,
            text_bytes: r.text_bytes,
            kept: r.kept.into_iter().map(KeptTextRow::from).collect(),
            wall_seconds: r.wall_seconds,
        }
    }
}

/// The text rows `restore` wrote back (those `drop_text` dropped).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TextRestoreResult {
    /// Bundles read back.
    pub bundles: u64,
    /// Rows written back, all tables.
    pub rows: u64,
    /// Frames whose screen text was written back.
    pub frames: u64,
    /// Elements written back.
    pub elements: u64,
    /// Transcriptions written back.
    pub transcriptions: u64,
    /// Rows not written (already there, or their parent row is gone).
    pub skipped: u64,
    /// Bundles that could not be read back (`blob id: reason`): their rows stay dropped.
    pub failed: Vec<String>,
}

impl From<TextRestoreReport> for TextRestoreResult {
    fn from(r: TextRestoreReport) -> TextRestoreResult {
        TextRestoreResult {
            bundles: r.bundles,
            rows: r.rows(),
            frames: r.frames,
            elements: r.elements,
            transcriptions: r.transcriptions,
            skipped: r.skipped,
            failed: r.failed,
        }
    }
}

/// What `restore` did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct RestoreResult {
    /// This device's files written back.
    pub restored: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files already in place.
    pub already_present: u64,
    /// Files not restored, with the reason.
    pub skipped: Vec<SkippedFile>,
    /// The other devices' rows and files of the range (the pull of the range), unless only this
    /// device's files were asked for.
    pub other_devices: Option<PullResult>,
    /// This device's dropped text rows of the range, written back.
    pub text: TextRestoreResult,
    /// True when everything asked for came back.
    pub complete: bool,
}

impl From<RestoreReport> for RestoreResult {
    fn from(r: RestoreReport) -> RestoreResult {
        let complete = r.complete();
        RestoreResult {
            restored: r.restored,
            bytes: r.bytes,
            already_present: r.already_present,
            skipped: r.skipped.into_iter().map(SkippedFile::from).collect(),
            other_devices: r.other_devices.map(PullResult::from),
            text: r.text.into(),
            complete,
        }
    }
}

/// A blob that failed a check of `verify`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BlobMismatch {
    /// The blob.
    pub blob_id: String,
    /// Its type.
    pub blob_type: String,
    /// `missing`, `size_differs`, `checksum_differs` or `unreadable`.
    pub problem: String,
    /// Details.
    pub detail: String,
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VerifyResult {
    /// Blobs checked.
    pub checked: u64,
    /// Their bytes (ciphertext).
    pub bytes: u64,
    /// Blobs whose checksum was compared with the one recorded at sealing.
    pub checksums_compared: u64,
    /// Blobs downloaded and decrypted.
    pub read: u64,
    /// Every failed check (empty: all good).
    pub mismatches: Vec<BlobMismatch>,
}

impl From<VerifyReport> for VerifyResult {
    fn from(r: VerifyReport) -> VerifyResult {
        VerifyResult {
            checked: r.checked,
            bytes: r.bytes,
            checksums_compared: r.checksums_compared,
            read: r.read,
            mismatches: r
                .mismatches
                .into_iter()
                .map(|m| BlobMismatch {
                    blob_id: m.blob_id,
                    blob_type: m.blob_type,
                    problem: m.problem.to_owned(),
                    detail: m.detail,
                })
                .collect(),
        }
    }
}

/// Media types by name (`screen`, `audio`); empty: both (`config` error for another name).
fn kinds_of(types: &[String]) -> FfiResult<Vec<MediaKind>> {
    if types.is_empty() {
        return Ok(MediaKind::ALL.to_vec());
    }
    Ok(MediaKind::parse_list(&types.join(","))?)
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncManager {
    /// Frees the disk: deletes this device's media files of `types` (`screen`, `audio`; empty:
    /// both) older than `before_ms` once proven in the cloud, marking them offloaded where
    /// screenpipe's schema can; `verify_read` also downloads and decrypts each blob first;
    /// `dry_run` changes nothing. Progress goes to the listener.
    pub async fn archive(
        &self,
        before_ms: i64,
        types: Vec<String>,
        dry_run: bool,
        verify_read: bool,
    ) -> FfiResult<ArchiveResult> {
        let options =
            ArchiveOptions { before: UnixMillis(before_ms), kinds: kinds_of(&types)?, dry_run, read_back: verify_read };
        let session = self.unlocked_session()?;
        Ok(session.archive(&options, self.progress()).await?.into())
    }

    /// Frees the disk of text: drops this device's text rows older than `before_ms` once the
    /// bundles holding them are proven in the cloud (listed complete with the checksum sealed,
    /// downloaded, decrypted, each row equal to its record); `dry_run` only reports. `restore`
    /// writes them back. Progress goes to the listener.
    pub async fn drop_text(&self, before_ms: i64, dry_run: bool) -> FfiResult<TextDropResult> {
        let session = self.unlocked_session()?;
        Ok(session.drop_text(UnixMillis(before_ms), dry_run, self.progress()).await?.into())
    }

    /// Puts this device's offloaded media files of `types` in `[since_ms, until_ms]` (defaults:
    /// everything) back, byte for byte, and, unless `this_device_only`, the other devices' rows
    /// and files of the range (where `pull` puts them). Progress goes to the listener.
    pub async fn restore(
        &self,
        since_ms: Option<i64>,
        until_ms: Option<i64>,
        types: Vec<String>,
        this_device_only: bool,
    ) -> FfiResult<RestoreResult> {
        let options = RestoreOptions {
            since: UnixMillis(since_ms.unwrap_or(0)),
            until: UnixMillis(until_ms.unwrap_or(i64::MAX)),
            kinds: kinds_of(&types)?,
            other_devices: !this_device_only,
        };
        let session = self.unlocked_session()?;
        Ok(session.restore(&options, self.progress()).await?.into())
    }

    /// Checks that every blob this device uploaded (of `[since_ms, until_ms]`) is in the cloud
    /// with the size and checksum sealed; `read_data` also downloads and decrypts each.
    pub async fn verify(
        &self,
        read_data: bool,
        since_ms: Option<i64>,
        until_ms: Option<i64>,
    ) -> FfiResult<VerifyResult> {
        let options = VerifyOptions { since: since_ms.map(UnixMillis), until: until_ms.map(UnixMillis), read_data };
        let session = self.unlocked_session()?;
        Ok(session.verify(&options, self.progress()).await?.into())
    }
}
