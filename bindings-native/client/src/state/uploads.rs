//! The upload side of the state file: packaging cursors, pending uploads (sealed blobs in the
//! staging folder) and uploaded blobs (`sync_state`). A plan (new pending uploads, media
//! statuses, cursor advances) commits in one durable transaction; a finished upload moves a
//! blob from pending to uploaded in another.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};
use sync_core::wire::{Checksum, SearchToken};
use sync_core::{BlobId, BlobType, KeyId, UnixMillis};

use super::snapshots::SnapshotEntry;
use super::{StateDb, i64_of, parse, u64_of};
use crate::error::{DbContext, Result, SyncError};

/// A sealed blob waiting in the staging folder.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingUpload {
    /// Its id.
    pub blob_id: BlobId,
    /// Its type.
    pub blob_type: BlobType,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// Ciphertext size.
    pub size_bytes: u64,
    /// SHA-256 of the ciphertext.
    pub checksum: Checksum,
    /// The key that sealed it.
    pub key_id: KeyId,
    /// Its search tokens (empty when the token setting is off, and for media).
    pub tokens: Vec<SearchToken>,
    /// The sealed file.
    pub staging_file: PathBuf,
    /// Records it holds (1 for a media file).
    pub records: u64,
    /// For a media blob: the chunk table and row.
    pub media: Option<(String, i64)>,
}

/// One packaging step, committed at once by [`StateDb::commit_plan`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Plan<'a> {
    /// New pending uploads.
    pub pending: &'a [PendingUpload],
    /// Media chunk statuses: `(table, row id, blob id, status)`.
    pub media: &'a [(String, i64, BlobId, &'static str)],
    /// Where snapshots went.
    pub snapshots: &'a [SnapshotEntry],
    /// Row id cursors (only ever move forward).
    pub cursors: &'a [(String, i64)],
    /// Text cursors (only ever move forward in byte order).
    pub text_cursors: &'a [(String, String)],
    /// What was sealed of each media file ([`super::proofs`]).
    pub proofs: &'a [super::proofs::FileProof],
}

/// An uploaded blob (`sync_state`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedBlob {
    /// The cloud blob id.
    pub blob_id: BlobId,
    /// Its type.
    pub blob_type: BlobType,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// Ciphertext size.
    pub size_bytes: u64,
    /// Records it holds.
    pub records: u64,
    /// When the upload completed.
    pub synced_at: UnixMillis,
}

