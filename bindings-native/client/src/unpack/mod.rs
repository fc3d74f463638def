//! The unpacker: records bundles into a screenpipe database, idempotently (docs/FORMAT.md,
//! Records bundle).
//!
//! - One write transaction per bundle: the rows and their entries in
//!   `screenpipe_sync_imports` (origin device, table, origin row id → local row id, blob id)
//!   commit together, so a crash leaves either all of a bundle or none of it.
//! - A record already listed there is not inserted again (importing twice changes nothing);
//!   its local row id maps references (a frame's chunk, an OCR row's frame, a transcription's
//!   chunk, a UI event's frame).
//! - Rows are written with the columns the local schema has; `machine_id` is set to the origin
//!   device and `sync_id` to `device:table:row` where those columns exist.
//! - screenpipe's `AFTER INSERT` triggers index the rows for its FTS search. Where a table has
//!   no such trigger (and no background indexer), the unpacker fills the FTS table itself.
//! - Media files are written by the pull (`session/pull.rs`) before the rows; chunk
//!   rows point to `DATA_DIR/<origin device id>/<file name>` ([`media_dest`]).
//!
//! [`records`] says which columns each record becomes; every SQL statement is in
//! [`crate::screenpipe::unpacker_writes`].

mod records;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sync_core::records::RecordsBundle;
use sync_core::{BlobId, DeviceId};

use crate::error::Result;
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
}

impl ImportCounts {
    /// Rows inserted in all.
    pub fn total_inserted(&self) -> u64 {
        self.inserted.values().sum()
    }
}

/// Where a pulled media file goes: `DATA_DIR/<origin device>/<file name>`, the name reduced to
/// its last component (a bundle cannot write outside the folder).
pub fn media_dest(data_dir: &Path, origin: &DeviceId, file_name: &str, blob_id: &BlobId) -> PathBuf {
    let base = Path::new(file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "." && n != "..")
        .unwrap_or_else(|| format!("{blob_id}.mp4"));
    data_dir.join(origin.as_str()).join(base)
}

/// Writes bundles into one screenpipe database.
#[derive(Debug)]
pub struct Unpacker {
    db: ImportTarget,
    data_dir: PathBuf,
}

impl Unpacker {
    /// Opens screenpipe's database for writing and adds the imports table if needed.
    pub fn open(db_path: &Path, data_dir: &Path) -> Result<Unpacker> {
        Ok(Unpacker { db: ImportTarget::open(db_path)?, data_dir: data_dir.to_owned() })
    }

    /// Imports one bundle (from blob `blob_id`) in one transaction.
    pub fn import(&mut self, bundle: &RecordsBundle, blob_id: &BlobId) -> Result<ImportCounts> {
        let tx = self.db.begin(&bundle.device_id, blob_id)?;
        let mut counts = ImportCounts::default();
        records::write_bundle(&tx, bundle, &self.data_dir, &mut counts)?;
        tx.commit()?;
        Ok(counts)
    }
}
