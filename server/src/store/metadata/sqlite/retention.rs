//! The cloud retention an account chooses per blob type (`retention_choices`), and removing
//! the blobs it lets expire. The cutoff is [`crate::domain::retention::chosen_cutoff`]'s.

use rusqlite::{Connection, Transaction, params};
use sync_core::wire::RetentionPolicy;
use sync_core::{BlobType, UnixMillis};

use super::super::RemovedBlobs;
use super::super::columns::corrupt;
use super::cleanup::{removal_row, remove_blob_rows};
use crate::store::StoreResult;

/// The account's choice (no row: nothing chosen).
pub(super) fn policy(conn: &Connection, user_id: i64) -> StoreResult<RetentionPolicy> {
    let mut stmt = conn.prepare_cached("SELECT blob_type, days FROM retention_choices WHERE user_id = ?1")?;
    let rows = stmt.query_map([user_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut policy = RetentionPolicy::default();
    for row in rows {
        let (blob_type, days) = row?;
        let blob_type = blob_type.parse::<BlobType>().map_err(corrupt("retention_choices.blob_type"))?;
        policy.set(blob_type, Some(u32::try_from(days).unwrap_or(u32::MAX)));
    }
    Ok(policy)
}

/// Replaces the account's choice.
pub(super) fn set_policy(tx: &Transaction<'_>, user_id: i64, policy: &RetentionPolicy) -> StoreResult<()> {
    tx.execute("DELETE FROM retention_choices WHERE user_id = ?1", [user_id])?;
    for (blob_type, days) in policy.chosen() {
        tx.execute(
            "INSERT INTO retention_choices (user_id, blob_type, days) VALUES (?1, ?2, ?3)",
            params![user_id, blob_type.as_str(), i64::from(days)],
        )?;
    }
    Ok(())
}

/// Every account's choices: `(user id, blob type, days)`.
pub(super) fn choices(conn: &Connection) -> StoreResult<Vec<(i64, BlobType, u32)>> {
    let mut stmt =
        conn.prepare_cached("SELECT user_id, blob_type, days FROM retention_choices ORDER BY user_id, blob_type")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (user_id, blob_type, days) = row?;
        let blob_type = blob_type.parse::<BlobType>().map_err(corrupt("retention_choices.blob_type"))?;
        out.push((user_id, blob_type, u32::try_from(days).unwrap_or(u32::MAX)));
    }
    Ok(out)
}

/// Removes up to `batch` completed blobs of `user_id` and `blob_type` whose `time_end` is before
/// `cutoff`.
pub(super) fn remove_expired_of_type(
    tx: &Transaction<'_>,
    user_id: i64,
    blob_type: BlobType,
    cutoff: UnixMillis,
    batch: u32,
) -> StoreResult<RemovedBlobs> {
    let rows = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, user_id, blob_id, size_bytes, tokens, state, seq FROM blobs
             WHERE user_id = ?1 AND blob_type = ?2 AND state = 1 AND time_end < ?3 LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![user_id, blob_type.as_str(), cutoff.0, i64::from(batch)], removal_row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    remove_blob_rows(tx, rows)
}
