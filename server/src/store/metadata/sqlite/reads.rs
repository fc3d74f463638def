//! Reads of completed blobs in SQLite: by ids, by time with a cursor, by search tokens
//! (ranked by [`crate::domain::search`]), and the usage figures of `/status`.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use sync_core::{BlobId, BlobType, UnixMillis};

use super::super::columns::{corrupt, posting_filter, to_u64};
use super::super::{BlobFilter, BlobMeta, ListCursor, SearchHit, TokenBytes, TypeUsage, Usage};
use super::postings;
use super::rows::{META_COLUMNS, filter_sql, make_meta, read_meta};
use crate::domain::search;
use crate::store::StoreResult;

/// Completed blobs among `ids`, in the order of `ids`.
pub(super) fn blobs_by_ids(conn: &Connection, user_id: i64, ids: &[BlobId]) -> StoreResult<Vec<BlobMeta>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = ?1 AND b.blob_id = ?2 AND b.state = 1"
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(raw) = stmt.query_row(params![user_id, &id.0[..]], |r| read_meta(r, 0)).optional()? {
            out.push(make_meta(raw)?);
        }
    }
    Ok(out)
}

/// Completed blobs in `(time_start, blob_id)` order after `after`.
pub(super) fn list_blobs(
    conn: &Connection,
    user_id: i64,
    filter: &BlobFilter,
    after: Option<ListCursor>,
    limit: u32,
) -> StoreResult<Vec<BlobMeta>> {
    let mut values = vec![Value::Integer(user_id)];
    let mut sql = format!("SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = ? AND b.state = 1");
    if let Some(cursor) = after {
        sql.push_str(" AND (b.time_start > ? OR (b.time_start = ? AND b.blob_id > ?))");
        values.push(Value::Integer(cursor.time_start.0));
        values.push(Value::Integer(cursor.time_start.0));
        values.push(Value::Blob(cursor.blob_id.0.to_vec()));
    }
    sql.push_str(&filter_sql(filter, &mut values));
    sql.push_str(" ORDER BY b.time_start, b.blob_id LIMIT ?");
    values.push(Value::Integer(i64::from(limit)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| read_meta(r, 0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(make_meta(row?)?);
    }
    Ok(out)
}

/// Search over the posting lists of `tokens` (each posting carries the blob's time range and
/// type, so filters need no blob rows), merged and ranked by [`search::rank`]; only the page's
/// blobs are read.
pub(super) fn search(
    conn: &Connection,
    user_id: i64,
    tokens: &[TokenBytes],
    filter: &BlobFilter,
    limit: u32,
) -> StoreResult<(Vec<SearchHit>, u64)> {
    let (lists, bounds) = postings::read(conn, user_id, tokens)?;
    let (ranked, total) = search::rank(lists, bounds, &posting_filter(filter), limit)?;
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = ?1 AND b.seq = ?2"))?;
    let mut hits = Vec::with_capacity(ranked.len());
    for (seq, match_count) in ranked {
        let raw = stmt.query_row(params![user_id, seq], |r| read_meta(r, 0))?;
        hits.push(SearchHit { meta: make_meta(raw)?, match_count });
    }
    Ok((hits, total))
}

pub(super) fn usage(conn: &Connection, user_id: i64) -> StoreResult<Usage> {
    let mut usage = Usage::default();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT blob_type, SUM(size_bytes), COUNT(*), MAX(completed_at), MIN(time_start), MAX(time_end)
             FROM blobs WHERE user_id = ?1 AND state = 1 GROUP BY blob_type",
        )?;
        let rows = stmt.query_map([user_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        for row in rows {
            let (kind, bytes, count, last, oldest, newest) = row?;
            usage.add_type(TypeUsage {
                blob_type: kind.parse::<BlobType>().map_err(corrupt("blob_type"))?,
                bytes: to_u64(bytes)?,
                blobs: to_u64(count)?,
                last_completed: last.map(UnixMillis),
                oldest_start: oldest.map(UnixMillis),
                newest_end: newest.map(UnixMillis),
            });
        }
    }
    let devices: i64 =
        conn.prepare_cached("SELECT COUNT(*) FROM devices WHERE user_id = ?1")?.query_row([user_id], |r| r.get(0))?;
    usage.device_count = u32::try_from(devices).unwrap_or(u32::MAX);
    let indexed: i64 = conn
        .prepare_cached("SELECT index_tokens FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    usage.index_tokens = to_u64(indexed)?;
    Ok(usage)
}
