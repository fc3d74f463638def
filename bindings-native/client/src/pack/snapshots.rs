//! The snapshot pass (screenpipe 0.4): the JPEG snapshots of frames, many to a `frames` blob
//! holding a media pack (`sync_core::pack`), so that thousands of small files a day do not
//! become thousands of blobs.
//!
//! Frames with a `snapshot_path` past the `media:snapshots` cursor are taken in row order once
//! their file has not changed for `media_settle`. A run of them becomes one pack, cut at
//! [`PACK_MAX_BYTES`], at [`PACK_MAX_ENTRIES`] and at the text bundles' time-window boundaries
//! (so that a viewer finds a moment's pack by time). The pack's blob id is
//! `tuple("spsync-native/v2/frames-pack", device, first frame id, last frame id)`, its time
//! range the min and max of its entries' times; like every media blob it is neither compressed
//! nor padded. A file that is gone (screenpipe's compaction turns old snapshots into mp4
//! chunks and deletes them) is reported and skipped, once the frame is older than the settle
//! time; it never blocks the cursor. Each frame's `(pack blob id, entry)` (or `missing`) is
//! committed with the pending upload and the cursor, for the text pass to fill the frame's
//! `snapshot`.

use std::collections::HashSet;
use std::path::Path;

use sync_core::blob::BlobContext;
use sync_core::keys::KeySet;
use sync_core::pack::{PackEntry, PackIndex};
use sync_core::records::parse_timestamp;
use sync_core::wire::Checksum;
use sync_core::{BlobType, UnixMillis};

use super::ids::pack_blob_id;
use super::media::MediaPass;
use super::staging::{Staged, seal_media_bytes, sha256_of};
use super::{Packager, mtime_ms};
use crate::error::{IoContext, Result};
use crate::progress::{Progress, Stage};
use crate::screenpipe::reads::SnapshotRow;
use crate::state::{FileProof, PendingUpload, Plan, SnapshotEntry, StateDb};

/// Largest total of one pack's files (a pack may exceed it by its first file).
pub const PACK_MAX_BYTES: u64 = 16 << 20;
/// Most files in one pack.
pub const PACK_MAX_ENTRIES: usize = 2000;
/// Most packs sealed by one call (the push uploads them, then asks again).
const PACKS_PER_CALL: usize = 4;
/// The state cursor of the snapshot pass.
pub const SNAPSHOT_CURSOR: &str = "media:snapshots";

/// A snapshot file planned into a pack.
struct Planned {
    row: SnapshotRow,
    time: UnixMillis,
}

/// A pack being planned: its window and files.
#[derive(Default)]
struct PackPlan {
    window: i64,
    files: Vec<Planned>,
    bytes: u64,
}

/// What sealing packs gives the plan: pending uploads, snapshot entries, file proofs.
struct Sealed<'a> {
    pending: &'a mut Vec<PendingUpload>,
    entries: &'a mut Vec<SnapshotEntry>,
    proofs: &'a mut Vec<FileProof>,
}

/// The entry name of a snapshot: its file name when valid for a pack and not taken yet, else
/// `<frame row id>.jpg`.
pub(crate) fn entry_name(file_name: &str, row_id: i64, taken: &HashSet<String>) -> String {
    let valid = !file_name.is_empty()
        && file_name.len() <= sync_core::pack::MAX_ENTRY_NAME_LEN
        && !file_name.starts_with('.')
        && file_name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid && !taken.contains(file_name) { file_name.to_owned() } else { format!("{row_id}.jpg") }
}

