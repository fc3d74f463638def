//! Rows of the SQLite store: the columns of a blob's metadata and of a user, a user's stored
//! bytes and usage, and listing filters as SQL.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use sync_core::UnixMillis;

use sync_core::BlobId;

use super::super::columns::{MetaColumns, parse_tier, to_u64};
use super::super::{AccountUsage, BlobFilter, BlobMeta, User};
use crate::store::StoreResult;

/// Columns of a blob's metadata, in the order [`read_meta`] reads them.
pub(super) const META_COLUMNS: &str =
    "b.blob_id, b.blob_type, b.device_id, b.time_start, b.time_end, b.size_bytes, b.checksum, b.key_id";

/// Columns of a user, in the order [`read_user`] reads them.
pub(super) const USER_COLUMNS: &str = "id, email, tier, created_at";

/// Raw columns of a user, read inside rusqlite's row closures.
pub(super) type UserRow = (i64, String, String, i64);

/// Reads [`USER_COLUMNS`] starting at column 0.
pub(super) fn read_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

/// The user of raw columns, checked.
pub(super) fn make_user((id, email, tier, created_at): UserRow) -> StoreResult<User> {
    Ok(User { id, email, tier: parse_tier(&tier)?, created_at: UnixMillis(created_at) })
}

/// Raw columns of a blob's metadata, read inside rusqlite's row closures.
pub(super) type MetaRow = (Vec<u8>, String, String, i64, i64, i64, Vec<u8>, Vec<u8>);

/// Reads [`META_COLUMNS`] starting at column `offset`.
pub(super) fn read_meta(row: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<MetaRow> {
    Ok((
        row.get(offset)?,
        row.get(offset + 1)?,
        row.get(offset + 2)?,
        row.get(offset + 3)?,
        row.get(offset + 4)?,
        row.get(offset + 5)?,
        row.get(offset + 6)?,
        row.get(offset + 7)?,
    ))
}

/// The metadata of raw columns, every column checked.
pub(super) fn make_meta(raw: MetaRow) -> StoreResult<BlobMeta> {
    let (blob_id, blob_type, device_id, time_start, time_end, size_bytes, checksum, key_id) = raw;
    MetaColumns {
        blob_id: &blob_id,
        blob_type: &blob_type,
        device_id,
        time_start,
        time_end,
        size_bytes,
        checksum: &checksum,
        key_id: &key_id,
    }
    .into_meta()
}

/// Bytes stored in the user's completed blobs (0 for no such user).
pub(super) fn storage_used(conn: &Connection, user_id: i64) -> StoreResult<u64> {
    let used: i64 = conn
        .prepare_cached("SELECT storage_used FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    to_u64(used)
}

/// The account's stored bytes and tokens, and its pending uploads other than `blob_id` (their
/// count, bytes and tokens).
pub(super) fn account_usage(conn: &Connection, user_id: i64, blob_id: BlobId) -> StoreResult<AccountUsage> {
    let (stored, indexed): (i64, i64) = conn
        .prepare_cached("SELECT storage_used, index_tokens FROM users WHERE id = ?1")?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    let (count, bytes, tokens): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0), COALESCE(SUM(length(tokens) / 16), 0) FROM blobs
             WHERE user_id = ?1 AND state = 0 AND blob_id != ?2",
        )?
        .query_row(rusqlite::params![user_id, &blob_id.0[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(AccountUsage {
        stored_bytes: to_u64(stored)?,
        index_tokens: to_u64(indexed)?,
        pending_blobs: to_u64(count)?,
        pending_bytes: to_u64(bytes)?,
        pending_tokens: to_u64(tokens)?,
    })
}

/// The SQL conditions of a filter (on table alias `b`), appending their parameters.
pub(super) fn filter_sql(filter: &BlobFilter, params: &mut Vec<Value>) -> String {
    let mut sql = String::new();
    if let Some((start, end)) = filter.time_range {
        sql.push_str(" AND b.time_end >= ? AND b.time_start <= ?");
        params.push(Value::Integer(start.0));
        params.push(Value::Integer(end.0));
    }
    if let Some(types) = &filter.blob_types {
        sql.push_str(" AND b.blob_type IN (");
        sql.push_str(&placeholders(types.len()));
        sql.push(')');
        params.extend(types.iter().map(|t| Value::Text(t.as_str().to_owned())));
    }
    if let Some(devices) = &filter.device_ids {
        sql.push_str(" AND b.device_id IN (");
        sql.push_str(&placeholders(devices.len()));
        sql.push(')');
        params.extend(devices.iter().map(|d| Value::Text(d.as_str().to_owned())));
    }
    sql
}

/// `n` comma-separated `?` placeholders (`NULL` for none, which matches nothing in `IN`).
pub(super) fn placeholders(n: usize) -> String {
    if n == 0 {
        // `IN ()` is valid in SQLite and matches nothing, but spell it portably.
        return "NULL".to_owned();
    }
    let mut s = "?,".repeat(n);
    s.pop();
    s
}
