//! The `snapshots` table: for each frame whose snapshot the media pass handled, the `frames`
//! blob (a media pack) holding it and its entry name, or `missing` (the file was gone), so that
//! the text pass can fill the frame's `snapshot` in its bundle.

use rusqlite::{OptionalExtension, params};
use sync_core::BlobId;

use super::{StateDb, parse};
use crate::error::{DbContext, Result};

/// Where a frame's snapshot went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotEntry {
    /// The frame's row id.
    pub frame_row_id: i64,
    /// The pack's blob; `None` when the file was missing.
    pub blob_id: Option<BlobId>,
    /// The entry's name in the pack.
    pub entry: String,
}

impl StateDb {
    /// Where the snapshot of frame `frame_row_id` went, if the media pass handled it.
    pub fn snapshot_entry(&self, frame_row_id: i64) -> Result<Option<SnapshotEntry>> {
        let row: Option<(Option<String>, String)> = self
            .conn
            .prepare_cached("SELECT blob_id, entry FROM snapshots WHERE frame_row_id = ?1")
            .ctx("state snapshots")?
            .query_row([frame_row_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .ctx("state snapshots")?;
        row.map(|(blob, entry)| {
            Ok(SnapshotEntry {
                frame_row_id,
                blob_id: blob.map(|b| parse::<BlobId>(&b, "blob id")).transpose()?,
                entry,
            })
        })
        .transpose()
    }
}

/// Writes snapshot entries in a plan's transaction (`staged` with a blob, `missing` without).
pub(super) fn write_entries(tx: &rusqlite::Transaction<'_>, entries: &[SnapshotEntry]) -> Result<()> {
    for e in entries {
        tx.execute(
            "INSERT INTO snapshots (frame_row_id, blob_id, entry, status) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(frame_row_id) DO UPDATE SET blob_id = ?2, entry = ?3, status = ?4",
            params![
                e.frame_row_id,
                e.blob_id.map(|b| b.to_hex()),
                e.entry,
                if e.blob_id.is_some() { "staged" } else { "missing" }
            ],
        )
        .ctx("state plan")?;
    }
    Ok(())
}
