//! Removing blobs in SQLite (an account's, expired ones, abandoned uploads) with their index
//! entries and usage, and finding objects no blob row names. What expires is decided by the
//! cutoffs of [`crate::domain::retention`].

use rusqlite::{Connection, Transaction, params};
use sync_core::wire::SyncTier;
use sync_core::{BlobId, UnixMillis};

use super::super::columns::{array, blob_state, to_u64, unpack_tokens};
use super::super::postings as codec;
use super::super::{BlobState, RemovedBlobs, TokenBytes};
use super::postings;
use crate::store::{ObjectKey, StoreResult};

/// A blob row to remove: `(id, user_id, blob_id, size, tokens, state, seq)`.
pub(super) type RemovalRow = (i64, i64, Vec<u8>, i64, Vec<u8>, i64, Option<i64>);

pub(super) fn removal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RemovalRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

/// Removes blob rows with their postings, and their bytes from their owners' usage.
pub(super) fn remove_blob_rows(tx: &Transaction<'_>, rows: Vec<RemovalRow>) -> StoreResult<RemovedBlobs> {
    let mut removed = RemovedBlobs::default();
    let mut indexed: std::collections::BTreeMap<i64, Vec<(i64, Vec<TokenBytes>)>> = std::collections::BTreeMap::new();
    for (id, user_id, blob_id, size, tokens, state, seq) in rows {
        let state = blob_state(state);
        if let (BlobState::Complete, Some(seq)) = (state, seq) {
            indexed.entry(user_id).or_default().push((seq, unpack_tokens(&tokens)));
        }
        tx.prepare_cached("DELETE FROM blobs WHERE id = ?1")?.execute([id])?;
        if state == BlobState::Complete {
            tx.prepare_cached(
                "UPDATE users SET storage_used = MAX(0, storage_used - ?2), index_tokens = MAX(0, index_tokens - ?3)
                 WHERE id = ?1",
            )?
            .execute(params![user_id, size, (tokens.len() / 16) as i64])?;
        }
        removed.add(ObjectKey { user_id, blob_id: BlobId(array(&blob_id, "blob_id")?) }, state, to_u64(size)?);
    }
    for (user_id, blobs) in indexed {
        let lists = codec::removals(blobs.iter().map(|(seq, tokens)| (*seq, &tokens[..])));
        postings::remove(tx, user_id, &lists)?;
    }
    Ok(removed)
}

/// Removes every blob row of an account with its index, in one go (the account is being emptied
/// or deleted, so its `storage_used` is the caller's to reset).
pub(super) fn remove_all_blob_rows(tx: &Transaction<'_>, user_id: i64) -> StoreResult<RemovedBlobs> {
    let mut removed = RemovedBlobs::default();
    {
        let mut stmt = tx.prepare("SELECT blob_id, state, size_bytes FROM blobs WHERE user_id = ?1")?;
        let rows =
            stmt.query_map([user_id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (blob_id, state, size) = row?;
            removed.add(
                ObjectKey { user_id, blob_id: BlobId(array(&blob_id, "blob_id")?) },
                blob_state(state),
                to_u64(size)?,
            );
        }
    }
    tx.execute("DELETE FROM postings WHERE user_id = ?1", [user_id])?;
    tx.execute("DELETE FROM blobs WHERE user_id = ?1", [user_id])?;
    Ok(removed)
}

pub(super) fn delete_all_blobs(tx: &Transaction<'_>, user_id: i64) -> StoreResult<RemovedBlobs> {
    let removed = remove_all_blob_rows(tx, user_id)?;
    tx.execute("UPDATE users SET storage_used = 0, index_tokens = 0 WHERE id = ?1", [user_id])?;
    Ok(removed)
}

/// Removes up to `batch` completed blobs of users of `tier` whose `time_end` is before `cutoff`.
pub(super) fn remove_expired(
    tx: &Transaction<'_>,
    tier: SyncTier,
    cutoff: UnixMillis,
    batch: u32,
) -> StoreResult<RemovedBlobs> {
    let rows = {
        let mut stmt = tx.prepare_cached(
            "SELECT b.id, b.user_id, b.blob_id, b.size_bytes, b.tokens, b.state, b.seq
             FROM blobs b JOIN users u ON u.id = b.user_id
             WHERE b.state = 1 AND b.time_end < ?1 AND u.tier = ?2 LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![cutoff.0, tier.as_str(), i64::from(batch)], removal_row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    remove_blob_rows(tx, rows)
}

/// Removes up to `batch` pending blobs first declared before `cutoff` (declaring again does not
/// postpone it).
pub(super) fn remove_abandoned(tx: &Transaction<'_>, cutoff: UnixMillis, batch: u32) -> StoreResult<RemovedBlobs> {
    let rows = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, user_id, blob_id, size_bytes, tokens, state, seq
             FROM blobs WHERE state = 0 AND created_at < ?1 LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![cutoff.0, i64::from(batch)], removal_row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    remove_blob_rows(tx, rows)
}

/// The keys among `keys` that name no blob row.
pub(super) fn missing_blobs(conn: &Connection, keys: Vec<ObjectKey>) -> StoreResult<Vec<ObjectKey>> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM blobs WHERE user_id = ?1 AND blob_id = ?2")?;
    let mut missing = Vec::new();
    for key in keys {
        if !stmt.exists(params![key.user_id, &key.blob_id.0[..]])? {
            missing.push(key);
        }
    }
    Ok(missing)
}
