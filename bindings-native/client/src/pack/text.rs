//! The text pass: the rows past the text cursors (and the memories past their version cursor),
//! grouped by the time window of their own timestamp (a chunk row by its first frame's or
//! transcription's, a memory by `updated_at`, a meeting by `meeting_start`), made into bundles
//! ([`super::bundles`]), sealed into the staging folder and committed with the cursor advance,
//! all from one read snapshot of screenpipe's database.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use sync_core::blob::{BlobContext, SealOptions, seal_blob};
use sync_core::records::{ElementRecord, MemoryRecord, SnapshotRef, parse_timestamp};
use sync_core::{BlobType, OsRandom, UnixMillis};

use super::bundles::{ChunkCache, Unit};
use super::ids::{ranges_material, text_blob_id};
use super::snapshots::{SNAPSHOT_CURSOR, entry_name};
use super::staging::stage_sealed;
use super::{Packager, TEXT_TABLES, mtime_ms};
use crate::error::Result;
use crate::progress::{Progress, Stage};
use crate::state::{PendingUpload, Plan, StateDb};

/// A 0.4 frame whose text is still NULL is left for a later push while younger than this
/// (screenpipe inserts the frame, then sets `full_text` when OCR ends); older, it is taken as
/// it is.
pub const PENDING_TEXT_GRACE: std::time::Duration = std::time::Duration::from_secs(120);
/// A meeting that has not ended is left for a later push while it started less than this ago;
/// older, it is taken as it is.
pub const OPEN_MEETING_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// The state cursor of memories: `(updated_at in ms, id)` as text ([`memory_key`]).
pub const MEMORY_CURSOR: &str = "text:memories";

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

/// A memory's version as a cursor text whose byte order is `(updated_at, id)` order.
pub(crate) fn memory_key(updated: UnixMillis, id: i64) -> String {
    format!("{:020}:{:020}", updated.0.max(0), id.max(0))
}

