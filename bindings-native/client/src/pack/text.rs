//! The text pass: the rows past the text cursors, grouped by the time window of their own
//! timestamp (an OCR row by its frame's, a chunk row by its first frame's or transcription's),
//! made into bundles ([`super::bundles`]), sealed into the staging folder and committed with
//! the cursor advance, all from one read snapshot of screenpipe's database.

use std::collections::{BTreeMap, HashMap};

use sync_core::blob::{BlobContext, SealOptions, seal_blob};
use sync_core::records::{FrameRecord, OcrRecord, parse_timestamp};
use sync_core::{BlobType, OsRandom, UnixMillis};

use super::bundles::{ChunkCache, Unit};
use super::ids::{ranges_material, text_blob_id};
use super::staging::stage_sealed;
use super::{Packager, TEXT_TABLES, mtime_ms};
use crate::error::Result;
use crate::progress::{Progress, Stage};
use crate::state::{PendingUpload, StateDb};

/// What one text pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextPass {
    /// Bundles sealed and staged.
    pub bundles: u64,
    /// New rows packaged (parents repeated from earlier bundles not counted).
    pub rows: u64,
    /// Bytes of bundle JSON.
    pub json_bytes: u64,
    /// Rows skipped because their timestamp could not be read (`table#row`).
    pub bad_rows: Vec<String>,
    /// True when rows remain past this pass's bound (run another pass).
    pub more: bool,
}

/// Units of packaging by window start.
type Windows = BTreeMap<i64, Vec<Unit>>;

