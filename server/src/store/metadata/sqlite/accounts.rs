//! Accounts in SQLite: users and their token hashes, the URL signing secret, Stripe bookkeeping.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sync_core::UnixMillis;
use sync_core::wire::SyncTier;

use super::super::columns::{array, to_u64};
use super::super::{
    CreateUserOutcome, RemovedBlobs, SubscriptionChange, SubscriptionOutcome, TokenHash, User, UserSummary,
};
use super::cleanup::remove_all_blob_rows;
use super::rows::{USER_COLUMNS, make_user, read_user};
use crate::domain::subscriptions;
use crate::store::StoreResult;

/// The stored secret, storing `fresh` first when there is none.
pub(super) fn url_signing_secret(tx: &Transaction<'_>, fresh: [u8; 32]) -> StoreResult<[u8; 32]> {
    tx.execute("INSERT OR IGNORE INTO server_settings (name, value) VALUES ('url_signing_secret', ?1)", [&fresh[..]])?;
    let value: Vec<u8> =
        tx.query_row("SELECT value FROM server_settings WHERE name = 'url_signing_secret'", [], |r| r.get(0))?;
    array(&value, "url signing secret")
}

pub(super) fn create_user(
    tx: &Transaction<'_>,
    email: String,
    tier: SyncTier,
    token_hash: TokenHash,
    now: UnixMillis,
) -> StoreResult<CreateUserOutcome> {
    let taken: Option<i64> =
        tx.query_row("SELECT id FROM users WHERE email = ?1", [&email], |r| r.get(0)).optional()?;
    if taken.is_some() {
        return Ok(CreateUserOutcome::EmailTaken);
    }
    tx.execute(
        "INSERT INTO users (email, token_hash, tier, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![email, &token_hash[..], tier.as_str(), now.0],
    )?;
    Ok(CreateUserOutcome::Created(User { id: tx.last_insert_rowid(), email, tier, created_at: now }))
}

pub(super) fn user_by_token_hash(conn: &Connection, token_hash: TokenHash) -> StoreResult<Option<User>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE token_hash = ?1"))?
        .query_row([&token_hash[..]], read_user)
        .optional()?
        .map(make_user)
        .transpose()
}

pub(super) fn user_by_email(conn: &Connection, email: &str) -> StoreResult<Option<User>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"))?
        .query_row([email], read_user)
        .optional()?
        .map(make_user)
        .transpose()
}

pub(super) fn list_users(conn: &Connection) -> StoreResult<Vec<UserSummary>> {
    let mut stmt = conn.prepare(
        "SELECT u.id, u.email, u.tier, u.created_at,
                (SELECT COUNT(*) FROM devices d WHERE d.user_id = u.id),
                (SELECT COUNT(*) FROM blobs b WHERE b.user_id = u.id AND b.state = 1),
                u.storage_used
         FROM users u ORDER BY u.email",
    )?;
    let rows =
        stmt.query_map([], |r| Ok((read_user(r)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?, r.get::<_, i64>(6)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (user, devices, blobs, used) = row?;
        out.push(UserSummary {
            user: make_user(user)?,
            device_count: u32::try_from(devices).unwrap_or(u32::MAX),
            blob_count: to_u64(blobs)?,
            storage_used: to_u64(used)?,
        });
    }
    Ok(out)
}

pub(super) fn set_tier(tx: &Transaction<'_>, user_id: i64, tier: SyncTier) -> StoreResult<bool> {
    Ok(tx.execute("UPDATE users SET tier = ?2 WHERE id = ?1", params![user_id, tier.as_str()])? > 0)
}

pub(super) fn set_token_hash(tx: &Transaction<'_>, user_id: i64, token_hash: TokenHash) -> StoreResult<bool> {
    Ok(tx.execute("UPDATE users SET token_hash = ?2 WHERE id = ?1", params![user_id, &token_hash[..]])? > 0)
}

pub(super) fn delete_user(tx: &Transaction<'_>, user_id: i64) -> StoreResult<RemovedBlobs> {
    let removed = remove_all_blob_rows(tx, user_id)?;
    tx.execute("DELETE FROM devices WHERE user_id = ?1", [user_id])?;
    tx.execute("DELETE FROM account_keys WHERE user_id = ?1", [user_id])?;
    tx.execute("DELETE FROM users WHERE id = ?1", [user_id])?;
    Ok(removed)
}

/// Records `event_id`; false when it was recorded before.
pub(super) fn record_stripe_event(tx: &Transaction<'_>, event_id: &str, now: UnixMillis) -> StoreResult<bool> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO stripe_events (event_id, received_at) VALUES (?1, ?2)",
        params![event_id, now.0],
    )? > 0)
}

/// `(id, email, stripe_event_created)` of an account a subscription event may apply to.
type Subscriber = (i64, String, Option<i64>);

fn subscriber(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

pub(super) fn apply_subscription(
    tx: &Transaction<'_>,
    event_id: &str,
    change: &SubscriptionChange,
    now: UnixMillis,
) -> StoreResult<SubscriptionOutcome> {
    if !record_stripe_event(tx, event_id, now)? {
        return Ok(SubscriptionOutcome::Duplicate);
    }
    let by_customer = tx
        .query_row(
            "SELECT id, email, stripe_event_created FROM users WHERE stripe_customer = ?1",
            [&change.customer],
            subscriber,
        )
        .optional()?;
    let user = match (by_customer, change.account) {
        (Some(user), _) => Some(user),
        (None, Some(account)) => tx
            .query_row(
                "SELECT id, email, stripe_event_created FROM users WHERE id = ?1 AND stripe_customer IS NULL",
                [account],
                subscriber,
            )
            .optional()?,
        (None, None) => None,
    };
    let Some((user_id, email, last_event)) = user else { return Ok(SubscriptionOutcome::NoSuchUser) };
    if subscriptions::is_outdated(last_event, change.event_created) {
        return Ok(SubscriptionOutcome::Outdated);
    }
    tx.execute(
        "UPDATE users SET tier = ?2, stripe_customer = ?3, stripe_event_created = ?4 WHERE id = ?1",
        params![user_id, change.tier.as_str(), change.customer, change.event_created],
    )?;
    Ok(SubscriptionOutcome::Applied { email })
}
