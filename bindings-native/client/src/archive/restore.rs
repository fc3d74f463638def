//! `restore`: this device's media files of a time range back from the cloud, at their paths.
//!
//! Per file: download (checked), decrypt (every segment verified), compare with the size and
//! SHA-256 sealed, write to a temporary file beside the destination, fsync, rename, sync the
//! folder; then clear the offloaded mark and the journal entry. A kill anywhere leaves either no
//! file (the next run writes it) or the whole file (the next run only clears the mark). A file
//! already in place with the sealed bytes is left alone; a file in place with other bytes is
//! never overwritten. A media pack is downloaded once for all its entries.
//!
//! This device's text rows that `archive --drop-text` dropped come back too, from their bundles
//! (see [`super::drop_text`]), whatever `kinds` says.
//!
//! With [`RestoreOptions::other_devices`], the other devices' rows and files of the range come
//! back too, where `pull` puts them (`DATA_DIR/<origin device>/...`, byte for byte): restore runs
//! the pull of the range after this device's own files. That is how a new device of the account
//! (unlocked with the password, or joined with a code) gets another device's history of a
//! period. A bundle imported before is not imported again; its media files are the ones `pull`
//! wrote or keeps pending.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sync_core::{BlobId, UnixMillis};

use super::prove::{Local, check_local, pack_entry, read_chunk_to, read_pack};
use super::{MediaKind, Skipped, fault, list_own_media, tables_of};
use crate::error::{IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::screenpipe::evictions::Evictions;
use std::sync::Mutex;

use super::lock_ev;
use crate::session::{PullReport, SyncSession, blocking};
use crate::state::{FileProof, StateLock};

/// What `restore` is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Files whose time is at or after this.
    pub since: UnixMillis,
    /// Files whose time is at or before this.
    pub until: UnixMillis,
    /// Which media (of this device's files).
    pub kinds: Vec<MediaKind>,
    /// Also the other devices' rows and files of the range (the pull of the range: their text
    /// bundles imported, with the media files the device's data types take).
    pub other_devices: bool,
}

/// What `restore` did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RestoreReport {
    /// Files written back.
    pub restored: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files already in place (their mark cleared if it was set).
    pub already_present: u64,
    /// Files not restored, with the reason (`not_in_cloud`, `changed_locally`,
    /// `read_back_failed`).
    pub skipped: Vec<Skipped>,
    /// This device's text rows dropped by `archive --drop-text` whose bundle meets the range,
    /// written back (same ids, same text).
    pub text: super::TextRestoreReport,
    /// With `other_devices`: what the pull of the range did (bundles imported, rows, media
    /// files written, failures).
    pub other_devices: Option<PullReport>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

impl RestoreReport {
    /// True when everything asked for came back (nothing skipped, no pull failure).
    pub fn complete(&self) -> bool {
        self.skipped.is_empty()
            && self.text.failed.is_empty()
            && self.other_devices.as_ref().is_none_or(|p| p.failures.is_empty())
    }

    fn skip(&mut self, proof: &FileProof, reason: &'static str, detail: String, progress: &dyn Progress) {
        self.skipped.push(Skipped::warned("not restored", proof, reason, detail, progress));
    }
}

/// The temporary file beside `dest`.
fn part_of(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dest.with_file_name(format!(".{name}.restore"))
}

/// Renames a complete, fsynced temporary file into place and syncs the folder.
fn put_in_place(part: &Path, dest: &Path) -> Result<()> {
    std::fs::rename(part, dest).io_ctx(|| format!("rename to {}", dest.display()))?;
    match dest.parent() {
        Some(dir) => crate::os::sync_dir(dir),
        None => Ok(()),
    }
}

/// Writes `bytes` to `part` and fsyncs it.
fn write_part(part: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(part).io_ctx(|| format!("create {}", part.display()))?;
    file.write_all(bytes).io_ctx(|| format!("write {}", part.display()))?;
    file.sync_all().io_ctx(|| format!("sync {}", part.display()))
}