impl Packager<'_> {
    /// The text pass: packages the rows past the cursors into bundles, seals them into the
    /// staging folder and commits them with the cursor advance.
    pub fn plan_text(&self, state: &mut StateDb, progress: &dyn Progress) -> Result<TextPass> {
        let mut pass = TextPass::default();
        // One read transaction: every query below sees the same snapshot.
        self.db.in_snapshot(|| self.plan_text_in_snapshot(state, progress, &mut pass))?;
        Ok(pass)
    }

    /// The upper row id of a pass over `table` from `lo` (at most `max_rows_per_pass` rows),
    /// and whether rows remain above it.
    fn pass_bound(&self, table: &str, id_col: &str, lo: i64) -> Result<(i64, bool)> {
        let max = self.db.max_id(table, id_col)?;
        let limit = i64::from(self.config.max_rows_per_pass.max(1));
        Ok(match self.db.nth_id_after(table, id_col, lo, limit - 1)? {
            Some(n) if n < max => (n, true),
            _ => (max.max(lo), false),
        })
    }

    /// The time a chunk row is filed under: its own timestamp (audio), else its earliest frame
    /// or transcription, else its file's modification time.
    fn chunk_time(&self, table: &str, id: i64) -> Result<Option<UnixMillis>> {
        let mtime = self
            .db
            .chunk_file_path(table, id)?
            .map(|p| self.resolve_media_path(&p))
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| mtime_ms(&m))
            .unwrap_or(UnixMillis(i64::MAX));
        let (start, _) = self.media_range(table, id, mtime)?;
        Ok((start.0 != i64::MAX).then_some(start))
    }

    fn plan_text_in_snapshot(&self, state: &mut StateDb, progress: &dyn Progress, pass: &mut TextPass) -> Result<()> {
        let mut ranges: Vec<(String, i64, i64)> = Vec::new();
        for (table, id_col) in TEXT_TABLES {
            if !self.db.tables().has_table(table) {
                continue;
            }
            let lo = state.cursor(&format!("text:{table}"))?;
            let (hi, more) = self.pass_bound(table, id_col, lo)?;
            pass.more |= more;
            ranges.push((table.to_owned(), lo, hi));
        }
        if ranges.iter().all(|(_, lo, hi)| hi <= lo) {
            return Ok(());
        }
        let window_ms = i64::try_from(self.config.window.as_millis()).unwrap_or(300_000).max(1000);
        let units = self.units_by_window(&ranges, window_ms, pass)?;
        for bad in &pass.bad_rows {
            tracing::warn!(row = %bad, "row skipped: unreadable timestamp or missing parent");
        }
        if !pass.bad_rows.is_empty() {
            progress.warn(&format!("{} rows skipped (unreadable timestamp or missing parent)", pass.bad_rows.len()));
        }

        let range_material = ranges_material(&ranges);
        let staging = self.config.staging_dir();
        let mut pending = Vec::new();
        let mut chunk_cache: ChunkCache = HashMap::new();
        progress.add_total(Stage::Packaging, units.values().map(|u| u.len() as u64).sum());
        for (window_start, mut window_units) in units {
            window_units.sort_by_key(|u| u.ts);
            let window_end = window_start + window_ms - 1;
            let mut parts = Vec::new();
            self.split_into_bundles(state, &mut chunk_cache, window_start, window_end, &window_units, "0", &mut parts)?;
            for part in parts {
                let blob_id =
                    text_blob_id(self.keys, self.device_id, window_start, window_end, &part.label, &range_material)?;
                let ctx = BlobContext {
                    blob_id,
                    blob_type: BlobType::Text,
                    device_id: self.device_id.clone(),
                    time_start: part.bundle.time_start,
                    time_end: part.bundle.time_end,
                };
                let sealed = seal_blob(
                    self.keys.current_data_key(),
                    self.keys.current_key_id(),
                    &ctx,
                    &part.json,
                    &SealOptions::for_type(BlobType::Text),
                    &mut OsRandom,
                )?;
                let staged = stage_sealed(&ctx, &sealed, &staging)?;
                pass.bundles += 1;
                pass.rows += part.new_rows;
                pass.json_bytes += part.json.len() as u64;
                pending.push(PendingUpload {
                    blob_id,
                    blob_type: BlobType::Text,
                    time_start: ctx.time_start,
                    time_end: ctx.time_end,
                    size_bytes: staged.size,
                    checksum: staged.checksum,
                    key_id: self.keys.current_key_id(),
                    tokens: part.tokens,
                    staging_file: staged.path,
                    records: part.bundle.record_count() as u64,
                    media: None,
                });
                progress.advance(Stage::Packaging, 1);
            }
        }
        let cursors: Vec<(String, i64)> = ranges.iter().map(|(t, _, hi)| (format!("text:{t}"), *hi)).collect();
        if !pending.is_empty() {
            crate::os::sync_dir(&staging)?;
        }
        state.commit_plan(&pending, &[], &cursors)
    }

    /// Reads the rows of `ranges` and files them by window: frames with their OCR rows (an OCR
    /// row whose frame is older comes with its frame again), transcriptions, accessibility
    /// rows, UI events, and new chunk rows. Rows without a readable time go to `bad_rows`.
    fn units_by_window(&self, ranges: &[(String, i64, i64)], window_ms: i64, pass: &mut TextPass) -> Result<Windows> {
        let range_of = |t: &str| ranges.iter().find(|r| r.0 == t).map(|r| (r.1, r.2));
        let mut units = Windows::new();
        let add = |ts: i64, unit: Unit, units: &mut Windows| {
            let w = ts.div_euclid(window_ms) * window_ms;
            units.entry(w).or_default().push(Unit { ts, ..unit });
        };

        // Frames and their OCR rows.
        let mut frames: BTreeMap<i64, (FrameRecord, bool)> = BTreeMap::new();
        if let Some((lo, hi)) = range_of("frames") {
            for f in self.db.frames_in(lo, hi)? {
                frames.insert(f.row_id, (f, true));
            }
        }
        let mut ocr_by_frame: BTreeMap<i64, Vec<OcrRecord>> = BTreeMap::new();
        if let Some((lo, hi)) = range_of("ocr_text") {
            for o in self.db.ocr_in(lo, hi)? {
                ocr_by_frame.entry(o.frame_row_id).or_default().push(o);
            }
        }
        for frame_id in ocr_by_frame.keys() {
            if !frames.contains_key(frame_id)
                && let Some(f) = self.db.frame_by_id(*frame_id)?
            {
                frames.insert(*frame_id, (f, false));
            }
        }
        for (frame_id, ocr) in &ocr_by_frame {
            if !frames.contains_key(frame_id) {
                for o in ocr {
                    pass.bad_rows.push(format!("ocr_text#{} (its frame {frame_id} is gone)", o.row_id));
                }
            }
        }
        for (id, (frame, is_new)) in frames {
            let ocr = ocr_by_frame.remove(&id).unwrap_or_default();
            let Ok(ts) = parse_timestamp(&frame.timestamp) else {
                pass.bad_rows.push(format!("frames#{id}"));
                pass.bad_rows.extend(ocr.iter().map(|o| format!("ocr_text#{}", o.row_id)));
                continue;
            };
            let new_rows = u64::from(is_new) + ocr.len() as u64;
            add(ts.0, Unit { frames: vec![frame], ocr, new_rows, ..Unit::default() }, &mut units);
        }
        if let Some((lo, hi)) = range_of("audio_transcriptions") {
            for t in self.db.transcriptions_in(lo, hi)? {
                match parse_timestamp(&t.timestamp) {
                    Ok(ts) => add(ts.0, Unit { transcriptions: vec![t], new_rows: 1, ..Unit::default() }, &mut units),
                    Err(_) => pass.bad_rows.push(format!("audio_transcriptions#{}", t.row_id)),
                }
            }
        }
        if let Some((lo, hi)) = range_of("accessibility") {
            for a in self.db.accessibility_in(lo, hi)? {
                match parse_timestamp(&a.timestamp) {
                    Ok(ts) => add(ts.0, Unit { accessibility: vec![a], new_rows: 1, ..Unit::default() }, &mut units),
                    Err(_) => pass.bad_rows.push(format!("accessibility#{}", a.row_id)),
                }
            }
        }
        if let Some((lo, hi)) = range_of("ui_events") {
            for u in self.db.ui_events_in(lo, hi)? {
                match parse_timestamp(&u.timestamp) {
                    Ok(ts) => add(ts.0, Unit { ui: vec![u], new_rows: 1, ..Unit::default() }, &mut units),
                    Err(_) => pass.bad_rows.push(format!("ui_events#{}", u.row_id)),
                }
            }
        }
        // Chunk rows: each new one travels in the bundle of its time, so that a chunk without
        // frames or transcriptions (and its media file) reaches other devices too.
        for (table, is_video) in [("video_chunks", true), ("audio_chunks", false)] {
            let Some((lo, hi)) = range_of(table) else { continue };
            for id in self.db.new_chunk_ids(table, lo, hi)? {
                match self.chunk_time(table, id)? {
                    Some(ts) => {
                        let unit = if is_video {
                            Unit { video_chunks: vec![id], new_rows: 1, ..Unit::default() }
                        } else {
                            Unit { audio_chunks: vec![id], new_rows: 1, ..Unit::default() }
                        };
                        add(ts.0, unit, &mut units);
                    }
                    None => pass.bad_rows.push(format!("{table}#{id}")),
                }
            }
        }
        Ok(units)
    }
}