impl StateDb {
    /// A packaging cursor (0 when never set).
    pub fn cursor(&self, name: &str) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT last_row_id FROM cursors WHERE name = ?1", [name], |r| r.get::<_, i64>(0))
            .optional()
            .ctx("state cursor")?
            .unwrap_or(0))
    }

    /// A text cursor (a version cursor such as memories' `(updated_at, id)`, kept as text
    /// whose byte order is the cursor's order); `None` when never set.
    pub fn text_cursor(&self, name: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT CAST(last_row_id AS TEXT) FROM cursors WHERE name = ?1", [name], |r| r.get(0))
            .optional()
            .ctx("state cursor")
    }

    /// Commits a packaging step atomically and durably (`synchronous = FULL`): new pending
    /// uploads, media statuses, snapshot entries and cursor advances.
    pub fn commit_plan(&mut self, plan: &Plan<'_>) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL").ctx("state synchronous")?;
        let result = self.commit_plan_tx(plan);
        self.conn.pragma_update(None, "synchronous", "NORMAL").ctx("state synchronous")?;
        result
    }

    fn commit_plan_tx(&mut self, plan: &Plan<'_>) -> Result<()> {
        let now = crate::os::now_ms().0;
        let tx = self.conn.transaction().ctx("state plan")?;
        for p in plan.pending {
            let tokens = serde_json::to_string(&p.tokens).map_err(|e| SyncError::corrupt("tokens", e))?;
            tx.execute(
                "INSERT OR REPLACE INTO pending_uploads (blob_id, blob_type, time_start, time_end, size_bytes, checksum, key_id,
                   tokens, staging_file, records, media_table, media_row_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    p.blob_id.to_hex(),
                    p.blob_type.as_str(),
                    p.time_start.0,
                    p.time_end.0,
                    i64_of(p.size_bytes),
                    p.checksum.to_hex(),
                    p.key_id.to_hex(),
                    tokens,
                    p.staging_file.to_string_lossy(),
                    i64_of(p.records),
                    p.media.as_ref().map(|m| m.0.clone()),
                    p.media.as_ref().map(|m| m.1),
                    now
                ],
            )
            .ctx("state plan")?;
            let seal = super::proofs::BlobSeal { size_bytes: p.size_bytes, checksum: p.checksum };
            super::proofs::write_seal(&tx, &p.blob_id, &seal)?;
        }
        super::proofs::write_proofs(&tx, plan.proofs)?;
        for (table, row, blob_id, status) in plan.media {
            tx.execute(
                "INSERT INTO media (source_table, row_id, blob_id, status, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(source_table, row_id) DO UPDATE SET status = ?4, updated_at = ?5",
                params![table, row, blob_id.to_hex(), status, now],
            )
            .ctx("state plan")?;
        }
        super::snapshots::write_entries(&tx, plan.snapshots)?;
        for (name, row) in plan.cursors {
            tx.execute(
                "INSERT INTO cursors (name, last_row_id) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET last_row_id = MAX(last_row_id, ?2)",
                params![name, row],
            )
            .ctx("state plan")?;
        }
        for (name, text) in plan.text_cursors {
            // Text compares above any integer and byte-wise with text: MAX keeps the furthest.
            tx.execute(
                "INSERT INTO cursors (name, last_row_id) VALUES (?1, CAST(?2 AS TEXT))
                 ON CONFLICT(name) DO UPDATE SET last_row_id = MAX(CAST(last_row_id AS TEXT), CAST(?2 AS TEXT))",
                params![name, text],
            )
            .ctx("state plan")?;
        }
        tx.commit().ctx("state plan")
    }

    /// Every pending upload, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingUpload>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT blob_id, blob_type, time_start, time_end, size_bytes, checksum, key_id, tokens, staging_file,
                        records, media_table, media_row_id
                 FROM pending_uploads ORDER BY created_at, blob_type DESC, time_start, blob_id",
            )
            .ctx("state pending")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, i64>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<i64>>(11)?,
                ))
            })
            .ctx("state pending")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, ty, ts, te, size, sum, key, tokens, file, records, mt, mr) = row.ctx("state pending")?;
            let tokens: Vec<SearchToken> =
                serde_json::from_str(&tokens).map_err(|e| SyncError::corrupt("tokens in pending_uploads", e))?;
            out.push(PendingUpload {
                blob_id: parse(&id, "blob id")?,
                blob_type: parse(&ty, "blob type")?,
                time_start: UnixMillis(ts),
                time_end: UnixMillis(te),
                size_bytes: u64_of(size),
                checksum: Checksum::from_hex(&sum).map_err(|e| SyncError::corrupt("checksum", e))?,
                key_id: parse(&key, "key id")?,
                tokens,
                staging_file: PathBuf::from(file),
                records: u64_of(records),
                media: mt.zip(mr),
            });
        }
        Ok(out)
    }

    /// Records that a pending upload's staged file was sealed again (under the account's current
    /// key, after a rotation elsewhere): its new size, checksum and key (also as the blob's
    /// recorded seal, one transaction). The file keeps its path.
    pub fn resealed_upload(
        &mut self,
        blob_id: &BlobId,
        size_bytes: u64,
        checksum: &Checksum,
        key_id: &KeyId,
    ) -> Result<()> {
        let tx = self.conn.transaction().ctx("state reseal")?;
        tx.execute(
            "UPDATE pending_uploads SET size_bytes = ?2, checksum = ?3, key_id = ?4 WHERE blob_id = ?1",
            params![blob_id.to_hex(), i64_of(size_bytes), checksum.to_hex(), key_id.to_hex()],
        )
        .ctx("state reseal")?;
        super::proofs::write_seal(&tx, blob_id, &super::proofs::BlobSeal { size_bytes, checksum: *checksum })?;
        tx.commit().ctx("state reseal")
    }

    /// Staging files named by a pending upload.
    pub fn pending_files(&self) -> Result<Vec<PathBuf>> {
        Ok(self.pending()?.into_iter().map(|p| p.staging_file).collect())
    }

    /// Records a completed upload: `sync_state` row in, pending row out, media status
    /// `uploaded`; one transaction.
    pub fn finish_upload(&mut self, p: &PendingUpload) -> Result<()> {
        let now = crate::os::now_ms().0;
        // Losing this commit to a power cut is harmless (the upload is declared again and the
        // server answers `already_uploaded`), so it runs at the default `synchronous = NORMAL`.
        let tx = self.conn.transaction().ctx("state finish")?;
        tx.execute(
            "INSERT OR REPLACE INTO sync_state (blob_id, blob_type, time_start, time_end, size_bytes, key_id, records, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p.blob_id.to_hex(),
                p.blob_type.as_str(),
                p.time_start.0,
                p.time_end.0,
                i64_of(p.size_bytes),
                p.key_id.to_hex(),
                i64_of(p.records),
                now
            ],
        )
        .ctx("state finish")?;
        tx.execute("DELETE FROM pending_uploads WHERE blob_id = ?1", [p.blob_id.to_hex()]).ctx("state finish")?;
        if let Some((table, row)) = &p.media {
            tx.execute(
                "UPDATE media SET status = 'uploaded', updated_at = ?3 WHERE source_table = ?1 AND row_id = ?2",
                params![table, row, now],
            )
            .ctx("state finish")?;
        }
        tx.commit().ctx("state finish")
    }

    /// Notes a failed upload attempt (the upload stays pending).
    pub fn note_upload_error(&self, blob_id: &BlobId, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE pending_uploads SET attempts = attempts + 1, last_error = ?2 WHERE blob_id = ?1",
                params![blob_id.to_hex(), error],
            )
            .ctx("state pending")?;
        Ok(())
    }

    /// Every uploaded blob, by time.
    pub fn synced_blobs(&self) -> Result<Vec<SyncedBlob>> {
        let mut stmt = self
            .conn
            .prepare("SELECT blob_id, blob_type, time_start, time_end, size_bytes, records, synced_at FROM sync_state ORDER BY time_start, blob_id")
            .ctx("state sync_state")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .ctx("state sync_state")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, ty, ts, te, size, records, at) = row.ctx("state sync_state")?;
            out.push(SyncedBlob {
                blob_id: parse(&id, "blob id")?,
                blob_type: parse(&ty, "blob type")?,
                time_start: UnixMillis(ts),
                time_end: UnixMillis(te),
                size_bytes: u64_of(size),
                records: u64_of(records),
                synced_at: UnixMillis(at),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_and_finish_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = StateDb::open(&dir.path().join("s.sqlite3")).unwrap();
        let id = db.device_id_or_new().unwrap();
        assert_eq!(db.device_id_or_new().unwrap(), id);
        let p = PendingUpload {
            blob_id: BlobId([3; 16]),
            blob_type: BlobType::Text,
            time_start: UnixMillis(1),
            time_end: UnixMillis(2),
            size_bytes: 10,
            checksum: Checksum([7; 32]),
            key_id: KeyId([1; 16]),
            tokens: vec![SearchToken::from_bytes(&[0; 16])],
            staging_file: dir.path().join("x.blob"),
            records: 5,
            media: None,
        };
        let cursors = [("text:frames".to_owned(), 9)];
        db.commit_plan(&Plan { pending: std::slice::from_ref(&p), cursors: &cursors, ..Plan::default() }).unwrap();
        assert_eq!(db.cursor("text:frames").unwrap(), 9);
        db.commit_plan(&Plan { cursors: &[("text:frames".into(), 3)], ..Plan::default() }).unwrap();
        assert_eq!(db.cursor("text:frames").unwrap(), 9, "cursors never move back");
        // Text cursors: byte order, never back.
        assert_eq!(db.text_cursor("text:memories").unwrap(), None);
        let text = |t: &str| [("text:memories".to_owned(), t.to_owned())];
        db.commit_plan(&Plan { text_cursors: &text("0002:0001"), ..Plan::default() }).unwrap();
        db.commit_plan(&Plan { text_cursors: &text("0001:0009"), ..Plan::default() }).unwrap();
        assert_eq!(db.text_cursor("text:memories").unwrap().as_deref(), Some("0002:0001"));
        db.commit_plan(&Plan { text_cursors: &text("0002:0003"), ..Plan::default() }).unwrap();
        assert_eq!(db.text_cursor("text:memories").unwrap().as_deref(), Some("0002:0003"));
        // Snapshot entries.
        let entries = [
            SnapshotEntry { frame_row_id: 4, blob_id: Some(BlobId([8; 16])), entry: "a.jpg".into() },
            SnapshotEntry { frame_row_id: 5, blob_id: None, entry: "5.jpg".into() },
        ];
        db.commit_plan(&Plan { snapshots: &entries, ..Plan::default() }).unwrap();
        assert_eq!(db.snapshot_entry(4).unwrap().as_ref(), Some(&entries[0]));
        assert_eq!(db.snapshot_entry(5).unwrap().as_ref(), Some(&entries[1]));
        assert_eq!(db.snapshot_entry(6).unwrap(), None);
        assert_eq!(db.summary().unwrap().missing_media, 1);
        assert_eq!(db.pending().unwrap(), vec![p.clone()]);
        db.finish_upload(&p).unwrap();
        assert!(db.pending().unwrap().is_empty());
        assert_eq!(db.synced_blobs().unwrap().len(), 1);
        let s = db.summary().unwrap();
        assert_eq!((s.uploaded_blobs, s.pending_uploads, s.uploaded_bytes), (1, 0, 10));
        let mut guard = db.key_guard().unwrap();
        guard.observe(2, &KeyId([5; 16]));
        db.save_key_guard(&guard).unwrap();
        assert_eq!(db.key_guard().unwrap(), guard);
    }
}
