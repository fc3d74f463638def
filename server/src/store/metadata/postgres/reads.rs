//! Reads of completed blobs in PostgreSQL: by ids, by time with a cursor, by search tokens, and
//! the usage figures of `/status`.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use sync_core::{BlobId, BlobType, UnixMillis};

use super::super::columns::{corrupt, to_u64, type_code};
use super::super::{BlobFilter, BlobMeta, ListCursor, SearchHit, TokenBytes, TypeUsage, Usage};
use super::rows::{META_COLUMNS, Params, filter_sql, param_refs, row_to_meta};
use crate::store::StoreResult;

/// Completed blobs among `ids`, in the order of `ids`.
pub(super) async fn blobs_by_ids(
    client: &impl GenericClient,
    user_id: i64,
    ids: &[BlobId],
) -> StoreResult<Vec<BlobMeta>> {
    let raw: Vec<Vec<u8>> = ids.iter().map(|id| id.0.to_vec()).collect();
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.blob_id = ANY($2) AND b.state = 1"
        ))
        .await?;
    let mut found: HashMap<BlobId, BlobMeta> = HashMap::new();
    for row in client.query(&stmt, &[&user_id, &raw]).await? {
        let meta = row_to_meta(&row, 0)?;
        found.insert(meta.blob_id, meta);
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Completed blobs in `(time_start, blob_id)` order after `after`.
pub(super) async fn list_blobs(
    client: &impl GenericClient,
    user_id: i64,
    filter: &BlobFilter,
    after: Option<ListCursor>,
    limit: u32,
) -> StoreResult<Vec<BlobMeta>> {
    let mut params: Params = vec![Box::new(user_id)];
    let mut sql = format!("SELECT {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.state = 1");
    if let Some(cursor) = after {
        params.push(Box::new(cursor.time_start.0));
        params.push(Box::new(cursor.blob_id.0.to_vec()));
        sql.push_str(" AND (b.time_start, b.blob_id) > ($2, $3)");
    }
    sql.push_str(&filter_sql(filter, &mut params));
    params.push(Box::new(i64::from(limit)));
    sql.push_str(&format!(" ORDER BY b.time_start, b.blob_id LIMIT ${}", params.len()));
    let stmt = client.prepare_cached(&sql).await?;
    let rows = client.query(&stmt, &param_refs(&params)).await?;
    rows.iter().map(|row| row_to_meta(row, 0)).collect()
}

/// Search in one statement, ranked as [`crate::domain::search`] says: per blob the distinct
/// matching tokens (the token list is a set of primary-key prefixes, so a blob has at most one
/// entry per distinct token), most tokens first, then newest `time_end`, then the oldest row;
/// the total counts every match before the limit.
pub(super) async fn search(
    client: &impl GenericClient,
    user_id: i64,
    tokens: &[TokenBytes],
    filter: &BlobFilter,
    limit: u32,
) -> StoreResult<(Vec<SearchHit>, u64)> {
    let raw: Vec<Vec<u8>> = tokens.iter().map(|t| t.to_vec()).collect();
    let mut params: Params = vec![Box::new(user_id), Box::new(raw)];
    let mut conditions = String::new();
    if let Some((start, end)) = filter.time_range {
        params.push(Box::new(start.0));
        conditions.push_str(&format!(" AND t.time_end >= ${}", params.len()));
        params.push(Box::new(end.0));
        conditions.push_str(&format!(" AND t.time_start <= ${}", params.len()));
    }
    if let Some(types) = &filter.blob_types {
        params.push(Box::new(types.iter().map(|t| type_code(*t)).collect::<Vec<i16>>()));
        conditions.push_str(&format!(" AND t.type_code = ANY(${})", params.len()));
    }
    params.push(Box::new(i64::from(limit)));
    let limit_param = params.len();
    let order = crate::domain::search::RANK_ORDER;
    let sql = format!(
        "WITH m AS (
             SELECT t.blob_ref, COUNT(*) AS n, MAX(t.time_end) AS te
             FROM blob_tokens t
             WHERE t.user_id = $1 AND t.token = ANY($2){conditions}
             GROUP BY t.blob_ref
         ), r AS (
             SELECT blob_ref, n, te, COUNT(*) OVER () AS total FROM m ORDER BY {order} LIMIT ${limit_param}
         )
         SELECT r.n, r.total, {META_COLUMNS} FROM r JOIN blobs b ON b.id = r.blob_ref ORDER BY {order}"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let rows = client.query(&stmt, &param_refs(&params)).await?;
    let mut total = 0u64;
    let mut hits = Vec::with_capacity(rows.len());
    for row in &rows {
        total = to_u64(row.try_get(1)?)?;
        hits.push(SearchHit {
            meta: row_to_meta(row, 2)?,
            match_count: u32::try_from(row.try_get::<_, i64>(0)?).unwrap_or(u32::MAX),
        });
    }
    Ok((hits, total))
}

pub(super) async fn usage(client: &impl GenericClient, user_id: i64) -> StoreResult<Usage> {
    let stmt = client
        .prepare_cached(
            "SELECT blob_type, SUM(size_bytes)::BIGINT, COUNT(*), MAX(completed_at), MIN(time_start), MAX(time_end)
             FROM blobs WHERE user_id = $1 AND state = 1 GROUP BY blob_type",
        )
        .await?;
    let mut usage = Usage::default();
    for row in client.query(&stmt, &[&user_id]).await? {
        let kind: &str = row.try_get(0)?;
        usage.add_type(TypeUsage {
            blob_type: kind.parse::<BlobType>().map_err(corrupt("blob_type"))?,
            bytes: to_u64(row.try_get(1)?)?,
            blobs: to_u64(row.try_get(2)?)?,
            last_completed: row.try_get::<_, Option<i64>>(3)?.map(UnixMillis),
            oldest_start: row.try_get::<_, Option<i64>>(4)?.map(UnixMillis),
            newest_end: row.try_get::<_, Option<i64>>(5)?.map(UnixMillis),
        });
    }
    let devices: i64 =
        client.query_one("SELECT COUNT(*) FROM devices WHERE user_id = $1", &[&user_id]).await?.try_get(0)?;
    usage.device_count = u32::try_from(devices).unwrap_or(u32::MAX);
    if let Some(row) = client.query_opt("SELECT index_tokens FROM users WHERE id = $1", &[&user_id]).await? {
        usage.index_tokens = to_u64(row.try_get(0)?)?;
    }
    Ok(usage)
}
