//! What proves that a local media file is in the cloud, recorded when it is sealed (so that
//! `archive` can delete the file later without trusting anything it cannot check):
//! - `blob_checksums(blob_id, size_bytes, checksum)`: the ciphertext's size and SHA-256 of every
//!   blob sealed (written with the plan that stages it; updated when a pending blob is sealed
//!   again under a new key);
//! - `file_proofs(source_table, row_id, blob_id, entry, path, time_ms, plain_size, plain_sha256)`:
//!   per media file (a `video_chunks` or `audio_chunks` file, whole in its blob; a frame's
//!   snapshot, the `entry` of a media pack) the local path it was read from, its time (the chunk's
//!   last timestamp, the frame's time) and the size and SHA-256 of the bytes sealed.
//!
//! Files sealed before these tables existed have no proof: `archive` skips them unless it reads
//! their blob back (`--verify-read`).

use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};
use sync_core::wire::Checksum;
use sync_core::{BlobId, UnixMillis};

use super::{StateDb, i64_of, parse, u64_of};
use crate::error::{DbContext, Result, SyncError};

/// What was sealed of one local media file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProof {
    /// `video_chunks`, `audio_chunks` or `frames` (a snapshot).
    pub source_table: String,
    /// The row in screenpipe's database.
    pub row_id: i64,
    /// The blob holding the file.
    pub blob_id: BlobId,
    /// The entry of a media pack (snapshots); `None` when the blob is the file itself.
    pub entry: Option<String>,
    /// The local file, as resolved when it was sealed.
    pub path: PathBuf,
    /// The file's time (a chunk's last timestamp, a frame's time).
    pub time: UnixMillis,
    /// Its size in bytes.
    pub plain_size: u64,
    /// SHA-256 of its bytes.
    pub plain_sha256: Checksum,
}

/// The ciphertext of a sealed blob, as recorded at sealing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobSeal {
    /// Ciphertext size.
    pub size_bytes: u64,
    /// SHA-256 of the ciphertext.
    pub checksum: Checksum,
}

/// Writes proofs in a plan's transaction.
pub(super) fn write_proofs(tx: &rusqlite::Transaction<'_>, proofs: &[FileProof]) -> Result<()> {
    for p in proofs {
        tx.execute(
            "INSERT OR REPLACE INTO file_proofs (source_table, row_id, blob_id, entry, path, time_ms, plain_size, plain_sha256)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p.source_table,
                p.row_id,
                p.blob_id.to_hex(),
                p.entry,
                p.path.to_string_lossy(),
                p.time.0,
                i64_of(p.plain_size),
                p.plain_sha256.to_hex()
            ],
        )
        .ctx("state proofs")?;
    }
    Ok(())
}

/// Records a sealed blob's ciphertext size and checksum (in a plan's transaction, or alone).
pub(super) fn write_seal(conn: &rusqlite::Connection, blob_id: &BlobId, seal: &BlobSeal) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO blob_checksums (blob_id, size_bytes, checksum) VALUES (?1, ?2, ?3)",
        params![blob_id.to_hex(), i64_of(seal.size_bytes), seal.checksum.to_hex()],
    )
    .ctx("state checksums")?;
    Ok(())
}

/// An uploaded media file without a proof: `(table, row id, blob id, pack entry)`.
pub type UnprovenFile = (String, i64, BlobId, Option<String>);

type ProofRow = (String, i64, String, Option<String>, String, i64, i64, String);

fn proof_of(row: ProofRow) -> Result<FileProof> {
    let (table, row_id, blob, entry, path, time, size, sum) = row;
    Ok(FileProof {
        source_table: table,
        row_id,
        blob_id: parse(&blob, "blob id")?,
        entry,
        path: PathBuf::from(path),
        time: UnixMillis(time),
        plain_size: u64_of(size),
        plain_sha256: Checksum::from_hex(&sum).map_err(|e| SyncError::corrupt("file proof checksum", e))?,
    })
}

