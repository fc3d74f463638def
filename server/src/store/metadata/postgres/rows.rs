//! Rows of the PostgreSQL store: the columns of a blob's metadata and of a user, the account
//! lock, a user's stored bytes, and listing filters as SQL with their parameters.

use deadpool_postgres::GenericClient;
use sync_core::UnixMillis;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use sync_core::BlobId;

use super::super::columns::{MetaColumns, parse_tier, to_u64};
use super::super::{AccountUsage, BlobFilter, BlobMeta, User};
use crate::store::StoreResult;

/// Columns of a blob's metadata, in the order [`row_to_meta`] reads them.
pub(super) const META_COLUMNS: &str =
    "b.blob_id, b.blob_type, b.device_id, b.time_start, b.time_end, b.size_bytes, b.checksum, b.key_id";

/// Columns of a user, in the order [`row_to_user`] reads them.
pub(super) const USER_COLUMNS: &str = "id, email, tier, created_at";

/// Reads [`USER_COLUMNS`] starting at column 0.
pub(super) fn row_to_user(row: &Row) -> StoreResult<User> {
    Ok(User {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        tier: parse_tier(row.try_get(2)?)?,
        created_at: UnixMillis(row.try_get(3)?),
    })
}

/// Reads [`META_COLUMNS`] starting at column `offset`.
pub(super) fn row_to_meta(row: &Row, offset: usize) -> StoreResult<BlobMeta> {
    MetaColumns {
        blob_id: row.try_get(offset)?,
        blob_type: row.try_get(offset + 1)?,
        device_id: row.try_get(offset + 2)?,
        time_start: row.try_get(offset + 3)?,
        time_end: row.try_get(offset + 4)?,
        size_bytes: row.try_get(offset + 5)?,
        checksum: row.try_get(offset + 6)?,
        key_id: row.try_get(offset + 7)?,
    }
    .into_meta()
}

/// Locks the account's row for the rest of the transaction; false when there is no account.
///
/// Every transaction that changes one account's rows takes this lock first, so the writes of
/// one account are serialised across processes and the lock order is always user row, then
/// blob rows.
pub(super) async fn lock_user(tx: &impl GenericClient, user_id: i64) -> StoreResult<bool> {
    let stmt = tx.prepare_cached("SELECT 1 FROM users WHERE id = $1 FOR UPDATE").await?;
    Ok(tx.query_opt(&stmt, &[&user_id]).await?.is_some())
}

/// Bytes stored in the user's completed blobs (0 for no such user).
pub(super) async fn storage_used(client: &impl GenericClient, user_id: i64) -> StoreResult<u64> {
    let stmt = client.prepare_cached("SELECT storage_used FROM users WHERE id = $1").await?;
    match client.query_opt(&stmt, &[&user_id]).await? {
        Some(row) => to_u64(row.try_get(0)?),
        None => Ok(0),
    }
}

/// The account's stored bytes and tokens, and its pending uploads other than `blob_id` (their
/// count, bytes and tokens).
pub(super) async fn account_usage(
    client: &impl GenericClient,
    user_id: i64,
    blob_id: BlobId,
) -> StoreResult<AccountUsage> {
    let account = client.prepare_cached("SELECT storage_used, index_tokens FROM users WHERE id = $1").await?;
    let (stored, indexed) = match client.query_opt(&account, &[&user_id]).await? {
        Some(row) => (row.try_get::<_, i64>(0)?, row.try_get::<_, i64>(1)?),
        None => (0, 0),
    };
    let pending = client
        .prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0)::BIGINT, COALESCE(SUM(octet_length(tokens) / 16), 0)::BIGINT
             FROM blobs WHERE user_id = $1 AND state = 0 AND blob_id != $2",
        )
        .await?;
    let row = client.query_one(&pending, &[&user_id, &&blob_id.0[..]]).await?;
    Ok(AccountUsage {
        stored_bytes: to_u64(stored)?,
        index_tokens: to_u64(indexed)?,
        pending_blobs: to_u64(row.try_get(0)?)?,
        pending_bytes: to_u64(row.try_get(1)?)?,
        pending_tokens: to_u64(row.try_get(2)?)?,
    })
}

/// Parameters of a dynamically built query.
pub(super) type Params = Vec<Box<dyn ToSql + Sync + Send>>;

/// The parameters as `query` takes them.
pub(super) fn param_refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

/// The SQL conditions of a filter on the blob columns of alias `b`, appending their parameters.
pub(super) fn filter_sql(filter: &BlobFilter, params: &mut Params) -> String {
    let mut sql = String::new();
    if let Some((start, end)) = filter.time_range {
        params.push(Box::new(start.0));
        sql.push_str(&format!(" AND b.time_end >= ${}", params.len()));
        params.push(Box::new(end.0));
        sql.push_str(&format!(" AND b.time_start <= ${}", params.len()));
    }
    if let Some(types) = &filter.blob_types {
        params.push(Box::new(types.iter().map(|t| t.as_str().to_owned()).collect::<Vec<String>>()));
        sql.push_str(&format!(" AND b.blob_type = ANY(${})", params.len()));
    }
    if let Some(devices) = &filter.device_ids {
        params.push(Box::new(devices.iter().map(|d| d.as_str().to_owned()).collect::<Vec<String>>()));
        sql.push_str(&format!(" AND b.device_id = ANY(${})", params.len()));
    }
    sql
}
