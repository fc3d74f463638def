//! Every write the unpacker makes in screenpipe's database: [`ImportTarget`] opens it for
//! writing (detecting its generation, refusing a schema no adapter fully understands, adding
//! the imports table), [`ImportTx`] is one bundle's transaction: look a record up in the
//! imports table, insert a row with the columns the local schema has (`machine_id` and
//! `sync_id` set where they exist; `cloud_blob_id` and `evicted_at` left NULL: the file is
//! local), update a memory, fill the FTS table where neither a trigger nor screenpipe's
//! background indexer does, record the mapping, commit.
//!
//! Live databases: the connection waits for screenpipe's writer (a long busy timeout), each
//! bundle is one short `IMMEDIATE` transaction, `foreign_keys` is on (parents are written
//! first).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sync_core::records::tables;
use sync_core::{BlobId, DeviceId};

use super::generation::{Generation, Schema, detect};
use super::imports::{IMPORTS_SQL, arrived_frames, link_arrived, lookup, record, wait_for_frame};
use super::tables::Tables;
use super::values::Value;
use crate::error::{DbContext, Result, SyncError};

/// A row for [`ImportTx::insert_many`]: its id and its columns.
pub(crate) type IdRow = (i64, Vec<(String, Value)>);

/// A record's frame, as [`ImportTx::frame_or_wait`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameLink {
    /// The record has no frame.
    None,
    /// The local frame.
    Imported(i64),
    /// The origin frame, not imported yet.
    Waiting(i64),
}

impl FrameLink {
    /// The local frame, if imported.
    pub(crate) fn local(self) -> Option<i64> {
        match self {
            FrameLink::Imported(id) => Some(id),
            FrameLink::None | FrameLink::Waiting(_) => None,
        }
    }
}

/// Rows per multi-row `INSERT` of [`ImportTx::insert_many`].
const ROWS_PER_STATEMENT: usize = 500;

/// screenpipe's database, open for importing.
#[derive(Debug)]
pub(crate) struct ImportTarget {
    conn: Connection,
    schema: Schema,
    /// True when rows must be indexed for FTS by hand (no background indexer).
    manual_fts: bool,
}

impl ImportTarget {
    /// Opens screenpipe's database for writing, detects its generation (refusing a schema no
    /// adapter fully understands, before writing anything) and adds the imports table.
    pub(crate) fn open(db_path: &Path) -> Result<ImportTarget> {
        let conn = super::open::open_read_write(db_path)?;
        detect(&conn)?;
        super::open::prepare_for_writes(&conn)?;
        conn.execute_batch(IMPORTS_SQL).ctx("create the imports table")?;
        let schema = detect(&conn)?;
        let manual_fts = !Tables::has_background_indexer(&conn)?;
        Ok(ImportTarget { conn, schema, manual_fts })
    }

    /// The database's generation.
    pub(crate) fn generation(&self) -> Generation {
        self.schema.generation
    }

    /// The database's schema.
    pub(crate) fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Begins the import of blob `blob_id` of device `origin` (an `IMMEDIATE` transaction:
    /// it waits for screenpipe's writer up front).
    pub(crate) fn begin<'a>(&'a mut self, origin: &'a DeviceId, blob_id: &'a BlobId) -> Result<ImportTx<'a>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin import")?;
        Ok(ImportTx { tx, tables: &self.schema.tables, manual_fts: self.manual_fts, origin, blob_id })
    }
}

/// One bundle's import transaction. Dropped without [`ImportTx::commit`], it rolls back.
pub(crate) struct ImportTx<'a> {
    tx: Transaction<'a>,
    tables: &'a Tables,
    manual_fts: bool,
    origin: &'a DeviceId,
    blob_id: &'a BlobId,
}