const PROOF_COLUMNS: &str =
    "p.source_table, p.row_id, p.blob_id, p.entry, p.path, p.time_ms, p.plain_size, p.plain_sha256";

impl StateDb {
    /// The ciphertext size and checksum recorded when `blob_id` was sealed, if it was recorded.
    pub fn blob_seal(&self, blob_id: &BlobId) -> Result<Option<BlobSeal>> {
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT size_bytes, checksum FROM blob_checksums WHERE blob_id = ?1")
            .ctx("state checksums")?
            .query_row([blob_id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .ctx("state checksums")?;
        row.map(|(size, sum)| {
            Ok(BlobSeal {
                size_bytes: u64_of(size),
                checksum: Checksum::from_hex(&sum).map_err(|e| SyncError::corrupt("blob checksum", e))?,
            })
        })
        .transpose()
    }

    /// The proof of one media file.
    pub fn file_proof(&self, table: &str, row_id: i64) -> Result<Option<FileProof>> {
        let sql = format!("SELECT {PROOF_COLUMNS} FROM file_proofs p WHERE p.source_table = ?1 AND p.row_id = ?2");
        let row: Option<ProofRow> = self
            .conn
            .query_row(&sql, params![table, row_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })
            .optional()
            .ctx("state proofs")?;
        row.map(proof_of).transpose()
    }

    /// The proofs of the media files of `tables` whose time is in `[since, until]` and whose
    /// blob is uploaded (in `sync_state`), by time.
    pub fn uploaded_proofs(&self, tables: &[&str], since: UnixMillis, until: UnixMillis) -> Result<Vec<FileProof>> {
        let sql = format!(
            "SELECT {PROOF_COLUMNS} FROM file_proofs p JOIN sync_state s ON s.blob_id = p.blob_id
             WHERE p.time_ms >= ?1 AND p.time_ms <= ?2 ORDER BY p.time_ms, p.source_table, p.row_id"
        );
        let mut stmt = self.conn.prepare(&sql).ctx("state proofs")?;
        let rows = stmt
            .query_map(params![since.0, until.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })
            .ctx("state proofs")?;
        let mut out = Vec::new();
        for row in rows {
            let row: ProofRow = row.ctx("state proofs")?;
            if tables.contains(&row.0.as_str()) {
                out.push(proof_of(row)?);
            }
        }
        Ok(out)
    }

    /// Uploaded media files of this device sealed before proofs were recorded (in `media` as
    /// `uploaded`, or in `snapshots` with a blob, without a `file_proofs` row): `(table, row id,
    /// blob id, pack entry)`.
    pub fn unproven_media(&self) -> Result<Vec<UnprovenFile>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT m.source_table, m.row_id, m.blob_id, NULL FROM media m
                   JOIN sync_state s ON s.blob_id = m.blob_id
                   LEFT JOIN file_proofs p ON p.source_table = m.source_table AND p.row_id = m.row_id
                   WHERE m.status = 'uploaded' AND p.row_id IS NULL
                 UNION ALL
                 SELECT 'frames', n.frame_row_id, n.blob_id, n.entry FROM snapshots n
                   JOIN sync_state s ON s.blob_id = n.blob_id
                   LEFT JOIN file_proofs p ON p.source_table = 'frames' AND p.row_id = n.frame_row_id
                   WHERE p.row_id IS NULL
                 ORDER BY 1, 2",
            )
            .ctx("state proofs")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .ctx("state proofs")?;
        let mut out = Vec::new();
        for row in rows {
            let (table, row_id, blob, entry) = row.ctx("state proofs")?;
            out.push((table, row_id, parse(&blob, "blob id")?, entry));
        }
        Ok(out)
    }

    /// True when a blob holds a media pack (snapshots name it).
    pub fn is_pack(&self, blob_id: &BlobId) -> Result<bool> {
        let found: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM snapshots WHERE blob_id = ?1 LIMIT 1", [blob_id.to_hex()], |r| r.get(0))
            .optional()
            .ctx("state snapshots")?;
        Ok(found.is_some())
    }

