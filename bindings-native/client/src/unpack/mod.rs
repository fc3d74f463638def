//! The unpacker: records bundles into a screenpipe database, idempotently, through the writer
//! of the database's generation (`docs/FORMAT.md`, "Per generation").
//!
//! - One write transaction per bundle: the rows and their entries in
//!   `screenpipe_sync_imports` (origin device, table, origin row id → local row id, blob id)
//!   commit together, so a crash leaves either all of a bundle or none of it.
//! - A record already listed there is not inserted again (importing twice changes nothing);
//!   its local row id maps references (a frame's chunk, an element's frame, a transcription's
//!   chunk, a UI event's or a memory's frame). A memory whose `updated_at` is newer than the
//!   imported row's is updated.
//! - Rows are written with the columns the local schema has; `machine_id` is set to the origin
//!   device and `sync_id` to `device:table:row` where those columns exist. Into 0.4,
//!   `YYYY-MM-DD HH:MM:SS` timestamps are written as RFC 3339 (`…T…+00:00`).
//! - A record the target's generation cannot hold (elements, memories, meetings on February
//!   2026) is skipped and counted ([`ImportCounts::not_representable`]).
//! - screenpipe's `AFTER INSERT` triggers (0.4) index the rows for its FTS search; on February
//!   2026 its background indexer does (rows get ids above its cursor). Where a table has
//!   neither, the unpacker fills the FTS table itself.
//! - Media files are written by the pull (`session/pull.rs`) before the rows: chunk rows point
//!   to `DATA_DIR/<origin device>/<file name>` ([`media_dest`]), snapshot frames to
//!   `DATA_DIR/<origin device>/<YYYY-MM-DD>/<entry>` ([`snapshot_dest`]) when the file is
//!   there (else no snapshot path: screenpipe 0.4 drops pointers to missing files).
//!
//! [`records`], `frames` and `notes` say which columns each record becomes; every SQL
//! statement is in [`crate::screenpipe::unpacker_writes`].

mod frames;
mod notes;
mod records;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sync_core::records::{FrameRecord, RecordsBundle, SnapshotRef, parse_timestamp};
use sync_core::{BlobId, DeviceId};

use crate::error::Result;
use crate::screenpipe::Generation;
use crate::screenpipe::unpacker_writes::ImportTarget;

/// What one import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    /// Rows inserted, by table.
    pub inserted: BTreeMap<String, u64>,
    /// Records already present (imported before).
    pub existing: u64,
    /// Records dropped because what they reference is not in the bundle or the database.
    pub orphans: u64,
    /// Imported memories updated to a newer version.
    pub updated: u64,
    /// Records the target's schema cannot hold, skipped, by table.
    pub not_representable: BTreeMap<String, u64>,
}

impl ImportCounts {
    /// Rows inserted in all.
    pub fn total_inserted(&self) -> u64 {
        self.inserted.values().sum()
    }

    /// Counts a row inserted into `table`.
    fn inserted(&mut self, table: &str) {
        self.inserted_many(table, 1);
    }

    /// Counts `n` rows of `table` inserted.
    fn inserted_many(&mut self, table: &str, n: u64) {
        *self.inserted.entry(table.to_owned()).or_default() += n;
    }

    /// Counts `n` records of `table` the target cannot hold.
    fn not_representable(&mut self, table: &str, n: usize) {
        if n > 0 {
            *self.not_representable.entry(table.to_owned()).or_default() += n as u64;
        }
    }
}

/// A file name reduced to its last component (a bundle cannot write outside the folder).
fn base_name(name: &str) -> Option<String> {
    Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "." && n != ".." && !n.starts_with('.'))
}

/// Where a pulled media file goes: `DATA_DIR/<origin device>/<file name>`, the name reduced to
/// its last component (a bundle cannot write outside the folder).
pub fn media_dest(data_dir: &Path, origin: &DeviceId, file_name: &str, blob_id: &BlobId) -> PathBuf {
    let base = base_name(file_name).unwrap_or_else(|| format!("{blob_id}.mp4"));
    data_dir.join(origin.as_str()).join(base)
}

