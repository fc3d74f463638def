//! Removing blobs in PostgreSQL (an account's, expired ones, abandoned uploads) with their
//! index entries and usage, and finding objects no blob row names. What expires is decided by
//! the cutoffs of [`crate::domain::retention`].
//!
//! Several processes may clean at once: candidates are picked without locks, then removed
//! account by account under that account's lock, re-checking the condition, so each blob is
//! removed once.

use std::collections::HashMap;

use deadpool_postgres::{GenericClient, Pool};
use sync_core::wire::SyncTier;
use sync_core::{BlobId, UnixMillis};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::super::TokenBytes;
use super::super::columns::{array, blob_state, to_u64, unpack_tokens};
use super::super::postings as codec;
use super::super::{BlobState, RemovedBlobs};
use super::postings;
use super::rows::lock_user;
use crate::store::{ObjectKey, StoreResult};

/// Removes blob rows (already locked through their owner) with their postings, and their bytes
/// from their owners' usage. Columns: id, user_id, blob_id, size_bytes, tokens, state, seq.
async fn remove_blob_rows(tx: &impl GenericClient, rows: &[Row]) -> StoreResult<RemovedBlobs> {
    let mut removed = RemovedBlobs::default();
    let del_blob = tx.prepare_cached("DELETE FROM blobs WHERE id = $1").await?;
    let shrink = tx
        .prepare_cached(
            "UPDATE users SET storage_used = GREATEST(0, storage_used - $2),
               index_tokens = GREATEST(0, index_tokens - $3) WHERE id = $1",
        )
        .await?;
    let mut indexed: HashMap<i64, Vec<(i64, Vec<TokenBytes>)>> = HashMap::new();
    for row in rows {
        let id: i64 = row.try_get(0)?;
        let user_id: i64 = row.try_get(1)?;
        let blob_id: &[u8] = row.try_get(2)?;
        let size: i64 = row.try_get(3)?;
        let tokens: &[u8] = row.try_get(4)?;
        let state = blob_state(i64::from(row.try_get::<_, i16>(5)?));
        let seq: Option<i64> = row.try_get(6)?;
        let complete = state == BlobState::Complete;
        if let (true, Some(seq)) = (complete, seq) {
            indexed.entry(user_id).or_default().push((seq, unpack_tokens(tokens)));
        }
        tx.execute(&del_blob, &[&id]).await?;
        if complete {
            tx.execute(&shrink, &[&user_id, &size, &((tokens.len() / 16) as i64)]).await?;
        }
        removed.add(ObjectKey { user_id, blob_id: BlobId(array(blob_id, "blob_id")?) }, state, to_u64(size)?);
    }
    for (user_id, blobs) in indexed {
        let lists = codec::removals(blobs.iter().map(|(seq, tokens)| (*seq, &tokens[..])));
        postings::remove(tx, user_id, &lists).await?;
    }
    Ok(removed)
}

/// Removes every blob row of an account with its index, in one go (the account is being emptied
/// or deleted, so its `storage_used` is the caller's to reset).
pub(super) async fn remove_all_blob_rows(tx: &impl GenericClient, user_id: i64) -> StoreResult<RemovedBlobs> {
    let rows =
        tx.query("DELETE FROM blobs WHERE user_id = $1 RETURNING blob_id, state, size_bytes", &[&user_id]).await?;
    let mut removed = RemovedBlobs::default();
    for row in &rows {
        let blob_id: &[u8] = row.try_get(0)?;
        let state = blob_state(i64::from(row.try_get::<_, i16>(1)?));
        removed.add(
            ObjectKey { user_id, blob_id: BlobId(array(blob_id, "blob_id")?) },
            state,
            to_u64(row.try_get(2)?)?,
        );
    }
    tx.execute("DELETE FROM postings WHERE user_id = $1", &[&user_id]).await?;
    Ok(removed)
}

/// Removes every blob of the user (inside a transaction, under the account's lock).
pub(super) async fn delete_all_blobs(tx: &impl GenericClient, user_id: i64) -> StoreResult<RemovedBlobs> {
    lock_user(tx, user_id).await?;
    let removed = remove_all_blob_rows(tx, user_id).await?;
    tx.execute("UPDATE users SET storage_used = 0, index_tokens = 0 WHERE id = $1", &[&user_id]).await?;
    Ok(removed)
}

