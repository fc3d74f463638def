//! `archive`: offloads the proven media files older than a cutoff (see [`super`] for the proof
//! and the order of the steps).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sync_core::blob::BlobContext;
use sync_core::wire::BlobDownload;
use sync_core::{BlobId, BlobType, UnixMillis};

use super::prove::{Local, check_listing, check_local, read_back};
use super::{MediaKind, Skipped, fault, list_own_media, resolve, tables_of};
use crate::error::{Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::screenpipe::evictions::Evictions;
use std::sync::Mutex;

use super::lock_ev;
use crate::pack::{Staged, repush_blob_id, seal_media_file, seal_snapshot_pack};
use crate::session::{SyncSession, blocking};
use crate::state::{BlobSeal, FileProof, PendingUpload, Plan, SnapshotEntry, StateLock};

/// How long `archive` waits for another process holding the state folder.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What `archive` is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveOptions {
    /// Files whose time is before this are offloaded.
    pub before: UnixMillis,
    /// Which media.
    pub kinds: Vec<MediaKind>,
    /// Report what would be offloaded; change nothing.
    pub dry_run: bool,
    /// Also download and decrypt each blob and compare it with the file before deleting it
    /// (and the only way to prove a file sealed before proofs were recorded).
    pub read_back: bool,
}

/// What `archive` did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ArchiveReport {
    /// True for a dry run (nothing changed).
    pub dry_run: bool,
    /// Files offloaded now (or that would be).
    pub files: u64,
    /// Their bytes, freed on this disk.
    pub bytes_freed: u64,
    /// Files offloaded, by type (`screen`, `audio`).
    pub by_kind: std::collections::BTreeMap<String, u64>,
    /// Files that an interrupted run had proven and that this run finished.
    pub resumed: u64,
    /// Files offloaded before (left alone).
    pub already_offloaded: u64,
    /// Rows marked offloaded (`evicted_at`) in screenpipe's database.
    pub marked: u64,
    /// Files read back from the cloud before deletion.
    pub read_back: u64,
    /// Chunk files changed since their push, sealed again as new blobs (uploaded by the next
    /// push, offloaded by a later archive once proven): kept now.
    pub repushed: u64,
    /// Files left alone, with the reason.
    pub skipped: Vec<Skipped>,
    /// screenpipe's schema (generation, migrations), and whether it holds the offloaded mark.
    pub schema: String,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

/// One file to offload, proven.
struct Candidate {
    proof: FileProof,
}

impl ArchiveReport {
    fn skip(&mut self, proof: &FileProof, reason: &'static str, detail: String, progress: &dyn Progress) {
        self.skipped.push(Skipped::warned("not offloaded", proof, reason, detail, progress));
    }

    fn offloaded(&mut self, proof: &FileProof) {
        self.files += 1;
        self.bytes_freed += proof.plain_size;
        if let Some(kind) = MediaKind::of_table(&proof.source_table) {
            let name = serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            *self.by_kind.entry(name).or_default() += 1;
        }
    }
}

/// Deletes a file and syncs its folder (a file already gone is fine).
fn delete_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(SyncError::io(format!("remove {}", path.display()), e)),
    }
    match path.parent() {
        Some(dir) => crate::os::sync_dir(dir),
        None => Ok(()),
    }
}

/// The last steps for a proven file whose `intent` is journalled: mark, delete, `done`.
fn finish(session: &SyncSession, ev: &Mutex<Evictions>, proof: &FileProof, report: &mut ArchiveReport) -> Result<()> {
    if lock_ev(ev).mark(&proof.source_table, proof.row_id, crate::os::now_ms())? {
        report.marked += 1;
    }
    fault("archive:marked");
    delete_file(&proof.path)?;
    fault("archive:deleted");
    session.with_state(|s| s.journal_done(&proof.source_table, proof.row_id))?;
    Ok(())
}

