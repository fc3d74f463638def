//! The `text_drops` table: the text rows `archive --drop-text` dropped from screenpipe's
//! database (or is about to drop), each with the bundle that holds its copy and that bundle's
//! time range: what `restore` brings back.
//!
//! `archive --drop-text` writes a bundle's rows here durably (`synchronous = FULL`) before it
//! drops them in screenpipe's database. A run killed in between leaves rows listed here that
//! are still in screenpipe's database: harmless (`restore` writes back only what is missing, and
//! the next `archive --drop-text` proves and drops them again). `restore` removes the entries
//! once their rows are back.

use rusqlite::params;
use sync_core::{BlobId, UnixMillis};

use super::StateDb;
use crate::error::{DbContext, Result, SyncError};

/// One dropped (or being dropped) text row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedText {
    /// `frames` (its screen text), `elements` or `audio_transcriptions`.
    pub source_table: String,
    /// The row in screenpipe's database.
    pub row_id: i64,
    /// The text bundle holding its copy.
    pub blob_id: BlobId,
    /// The bundle's time range.
    pub time_start: UnixMillis,
    /// The bundle's time range.
    pub time_end: UnixMillis,
}

impl StateDb {
    /// Records, durably and in one transaction, text rows about to be dropped.
    pub fn note_text_drops(&mut self, rows: &[DroppedText]) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL").ctx("state synchronous")?;
        let result = (|| {
            let tx = self.conn.transaction().ctx("state text drops")?;
            {
                let mut stmt = tx
                    .prepare_cached(
                        "INSERT INTO text_drops (source_table, row_id, blob_id, time_start, time_end)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT(source_table, row_id) DO UPDATE SET blob_id = ?3, time_start = ?4, time_end = ?5",
                    )
                    .ctx("state text drops")?;
                for r in rows {
                    stmt.execute(params![r.source_table, r.row_id, r.blob_id.to_hex(), r.time_start.0, r.time_end.0])
                        .ctx("state text drops")?;
                }
            }
            tx.commit().ctx("state text drops")
        })();
        self.conn.pragma_update(None, "synchronous", "NORMAL").ctx("state synchronous")?;
        result
    }

    /// The dropped text rows whose bundle's time range meets `[since, until]`, by bundle.
    pub fn text_drops_in(&self, since: UnixMillis, until: UnixMillis) -> Result<Vec<DroppedText>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT source_table, row_id, blob_id, time_start, time_end FROM text_drops
                 WHERE time_end >= ?1 AND time_start <= ?2 ORDER BY blob_id, source_table, row_id",
            )
            .ctx("state text drops")?;
        let rows = stmt
            .query_map(params![since.0, until.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .ctx("state text drops")?;
        let mut out = Vec::new();
        for row in rows {
            let (source_table, row_id, blob, start, end) = row.ctx("state text drops")?;
            out.push(DroppedText {
                source_table,
                row_id,
                blob_id: BlobId::from_hex(&blob).map_err(|e| SyncError::corrupt("text drop blob id", e))?,
                time_start: UnixMillis(start),
                time_end: UnixMillis(end),
            });
        }
        Ok(out)
    }

    /// Forgets dropped rows (written back by `restore`).
    pub fn forget_text_drops(&mut self, rows: &[(String, i64)]) -> Result<()> {
        let tx = self.conn.transaction().ctx("state text drops")?;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM text_drops WHERE source_table = ?1 AND row_id = ?2")
                .ctx("state text drops")?;
            for (table, row_id) in rows {
                stmt.execute(params![table, row_id]).ctx("state text drops")?;
            }
        }
        tx.commit().ctx("state text drops")
    }

    /// How many records have their text dropped (listed here): a frame once (its screen text,
    /// its elements, or both), a transcription once.
    pub fn text_drops_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM (SELECT DISTINCT row_id,
                   CASE source_table WHEN 'frame_elements' THEN 'frames' ELSE source_table END FROM text_drops)",
                [],
                |r| r.get(0),
            )
            .ctx("state text drops")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_listed_by_range_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = StateDb::open(&dir.path().join("state.sqlite")).unwrap();
        let row = |t: &str, id, start, end| DroppedText {
            source_table: t.into(),
            row_id: id,
            blob_id: BlobId([id as u8; 16]),
            time_start: UnixMillis(start),
            time_end: UnixMillis(end),
        };
        s.note_text_drops(&[row("frames", 1, 0, 10), row("audio_transcriptions", 2, 20, 30)]).unwrap();
        s.note_text_drops(&[row("frames", 1, 0, 10)]).unwrap();
        assert_eq!(s.text_drops_count().unwrap(), 2);
        assert_eq!(s.text_drops_in(UnixMillis(11), UnixMillis(19)).unwrap(), vec![]);
        assert_eq!(s.text_drops_in(UnixMillis(5), UnixMillis(20)).unwrap().len(), 2);
        assert_eq!(
            s.text_drops_in(UnixMillis(25), UnixMillis(99)).unwrap(),
            vec![row("audio_transcriptions", 2, 20, 30)]
        );
        s.forget_text_drops(&[("frames".into(), 1)]).unwrap();
        assert_eq!(s.text_drops_count().unwrap(), 1);
    }
}
