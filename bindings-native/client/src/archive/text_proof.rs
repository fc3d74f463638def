//! The proof that this device's old text rows are in the cloud (`archive --drop-text`, issue
//! 18): the first step of dropping them locally.
//!
//! For each of this device's text bundles whose time range ends before the cutoff (`sync_state`
//! rows of type `text`): the server must list it complete with the ciphertext size and checksum
//! recorded when it was sealed ([`check_blob`]); then it is downloaded and decrypted, and each
//! local row it holds, read the way the packager reads it ([`PackagerReads`]), is compared with
//! the bundle's record. A row equal to its record is **droppable** (the bundle is a full copy of
//! it); a row that differs (changed since it was sealed) is kept, with the reason `row_changed`.
//! A bundle that fails the listing or the read keeps all its rows (one entry with the reason).
//! Rows imported from another device are never read here (they are that device's).
//!
//! Only the screen text of a frame is droppable, never the frame itself (the timeline and the
//! offloaded marks depend on it); a frame's `elements` only all together; `audio_transcriptions`
//! rows whole. What each generation can drop (and give back exactly) is
//! [`TextDrops::can_drop`]: rows proven in other tables are counted in `not_droppable`.
//! Meetings, memories and chunk rows are always kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use sync_core::records::RecordsBundle;
use sync_core::wire::BlobDownload;
use sync_core::{BlobId, BlobType, UnixMillis};

use super::list_own;
use super::prove::check_blob;
use crate::error::Result;
use crate::progress::{Progress, Stage};
use crate::screenpipe::reads::PackagerReads;
use crate::screenpipe::text_drops::TextDrops;
use crate::session::SyncSession;
use crate::state::SyncedBlob;

/// The tables whose rows (or, for `frames`, whose screen text) can be dropped, in the order
/// rows depend on each other (children first).
pub const DROPPABLE_TEXT_TABLES: [&str; 5] =
    ["elements", "frames", "audio_transcriptions", "accessibility", "ui_events"];

/// A text row (or a whole bundle's rows) kept, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeptText {
    /// The table (`*` for every row of a bundle).
    pub table: String,
    /// The row (none for a whole bundle).
    pub row_id: Option<i64>,
    /// The bundle it was compared with, hex.
    pub blob_id: String,
    /// A stable reason: `not_in_cloud`, `no_proof_recorded`, `cloud_copy_differs` (the
    /// server's listing), `read_back_failed` (the bundle could not be downloaded or
    /// decrypted), `row_changed` (the local row differs from its record in the bundle).
    pub reason: &'static str,
    /// Details.
    pub detail: String,
}

/// What `archive --drop-text` found (or, with a dry run, would drop).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TextDropReport {
    /// True for a dry run (nothing changed).
    pub dry_run: bool,
    /// This device's text bundles ending before the cutoff.
    pub bundles: u64,
    /// Of those, the bundles proven (listed complete with the sealed checksum, decrypted).
    pub bundles_proven: u64,
    /// Rows droppable (dropped), by table; for `frames`, frames whose screen text is cleared.
    pub rows: BTreeMap<String, u64>,
    /// Rows proven but kept because this generation's rows of that table cannot be given back
    /// exactly from a bundle (February 2026's `ocr_text` behind `frames`; `accessibility`,
    /// `ui_events`), by table.
    pub not_droppable: BTreeMap<String, u64>,
    /// Rows proven but left because their record could not give every column back (a
    /// redaction mark, a `sync_id`, partial bounds...), `table#id`.
    pub not_restorable: Vec<String>,
    /// Rows of proven bundles no longer in the local database (dropped before, or deleted).
    pub already_absent: u64,
    /// Approximate bytes of text freed (the UTF-8 text of the rows and frames dropped).
    pub text_bytes: u64,
    /// Rows and bundles kept, with the reason.
    pub kept: Vec<KeptText>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

impl TextDropReport {
    /// Rows droppable (dropped) in all tables.
    pub fn total_rows(&self) -> u64 {
        self.rows.values().sum()
    }
}

/// The rows proven droppable, by table, each with the bundle that holds its copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ProvenText {
    /// `table → (row id → bundle)`; `frame_elements` holds the frames whose elements are all
    /// proven.
    pub(crate) rows: BTreeMap<&'static str, BTreeMap<i64, BlobId>>,
    /// Each proven bundle's time range.
    pub(crate) bundles: HashMap<BlobId, (UnixMillis, UnixMillis)>,
}

/// The journal's name for "all the elements of frame `row_id`".
pub(crate) const FRAME_ELEMENTS: &str = "frame_elements";

/// The text bytes of a bundle's records, for the report.
fn text_len(s: &Option<String>) -> u64 {
    s.as_ref().map_or(0, |t| t.len() as u64)
}

