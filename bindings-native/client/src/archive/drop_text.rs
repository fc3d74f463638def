//! `archive --drop-text`: this device's old text rows dropped from screenpipe's database once
//! proven in the cloud ([`super::text_proof`]), and `restore` writing them back.
//!
//! Per bundle, once it is listed complete with its sealed checksum, downloaded and decrypted: an
//! `IMMEDIATE` transaction on screenpipe's database (its writers wait) → the local rows compared
//! with the bundle's records, read inside it (`text_proof::compare_bundle`) → the equal ones
//! written to the state's `text_drops` journal (durable, with the bundle and its time range) →
//! dropped (`screenpipe::text_drops`) → commit. So no row changes between its proof and its
//! drop. A kill before the commit rolls the drop back and leaves journal entries for rows still
//! present: `restore` skips them, the next `archive --drop-text` drops them. Rows the database
//! could not give back exactly are left and forgotten by the journal.
//!
//! `restore --since --until` takes the journal's entries whose bundle meets the range,
//! downloads and decrypts each bundle (checked against the listing), writes the rows back with
//! their original ids (a frame's text only where it is still cleared), and forgets the entries.
//! A second restore finds nothing to do.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use sync_core::{BlobId, BlobType, UnixMillis};

use super::text_proof::{FRAME_ELEMENTS, ProvenText, TextDropReport, compare_bundle};
use super::{fault, list_own};
use crate::error::Result;
use crate::progress::{Progress, Stage};
use crate::screenpipe::reads::PackagerReads;
use crate::screenpipe::text_drops::{DropBatch, TextDrops};
use crate::session::{SyncSession, blocking};
use crate::state::{DroppedText, StateLock};

/// What `restore` did with the dropped text rows of its range.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TextRestoreReport {
    /// Bundles read back.
    pub bundles: u64,
    /// Frames whose screen text was written back.
    pub frames: u64,
    /// Elements written back.
    pub elements: u64,
    /// Transcriptions written back.
    pub transcriptions: u64,
    /// Rows not written: already there (a drop interrupted before its transaction), or their
    /// parent row (frame, audio chunk) is gone.
    pub skipped: u64,
    /// Bundles that could not be read back (`blob id: reason`): their rows stay dropped, and
    /// listed for a later restore.
    pub failed: Vec<String>,
}

impl TextRestoreReport {
    /// Rows written back.
    pub fn rows(&self) -> u64 {
        self.frames + self.elements + self.transcriptions
    }
}

