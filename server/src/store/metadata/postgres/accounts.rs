//! Accounts in PostgreSQL: users and their token hashes, the URL signing secret, Stripe
//! bookkeeping.

use deadpool_postgres::GenericClient;
use sync_core::UnixMillis;
use sync_core::wire::SyncTier;

use super::super::columns::{array, to_u64};
use super::super::{
    CreateUserOutcome, RemovedBlobs, SubscriptionChange, SubscriptionOutcome, TokenHash, User, UserSummary,
};
use super::cleanup::remove_all_blob_rows;
use super::rows::{USER_COLUMNS, lock_user, row_to_user};
use crate::domain::subscriptions;
use crate::store::StoreResult;

/// The stored secret, storing `fresh` first when there is none.
pub(super) async fn url_signing_secret(client: &impl GenericClient, fresh: [u8; 32]) -> StoreResult<[u8; 32]> {
    client
        .execute(
            "INSERT INTO server_settings (name, value) VALUES ('url_signing_secret', $1) ON CONFLICT DO NOTHING",
            &[&&fresh[..]],
        )
        .await?;
    let row = client.query_one("SELECT value FROM server_settings WHERE name = 'url_signing_secret'", &[]).await?;
    array(row.try_get(0)?, "url signing secret")
}

pub(super) async fn create_user(
    client: &impl GenericClient,
    email: &str,
    tier: SyncTier,
    token_hash: TokenHash,
    now: UnixMillis,
) -> StoreResult<CreateUserOutcome> {
    let row = client
        .query_opt(
            "INSERT INTO users (email, token_hash, tier, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO NOTHING RETURNING id",
            &[&email, &&token_hash[..], &tier.as_str(), &now.0],
        )
        .await?;
    Ok(match row {
        Some(row) => {
            CreateUserOutcome::Created(User { id: row.try_get(0)?, email: email.to_owned(), tier, created_at: now })
        }
        None => CreateUserOutcome::EmailTaken,
    })
}

pub(super) async fn user_by_token_hash(
    client: &impl GenericClient,
    token_hash: TokenHash,
) -> StoreResult<Option<User>> {
    let stmt = client.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE token_hash = $1")).await?;
    client.query_opt(&stmt, &[&&token_hash[..]]).await?.as_ref().map(row_to_user).transpose()
}

pub(super) async fn user_by_email(client: &impl GenericClient, email: &str) -> StoreResult<Option<User>> {
    let stmt = client.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1")).await?;
    client.query_opt(&stmt, &[&email]).await?.as_ref().map(row_to_user).transpose()
}

pub(super) async fn list_users(client: &impl GenericClient) -> StoreResult<Vec<UserSummary>> {
    let rows = client
        .query(
            "SELECT u.id, u.email, u.tier, u.created_at,
                    (SELECT COUNT(*) FROM devices d WHERE d.user_id = u.id),
                    (SELECT COUNT(*) FROM blobs b WHERE b.user_id = u.id AND b.state = 1),
                    u.storage_used
             FROM users u ORDER BY u.email",
            &[],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(UserSummary {
                user: row_to_user(row)?,
                device_count: u32::try_from(row.try_get::<_, i64>(4)?).unwrap_or(u32::MAX),
                blob_count: to_u64(row.try_get(5)?)?,
                storage_used: to_u64(row.try_get(6)?)?,
            })
        })
        .collect()
}

pub(super) async fn set_tier(client: &impl GenericClient, user_id: i64, tier: SyncTier) -> StoreResult<bool> {
    Ok(client.execute("UPDATE users SET tier = $2 WHERE id = $1", &[&user_id, &tier.as_str()]).await? > 0)
}

pub(super) async fn set_token_hash(
    client: &impl GenericClient,
    user_id: i64,
    token_hash: TokenHash,
) -> StoreResult<bool> {
    Ok(client.execute("UPDATE users SET token_hash = $2 WHERE id = $1", &[&user_id, &&token_hash[..]]).await? > 0)
}

/// Deletes the account and everything it owns (inside a transaction).
pub(super) async fn delete_user(tx: &impl GenericClient, user_id: i64) -> StoreResult<RemovedBlobs> {
    lock_user(tx, user_id).await?;
    let removed = remove_all_blob_rows(tx, user_id).await?;
    tx.execute("DELETE FROM devices WHERE user_id = $1", &[&user_id]).await?;
    tx.execute("DELETE FROM account_keys WHERE user_id = $1", &[&user_id]).await?;
    tx.execute("DELETE FROM users WHERE id = $1", &[&user_id]).await?;
    Ok(removed)
}

/// Records `event_id`; false when it was recorded before. A concurrent insert of the same id
/// waits for the other transaction, then conflicts.
pub(super) async fn record_stripe_event(
    client: &impl GenericClient,
    event_id: &str,
    now: UnixMillis,
) -> StoreResult<bool> {
    Ok(client
        .execute(
            "INSERT INTO stripe_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&event_id, &now.0],
        )
        .await?
        > 0)
}

/// Applies a subscription change (inside a transaction).
pub(super) async fn apply_subscription(
    tx: &impl GenericClient,
    event_id: &str,
    change: &SubscriptionChange,
    now: UnixMillis,
) -> StoreResult<SubscriptionOutcome> {
    if !record_stripe_event(tx, event_id, now).await? {
        return Ok(SubscriptionOutcome::Duplicate);
    }
    let by_customer = tx
        .query_opt(
            "SELECT id, email, stripe_event_created FROM users WHERE stripe_customer = $1 FOR UPDATE",
            &[&change.customer],
        )
        .await?;
    let user = match (by_customer, change.account) {
        (Some(row), _) => Some(row),
        (None, Some(account)) => {
            tx.query_opt(
                "SELECT id, email, stripe_event_created FROM users
                 WHERE id = $1 AND stripe_customer IS NULL FOR UPDATE",
                &[&account],
            )
            .await?
        }
        (None, None) => None,
    };
    let Some(row) = user else { return Ok(SubscriptionOutcome::NoSuchUser) };
    let (user_id, email, last_event): (i64, String, Option<i64>) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    if subscriptions::is_outdated(last_event, change.event_created) {
        return Ok(SubscriptionOutcome::Outdated);
    }
    tx.execute(
        "UPDATE users SET tier = $2, stripe_customer = $3, stripe_event_created = $4 WHERE id = $1",
        &[&user_id, &change.tier.as_str(), &change.customer, &change.event_created],
    )
    .await?;
    Ok(SubscriptionOutcome::Applied { email })
}