/// Compares the local rows with one bundle's records: proven rows go to `proven`, changed
/// ones to the report's `kept`.
pub(crate) fn compare_bundle(
    reads: &PackagerReads,
    blob_id: BlobId,
    bundle: &RecordsBundle,
    proven: &mut ProvenText,
    report: &mut TextDropReport,
) -> Result<()> {
    let hex = blob_id.to_hex();
    let mut changed = |table: &str, row_id: i64| {
        report.kept.push(KeptText {
            table: table.to_owned(),
            row_id: Some(row_id),
            blob_id: hex.clone(),
            reason: "row_changed",
            detail: format!("{table}#{row_id} differs from its copy in bundle {hex} (changed since it was sealed)"),
        });
    };
    // `table → (row id, text bytes, rows)`.
    let mut found: BTreeMap<&'static str, Vec<(i64, u64, u64)>> = BTreeMap::new();
    let bounds = |ids: &mut dyn Iterator<Item = i64>| -> Option<(i64, i64)> {
        let ids: BTreeSet<i64> = ids.collect();
        Some((ids.first()?.saturating_sub(1), *ids.last()?))
    };
    let mut absent = 0u64;

    // Frames (their screen text) and their elements: read over the bundle's frame ids.
    if let Some((lo, hi)) = bounds(&mut bundle.frames.iter().map(|f| f.row_id)) {
        let local: HashMap<i64, _> = reads.frames_in(lo, hi)?.into_iter().map(|f| (f.record.row_id, f)).collect();
        for record in &bundle.frames {
            let Some(row) = local.get(&record.row_id) else {
                absent += 1;
                continue;
            };
            let mut mine = row.record.clone();
            let mut theirs = record.clone();
            // The snapshot reference is the packager's (from the state), not a column.
            mine.snapshot = None;
            theirs.snapshot = None;
            let bytes = text_len(&mine.text)
                + text_len(&mine.text_json)
                + text_len(&mine.accessibility_text)
                + text_len(&mine.accessibility_tree_json);
            if mine == theirs {
                if bytes > 0 {
                    found.entry("frames").or_default().push((record.row_id, bytes, 1));
                }
                continue;
            }
            let mut cleared = theirs;
            (cleared.text, cleared.text_json, cleared.accessibility_text, cleared.accessibility_tree_json) =
                (None, None, None, None);
            if reads.generation() == crate::screenpipe::Generation::V0_4 && mine == cleared {
                absent += 1; // dropped before
            } else {
                changed("frames", record.row_id);
            }
        }
        let local_elements = reads.elements_in(lo, hi)?;
        let elements: HashMap<i64, _> = local_elements.iter().map(|e| (e.row_id, e)).collect();
        let mut proven_of: HashMap<i64, (u64, u64)> = HashMap::new();
        for record in &bundle.elements {
            match elements.get(&record.row_id) {
                None => absent += 1,
                Some(mine) if *mine != record => changed("elements", record.row_id),
                Some(mine) => {
                    let p = proven_of.entry(record.frame_row_id).or_default();
                    p.0 += 1;
                    p.1 += text_len(&mine.text);
                }
            }
        }
        // A frame's elements go all together, or not at all.
        let mut local_of: HashMap<i64, u64> = HashMap::new();
        for e in &local_elements {
            *local_of.entry(e.frame_row_id).or_default() += 1;
        }
        for (frame, (n, bytes)) in proven_of {
            if local_of.get(&frame) == Some(&n) {
                found.entry(FRAME_ELEMENTS).or_default().push((frame, bytes, n));
            }
        }
    }
    if let Some((lo, hi)) = bounds(&mut bundle.audio_transcriptions.iter().map(|t| t.row_id)) {
        let local: HashMap<i64, _> = reads.transcriptions_in(lo, hi)?.into_iter().map(|t| (t.row_id, t)).collect();
        for record in &bundle.audio_transcriptions {
            match local.get(&record.row_id) {
                None => absent += 1,
                Some(mine) if mine != record => changed("audio_transcriptions", record.row_id),
                Some(mine) => found.entry("audio_transcriptions").or_default().push((
                    record.row_id,
                    mine.transcription.len() as u64,
                    1,
                )),
            }
        }
    }
    if let Some((lo, hi)) = bounds(&mut bundle.accessibility.iter().map(|a| a.row_id)) {
        let local: HashMap<i64, _> = reads.accessibility_in(lo, hi)?.into_iter().map(|a| (a.row_id, a)).collect();
        for record in &bundle.accessibility {
            match local.get(&record.row_id) {
                None => absent += 1,
                Some(mine) if mine != record => changed("accessibility", record.row_id),
                Some(mine) => {
                    found.entry("accessibility").or_default().push((record.row_id, text_len(&mine.text_content), 1))
                }
            }
        }
    }
    if let Some((lo, hi)) = bounds(&mut bundle.ui_events.iter().map(|u| u.row_id)) {
        let local: HashMap<i64, _> = reads.ui_events_in(lo, hi)?.into_iter().map(|u| (u.row_id, u)).collect();
        for record in &bundle.ui_events {
            match local.get(&record.row_id) {
                None => absent += 1,
                Some(mine) if mine != record => changed("ui_events", record.row_id),
                Some(mine) => {
                    found.entry("ui_events").or_default().push((record.row_id, text_len(&mine.text_content), 1))
                }
            }
        }
    }
    report.already_absent += absent;
    for (table, rows) in found {
        let name = if table == FRAME_ELEMENTS { "elements" } else { table };
        if !TextDrops::can_drop(reads.generation(), name) {
            *report.not_droppable.entry(name.to_owned()).or_default() += rows.iter().map(|r| r.2).sum::<u64>();
            continue;
        }
        let ids = proven.rows.entry(table).or_default();
        for (row_id, bytes, n) in rows {
            if ids.insert(row_id, blob_id).is_none() {
                *report.rows.entry(name.to_owned()).or_default() += n;
                report.text_bytes += bytes;
            }
        }
    }
    Ok(())
}