/// Milliseconds of a duration.
fn ms_of(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The memories a pass takes: records with their versions, and the cursor after them.
struct MemoryBatch {
    taken: Vec<(UnixMillis, MemoryRecord)>,
    cursor: Option<String>,
    from: Option<String>,
}

impl Packager<'_> {
    /// The text pass: packages the rows past the cursors into bundles, seals them into the
    /// staging folder and commits them with the cursor advance.
    pub fn plan_text(&self, state: &mut StateDb, progress: &dyn Progress) -> Result<TextPass> {
        let mut pass = TextPass::default();
        // One read transaction: every query below sees the same snapshot.
        self.db.in_snapshot(|| self.plan_text_in_snapshot(state, progress, &mut pass))?;
        Ok(pass)
    }

    /// The upper row id of a pass over `table` from `lo` (at most `max_rows_per_pass` rows;
    /// for frames, their elements count too), and whether rows remain above it.
    fn pass_bound(&self, table: &str, id_col: &str, lo: i64) -> Result<(i64, bool)> {
        let max = self.db.max_id(table, id_col)?;
        let limit = i64::from(self.config.max_rows_per_pass.max(1));
        Ok(match self.db.nth_id_after(table, id_col, lo, limit - 1)? {
            Some(n) if n < max => (n, true),
            _ => (max.max(lo), false),
        })
    }

    /// Lowers `hi` for rows that must wait: a frame whose snapshot the media pass has not
    /// handled, a frame whose text is pending, a meeting still running.
    fn hold_back(&self, state: &StateDb, table: &str, lo: i64, hi: i64) -> Result<i64> {
        let now = crate::os::now_ms().0;
        let mut hi = hi;
        if table == "frames" {
            if self.db.generation().has_snapshots() && self.config.data_types.frames {
                let media_cursor = state.cursor(SNAPSHOT_CURSOR)?;
                if let Some(first) = self.db.first_snapshot_after(media_cursor)? {
                    hi = hi.min(first - 1);
                }
            }
            for (id, ts) in self.db.frames_without_text(lo, hi)? {
                if parse_timestamp(&ts).is_ok_and(|t| now.saturating_sub(t.0) < ms_of(PENDING_TEXT_GRACE)) {
                    hi = hi.min(id - 1);
                    break;
                }
            }
        }
        if table == "meetings"
            && let Some((id, start)) = self.db.first_open_meeting(lo, hi)?
            && parse_timestamp(&start).is_ok_and(|t| now.saturating_sub(t.0) < ms_of(OPEN_MEETING_GRACE))
        {
            hi = hi.min(id - 1);
        }
        Ok(hi.max(lo))
    }

    /// The memories whose version is past the memory cursor, oldest version first, at most
    /// `max_rows_per_pass`.
    fn memories_past(&self, state: &StateDb, pass: &mut TextPass) -> Result<MemoryBatch> {
        let from = state.text_cursor(MEMORY_CURSOR)?;
        let mut versions = Vec::new();
        for m in self.db.memories()? {
            match parse_timestamp(&m.updated_at) {
                Ok(t) if from.as_deref().is_none_or(|c| memory_key(t, m.row_id).as_str() > c) => versions.push((t, m)),
                Ok(_) => {}
                Err(_) => pass.bad_rows.push(format!("memories#{}", m.row_id)),
            }
        }
        versions.sort_by_key(|(t, m)| (*t, m.row_id));
        let limit = self.config.max_rows_per_pass.max(1) as usize;
        if versions.len() > limit {
            versions.truncate(limit);
            pass.more = true;
        }
        let cursor = versions.last().map(|(t, m)| memory_key(*t, m.row_id));
        Ok(MemoryBatch { taken: versions, cursor, from })
    }

    fn plan_text_in_snapshot(&self, state: &mut StateDb, progress: &dyn Progress, pass: &mut TextPass) -> Result<()> {
        let mut ranges: Vec<(String, i64, i64)> = Vec::new();
        for (table, id_col) in TEXT_TABLES {
            if !self.db.tables().has_table(table) {
                continue;
            }
            let lo = state.cursor(&format!("text:{table}"))?;
            let (mut hi, mut more) = self.pass_bound(table, id_col, lo)?;
            if table == "frames" {
                // Elements travel with their frames: they count toward the pass's bound too.
                let limit = i64::from(self.config.max_rows_per_pass.max(1));
                if let Some(f) = self.db.nth_element_frame(lo, limit)?
                    && f <= hi
                {
                    // At least one frame per pass, however many elements it has.
                    hi = (f - 1).max(self.db.nth_id_after(table, id_col, lo, 0)?.unwrap_or(f)).min(hi);
                    more = true;
                }
            }
            let held = self.hold_back(state, table, lo, hi)?;
            pass.more |= more && held == hi;
            ranges.push((table.to_owned(), lo, held));
        }
        let memories = self.memories_past(state, pass)?;
        if ranges.iter().all(|(_, lo, hi)| hi <= lo) && memories.taken.is_empty() {
            return Ok(());
        }
        let window_ms = self.window_ms();
        let units = self.units_by_window(state, &ranges, memories.taken, window_ms, pass)?;
        for bad in &pass.bad_rows {
            tracing::warn!(row = %bad, "row skipped: unreadable timestamp or missing parent");
        }
        if !pass.bad_rows.is_empty() {
            progress.warn(&format!("{} rows skipped (unreadable timestamp or missing parent)", pass.bad_rows.len()));
        }

        // The blob ids name the rows covered: the row ranges, and the memory versions.
        let mut material_ranges = ranges.clone();
        if let Some(to) = &memories.cursor {
            let key = |k: Option<&str>| -> (i64, i64) {
                let mut parts = k.unwrap_or("0:0").split(':').map(|p| p.parse::<i64>().unwrap_or(0));
                (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
            };
            let (from_ms, from_id) = key(memories.from.as_deref());
            let (to_ms, to_id) = key(Some(to));
            material_ranges.push(("memories:updated_at".into(), from_ms, to_ms));
            material_ranges.push(("memories:id".into(), from_id, to_id));
        }
        let range_material = ranges_material(&material_ranges);
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
        let text_cursors: Vec<(String, String)> =
            memories.cursor.into_iter().map(|c| (MEMORY_CURSOR.to_owned(), c)).collect();
        if !pending.is_empty() {
            crate::os::sync_dir(&staging)?;
        }
        state.commit_plan(&Plan {
            pending: &pending,
            cursors: &cursors,
            text_cursors: &text_cursors,
            ..Plan::default()
        })
    }

    /// Reads the rows of `ranges` and files them by window: frames (with their elements and
    /// snapshot), transcriptions, accessibility rows, UI events, meetings, memories, and new
    /// chunk rows. Rows without a readable time go to `bad_rows`.
    fn units_by_window(
        &self,
        state: &StateDb,
        ranges: &[(String, i64, i64)],
        memories: Vec<(UnixMillis, MemoryRecord)>,
        window_ms: i64,
        pass: &mut TextPass,
    ) -> Result<Windows> {
        let range_of = |t: &str| ranges.iter().find(|r| r.0 == t).map(|r| (r.1, r.2)).filter(|(lo, hi)| hi > lo);
        let mut units = Windows::new();
        let add = |ts: i64, unit: Unit, units: &mut Windows| {
            let w = ts.div_euclid(window_ms) * window_ms;
            units.entry(w).or_default().push(Unit { ts, ..unit });
        };

        if let Some((lo, hi)) = range_of("frames") {
            let mut elements: BTreeMap<i64, Vec<ElementRecord>> = BTreeMap::new();
            for e in self.db.elements_in(lo, hi)? {
                elements.entry(e.frame_row_id).or_default().push(e);
            }
            for row in self.db.frames_in(lo, hi)? {
                let mut frame = row.record;
                let id = frame.row_id;
                let frame_elements = elements.remove(&id).unwrap_or_default();
                let Ok(ts) = parse_timestamp(&frame.timestamp) else {
                    pass.bad_rows.push(format!("frames#{id}"));
                    continue;
                };
                if let Some(path) = &row.snapshot_path {
                    frame.snapshot = Some(self.snapshot_ref(state, id, path)?);
                }
                let new_rows = 1 + frame_elements.len() as u64;
                add(
                    ts.0,
                    Unit { frames: vec![frame], elements: frame_elements, new_rows, ..Unit::default() },
                    &mut units,
                );
            }
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
        if let Some((lo, hi)) = range_of("meetings") {
            for m in self.db.meetings_in(lo, hi)? {
                match parse_timestamp(&m.meeting_start) {
                    Ok(ts) => add(ts.0, Unit { meetings: vec![m], new_rows: 1, ..Unit::default() }, &mut units),
                    Err(_) => pass.bad_rows.push(format!("meetings#{}", m.row_id)),
                }
            }
        }
        for (ts, m) in memories {
            add(ts.0, Unit { memories: vec![m], new_rows: 1, ..Unit::default() }, &mut units);
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

    /// Where a frame's snapshot travels: the pack entry the media pass gave it, or (missing, or
    /// screenshots left out of the push) no blob.
    fn snapshot_ref(&self, state: &StateDb, frame: i64, stored_path: &str) -> Result<SnapshotRef> {
        let file_name =
            Path::new(stored_path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(match state.snapshot_entry(frame)? {
            Some(e) => SnapshotRef { blob_id: e.blob_id, entry: e.entry, file_name },
            None => SnapshotRef { blob_id: None, entry: entry_name(&file_name, frame, &HashSet::new()), file_name },
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_keys_sort_like_their_versions() {
        let k = |ms, id| memory_key(UnixMillis(ms), id);
        assert!(k(1_767_225_600_000, 9) < k(1_767_225_600_001, 1));
        assert!(k(1_767_225_600_000, 9) < k(1_767_225_600_000, 10));
        assert_eq!(k(5, 3), "00000000000000000005:00000000000000000003");
    }
}