    /// Records a blob's ciphertext size and checksum after the fact (a blob sealed before they
    /// were recorded, downloaded with these and opened whole: its listing is now proven).
    pub fn record_seal(&self, blob_id: &BlobId, seal: &BlobSeal) -> Result<()> {
        write_seal(&self.conn, blob_id, seal)
    }

    /// Records a proof alone (a file sealed before proofs existed, proven by reading its blob
    /// back).
    pub fn add_proof(&mut self, proof: &FileProof) -> Result<()> {
        let tx = self.conn.transaction().ctx("state proofs")?;
        write_proofs(&tx, std::slice::from_ref(proof))?;
        tx.commit().ctx("state proofs")
    }
}

#[cfg(test)]
mod tests {
    use sync_core::wire::SearchToken;
    use sync_core::{BlobType, KeyId};

    use super::*;
    use crate::state::{PendingUpload, Plan};

    #[test]
    fn proofs_and_seals_follow_the_plan_and_the_upload() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = StateDb::open(&dir.path().join("s.sqlite3")).unwrap();
        let blob = BlobId([4; 16]);
        let p = PendingUpload {
            blob_id: blob,
            blob_type: BlobType::Audio,
            time_start: UnixMillis(10),
            time_end: UnixMillis(20),
            size_bytes: 99,
            checksum: Checksum([9; 32]),
            key_id: KeyId([1; 16]),
            tokens: Vec::<SearchToken>::new(),
            staging_file: dir.path().join("x.blob"),
            records: 1,
            media: Some(("audio_chunks".into(), 7)),
        };
        let proof = FileProof {
            source_table: "audio_chunks".into(),
            row_id: 7,
            blob_id: blob,
            entry: None,
            path: dir.path().join("a.mp4"),
            time: UnixMillis(20),
            plain_size: 50,
            plain_sha256: Checksum([3; 32]),
        };
        let media = [("audio_chunks".to_owned(), 7, blob, "staged")];
        let plan = Plan {
            pending: std::slice::from_ref(&p),
            media: &media,
            proofs: std::slice::from_ref(&proof),
            ..Plan::default()
        };
        db.commit_plan(&plan).unwrap();
        assert_eq!(db.blob_seal(&blob).unwrap(), Some(BlobSeal { size_bytes: 99, checksum: Checksum([9; 32]) }));
        assert_eq!(db.file_proof("audio_chunks", 7).unwrap().as_ref(), Some(&proof));
        // Not uploaded yet: not offered to the archive.
        assert!(db.uploaded_proofs(&["audio_chunks"], UnixMillis(0), UnixMillis(100)).unwrap().is_empty());
        // Sealed again under a new key: the new checksum is the one recorded.
        db.resealed_upload(&blob, 101, &Checksum([8; 32]), &KeyId([2; 16])).unwrap();
        assert_eq!(db.blob_seal(&blob).unwrap(), Some(BlobSeal { size_bytes: 101, checksum: Checksum([8; 32]) }));
        let mut p2 = p.clone();
        p2.size_bytes = 101;
        db.finish_upload(&p2).unwrap();
        let all = db.uploaded_proofs(&["audio_chunks"], UnixMillis(0), UnixMillis(100)).unwrap();
        assert_eq!(all, vec![proof.clone()]);
        assert!(db.uploaded_proofs(&["video_chunks"], UnixMillis(0), UnixMillis(100)).unwrap().is_empty());
        assert!(db.uploaded_proofs(&["audio_chunks"], UnixMillis(0), UnixMillis(19)).unwrap().is_empty());
        assert!(db.unproven_media().unwrap().is_empty());
        // A media file uploaded without a proof (sealed by an older version) is listed as such.
        db.conn.execute("DELETE FROM file_proofs", []).unwrap();
        assert_eq!(db.unproven_media().unwrap(), vec![("audio_chunks".to_owned(), 7, blob, None)]);
    }
}
