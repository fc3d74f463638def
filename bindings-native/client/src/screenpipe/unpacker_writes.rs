//! Every write the unpacker makes in screenpipe's database: [`ImportTarget`] opens it for
//! writing (adding the imports table), [`ImportTx`] is one bundle's transaction: look a record
//! up in the imports table, insert a row with the columns the local schema has (`machine_id`
//! and `sync_id` set where they exist), fill the FTS table where no trigger does, record the
//! mapping, commit.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use sync_core::{BlobId, DeviceId};

use super::imports::{IMPORTS_SQL, lookup, record};
use super::tables::Tables;
use super::values::Value;
use crate::error::{DbContext, Result, SyncError};

/// screenpipe's database, open for importing.
#[derive(Debug)]
pub(crate) struct ImportTarget {
    conn: Connection,
    tables: Tables,
    /// True when rows must be indexed for FTS by hand (no background indexer).
    manual_fts: bool,
}

impl ImportTarget {
    /// Opens screenpipe's database for writing and adds the imports table if needed.
    pub(crate) fn open(db_path: &Path) -> Result<ImportTarget> {
        let conn = super::open::open_read_write(db_path)?;
        conn.execute_batch(IMPORTS_SQL).ctx("create the imports table")?;
        let tables = Tables::load(&conn)?;
        let manual_fts = !Tables::has_background_indexer(&conn)?;
        Ok(ImportTarget { conn, tables, manual_fts })
    }

    /// Begins the import of blob `blob_id` of device `origin` (an `IMMEDIATE` transaction:
    /// it waits for screenpipe's writer up front).
    pub(crate) fn begin<'a>(&'a mut self, origin: &'a DeviceId, blob_id: &'a BlobId) -> Result<ImportTx<'a>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin import")?;
        Ok(ImportTx { tx, tables: &self.tables, manual_fts: self.manual_fts, origin, blob_id })
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
    /// The local row holding record `origin_row` of `table` of the bundle's device, if imported.
    pub(crate) fn lookup(&self, table: &str, origin_row: i64) -> Result<Option<i64>> {
        lookup(&self.tx, self.origin, table, origin_row)
    }

    /// Records that local row `local` holds record `origin_row` of `table`.
    pub(crate) fn record(&self, table: &str, origin_row: i64, local: i64) -> Result<()> {
        record(&self.tx, self.origin, self.blob_id, table, origin_row, local)
    }

    /// Inserts a row with the columns present locally (a NULL for a `NOT NULL` column is left
    /// to the column's default); returns its row id. `or_ignore` turns a uniqueness conflict
    /// into `None`.
    pub(crate) fn insert(
        &self,
        table: &str,
        origin_row: i64,
        mut cols: Vec<(String, Value)>,
        or_ignore: bool,
    ) -> Result<Option<i64>> {
        if self.tables.has(table, "machine_id") {
            cols.push(("machine_id".into(), Value::Text(self.origin.as_str().to_owned())));
        }
        if self.tables.has(table, "sync_id") {
            cols.push(("sync_id".into(), Value::Text(format!("{}:{table}:{origin_row}", self.origin))));
        }
        let cols: Vec<(String, Value)> = cols
            .into_iter()
            .filter(|(c, v)| self.tables.has(table, c) && !(*v == Value::Null && self.tables.is_not_null(table, c)))
            .collect();
        let names: Vec<String> = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let verb = if or_ignore { "INSERT OR IGNORE" } else { "INSERT" };
        let sql = format!("{verb} INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
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
