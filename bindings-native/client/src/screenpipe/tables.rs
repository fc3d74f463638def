//! [`Tables`]: which of the tables and columns this client knows a screenpipe database has.
//! Real databases differ by screenpipe version, so the reads and writes use only the columns
//! present.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, OptionalExtension};

use super::imports::IMPORTS_TABLE;
use crate::error::{DbContext, Result};

/// Tables the client reads or writes (in one generation or another).
pub const KNOWN_TABLES: [&str; 10] = [
    "video_chunks",
    "frames",
    "ocr_text",
    "elements",
    "audio_chunks",
    "audio_transcriptions",
    "accessibility",
    "ui_events",
    "memories",
    "meetings",
];

/// The columns of every table of interest, as present in a database.
#[derive(Clone, Debug, Default)]
pub struct Tables {
    columns: BTreeMap<String, BTreeSet<String>>,
    not_null: BTreeSet<(String, String)>,
    insert_triggers: BTreeSet<String>,
    fts_columns: BTreeMap<String, BTreeSet<String>>,
}

impl Tables {
    /// Introspects `conn`.
    pub fn load(conn: &Connection) -> Result<Tables> {
        let mut t = Tables::default();
        for table in KNOWN_TABLES.iter().copied().chain([IMPORTS_TABLE]) {
            let cols = table_info(conn, table)?;
            if !cols.is_empty() {
                for (c, nn) in &cols {
                    if *nn {
                        t.not_null.insert((table.to_owned(), c.clone()));
                    }
                }
                t.columns.insert(table.to_owned(), cols.into_iter().map(|(c, _)| c).collect());
            }
            let fts = format!("{table}_fts");
            let cols: BTreeSet<String> = table_info(conn, &fts)?.into_iter().map(|(c, _)| c).collect();
            if !cols.is_empty() {
                t.fts_columns.insert(table.to_owned(), cols);
            }
        }
        let mut stmt =
            conn.prepare("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").ctx("read triggers")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
            .ctx("read triggers")?;
        for row in rows {
            let (table, sql) = row.ctx("read triggers")?;
            if sql.is_some_and(|s| s.to_ascii_uppercase().contains("AFTER INSERT")) {
                t.insert_triggers.insert(table);
            }
        }
        Ok(t)
    }

    /// True when the table exists.
    pub fn has_table(&self, table: &str) -> bool {
        self.columns.contains_key(table)
    }

    /// True when the table has the column.
    pub fn has(&self, table: &str, column: &str) -> bool {
        self.columns.get(table).is_some_and(|c| c.contains(column))
    }

    /// True when the column is declared `NOT NULL`.
    pub fn is_not_null(&self, table: &str, column: &str) -> bool {
        self.not_null.contains(&(table.to_owned(), column.to_owned()))
    }

    /// True when an insert into `table` writes `value` to `column`: the column exists here,
    /// and a NULL for a `NOT NULL` column is left to the column's default instead.
    pub fn writes(&self, table: &str, column: &str, value: &super::values::Value) -> bool {
        self.has(table, column) && !(*value == super::values::Value::Null && self.is_not_null(table, column))
    }

    /// Every column of a table.
    pub fn columns(&self, table: &str) -> impl Iterator<Item = &str> {
        self.columns.get(table).into_iter().flatten().map(String::as_str)
    }

    /// `column` if present, else `NULL` (for SELECT lists over optional columns).
    pub fn col_or_null(&self, table: &str, column: &str) -> String {
        if self.has(table, column) { format!("\"{column}\"") } else { "NULL".to_owned() }
    }

    /// True when an `AFTER INSERT` trigger maintains the table's FTS index.
    pub fn has_insert_trigger(&self, table: &str) -> bool {
        self.insert_triggers.contains(table)
    }

    /// Columns of the table's FTS5 table, if it has one.
    pub fn fts_columns(&self, table: &str) -> Option<&BTreeSet<String>> {
        self.fts_columns.get(table)
    }

    /// The February 2026 background indexer's progress for `table`: rows up to this id are in
    /// its FTS table (0 when it has not started, or on another generation).
    pub fn indexed_up_to(conn: &Connection, table: &str) -> Result<i64> {
        Ok(conn
            .prepare_cached("SELECT last_indexed_rowid FROM fts_index_progress WHERE table_name = ?1")
            .ctx("fts_index_progress")?
            .query_row([table], |r| r.get(0))
            .optional()
            .ctx("fts_index_progress")?
            .unwrap_or(0))
    }

    /// True when screenpipe's background FTS indexer (a 2026 interlude without insert
    /// triggers) is present: it indexes new rows itself.
    pub fn has_background_indexer(conn: &Connection) -> Result<bool> {
        Ok(conn
            .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fts_index_progress'", [], |_| {
                Ok(())
            })
            .optional()
            .ctx("sqlite_master")?
            .is_some())
    }
}

/// `(column, NOT NULL)` of every column of `table` (none when it does not exist).
fn table_info(conn: &Connection, table: &str) -> Result<Vec<(String, bool)>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{table}\")")).ctx("table_info")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(3)? != 0))).ctx("table_info")?;
    rows.collect::<std::result::Result<Vec<_>, _>>().ctx("table_info")
}