impl ImportTx<'_> {
    /// The local row holding record `origin_row` of `label` (a table, or an
    /// `origin>local` label) of the bundle's device, if imported.
    pub(crate) fn lookup(&self, label: &str, origin_row: i64) -> Result<Option<i64>> {
        lookup(&self.tx, self.origin, label, origin_row)
    }

    /// Records that local row `local` holds record `origin_row` of `label`.
    pub(crate) fn record(&self, label: &str, origin_row: i64, local: i64) -> Result<()> {
        record(&self.tx, self.origin, self.blob_id, label, origin_row, local)
    }

    /// The local frame holding frame `origin_frame` of the bundle's device; when it is not
    /// imported yet, row `local` of `local_table` waits for it (its `frame_id` is set when it
    /// comes, see [`Self::link_waiting_frames`]). `None` when `origin_frame` is.
    pub(crate) fn frame_or_wait(&self, origin_frame: Option<i64>) -> Result<FrameLink> {
        let Some(origin_frame) = origin_frame else { return Ok(FrameLink::None) };
        Ok(match self.lookup(tables::FRAMES, origin_frame)? {
            Some(local) => FrameLink::Imported(local),
            None => FrameLink::Waiting(origin_frame),
        })
    }

    /// Records that row `local` of `local_table` waits for frame `origin_frame` (see
    /// [`Self::frame_or_wait`]).
    /// Nothing when the local table has no `frame_id`.
    pub(crate) fn wait_for_frame(&self, origin_frame: i64, local_table: &str, local: i64) -> Result<()> {
        if !self.tables.has(local_table, "frame_id") {
            return Ok(());
        }
        wait_for_frame(&self.tx, self.origin, origin_frame, local_table, local)
    }

    /// Sets the `frame_id` of the rows waiting for a frame imported since; returns how many.
    /// A row screenpipe's background indexer has not indexed yet keeps waiting (February
    /// 2026): the table's update trigger would remove FTS entries it does not have, which
    /// FTS5 reports as corruption; a later import links it.
    pub(crate) fn link_waiting_frames(&self) -> Result<u64> {
        let mut linked = 0;
        for arrived in arrived_frames(&self.tx)? {
            if self.indexed(arrived.table, arrived.row)? && link_arrived(&self.tx, &arrived)? {
                linked += 1;
            }
        }
        Ok(linked)
    }

    /// True when row `id` of `table` is in its FTS table, as far as an update trigger needs:
    /// always, unless screenpipe's background indexer has still to reach it.
    fn indexed(&self, table: &str, id: i64) -> Result<bool> {
        if self.manual_fts || self.tables.has_insert_trigger(table) {
            return Ok(true);
        }
        Ok(id <= Tables::indexed_up_to(&self.tx, table)?)
    }

    /// Inserts a row of `table` with the columns present locally (a NULL for a `NOT NULL`
    /// column is left to the column's default); returns its row id. `identity` (the record's
    /// origin table and row) sets `sync_id` and `machine_id` where the columns exist.
    /// `or_ignore` turns a uniqueness conflict into `None`.
    pub(crate) fn insert(
        &self,
        table: &str,
        identity: Option<(&str, i64)>,
        mut cols: Vec<(String, Value)>,
        or_ignore: bool,
    ) -> Result<Option<i64>> {
        if let Some(identity) = identity {
            self.add_identity(table, identity, &mut cols);
        }
        let cols: Vec<(String, Value)> = cols.into_iter().filter(|(c, v)| self.tables.writes(table, c, v)).collect();
        let names: Vec<String> = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let verb = if or_ignore { "INSERT OR IGNORE" } else { "INSERT" };
        let sql = if cols.is_empty() {
            format!("{verb} INTO {table} DEFAULT VALUES")
        } else {
            format!("{verb} INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "))
        };
        let changed = self
            .tx
            .prepare_cached(&sql)
            .ctx(table)?
            .execute(rusqlite::params_from_iter(cols.iter().map(|(_, v)| v)))
            .map_err(|e| SyncError::db(format!("insert into {table}"), e))?;
        if changed == 0 {
            return Ok(None);
        }
        let id = self.tx.last_insert_rowid();
        if self.manual_fts && !self.tables.has_insert_trigger(table) {
            self.index_fts(table, id, &cols)?;
        }
        Ok(Some(id))
    }

    /// Adds `machine_id` (the bundle's device) and `sync_id` (`device:origin table:origin row`)
    /// to `cols` where `table` has those columns.
    pub(crate) fn add_identity(
        &self,
        table: &str,
        (origin_table, origin_row): (&str, i64),
        cols: &mut Vec<(String, Value)>,
    ) {
        if self.tables.has(table, "machine_id") {
            cols.push(("machine_id".into(), Value::Text(self.origin.as_str().to_owned())));
        }
        if self.tables.has(table, "sync_id") {
            cols.push(("sync_id".into(), Value::Text(format!("{}:{origin_table}:{origin_row}", self.origin))));
        }
    }

    /// The ids the next `n` rows of `table` get: above every id it holds and (for an
    /// `AUTOINCREMENT` table) every id it ever gave, as SQLite itself would assign them. The
    /// transaction holds the write lock, so nobody takes them before [`Self::insert_many`].
    pub(crate) fn next_ids(&self, table: &str, n: usize) -> Result<std::ops::Range<i64>> {
        let max: i64 =
            self.tx.query_row(&format!("SELECT COALESCE(MAX(rowid), 0) FROM {table}"), [], |r| r.get(0)).ctx(table)?;
        let seq: i64 = self
            .tx
            .query_row("SELECT seq FROM sqlite_sequence WHERE name = ?1", [table], |r| r.get(0))
            .optional()
            .unwrap_or(None)
            .unwrap_or(0);
        let first = max.max(seq).saturating_add(1);
        let n = i64::try_from(n).map_err(|_| SyncError::State(format!("too many rows for {table}")))?;
        Ok(first..first.saturating_add(n))
    }

    /// Inserts many rows of `table`, each with its `id` given (from [`Self::next_ids`]), as
    /// multi-row statements of up to [`ROWS_PER_STATEMENT`] rows. screenpipe's FTS triggers
    /// make every statement of a transaction open a savepoint, at which FTS5 writes its pending
    /// terms out as a new segment: one row per statement wrote (and then merged) a segment per
    /// row, most of a 0.4.50 pull's time (docs/PERFORMANCE.md). Columns as [`Self::insert`];
    /// rows are grouped by the columns they keep.
    pub(crate) fn insert_many(&self, table: &str, rows: Vec<IdRow>) -> Result<()> {
        let mut groups: Vec<(Vec<String>, Vec<IdRow>)> = Vec::new();
        for (id, cols) in rows {
            let cols: Vec<(String, Value)> =
                cols.into_iter().filter(|(c, v)| self.tables.writes(table, c, v)).collect();
            let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
            match groups.last_mut() {
                Some((n, g)) if *n == names => g.push((id, cols)),
                _ => groups.push((names, vec![(id, cols)])),
            }
        }
        for (names, rows) in groups {
            let quoted: Vec<String> =
                std::iter::once("\"id\"".to_owned()).chain(names.iter().map(|c| format!("\"{c}\""))).collect();
            let per_row = quoted.len();
            for chunk in rows.chunks(ROWS_PER_STATEMENT.min((30_000 / per_row).max(1))) {
                let mut marks = Vec::with_capacity(chunk.len());
                let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * per_row);
                for (i, (id, cols)) in chunk.iter().enumerate() {
                    let row: Vec<String> = (1..=per_row).map(|j| format!("?{}", i * per_row + j)).collect();
                    marks.push(format!("({})", row.join(", ")));
                    values.push(Value::Integer(*id));
                    values.extend(cols.iter().map(|(_, v)| v.clone()));
                }
                let sql = format!("INSERT INTO {table} ({}) VALUES {}", quoted.join(", "), marks.join(", "));
                self.tx
                    .prepare_cached(&sql)
                    .ctx(table)?
                    .execute(rusqlite::params_from_iter(values.iter()))
                    .map_err(|e| SyncError::db(format!("insert into {table}"), e))?;
                if self.manual_fts && !self.tables.has_insert_trigger(table) {
                    for (id, cols) in chunk {
                        self.index_fts(table, *id, cols)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Updates the named columns of row `id` of `table` (those present locally).
    pub(crate) fn update(&self, table: &str, id: i64, cols: Vec<(String, Value)>) -> Result<()> {
        let cols: Vec<(String, Value)> = cols.into_iter().filter(|(c, _)| self.tables.has(table, c)).collect();
        if cols.is_empty() {
            return Ok(());
        }
        let sets: Vec<String> = cols.iter().enumerate().map(|(i, (c, _))| format!("\"{c}\" = ?{}", i + 2)).collect();
        let sql = format!("UPDATE {table} SET {} WHERE id = ?1", sets.join(", "));
        let mut values = vec![Value::Integer(id)];
        values.extend(cols.into_iter().map(|(_, v)| v));
        self.tx
            .prepare_cached(&sql)
            .ctx(table)?
            .execute(rusqlite::params_from_iter(values.iter()))
            .map_err(|e| SyncError::db(format!("update {table}"), e))?;
        Ok(())
    }

    /// A text column of row `id` of `table`.
    pub(crate) fn text_of(&self, table: &str, column: &str, id: i64) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT \"{column}\" FROM {table} WHERE id = ?1"))
            .ctx(table)?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()
            .ctx(table)?
            .flatten())
    }

    /// True when a row of `table` has `value` in `column`.
    pub(crate) fn exists(&self, table: &str, column: &str, value: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT 1 FROM {table} WHERE \"{column}\" = ?1 LIMIT 1"))
            .ctx(table)?
            .query_row([value], |_| Ok(()))
            .optional()
            .ctx(table)?
            .is_some())
    }

    /// True when a meeting has not ended (screenpipe allows one open meeting).
    pub(crate) fn open_meeting_exists(&self) -> Result<bool> {
        Ok(self
            .tx
            .query_row("SELECT 1 FROM meetings WHERE meeting_end IS NULL LIMIT 1", [], |_| Ok(()))
            .optional()
            .ctx("meetings")?
            .is_some())
    }

    /// Fills the table's FTS5 table for a row when no trigger does.
    fn index_fts(&self, table: &str, id: i64, cols: &[(String, Value)]) -> Result<()> {
        let Some(fts_cols) = self.tables.fts_columns(table) else { return Ok(()) };
        let content_table = matches!(table, "accessibility" | "ui_events");
        let mut names = Vec::new();
        let mut values = Vec::new();
        if content_table {
            names.push("rowid".to_owned());
            values.push(Value::Integer(id));
        }
        for c in fts_cols {
            let v = if c == "id" {
                Value::Integer(id)
            } else {
                cols.iter().find(|(n, _)| n == c).map(|(_, v)| v.clone()).unwrap_or(Value::Text(String::new()))
            };
            names.push(format!("\"{c}\""));
            values.push(v);
        }
        let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {table}_fts ({}) VALUES ({})", names.join(", "), marks.join(", "));
        self.tx.prepare_cached(&sql).ctx("fts")?.execute(rusqlite::params_from_iter(values.iter())).ctx("fts")?;
        Ok(())
    }

    /// The transcription row already holding `(chunk, transcription)` (screenpipe keeps that
    /// pair unique).
    pub(crate) fn transcription_id(&self, chunk: i64, transcription: &str) -> Result<i64> {
        self.tx
            .query_row(
                "SELECT id FROM audio_transcriptions WHERE audio_chunk_id = ?1 AND transcription = ?2",
                params![chunk, transcription],
                |r| r.get(0),
            )
            .ctx("audio_transcriptions")
    }

    /// Commits the bundle: its rows and their mapping together.
    pub(crate) fn commit(self) -> Result<()> {
        self.tx.commit().ctx("commit import")
    }
}