impl SyncSession {
    /// Proves which of this device's text rows older than `before` are in the cloud (see
    /// [`crate::archive::text_proof`]): the rows droppable, and the report (as a dry run's).
    pub(crate) async fn prove_text(
        &self,
        before: UnixMillis,
        progress: &dyn Progress,
    ) -> Result<(ProvenText, TextDropReport)> {
        let started = Instant::now();
        let mut report = TextDropReport { dry_run: true, ..TextDropReport::default() };
        let mut proven = ProvenText::default();
        let bundles = self.own_text_bundles(before)?;
        report.bundles = bundles.len() as u64;
        if bundles.is_empty() {
            return Ok((proven, report));
        }
        let listing = list_own(self, Some(vec![BlobType::Text]), Some(before)).await?;
        let reads = PackagerReads::open(&self.config().db_path)?;
        progress.add_total(Stage::Importing, bundles.len() as u64);
        for b in bundles {
            progress.advance(Stage::Importing, 1);
            let Some(bundle) = self.read_back_bundle(&b, &listing, &mut report, progress).await? else { continue };
            proven.bundles.insert(b.blob_id, (b.time_start, b.time_end));
            reads.in_snapshot(|| compare_bundle(&reads, b.blob_id, &bundle, &mut proven, &mut report))?;
        }
        // A row kept as changed against one bundle but proven by another is droppable.
        report.kept.retain(|k| {
            k.row_id.is_none_or(|id| !proven.rows.get(k.table.as_str()).is_some_and(|rows| rows.contains_key(&id)))
        });
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok((proven, report))
    }

    /// This device's text bundles (as the state records them) ending before `before`.
    pub(crate) fn own_text_bundles(&self, before: UnixMillis) -> Result<Vec<SyncedBlob>> {
        Ok(self
            .with_state(|s| s.synced_blobs())?
            .into_iter()
            .filter(|b| b.blob_type == BlobType::Text && b.time_end < before)
            .collect())
    }

    /// One bundle's proof of presence: listed complete with its sealed checksum
    /// ([`check_blob`]), downloaded and decrypted. `None` (with the reason in the report's
    /// `kept`, and a bundle that could not be read noted as damaged) when it is not proven;
    /// counted in `bundles_proven` when it is.
    pub(crate) async fn read_back_bundle(
        &self,
        b: &SyncedBlob,
        listing: &HashMap<BlobId, BlobDownload>,
        report: &mut TextDropReport,
        progress: &dyn Progress,
    ) -> Result<Option<RecordsBundle>> {
        let hex = b.blob_id.to_hex();
        let kept = |reason: &'static str, detail: String| {
            progress.warn(&format!("text of bundle {hex} kept ({reason}): {detail}"));
            KeptText { table: "*".into(), row_id: None, blob_id: hex.clone(), reason, detail }
        };
        let seal = self.with_state(|s| s.blob_seal(&b.blob_id))?;
        let listed = listing.get(&b.blob_id);
        if let Err((reason, detail)) = check_blob(&b.blob_id, seal, listed) {
            report.kept.push(kept(reason, detail));
            return Ok(None);
        }
        let Some(listed) = listed else { return Ok(None) };
        match self.open_text_blob(listed, progress).await {
            Ok(bundle) => {
                report.bundles_proven += 1;
                Ok(Some(bundle))
            }
            Err(e) => {
                let detail = format!("bundle {hex} could not be read back: {e}");
                self.with_state(|s| s.note_damage(&b.blob_id, "unreadable", &detail))?;
                report.kept.push(kept("read_back_failed", detail));
                Ok(None)
            }
        }
    }

    /// `archive --drop-text --dry-run`: which of this device's text rows older than `before`
    /// are proven in the cloud and would be dropped, and which are kept and why. Changes
    /// nothing (but notes a bundle that could not be read back as damaged in the state).
    pub async fn text_drop_dry_run(&self, before: UnixMillis, progress: &dyn Progress) -> Result<TextDropReport> {
        Ok(self.prove_text(before, progress).await?.1)
    }
}
