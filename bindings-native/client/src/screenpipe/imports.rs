//! The sync client's own table in screenpipe's database, [`IMPORTS_TABLE`]: which local row
//! holds which record of another device. It is the row id mapping, the idempotence check of
//! the unpacker, the marker that keeps imported rows out of this device's packager, and the
//! origin a local search result reports.

use rusqlite::{Connection, OptionalExtension, params};
use sync_core::{BlobId, DeviceId};

use crate::error::{DbContext, Result};

/// The sync client's own table in screenpipe's database.
pub const IMPORTS_TABLE: &str = "screenpipe_sync_imports";

/// DDL of [`IMPORTS_TABLE`].
pub const IMPORTS_SQL: &str = "
CREATE TABLE IF NOT EXISTS screenpipe_sync_imports (
    origin_device TEXT NOT NULL,
    table_name TEXT NOT NULL,
    origin_row_id INTEGER NOT NULL,
    local_row_id INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (origin_device, table_name, origin_row_id)
);
CREATE INDEX IF NOT EXISTS screenpipe_sync_imports_local ON screenpipe_sync_imports(table_name, local_row_id);
";

/// A SQL condition true for rows of `table` (row id `id_expr`) that were not imported; `1`
/// when the database has no imports table.
pub(super) fn not_imported(has_imports: bool, table: &str, id_expr: &str) -> String {
    if has_imports {
        format!(
            "NOT EXISTS (SELECT 1 FROM {IMPORTS_TABLE} i WHERE i.table_name = '{table}' AND i.local_row_id = {id_expr})"
        )
    } else {
        "1".to_owned()
    }
}

/// A SQL expression true for rows of `table` (row id `id_expr`) that were imported; `0` when
/// the database has no imports table.
pub(super) fn imported(has_imports: bool, table: &str, id_expr: &str) -> String {
    if has_imports {
        format!(
            "EXISTS (SELECT 1 FROM {IMPORTS_TABLE} i WHERE i.table_name = '{table}' AND i.local_row_id = {id_expr})"
        )
    } else {
        "0".to_owned()
    }
}

/// The local row holding record `origin_row` of `table` from device `origin`, if imported.
pub(super) fn lookup(conn: &Connection, origin: &DeviceId, table: &str, origin_row: i64) -> Result<Option<i64>> {
    conn.prepare_cached(&format!(
        "SELECT local_row_id FROM {IMPORTS_TABLE} WHERE origin_device = ?1 AND table_name = ?2 AND origin_row_id = ?3"
    ))
    .ctx("imports lookup")?
    .query_row(params![origin.as_str(), table, origin_row], |r| r.get(0))
    .optional()
    .ctx("imports lookup")
}

/// Records that local row `local` holds record `origin_row` of `table` from `origin`, imported
/// from blob `blob_id`.
pub(super) fn record(
    conn: &Connection,
    origin: &DeviceId,
    blob_id: &BlobId,
    table: &str,
    origin_row: i64,
    local: i64,
) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {IMPORTS_TABLE} (origin_device, table_name, origin_row_id, local_row_id, blob_id, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
    ))
    .ctx("imports record")?
    .execute(params![origin.as_str(), table, origin_row, local, blob_id.to_hex()])
    .ctx("imports record")?;
    Ok(())
}

/// The identity of a local row: `(origin device, origin row id)` from the imports table, or
/// `(own, id)` for a row recorded here.
pub(super) fn origin_of(
    conn: &Connection,
    has_imports: bool,
    own: &str,
    table: &str,
    id: i64,
) -> Result<(String, i64)> {
    if has_imports {
        let origin: Option<(String, i64)> = conn
            .prepare_cached(&format!(
                "SELECT origin_device, origin_row_id FROM {IMPORTS_TABLE} WHERE table_name = ?1 AND local_row_id = ?2"
            ))
            .ctx("imports")?
            .query_row(params![table, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .ctx("imports")?;
        if let Some(o) = origin {
            return Ok(o);
        }
    }
    Ok((own.to_owned(), id))
}
