//! The account's keys in PostgreSQL; the rules of creation and revisions are
//! [`crate::domain::keys`].

use deadpool_postgres::GenericClient;
use sync_core::KeyId;
use sync_core::wire::{Envelope, KeyringEntry, RecoveryEnvelope};

use super::super::columns::{from_json, to_i64, to_json, to_u64};
use super::super::{AccountKeys, CreateKeysOutcome, KeysUpdate, UpdateKeysOutcome};
use super::rows::lock_user;
use crate::domain::keys::{self, UpdateDecision};
use crate::store::StoreResult;

pub(super) async fn read(client: &impl GenericClient, user_id: i64) -> StoreResult<Option<AccountKeys>> {
    let stmt = client
        .prepare_cached("SELECT envelope, recovery_envelope, keyring, revision FROM account_keys WHERE user_id = $1")
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&user_id]).await? else { return Ok(None) };
    let recovery: Option<&str> = row.try_get(1)?;
    Ok(Some(AccountKeys {
        envelope: from_json::<Envelope>(row.try_get(0)?, "envelope")?,
        recovery_envelope: recovery.map(|r| from_json::<RecoveryEnvelope>(r, "recovery envelope")).transpose()?,
        keyring: from_json::<Vec<KeyringEntry>>(row.try_get(2)?, "keyring")?,
        revision: to_u64(row.try_get(3)?)?,
    }))
}

/// The account's current master key (the password envelope's), `None` before it has keys.
pub(super) async fn current_key(client: &impl GenericClient, user_id: i64) -> StoreResult<Option<KeyId>> {
    let stmt = client.prepare_cached("SELECT envelope FROM account_keys WHERE user_id = $1").await?;
    let Some(row) = client.query_opt(&stmt, &[&user_id]).await? else { return Ok(None) };
    Ok(Some(from_json::<Envelope>(row.try_get(0)?, "envelope")?.key_id))
}

/// Creates the keys unless the account has some (inside a transaction, under its lock).
pub(super) async fn create(
    tx: &impl GenericClient,
    user_id: i64,
    envelope: Envelope,
    recovery: RecoveryEnvelope,
) -> StoreResult<CreateKeysOutcome> {
    lock_user(tx, user_id).await?;
    let outcome = keys::create(read(tx, user_id).await?, envelope, recovery);
    if let CreateKeysOutcome::Created(new) = &outcome {
        tx.execute(
            "INSERT INTO account_keys (user_id, envelope, recovery_envelope, keyring, revision)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &user_id,
                &to_json(&new.envelope)?,
                &new.recovery_envelope.as_ref().map(to_json).transpose()?,
                &to_json(&new.keyring)?,
                &to_i64(new.revision)?,
            ],
        )
        .await?;
    }
    Ok(outcome)
}

/// Changes the keys from `expected_revision` (inside a transaction, under the account's lock).
pub(super) async fn update(
    tx: &impl GenericClient,
    user_id: i64,
    expected_revision: u64,
    update: KeysUpdate,
) -> StoreResult<UpdateKeysOutcome> {
    lock_user(tx, user_id).await?;
    match keys::update(read(tx, user_id).await?, expected_revision, update) {
        UpdateDecision::NoKeys => Ok(UpdateKeysOutcome::NoKeys),
        UpdateDecision::Stale(current) => Ok(UpdateKeysOutcome::Stale(current)),
        UpdateDecision::Apply(new) => {
            tx.execute(
                "UPDATE account_keys SET envelope = $2, recovery_envelope = $3, keyring = $4, revision = $5
                 WHERE user_id = $1",
                &[
                    &user_id,
                    &to_json(&new.envelope)?,
                    &new.recovery_envelope.as_ref().map(to_json).transpose()?,
                    &to_json(&new.keyring)?,
                    &to_i64(new.revision)?,
                ],
            )
            .await?;
            Ok(UpdateKeysOutcome::Updated(new.revision))
        }
    }
}
