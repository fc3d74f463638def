//! The cloud retention an account chooses per blob type (`retention_choices`), and removing
//! the blobs it lets expire (candidates picked without locks, removed under the account's lock
//! with the condition checked again). The cutoff is
//! [`crate::domain::retention::chosen_cutoff`]'s.

use deadpool_postgres::{GenericClient, Pool};
use sync_core::wire::RetentionPolicy;
use sync_core::{BlobType, UnixMillis};

use super::super::RemovedBlobs;
use super::super::columns::corrupt;
use super::cleanup::remove_candidates;
use crate::store::StoreResult;

/// The account's choice (no row: nothing chosen).
pub(super) async fn policy(client: &impl GenericClient, user_id: i64) -> StoreResult<RetentionPolicy> {
    let rows = client.query("SELECT blob_type, days FROM retention_choices WHERE user_id = $1", &[&user_id]).await?;
    let mut policy = RetentionPolicy::default();
    for row in &rows {
        let blob_type: &str = row.try_get(0)?;
        let days: i32 = row.try_get(1)?;
        let blob_type = blob_type.parse::<BlobType>().map_err(corrupt("retention_choices.blob_type"))?;
        policy.set(blob_type, Some(u32::try_from(days).unwrap_or(u32::MAX)));
    }
    Ok(policy)
}

/// Replaces the account's choice (in a transaction).
pub(super) async fn set_policy(tx: &impl GenericClient, user_id: i64, policy: &RetentionPolicy) -> StoreResult<()> {
    tx.execute("DELETE FROM retention_choices WHERE user_id = $1", &[&user_id]).await?;
    for (blob_type, days) in policy.chosen() {
        let days = i32::try_from(days).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO retention_choices (user_id, blob_type, days) VALUES ($1, $2, $3)",
            &[&user_id, &blob_type.as_str(), &days],
        )
        .await?;
    }
    Ok(())
}

/// Every account's choices: `(user id, blob type, days)`.
pub(super) async fn choices(client: &impl GenericClient) -> StoreResult<Vec<(i64, BlobType, u32)>> {
    let rows =
        client.query("SELECT user_id, blob_type, days FROM retention_choices ORDER BY user_id, blob_type", &[]).await?;
    let mut out = Vec::new();
    for row in &rows {
        let blob_type: &str = row.try_get(1)?;
        let days: i32 = row.try_get(2)?;
        let blob_type = blob_type.parse::<BlobType>().map_err(corrupt("retention_choices.blob_type"))?;
        out.push((row.try_get(0)?, blob_type, u32::try_from(days).unwrap_or(u32::MAX)));
    }
    Ok(out)
}

/// Removes up to `batch` completed blobs of `user_id` and `blob_type` whose `time_end` is before
/// `cutoff`.
pub(super) async fn remove_expired_of_type(
    pool: &Pool,
    user_id: i64,
    blob_type: BlobType,
    cutoff: UnixMillis,
    batch: u32,
) -> StoreResult<RemovedBlobs> {
    let type_name = blob_type.as_str();
    let candidates = pool
        .get()
        .await?
        .query(
            "SELECT id, user_id FROM blobs WHERE user_id = $1 AND blob_type = $2 AND state = 1 AND time_end < $3 LIMIT $4",
            &[&user_id, &type_name, &cutoff.0, &i64::from(batch)],
        )
        .await?;
    remove_candidates(
        pool,
        candidates,
        "b.state = 1 AND b.blob_type = $3 AND b.time_end < $4",
        &[&type_name, &cutoff.0],
    )
    .await
}
