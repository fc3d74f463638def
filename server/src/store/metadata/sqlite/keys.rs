//! The account's keys in SQLite; the rules of creation and revisions are
//! [`crate::domain::keys`].

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sync_core::KeyId;
use sync_core::wire::{Envelope, KeyringEntry, RecoveryEnvelope};

use super::super::columns::{from_json, to_i64, to_json, to_u64};
use super::super::{AccountKeys, CreateKeysOutcome, KeysUpdate, UpdateKeysOutcome};
use crate::domain::keys::{self, UpdateDecision};
use crate::store::StoreResult;

pub(super) fn read(conn: &Connection, user_id: i64) -> StoreResult<Option<AccountKeys>> {
    let row = conn
        .prepare_cached("SELECT envelope, recovery_envelope, keyring, revision FROM account_keys WHERE user_id = ?1")?
        .query_row([user_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })
        .optional()?;
    let Some((envelope, recovery, keyring, revision)) = row else { return Ok(None) };
    Ok(Some(AccountKeys {
        envelope: from_json::<Envelope>(&envelope, "envelope")?,
        recovery_envelope: recovery.map(|r| from_json::<RecoveryEnvelope>(&r, "recovery envelope")).transpose()?,
        keyring: from_json::<Vec<KeyringEntry>>(&keyring, "keyring")?,
        revision: to_u64(revision)?,
    }))
}

/// The account's current master key (the password envelope's), `None` before it has keys.
pub(super) fn current_key(conn: &Connection, user_id: i64) -> StoreResult<Option<KeyId>> {
    let envelope: Option<String> = conn
        .prepare_cached("SELECT envelope FROM account_keys WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?;
    envelope.map(|text| Ok(from_json::<Envelope>(&text, "envelope")?.key_id)).transpose()
}

pub(super) fn create(
    tx: &Transaction<'_>,
    user_id: i64,
    envelope: Envelope,
    recovery: RecoveryEnvelope,
) -> StoreResult<CreateKeysOutcome> {
    let outcome = keys::create(read(tx, user_id)?, envelope, recovery);
    if let CreateKeysOutcome::Created(new) = &outcome {
        tx.execute(
            "INSERT INTO account_keys (user_id, envelope, recovery_envelope, keyring, revision)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                user_id,
                to_json(&new.envelope)?,
                new.recovery_envelope.as_ref().map(to_json).transpose()?,
                to_json(&new.keyring)?,
                to_i64(new.revision)?
            ],
        )?;
    }
    Ok(outcome)
}

pub(super) fn update(
    tx: &Transaction<'_>,
    user_id: i64,
    expected_revision: u64,
    update: KeysUpdate,
) -> StoreResult<UpdateKeysOutcome> {
    match keys::update(read(tx, user_id)?, expected_revision, update) {
        UpdateDecision::NoKeys => Ok(UpdateKeysOutcome::NoKeys),
        UpdateDecision::Stale(current) => Ok(UpdateKeysOutcome::Stale(current)),
        UpdateDecision::Apply(new) => {
            tx.execute(
                "UPDATE account_keys SET envelope = ?2, recovery_envelope = ?3, keyring = ?4, revision = ?5
                 WHERE user_id = ?1",
                params![
                    user_id,
                    to_json(&new.envelope)?,
                    new.recovery_envelope.as_ref().map(to_json).transpose()?,
                    to_json(&new.keyring)?,
                    to_i64(new.revision)?
                ],
            )?;
            Ok(UpdateKeysOutcome::Updated(new.revision))
        }
    }
}