/// Removes up to `batch` completed blobs of users of `tier` whose `time_end` is before `cutoff`.
pub(super) async fn remove_expired(
    pool: &Pool,
    tier: SyncTier,
    cutoff: UnixMillis,
    batch: u32,
) -> StoreResult<RemovedBlobs> {
    let candidates = pool
        .get()
        .await?
        .query(
            "SELECT b.id, b.user_id FROM blobs b JOIN users u ON u.id = b.user_id
             WHERE b.state = 1 AND b.time_end < $1 AND u.tier = $2 LIMIT $3",
            &[&cutoff.0, &tier.as_str(), &i64::from(batch)],
        )
        .await?;
    // Re-checked under the account's lock: the tier may have changed since.
    let tier_name = tier.as_str();
    remove_candidates(
        pool,
        candidates,
        "b.state = 1 AND b.time_end < $3 AND (SELECT tier FROM users WHERE id = $1) = $4",
        &[&cutoff.0, &tier_name],
    )
    .await
}

/// Removes up to `batch` pending blobs first declared before `cutoff` (declaring again does not
/// postpone it).
pub(super) async fn remove_abandoned(pool: &Pool, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
    let candidates = pool
        .get()
        .await?
        .query(
            "SELECT id, user_id FROM blobs WHERE state = 0 AND created_at < $1 LIMIT $2",
            &[&cutoff.0, &i64::from(batch)],
        )
        .await?;
    remove_candidates(pool, candidates, "b.state = 0 AND b.created_at < $3", &[&cutoff.0]).await
}

/// Removes candidates `(id, user_id)` account by account; see [`remove_for_user`].
pub(super) async fn remove_candidates(
    pool: &Pool,
    candidates: Vec<Row>,
    condition: &str,
    extra: &[&(dyn ToSql + Sync)],
) -> StoreResult<RemovedBlobs> {
    let mut by_user: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in &candidates {
        by_user.entry(row.try_get(1)?).or_default().push(row.try_get(0)?);
    }
    let mut removed = RemovedBlobs::default();
    for (user_id, ids) in by_user {
        removed.absorb(remove_for_user(pool, user_id, ids, condition, extra).await?);
    }
    Ok(removed)
}

/// Removes the pending or completed blobs `ids` (row ids) of `user_id` that still match
/// `condition` (SQL over alias `b`, parameters after `$2`), under the account's lock.
async fn remove_for_user(
    pool: &Pool,
    user_id: i64,
    ids: Vec<i64>,
    condition: &str,
    extra: &[&(dyn ToSql + Sync)],
) -> StoreResult<RemovedBlobs> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    if !lock_user(&tx, user_id).await? {
        tx.commit().await?;
        return Ok(RemovedBlobs::default());
    }
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&user_id, &ids];
    params.extend_from_slice(extra);
    let rows = tx
        .query(
            &format!(
                "SELECT b.id, b.user_id, b.blob_id, b.size_bytes, b.tokens, b.state, b.seq FROM blobs b
                 WHERE b.user_id = $1 AND b.id = ANY($2) AND {condition} FOR UPDATE"
            ),
            &params,
        )
        .await?;
    let removed = remove_blob_rows(&tx, &rows).await?;
    tx.commit().await?;
    Ok(removed)
}

/// The keys among `keys` that name no blob row.
pub(super) async fn missing_blobs(client: &impl GenericClient, keys: &[ObjectKey]) -> StoreResult<Vec<ObjectKey>> {
    let users: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
    let ids: Vec<Vec<u8>> = keys.iter().map(|k| k.blob_id.0.to_vec()).collect();
    let rows = client
        .query(
            "SELECT k.user_id, k.blob_id FROM UNNEST($1::bigint[], $2::bytea[]) AS k(user_id, blob_id)
             WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.user_id = k.user_id AND b.blob_id = k.blob_id)",
            &[&users, &ids],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let blob_id: &[u8] = row.try_get(1)?;
            Ok(ObjectKey { user_id: row.try_get(0)?, blob_id: BlobId(array(blob_id, "blob_id")?) })
        })
        .collect()
}