impl SyncSession {
    /// Offloads the proven media files of `options.kinds` older than `options.before` (see
    /// [`crate::archive`]); finishes first what an interrupted run left in the journal.
    pub async fn archive(&self, options: &ArchiveOptions, progress: Arc<dyn Progress>) -> Result<ArchiveReport> {
        let started = Instant::now();
        let state_dir = self.config().state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, LOCK_WAIT)).await?;
        let db = self.config().db_path.clone();
        let ev = Mutex::new(blocking(move || Evictions::open(&db)).await?);
        let mut report = ArchiveReport { dry_run: options.dry_run, ..ArchiveReport::default() };
        let marks: Vec<&str> =
            ["video_chunks", "audio_chunks"].into_iter().filter(|t| lock_ev(&ev).can_mark(t)).collect();
        report.schema = format!(
            "{}; offloaded mark (evicted_at): {}",
            lock_ev(&ev).schema().summary(),
            if marks.is_empty() { "none".to_owned() } else { marks.join(", ") }
        );
        if !options.dry_run {
            self.resume_journal(&ev, &mut report, progress.as_ref())?;
        }
        let tables = tables_of(&options.kinds);
        let (proofs, unproven) = self.with_state(|s| {
            Ok((
                s.uploaded_proofs(&tables, UnixMillis(i64::MIN), UnixMillis(options.before.0.saturating_sub(1)))?,
                s.unproven_media()?,
            ))
        })?;
        let listing = list_own_media(self, Some(options.before)).await?;
        let scratch = self.config().state_dir.join("archive-scratch");
        progress.add_total(Stage::Importing, proofs.len() as u64);
        let mut candidates = Vec::new();
        for proof in proofs {
            progress.advance(Stage::Importing, 1);
            if self.with_state(|s| s.journal_status(&proof.source_table, proof.row_id))?.as_deref() == Some("done") {
                if proof.path.exists() {
                    // Written back by a restore that was interrupted: back in place, checked again.
                    lock_ev(&ev).clear(&proof.source_table, proof.row_id)?;
                    self.with_state(|s| s.journal_remove(&proof.source_table, proof.row_id))?;
                } else {
                    report.already_offloaded += 1;
                    continue;
                }
            }
            if let Some(c) = self.prove(&ev, proof, &listing, options, &scratch, &mut report, progress.as_ref()).await?
            {
                candidates.push(c);
            }
        }
        // Files sealed before proofs were recorded: proven only by reading them back.
        for (table, row_id, blob_id, entry) in unproven {
            if !tables.contains(&table.as_str()) {
                continue;
            }
            let Some(proof) = self.legacy_proof(&ev, &table, row_id, blob_id, entry, &listing)? else { continue };
            if proof.time.0 >= options.before.0 {
                continue;
            }
            if !options.read_back {
                let detail = "sealed before proofs were recorded: run with --verify-read to prove it".to_owned();
                report.skip(&proof, "no_proof_recorded", detail, progress.as_ref());
                continue;
            }
            if let Some(c) = self.prove(&ev, proof, &listing, options, &scratch, &mut report, progress.as_ref()).await?
            {
                if !options.dry_run {
                    // Read back whole: its listed size and checksum are the ones sealed.
                    if let Some(b) = listing.get(&c.proof.blob_id) {
                        let seal = BlobSeal { size_bytes: b.size_bytes, checksum: b.checksum };
                        self.with_state(|s| s.record_seal(&c.proof.blob_id, &seal))?;
                    }
                    self.with_state(|s| s.add_proof(&c.proof))?;
                }
                candidates.push(c);
            }
        }
        let _ = std::fs::remove_dir(&scratch);
        for c in candidates {
            if options.dry_run {
                report.offloaded(&c.proof);
                continue;
            }
            self.with_state(|s| s.journal_intent(&c.proof.source_table, c.proof.row_id, c.proof.plain_size))?;
            fault("archive:intent");
            finish(self, &ev, &c.proof, &mut report)?;
            report.offloaded(&c.proof);
        }
        progress.finish(Stage::Importing);
        progress.finish(Stage::Downloading);
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Finishes what an interrupted run journalled as `intent`: a file still holding its sealed
    /// bytes is marked and deleted; a file gone was deleted after its proof (only marked again
    /// and `done`); a file changed meanwhile keeps its place (the mark is cleared).
    fn resume_journal(&self, ev: &Mutex<Evictions>, report: &mut ArchiveReport, progress: &dyn Progress) -> Result<()> {
        let intents = self.with_state(|s| s.journal(Some("intent")))?;
        for entry in intents {
            let Some(proof) = self.with_state(|s| s.file_proof(&entry.source_table, entry.row_id))? else {
                // No proof: nothing was deleted for it (intent follows the proof).
                self.with_state(|s| s.journal_remove(&entry.source_table, entry.row_id))?;
                lock_ev(ev).clear(&entry.source_table, entry.row_id)?;
                continue;
            };
            match check_local(&proof)? {
                Local::Same | Local::Missing => {
                    finish(self, ev, &proof, report)?;
                    report.resumed += 1;
                    report.offloaded(&proof);
                }
                Local::Changed(size, _) => {
                    lock_ev(ev).clear(&proof.source_table, proof.row_id)?;
                    self.with_state(|s| s.journal_remove(&proof.source_table, proof.row_id))?;
                    let detail = format!("now {size} bytes, sealed {} bytes: not deleted", proof.plain_size);
                    report.skip(&proof, "changed_since_push", detail, progress);
                }
            }
        }
        Ok(())
    }

    /// Checks one file; `Some` when it may be deleted.
    #[allow(clippy::too_many_arguments)]
    async fn prove(
        &self,
        ev: &Mutex<Evictions>,
        proof: FileProof,
        listing: &HashMap<BlobId, BlobDownload>,
        options: &ArchiveOptions,
        scratch: &Path,
        report: &mut ArchiveReport,
        progress: &dyn Progress,
    ) -> Result<Option<Candidate>> {
        // The row still points at the file.
        let stored = lock_ev(ev).stored_path(&proof.source_table, proof.row_id)?;
        let data_dir = &self.config().data_dir;
        if stored.as_deref().map(|s| resolve(data_dir, s)) != Some(proof.path.clone()) {
            let detail = format!("screenpipe's row {}#{} no longer names this file", proof.source_table, proof.row_id);
            report.skip(&proof, "row_changed", detail, progress);
            return Ok(None);
        }
        let seal = self.with_state(|s| s.blob_seal(&proof.blob_id))?;
        let listed = listing.get(&proof.blob_id);
        let legacy = seal.is_none() && options.read_back;
        if let Err((reason, detail)) =
            check_listing(&proof, seal, listed).or_else(|e| if legacy { Ok(()) } else { Err(e) })
        {
            report.skip(&proof, reason, detail, progress);
            return Ok(None);
        }
        let damage = if options.read_back { None } else { self.with_state(|s| s.damage(&proof.blob_id))? };
        if let Some(damage) = damage {
            let detail =
                format!("blob {} failed a read of its cloud copy ({damage}): run with --verify-read", proof.blob_id);
            report.skip(&proof, "cloud_copy_damaged", detail, progress);
            return Ok(None);
        }
        match check_local(&proof)? {
            Local::Same => {}
            Local::Missing => {
                let detail = "the file is not on this disk (nothing to free)".to_owned();
                report.skip(&proof, "missing_locally", detail, progress);
                return Ok(None);
            }
            Local::Changed(size, _) => {
                let mut detail = format!(
                    "now {size} bytes, sealed {} bytes: not deleted (its cloud copy is the older content)",
                    proof.plain_size
                );
                if !options.dry_run {
                    let blob = self.stage_repush(&proof, listed).await?;
                    report.repushed += 1;
                    detail.push_str(&format!("; sealed again as blob {blob}, uploaded by the next push"));
                }
                report.skip(&proof, "changed_since_push", detail, progress);
                return Ok(None);
            }
        }
        if options.read_back {
            let Some(listed) = listed else {
                let detail = format!("the server does not list blob {} as complete", proof.blob_id);
                report.skip(&proof, "not_in_cloud", detail, progress);
                return Ok(None);
            };
            if let Err((reason, detail)) = read_back(self, &proof, listed, scratch, progress).await {
                self.with_state(|s| s.note_damage(&proof.blob_id, "unreadable", &detail))?;
                report.skip(&proof, reason, detail, progress);
                return Ok(None);
            }
            self.with_state(|s| s.clear_damage(&proof.blob_id))?;
            report.read_back += 1;
        }
        Ok(Some(Candidate { proof }))
    }

    /// Seals a media file that changed after its push again, as a new blob (id
    /// [`repush_blob_id`]: the row and the new bytes' SHA-256), staged for the next push with its
    /// new proof, in one plan commit: a chunk file as a whole-file blob, a frame's snapshot as a
    /// media pack of one entry (its entry name kept; the frame's `snapshots` row names the new
    /// pack). The old blob stays in the cloud (other devices keep what they pulled). Until the
    /// new blob is uploaded the file has no uploaded proof: nothing offloads or restores it.
    async fn stage_repush(&self, proof: &FileProof, listed: Option<&BlobDownload>) -> Result<BlobId> {
        let (session, proof, listed) = (self.clone(), proof.clone(), listed.cloned());
        blocking(move || {
            let blob_type = match proof.source_table.as_str() {
                "video_chunks" | "frames" => BlobType::Frames,
                "audio_chunks" => BlobType::Audio,
                other => return Err(SyncError::State(format!("{other} holds no media file"))),
            };
            let Some((_, sum)) = super::hash_file(&proof.path)? else {
                return Err(SyncError::State(format!("{} vanished", proof.path.display())));
            };
            let keys = session.keys();
            let blob_id = repush_blob_id(keys, session.device_id(), &proof.source_table, proof.row_id, &sum.0)?;
            let (start, end) = listed.map_or((proof.time, proof.time), |b| (b.time_start, b.time_end));
            let ctx = BlobContext {
                blob_id,
                blob_type,
                device_id: session.device_id().clone(),
                time_start: start,
                time_end: end,
            };
            let staging = session.config().staging_dir();
            let (staged, media, snapshots) = match &proof.entry {
                None => {
                    let staged = seal_media_file(keys, &ctx, &proof.path, &staging, &crate::progress::NoProgress)?;
                    (staged, Some((proof.source_table.clone(), proof.row_id)), Vec::new())
                }
                Some(entry) => {
                    let (staged, plain) = seal_snapshot_pack(keys, &ctx, &proof.path, entry, proof.time, &staging)?;
                    let snapshot =
                        SnapshotEntry { frame_row_id: proof.row_id, blob_id: Some(blob_id), entry: entry.clone() };
                    (Staged { plain, ..staged }, None, vec![snapshot])
                }
            };
            crate::os::sync_dir(&staging)?;
            let pending = PendingUpload {
                blob_id,
                blob_type,
                time_start: start,
                time_end: end,
                size_bytes: staged.size,
                checksum: staged.checksum,
                key_id: keys.current_key_id(),
                tokens: Vec::new(),
                staging_file: staged.path,
                records: 1,
                media,
            };
            let new_proof =
                FileProof { blob_id, plain_size: staged.plain.0, plain_sha256: staged.plain.1, ..proof.clone() };
            session.with_state(|s| {
                s.commit_plan(&Plan {
                    pending: std::slice::from_ref(&pending),
                    proofs: std::slice::from_ref(&new_proof),
                    snapshots: &snapshots,
                    ..Plan::default()
                })
            })?;
            tracing::info!(blob = %blob_id, path = %proof.path.display(), "changed media file sealed again");
            Ok(blob_id)
        })
        .await
    }

    /// The proof of a file sealed before proofs were recorded, built from today's file (its
    /// size and hash, to be confirmed by reading the blob back) and the blob's time; `None`
    /// when the row or the file is gone.
    fn legacy_proof(
        &self,
        ev: &Mutex<Evictions>,
        table: &str,
        row_id: i64,
        blob_id: BlobId,
        entry: Option<String>,
        listing: &HashMap<BlobId, BlobDownload>,
    ) -> Result<Option<FileProof>> {
        let Some(stored) = lock_ev(ev).stored_path(table, row_id)? else { return Ok(None) };
        let path: PathBuf = resolve(&self.config().data_dir, &stored);
        let Some((size, sum)) = super::hash_file(&path)? else { return Ok(None) };
        let time = listing.get(&blob_id).map_or(UnixMillis(i64::MAX), |b| b.time_end);
        Ok(Some(FileProof {
            source_table: table.to_owned(),
            row_id,
            blob_id,
            entry,
            path,
            time,
            plain_size: size,
            plain_sha256: sum,
        }))
    }
}
