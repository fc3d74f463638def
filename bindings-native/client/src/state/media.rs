//! The `media` table: the blob id given to each media chunk of screenpipe (`video_chunks`,
//! `audio_chunks` rows) and its status (`assigned`, `staged`, `uploaded`, `missing`), so that a
//! bundle and its media file agree on the id, even across a key rotation.

use rusqlite::{OptionalExtension, params};
use sync_core::BlobId;

use super::{StateDb, parse};
use crate::error::{DbContext, Result};

impl StateDb {
    /// The blob id given to a media chunk, and its status.
    pub fn media_blob(&self, table: &str, row_id: i64) -> Result<Option<(BlobId, String)>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT blob_id, status FROM media WHERE source_table = ?1 AND row_id = ?2",
                params![table, row_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ctx("state media")?;
        row.map(|(id, status)| Ok((parse::<BlobId>(&id, "blob id")?, status))).transpose()
    }

    /// Records the blob id of a media chunk if it has none yet; returns the stored one.
    pub fn assign_media_blob(&self, table: &str, row_id: i64, blob_id: BlobId) -> Result<BlobId> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO media (source_table, row_id, blob_id, status, updated_at) VALUES (?1, ?2, ?3, 'assigned', ?4)",
                params![table, row_id, blob_id.to_hex(), crate::os::now_ms().0],
            )
            .ctx("state media")?;
        Ok(self.media_blob(table, row_id)?.map(|(id, _)| id).unwrap_or(blob_id))
    }

    /// Media chunks reported missing: `(table, row_id)`.
    pub fn missing_media(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source_table, row_id FROM media WHERE status = 'missing' ORDER BY source_table, row_id")
            .ctx("state media")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ctx("state media")?;
        rows.collect::<std::result::Result<Vec<_>, _>>().ctx("state media")
    }
}
