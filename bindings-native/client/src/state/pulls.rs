//! The pull side of the state file: `pulled_blobs` (other devices' blobs imported, or failed
//! and retried at the next pull) and `pending_media` (media files referenced by imported rows
//! and not written yet).

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

use super::{StateDb, i64_of, parse};
use crate::error::{DbContext, Result};

impl StateDb {
    /// The status of a pulled blob (`imported` or `failed`), if it was pulled.
    pub fn pulled_status(&self, blob_id: &BlobId) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT status FROM pulled_blobs WHERE blob_id = ?1", [blob_id.to_hex()], |r| r.get(0))
            .optional()
            .ctx("state pulled")
    }

    /// Records a pulled blob's outcome.
    #[allow(clippy::too_many_arguments)]
    pub fn mark_pulled(
        &self,
        blob_id: &BlobId,
        blob_type: BlobType,
        device_id: &DeviceId,
        time_start: UnixMillis,
        time_end: UnixMillis,
        status: &str,
        records: u64,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO pulled_blobs (blob_id, blob_type, device_id, time_start, time_end, status, records, error, pulled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    blob_id.to_hex(),
                    blob_type.as_str(),
                    device_id.as_str(),
                    time_start.0,
                    time_end.0,
                    status,
                    i64_of(records),
                    error,
                    crate::os::now_ms().0
                ],
            )
            .ctx("state pulled")?;
        Ok(())
    }

    /// Notes a media file to fetch (kept until it is written).
    pub fn add_pending_media(
        &self,
        blob_id: &BlobId,
        dest: &Path,
        origin: &DeviceId,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO pending_media (blob_id, dest_path, origin_device, status, last_error, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5)
                 ON CONFLICT(blob_id) DO UPDATE SET last_error = ?4, updated_at = ?5",
                params![blob_id.to_hex(), dest.to_string_lossy(), origin.as_str(), error, crate::os::now_ms().0],
            )
            .ctx("state pending media")?;
        Ok(())
    }

    /// Media files still to fetch: `(blob_id, dest)`.
    pub fn pending_media(&self) -> Result<Vec<(BlobId, PathBuf)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT blob_id, dest_path FROM pending_media ORDER BY updated_at, blob_id")
            .ctx("state pending media")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).ctx("state pending media")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, dest) = row.ctx("state pending media")?;
            out.push((parse(&id, "blob id")?, PathBuf::from(dest)));
        }
        Ok(out)
    }

    /// Drops a fetched media file from the to-do list.
    pub fn done_pending_media(&self, blob_id: &BlobId) -> Result<()> {
        self.conn
            .execute("DELETE FROM pending_media WHERE blob_id = ?1", [blob_id.to_hex()])
            .ctx("state pending media")?;
        Ok(())
    }
}