/// Where a pulled snapshot goes: `DATA_DIR/<origin device>/<YYYY-MM-DD>/<entry>` (the frame's
/// UTC date; `undated` when its timestamp does not parse), the entry reduced to a plain file
/// name (`<frame row id>.jpg` otherwise).
pub fn snapshot_dest(data_dir: &Path, origin: &DeviceId, frame: &FrameRecord, snapshot: &SnapshotRef) -> PathBuf {
    let day = parse_timestamp(&frame.timestamp)
        .ok()
        .and_then(|t| t.to_rfc3339().ok())
        .map(|t| t[..10].to_owned())
        .unwrap_or_else(|| "undated".to_owned());
    let safe = |n: &str| n.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    let name = base_name(&snapshot.entry).filter(|n| safe(n)).unwrap_or_else(|| format!("{}.jpg", frame.row_id));
    data_dir.join(origin.as_str()).join(day).join(name)
}

/// Writes bundles into one screenpipe database.
#[derive(Debug)]
pub struct Unpacker {
    db: ImportTarget,
    data_dir: PathBuf,
}

impl Unpacker {
    /// Opens screenpipe's database for writing: detects its generation (refusing a schema no
    /// adapter fully understands, before writing anything) and adds the imports table.
    pub fn open(db_path: &Path, data_dir: &Path) -> Result<Unpacker> {
        Ok(Unpacker { db: ImportTarget::open(db_path)?, data_dir: data_dir.to_owned() })
    }

    /// The target's generation.
    pub fn generation(&self) -> Generation {
        self.db.generation()
    }

    /// One line on the target's schema, for reports.
    pub fn schema_summary(&self) -> String {
        self.db.schema().summary()
    }

    /// Imports one bundle (from blob `blob_id`) in one transaction.
    pub fn import(&mut self, bundle: &RecordsBundle, blob_id: &BlobId) -> Result<ImportCounts> {
        let generation = self.db.generation();
        let tx = self.db.begin(&bundle.device_id, blob_id)?;
        let mut counts = ImportCounts::default();
        records::write_bundle(&tx, bundle, &self.data_dir, generation, &mut counts)?;
        tx.commit()?;
        for (table, n) in &counts.not_representable {
            tracing::warn!(table = %table, records = n, "records this screenpipe's schema cannot hold were skipped");
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_stay_in_their_folder() {
        let data = Path::new("/d");
        let origin = DeviceId::new("dev-1").unwrap();
        let blob = BlobId([1; 16]);
        assert_eq!(media_dest(data, &origin, "../../etc/passwd", &blob), Path::new("/d/dev-1/passwd"));
        assert_eq!(media_dest(data, &origin, "..", &blob), Path::new(&format!("/d/dev-1/{blob}.mp4")));
        let frame = FrameRecord::new(7, "2026-12-05T23:59:59.9+00:00");
        let snap = |entry: &str| SnapshotRef { blob_id: None, entry: entry.into(), file_name: "x".into() };
        assert_eq!(snapshot_dest(data, &origin, &frame, &snap("1_m1.jpg")), Path::new("/d/dev-1/2026-12-05/1_m1.jpg"));
        assert_eq!(snapshot_dest(data, &origin, &frame, &snap("../a b.jpg")), Path::new("/d/dev-1/2026-12-05/7.jpg"));
        assert_eq!(snapshot_dest(data, &origin, &frame, &snap(".x")), Path::new("/d/dev-1/2026-12-05/7.jpg"));
        let undated = FrameRecord::new(8, "someday");
        assert_eq!(snapshot_dest(data, &origin, &undated, &snap("a.jpg")), Path::new("/d/dev-1/undated/a.jpg"));
    }
}