impl SyncSession {
    /// Restores this device's media files of `options` from the cloud and, with
    /// `other_devices`, the other devices' rows and files of the range (see
    /// [`crate::archive::restore`]).
    pub async fn restore(&self, options: &RestoreOptions, progress: Arc<dyn Progress>) -> Result<RestoreReport> {
        let started = Instant::now();
        let mut report = self.restore_own(options, progress.clone()).await?;
        report.text = self.restore_text(options.since, options.until, progress.as_ref()).await?;
        if options.other_devices {
            // After this device's files: the pull takes the state lock itself.
            let far = UnixMillis(crate::os::now_ms().0.saturating_add(10 * 366 * 86_400_000));
            let (since, until) = (options.since.max(UnixMillis(0)), options.until.min(far));
            report.other_devices = Some(self.pull(Some(since), Some(until), progress).await?);
        }
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// This device's media files of `options`, back in place.
    async fn restore_own(&self, options: &RestoreOptions, progress: Arc<dyn Progress>) -> Result<RestoreReport> {
        let started = Instant::now();
        let state_dir = self.config().state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, std::time::Duration::from_secs(30))).await?;
        let db = self.config().db_path.clone();
        let ev = Mutex::new(blocking(move || Evictions::open(&db)).await?);
        let tables = tables_of(&options.kinds);
        let proofs = self.with_state(|s| s.uploaded_proofs(&tables, options.since, options.until))?;
        let mut report = RestoreReport::default();
        let mut wanted: Vec<FileProof> = Vec::new();
        for proof in proofs {
            match check_local(&proof)? {
                Local::Same => {
                    self.restored(&ev, &proof)?;
                    report.already_present += 1;
                }
                Local::Changed(size, _) => {
                    let detail = format!("a file of {size} bytes is in its place: left alone");
                    report.skip(&proof, "changed_locally", detail, progress.as_ref());
                }
                Local::Missing => wanted.push(proof),
            }
        }
        if wanted.is_empty() {
            report.wall_seconds = started.elapsed().as_secs_f64();
            return Ok(report);
        }
        let listing = list_own_media(self, Some(options.until)).await?;
        progress.add_total(Stage::Importing, wanted.len() as u64);
        // Whole files one by one; pack entries grouped by pack.
        let mut packs: BTreeMap<BlobId, Vec<FileProof>> = BTreeMap::new();
        for proof in wanted {
            let Some(blob) = listing.get(&proof.blob_id) else {
                let detail = format!("the server does not list blob {}", proof.blob_id);
                report.skip(&proof, "not_in_cloud", detail, progress.as_ref());
                continue;
            };
            if proof.entry.is_some() {
                packs.entry(proof.blob_id).or_default().push(proof);
                continue;
            }
            let dir = proof.path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
            std::fs::create_dir_all(&dir).io_ctx(|| format!("create {}", dir.display()))?;
            let part = part_of(&proof.path);
            match read_chunk_to(self, blob, &part, progress.as_ref()).await {
                Ok((size, sum)) if size == proof.plain_size && sum == proof.plain_sha256 => {
                    fault("restore:written");
                    put_in_place(&part, &proof.path)?;
                    fault("restore:renamed");
                    self.restored(&ev, &proof)?;
                    report.restored += 1;
                    report.bytes += size;
                }
                Ok(_) => {
                    let _ = std::fs::remove_file(&part);
                    let detail = format!("blob {} decrypts to other bytes than were sealed", proof.blob_id);
                    report.skip(&proof, "read_back_failed", detail, progress.as_ref());
                }
                Err(e @ (SyncError::Network { .. } | SyncError::Io { .. })) => return Err(e),
                Err(e) => report.skip(&proof, "read_back_failed", e.to_string(), progress.as_ref()),
            }
            progress.advance(Stage::Importing, 1);
        }
        for (blob_id, entries) in packs {
            let Some(blob) = listing.get(&blob_id) else { continue };
            let opened = match read_pack(self, blob, progress.as_ref()).await {
                Ok(p) => p,
                Err(e @ (SyncError::Network { .. } | SyncError::Io { .. })) => return Err(e),
                Err(e) => {
                    for proof in &entries {
                        report.skip(proof, "read_back_failed", e.to_string(), progress.as_ref());
                    }
                    continue;
                }
            };
            let (index, payload) = opened;
            for proof in entries {
                let entry = proof.entry.as_deref().unwrap_or_default();
                let bytes = match pack_entry(&index, &payload, entry) {
                    Ok(b) if b.len() as u64 == proof.plain_size && crate::pack::sha256_of(b) == proof.plain_sha256 => b,
                    Ok(_) => {
                        let detail = format!("entry {entry} of blob {blob_id} differs from what was sealed");
                        report.skip(&proof, "read_back_failed", detail, progress.as_ref());
                        continue;
                    }
                    Err(e) => {
                        report.skip(&proof, "read_back_failed", e.to_string(), progress.as_ref());
                        continue;
                    }
                };
                let dir = proof.path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
                std::fs::create_dir_all(&dir).io_ctx(|| format!("create {}", dir.display()))?;
                let part = part_of(&proof.path);
                write_part(&part, bytes)?;
                fault("restore:written");
                put_in_place(&part, &proof.path)?;
                fault("restore:renamed");
                self.restored(&ev, &proof)?;
                report.restored += 1;
                report.bytes += proof.plain_size;
                progress.advance(Stage::Importing, 1);
            }
        }
        progress.finish(Stage::Downloading);
        progress.finish(Stage::Importing);
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// A file back in place: its mark cleared (a snapshot's frame pointed at it again if
    /// screenpipe cleared its path meanwhile), its journal entry gone.
    fn restored(&self, ev: &Mutex<Evictions>, proof: &FileProof) -> Result<()> {
        lock_ev(ev).clear(&proof.source_table, proof.row_id)?;
        if proof.source_table == "frames" {
            lock_ev(ev).repoint_snapshot(proof.row_id, &proof.path)?;
        }
        self.with_state(|s| s.journal_remove(&proof.source_table, proof.row_id))
    }
}
