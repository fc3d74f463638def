//! The `archive_journal` table: the media files `archive` is offloading (`intent`: proven, about
//! to be marked offloaded in screenpipe's database and deleted) or has offloaded (`done`).
//!
//! `archive` writes `intent` durably (`synchronous = FULL`) only after the file is proven, then
//! marks the row in screenpipe's database, deletes the file and writes `done`. A run killed
//! anywhere leaves at worst an `intent` row whose file still exists (proven, so the next run
//! re-checks and finishes it) or is gone (deleted after its proof: the next run only writes
//! `done`). `restore` removes the row once the file is back.

use rusqlite::params;
use sync_core::BlobId;

use super::{StateDb, i64_of, u64_of};
use crate::error::{DbContext, Result};

/// One file of the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// `video_chunks`, `audio_chunks` or `frames`.
    pub source_table: String,
    /// The row in screenpipe's database.
    pub row_id: i64,
    /// `intent` or `done`.
    pub status: String,
    /// The file's size.
    pub bytes: u64,
}

impl StateDb {
    /// Records, durably, that a proven file is about to be offloaded.
    pub fn journal_intent(&mut self, table: &str, row_id: i64, bytes: u64) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL").ctx("state synchronous")?;
        let result = self
            .conn
            .execute(
                "INSERT INTO archive_journal (source_table, row_id, status, bytes, updated_at) VALUES (?1, ?2, 'intent', ?3, ?4)
                 ON CONFLICT(source_table, row_id) DO UPDATE SET status = 'intent', bytes = ?3, updated_at = ?4",
                params![table, row_id, i64_of(bytes), crate::os::now_ms().0],
            )
            .ctx("state journal");
        self.conn.pragma_update(None, "synchronous", "NORMAL").ctx("state synchronous")?;
        result.map(|_| ())
    }

    /// Records that a file is offloaded (its row marked, the file deleted).
    pub fn journal_done(&self, table: &str, row_id: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE archive_journal SET status = 'done', updated_at = ?3 WHERE source_table = ?1 AND row_id = ?2",
                params![table, row_id, crate::os::now_ms().0],
            )
            .ctx("state journal")?;
        Ok(())
    }

    /// Forgets a file of the journal (restored, or found changed before it was deleted).
    pub fn journal_remove(&self, table: &str, row_id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM archive_journal WHERE source_table = ?1 AND row_id = ?2", params![table, row_id])
            .ctx("state journal")?;
        Ok(())
    }

    /// The journal's entries of one status (`None`: every entry), in table and row order.
    pub fn journal(&self, status: Option<&str>) -> Result<Vec<JournalEntry>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT source_table, row_id, status, bytes FROM archive_journal
                 WHERE ?1 IS NULL OR status = ?1 ORDER BY source_table, row_id",
            )
            .ctx("state journal")?;
        let rows = stmt
            .query_map([status], |r| {
                Ok(JournalEntry {
                    source_table: r.get(0)?,
                    row_id: r.get(1)?,
                    status: r.get(2)?,
                    bytes: u64_of(r.get(3)?),
                })
            })
            .ctx("state journal")?;
        rows.collect::<std::result::Result<Vec<_>, _>>().ctx("state journal")
    }

    /// Files offloaded and not restored (`done` in the journal): count and bytes.
    pub fn offloaded_totals(&self) -> Result<(u64, u64)> {
        let (n, bytes): (i64, i64) = self
            .conn
            .query_row("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM archive_journal WHERE status = 'done'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ctx("state journal")?;
        Ok((u64_of(n), u64_of(bytes)))
    }

    /// The status of one file in the journal.
    pub fn journal_status(&self, table: &str, row_id: i64) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row(
                "SELECT status FROM archive_journal WHERE source_table = ?1 AND row_id = ?2",
                params![table, row_id],
                |r| r.get(0),
            )
            .optional()
            .ctx("state journal")
    }
}

impl StateDb {
    /// Notes that a blob's cloud copy failed a check (`problem`: `missing`, `unreadable`, ...).
    pub fn note_damage(&self, blob_id: &BlobId, problem: &str, detail: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO cloud_damage (blob_id, problem, detail, seen_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(blob_id) DO UPDATE SET problem = ?2, detail = ?3, seen_at = ?4",
                params![blob_id.to_hex(), problem, detail, crate::os::now_ms().0],
            )
            .ctx("state damage")?;
        Ok(())
    }

    /// Forgets a blob's damage (it was read back whole).
    pub fn clear_damage(&self, blob_id: &BlobId) -> Result<()> {
        self.conn.execute("DELETE FROM cloud_damage WHERE blob_id = ?1", [blob_id.to_hex()]).ctx("state damage")?;
        Ok(())
    }

    /// The damage last seen on a blob's cloud copy: `problem: detail`.
    pub fn damage(&self, blob_id: &BlobId) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row(
                "SELECT problem || ': ' || detail FROM cloud_damage WHERE blob_id = ?1",
                [blob_id.to_hex()],
                |r| r.get(0),
            )
            .optional()
            .ctx("state damage")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_moves_from_intent_to_done_and_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = StateDb::open(&dir.path().join("s.sqlite3")).unwrap();
        db.journal_intent("video_chunks", 3, 100).unwrap();
        db.journal_intent("frames", 9, 7).unwrap();
        assert_eq!(db.journal(Some("intent")).unwrap().len(), 2);
        db.journal_done("video_chunks", 3).unwrap();
        let done = db.journal(Some("done")).unwrap();
        assert_eq!(
            done,
            vec![JournalEntry { source_table: "video_chunks".into(), row_id: 3, status: "done".into(), bytes: 100 }]
        );
        assert_eq!(db.journal_status("frames", 9).unwrap().as_deref(), Some("intent"));
        db.journal_remove("frames", 9).unwrap();
        assert_eq!(db.journal_status("frames", 9).unwrap(), None);
        assert_eq!(db.journal(None).unwrap().len(), 1);
        assert_eq!(db.offloaded_totals().unwrap(), (1, 100));
    }

    #[test]
    fn damage_is_remembered_until_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("s.sqlite3")).unwrap();
        let blob = BlobId([6; 16]);
        assert_eq!(db.damage(&blob).unwrap(), None);
        db.note_damage(&blob, "unreadable", "checksum mismatch").unwrap();
        assert_eq!(db.damage(&blob).unwrap().as_deref(), Some("unreadable: checksum mismatch"));
        db.clear_damage(&blob).unwrap();
        assert_eq!(db.damage(&blob).unwrap(), None);
    }
}