impl SyncSession {
    /// `archive --drop-text`: drops this device's text rows older than `before` that are proven
    /// in the cloud (with `dry_run`, only reports them); see [`crate::archive::drop_text`].
    pub async fn drop_text(
        &self,
        before: UnixMillis,
        dry_run: bool,
        progress: Arc<dyn Progress>,
    ) -> Result<TextDropReport> {
        let started = Instant::now();
        let state_dir = self.config().state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, std::time::Duration::from_secs(30))).await?;
        if dry_run {
            return Ok(self.prove_text(before, progress.as_ref()).await?.1);
        }
        let mut report = TextDropReport::default();
        let bundles = self.own_text_bundles(before)?;
        report.bundles = bundles.len() as u64;
        if bundles.is_empty() {
            return Ok(report);
        }
        let listing = list_own(self, Some(vec![BlobType::Text]), Some(before)).await?;
        let reads = PackagerReads::open(&self.config().db_path)?;
        let mut drops = TextDrops::open(&self.config().db_path)?;
        let mut dropped_rows: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut dropped_ids: BTreeSet<(&'static str, i64)> = BTreeSet::new();
        progress.add_total(Stage::Importing, bundles.len() as u64);
        for b in bundles {
            progress.advance(Stage::Importing, 1);
            let Some(bundle) = self.read_back_bundle(&b, &listing, &mut report, progress.as_ref()).await? else {
                continue;
            };
            // The proof of the rows is read inside the drop's transaction (see
            // `TextDrops::drop_batch`), then journaled, then the rows are dropped.
            let mut journal: Vec<DroppedText> = Vec::new();
            let done = drops.drop_batch(|| {
                let mut proven = ProvenText::default();
                reads.in_snapshot(|| compare_bundle(&reads, b.blob_id, &bundle, &mut proven, &mut report))?;
                let rows = |t: &str| -> Vec<i64> {
                    proven.rows.get(t).map(|r| r.keys().copied().collect()).unwrap_or_default()
                };
                let batch = DropBatch {
                    frames: rows("frames"),
                    element_frames: rows(FRAME_ELEMENTS),
                    transcriptions: rows("audio_transcriptions"),
                };
                journal = [
                    ("frames", &batch.frames),
                    (FRAME_ELEMENTS, &batch.element_frames),
                    ("audio_transcriptions", &batch.transcriptions),
                ]
                .into_iter()
                .flat_map(|(table, ids)| {
                    ids.iter().map(move |id| DroppedText {
                        source_table: table.to_owned(),
                        row_id: *id,
                        blob_id: b.blob_id,
                        time_start: b.time_start,
                        time_end: b.time_end,
                    })
                })
                .collect();
                if !journal.is_empty() {
                    self.with_state(|s| s.note_text_drops(&journal))?;
                    fault("drop_text:journaled");
                }
                Ok(batch)
            })?;
            if journal.is_empty() {
                continue;
            }
            fault("drop_text:dropped");
            // Rows left in place: forgotten by the journal.
            let dropped: BTreeSet<(&str, i64)> = done
                .frames
                .iter()
                .map(|id| ("frames", *id))
                .chain(done.element_frames.iter().map(|id| (FRAME_ELEMENTS, *id)))
                .chain(done.transcriptions.iter().map(|id| ("audio_transcriptions", *id)))
                .collect();
            let left: Vec<(String, i64)> = journal
                .iter()
                .filter(|j| !dropped.contains(&(j.source_table.as_str(), j.row_id)))
                .map(|j| (j.source_table.clone(), j.row_id))
                .collect();
            if !left.is_empty() {
                self.with_state(|s| s.forget_text_drops(&left))?;
            }
            dropped_ids.extend(done.frames.iter().map(|id| ("frames", *id)));
            dropped_ids.extend(done.transcriptions.iter().map(|id| ("audio_transcriptions", *id)));
            for (table, n) in [
                ("frames", done.frames.len() as u64),
                ("elements", done.elements),
                ("audio_transcriptions", done.transcriptions.len() as u64),
            ] {
                if n > 0 {
                    *dropped_rows.entry(table).or_default() += n;
                }
            }
            report.not_restorable.extend(done.not_restorable);
        }
        // A row kept as changed against one bundle but dropped with another's proof.
        report.kept.retain(|k| k.row_id.is_none_or(|id| !dropped_ids.contains(&(k.table.as_str(), id))));
        report.rows = dropped_rows.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Writes back this device's dropped text rows whose bundle meets `[since, until]` (see
    /// [`crate::archive::drop_text`]).
    pub async fn restore_text(
        &self,
        since: UnixMillis,
        until: UnixMillis,
        progress: &dyn Progress,
    ) -> Result<TextRestoreReport> {
        let state_dir = self.config().state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, std::time::Duration::from_secs(30))).await?;
        let mut report = TextRestoreReport::default();
        let entries = self.with_state(|s| s.text_drops_in(since, until))?;
        if entries.is_empty() {
            return Ok(report);
        }
        let mut by_bundle: BTreeMap<BlobId, Vec<DroppedText>> = BTreeMap::new();
        for e in entries {
            by_bundle.entry(e.blob_id).or_default().push(e);
        }
        let listing = list_own(self, Some(vec![BlobType::Text]), None).await?;
        let mut drops = TextDrops::open(&self.config().db_path)?;
        progress.add_total(Stage::Importing, by_bundle.len() as u64);
        for (blob_id, rows) in by_bundle {
            progress.advance(Stage::Importing, 1);
            let Some(listed) = listing.get(&blob_id) else {
                let why = format!("{blob_id}: the server does not list it as complete");
                progress.warn(&format!("dropped text not restored: {why}"));
                report.failed.push(why);
                continue;
            };
            let bundle = match self.open_text_blob(listed, progress).await {
                Ok(b) => b,
                Err(e) => {
                    let why = format!("{blob_id}: could not be read back: {e}");
                    progress.warn(&format!("dropped text not restored: {why}"));
                    report.failed.push(why);
                    continue;
                }
            };
            report.bundles += 1;
            let ids =
                |t: &str| -> BTreeSet<i64> { rows.iter().filter(|r| r.source_table == t).map(|r| r.row_id).collect() };
            let (frames, element_frames, transcriptions) =
                (ids("frames"), ids(FRAME_ELEMENTS), ids("audio_transcriptions"));
            let f: Vec<_> = bundle.frames.iter().filter(|f| frames.contains(&f.row_id)).collect();
            let e: Vec<_> = bundle.elements.iter().filter(|e| element_frames.contains(&e.frame_row_id)).collect();
            let t: Vec<_> = bundle.audio_transcriptions.iter().filter(|t| transcriptions.contains(&t.row_id)).collect();
            let done = drops.restore_batch(&f, &e, &t)?;
            fault("restore_text:written");
            report.frames += done.frames;
            report.elements += done.elements;
            report.transcriptions += done.transcriptions;
            report.skipped += done.skipped;
            let forget: Vec<(String, i64)> = rows.iter().map(|r| (r.source_table.clone(), r.row_id)).collect();
            self.with_state(|s| s.forget_text_drops(&forget))?;
        }
        Ok(report)
    }
}