/// The media type of a snapshot by its extension.
fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        "image/jpeg"
    } else if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".webp") {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

fn base_name(path: &str) -> String {
    Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Seals one snapshot file alone as a media pack of one entry named `entry` at `time` (a
/// snapshot changed after its push, sealed again by `archive`) into the staging folder: the
/// staged blob, and the file's size and SHA-256.
pub(crate) fn seal_snapshot_pack(
    keys: &KeySet,
    ctx: &BlobContext,
    path: &Path,
    entry: &str,
    time: UnixMillis,
    staging: &Path,
) -> Result<(Staged, (u64, Checksum))> {
    let bytes = std::fs::read(path).io_ctx(|| format!("read {}", path.display()))?;
    let plain = (bytes.len() as u64, sha256_of(&bytes));
    let index = vec![PackEntry {
        name: entry.to_owned(),
        size: bytes.len() as u64,
        time,
        content_type: content_type(entry).to_owned(),
    }];
    let mut payload = PackIndex::new(index)?.encode_header()?;
    payload.extend_from_slice(&bytes);
    Ok((seal_media_bytes(keys, ctx, &payload, staging)?, plain))
}

impl Packager<'_> {
    /// Plans, seals and stages up to [`PACKS_PER_CALL`] media packs of settled snapshots past
    /// the snapshot cursor; commits them with their entries and the cursor.
    pub(super) fn plan_snapshots(
        &self,
        state: &mut StateDb,
        progress: &dyn Progress,
        pass: &mut MediaPass,
    ) -> Result<()> {
        if !self.db.generation().has_snapshots() || !self.config.data_types.frames {
            return Ok(());
        }
        let settle_ms = i64::try_from(self.config.media_settle.as_millis()).unwrap_or(i64::MAX);
        let window_ms = self.window_ms();
        let now = crate::os::now_ms().0;
        let cursor = state.cursor(SNAPSHOT_CURSOR)?;
        let rows = self.db.snapshot_rows(cursor, PACKS_PER_CALL * PACK_MAX_ENTRIES)?;
        // Every row before `last_done` is in a pack, missing or imported: the cursor's next value.
        let mut packs: Vec<PackPlan> = Vec::new();
        let mut current = PackPlan::default();
        let mut missing: Vec<SnapshotEntry> = Vec::new();
        let mut last_done: Option<i64> = None;
        for row in rows {
            if row.imported {
                last_done = Some(row.row_id);
                continue;
            }
            let path = self.resolve_media_path(&row.snapshot_path);
            let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file());
            let frame_time = parse_timestamp(&row.timestamp).ok();
            let Some(meta) = meta else {
                // Gone, or not written yet: wait for a young frame, skip an old one.
                if frame_time.is_some_and(|t| now.saturating_sub(t.0) < settle_ms) {
                    pass.waiting = true;
                    break;
                }
                let note = format!("frames#{}: {}", row.row_id, path.display());
                progress.warn(&format!("snapshot missing, skipped: {note}"));
                tracing::warn!(frame = row.row_id, path = %path.display(), "snapshot missing; skipped");
                pass.missing.push(note);
                let entry = entry_name(&base_name(&row.snapshot_path), row.row_id, &HashSet::new());
                missing.push(SnapshotEntry { frame_row_id: row.row_id, blob_id: None, entry });
                last_done = Some(row.row_id);
                continue;
            };
            let mtime = mtime_ms(&meta);
            if now.saturating_sub(mtime.0) < settle_ms {
                pass.waiting = true;
                break;
            }
            let time = frame_time.unwrap_or(mtime);
            let window = time.0.div_euclid(window_ms);
            let full =
                current.bytes.saturating_add(meta.len()) > PACK_MAX_BYTES || current.files.len() >= PACK_MAX_ENTRIES;
            if !current.files.is_empty() && (window != current.window || full) {
                packs.push(std::mem::take(&mut current));
                if packs.len() == PACKS_PER_CALL {
                    // Enough for one call: this frame starts the next call's first pack.
                    break;
                }
            }
            if current.files.is_empty() {
                current.window = window;
            }
            current.bytes = current.bytes.saturating_add(meta.len());
            current.files.push(Planned { row, time });
            last_done = Some(current.files.last().map_or(0, |f| f.row.row_id));
        }
        if !current.files.is_empty() {
            packs.push(current);
        }
        let Some(cursor_to) = last_done else { return Ok(()) };

        let staging = self.config.staging_dir();
        let mut pending = Vec::new();
        let mut entries = missing;
        let mut proofs = Vec::new();
        for plan in packs {
            let mut sealed = Sealed { pending: &mut pending, entries: &mut entries, proofs: &mut proofs };
            self.seal_pack(plan, &staging, progress, pass, &mut sealed)?;
        }
        if !pending.is_empty() {
            crate::os::sync_dir(&staging)?;
        }
        let cursors = [(SNAPSHOT_CURSOR.to_owned(), cursor_to)];
        state.commit_plan(&Plan {
            pending: &pending,
            snapshots: &entries,
            cursors: &cursors,
            proofs: &proofs,
            ..Plan::default()
        })
    }

    /// Reads a planned pack's files, seals the pack into the staging folder, and notes its
    /// entries (a file gone meanwhile is `missing`).
    fn seal_pack(
        &self,
        plan: PackPlan,
        staging: &Path,
        progress: &dyn Progress,
        pass: &mut MediaPass,
        sealed: &mut Sealed<'_>,
    ) -> Result<()> {
        let Sealed { pending, entries, proofs } = sealed;
        let (Some(first), Some(last)) = (plan.files.first(), plan.files.last()) else { return Ok(()) };
        let blob_id = pack_blob_id(self.keys, self.device_id, first.row.row_id, last.row.row_id)?;
        let mut taken = HashSet::new();
        let mut index = Vec::with_capacity(plan.files.len());
        let mut data = Vec::with_capacity(usize::try_from(plan.bytes).unwrap_or(0));
        for f in &plan.files {
            let path = self.resolve_media_path(&f.row.snapshot_path);
            let name = entry_name(&base_name(&f.row.snapshot_path), f.row.row_id, &taken);
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let note = format!("frames#{}: {}", f.row.row_id, path.display());
                    progress.warn(&format!("snapshot missing, skipped: {note}"));
                    pass.missing.push(note);
                    entries.push(SnapshotEntry { frame_row_id: f.row.row_id, blob_id: None, entry: name });
                    continue;
                }
                Err(e) => return Err(e).io_ctx(|| format!("read {}", path.display())),
            };
            taken.insert(name.clone());
            proofs.push(FileProof {
                source_table: "frames".to_owned(),
                row_id: f.row.row_id,
                blob_id,
                entry: Some(name.clone()),
                path: path.clone(),
                time: f.time,
                plain_size: bytes.len() as u64,
                plain_sha256: sha256_of(&bytes),
            });
            index.push(PackEntry {
                name: name.clone(),
                size: bytes.len() as u64,
                time: f.time,
                content_type: content_type(&name).to_owned(),
            });
            data.extend_from_slice(&bytes);
            entries.push(SnapshotEntry { frame_row_id: f.row.row_id, blob_id: Some(blob_id), entry: name });
        }
        if index.is_empty() {
            return Ok(());
        }
        let start = index.iter().map(|e| e.time).min().unwrap_or(first.time);
        let end = index.iter().map(|e| e.time).max().unwrap_or(last.time).max(start);
        let files = index.len() as u64;
        let bytes = data.len() as u64;
        let mut payload = PackIndex::new(index)?.encode_header()?;
        payload.extend_from_slice(&data);
        drop(data);
        let ctx = BlobContext {
            blob_id,
            blob_type: BlobType::Frames,
            device_id: self.device_id.clone(),
            time_start: start,
            time_end: end,
        };
        let staged = seal_media_bytes(self.keys, &ctx, &payload, staging)?;
        pending.push(PendingUpload {
            blob_id,
            blob_type: BlobType::Frames,
            time_start: start,
            time_end: end,
            size_bytes: staged.size,
            checksum: staged.checksum,
            key_id: self.keys.current_key_id(),
            tokens: Vec::new(),
            staging_file: staged.path,
            records: files,
            media: None,
        });
        progress.advance(Stage::Packaging, 1);
        pass.staged += 1;
        pass.packs += 1;
        pass.files += files;
        pass.bytes += bytes;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        let mut taken = HashSet::new();
        assert_eq!(entry_name("1796477777811_m60.jpg", 3, &taken), "1796477777811_m60.jpg");
        taken.insert("1796477777811_m60.jpg".to_owned());
        assert_eq!(entry_name("1796477777811_m60.jpg", 3, &taken), "3.jpg");
        assert_eq!(entry_name("shot 1.jpg", 4, &taken), "4.jpg");
        assert_eq!(entry_name(".hidden.jpg", 5, &taken), "5.jpg");
        assert_eq!(entry_name("", 6, &taken), "6.jpg");
        assert_eq!(content_type("A.JPG"), "image/jpeg");
        assert_eq!(content_type("a.png"), "image/png");
        assert_eq!(content_type("a.bin"), "application/octet-stream");
    }
}
