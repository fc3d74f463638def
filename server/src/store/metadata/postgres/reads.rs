//! Reads of completed blobs in PostgreSQL: by ids, by time with a cursor, by search tokens, and
//! the usage figures of `/status`.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use sync_core::{BlobId, BlobType, UnixMillis};

use super::super::columns::{corrupt, posting_filter, to_u64};
use super::super::{BlobFilter, BlobMeta, ListCursor, SearchHit, TokenBytes, TypeUsage, Usage};
use super::postings;
use super::rows::{META_COLUMNS, Params, filter_sql, param_refs, row_to_meta};
use crate::store::{StoreError, StoreResult};

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

/// Search over the posting lists of `tokens` (one query), merged and ranked by
/// [`crate::domain::search::rank`]; only the page's blobs are read (one query).
pub(super) async fn search(
    client: &impl GenericClient,
    user_id: i64,
    tokens: &[TokenBytes],
    filter: &BlobFilter,
    limit: u32,
) -> StoreResult<(Vec<SearchHit>, u64)> {
    let (lists, bounds) = postings::read(client, user_id, tokens).await?;
    let (ranked, total) = crate::domain::search::rank(lists, bounds, &posting_filter(filter), limit)?;
    if ranked.is_empty() {
        return Ok((Vec::new(), total));
    }
    let seqs: Vec<i64> = ranked.iter().map(|(seq, _)| *seq).collect();
    let stmt = client
        .prepare_cached(&format!("SELECT b.seq, {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.seq = ANY($2)"))
        .await?;
    let mut metas: HashMap<i64, BlobMeta> = HashMap::new();
    for row in client.query(&stmt, &[&user_id, &seqs]).await? {
        metas.insert(row.try_get(0)?, row_to_meta(&row, 1)?);
    }
    let mut hits = Vec::with_capacity(ranked.len());
    for (seq, match_count) in ranked {
        let meta = metas.remove(&seq).ok_or_else(|| StoreError::corrupt(format!("posting {seq} names no blob")))?;
        hits.push(SearchHit { meta, match_count });
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
