//! [`StateSummary`]: the totals of the state file, for `status`.

use sync_core::UnixMillis;

use super::{StateDb, u64_of};
use crate::error::{DbContext, Result};

/// Totals of the state, for `status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StateSummary {
    /// Blobs uploaded.
    pub uploaded_blobs: u64,
    /// Their bytes.
    pub uploaded_bytes: u64,
    /// Blobs sealed and waiting.
    pub pending_uploads: u64,
    /// Media files reported missing.
    pub missing_media: u64,
    /// Blobs of other devices imported.
    pub pulled_blobs: u64,
    /// Pulled blobs that failed (retried at the next pull).
    pub failed_pulls: u64,
    /// Media files still to fetch.
    pub pending_media: u64,
    /// Last completed upload.
    pub last_upload: Option<UnixMillis>,
}

impl StateDb {
    /// Totals for `status`.
    pub fn summary(&self) -> Result<StateSummary> {
        let one =
            |sql: &str| -> Result<i64> { self.conn.query_row(sql, [], |r| r.get::<_, i64>(0)).ctx("state summary") };
        let last: Option<i64> =
            self.conn.query_row("SELECT MAX(synced_at) FROM sync_state", [], |r| r.get(0)).ctx("state summary")?;
        Ok(StateSummary {
            uploaded_blobs: u64_of(one("SELECT COUNT(*) FROM sync_state")?),
            uploaded_bytes: u64_of(one("SELECT COALESCE(SUM(size_bytes), 0) FROM sync_state")?),
            pending_uploads: u64_of(one("SELECT COUNT(*) FROM pending_uploads")?),
            missing_media: u64_of(one("SELECT (SELECT COUNT(*) FROM media WHERE status = 'missing')
                      + (SELECT COUNT(*) FROM snapshots WHERE status = 'missing')")?),
            pulled_blobs: u64_of(one("SELECT COUNT(*) FROM pulled_blobs WHERE status = 'imported'")?),
            failed_pulls: u64_of(one("SELECT COUNT(*) FROM pulled_blobs WHERE status = 'failed'")?),
            pending_media: u64_of(one("SELECT COUNT(*) FROM pending_media")?),
            last_upload: last.map(UnixMillis),
        })
    }
}
