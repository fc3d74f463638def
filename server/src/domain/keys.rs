//! The account's keys: a password envelope, a recovery envelope and a keyring of older master
//! keys, stored exactly as the client sent them (the server never holds a key), under a
//! revision for optimistic concurrency.
//!
//! - Created once, at revision 1, by the first `/init` that sends both envelopes; sending the
//!   same pair again is a retry, another pair is refused.
//! - Changed at `/keys` only from the current revision, which each change raises by one.
//!   A password change replaces the envelope and keeps the key (same `key_id` and
//!   `key_version`), the keyring and the recovery envelope; a rotation sends a new key (a
//!   higher `key_version`), the keyring and a recovery envelope for that key.
//! - A recovery envelope always wraps the key of the envelope sent with it.

use sync_core::wire::{Envelope, RecoveryEnvelope};

use super::model::{AccountKeys, CreateKeysOutcome, KeysUpdate};

/// A key change or creation that breaks a rule; nothing is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyRuleError {
    /// The recovery envelope names another key (id or version) than the envelope.
    #[error("recovery_envelope wraps another key than envelope")]
    RecoveryForAnotherKey,
    /// A password change (no keyring, no recovery envelope) names another key.
    #[error("a password change keeps key_id and key_version; a rotation sends keyring and recovery_envelope")]
    PasswordChangeSwapsKey,
    /// A rotation does not raise the key version.
    #[error("a rotation raises key_version")]
    RotationKeepsVersion,
}

/// Checks that `recovery` wraps the key of `envelope`.
pub fn check_pair(envelope: &Envelope, recovery: &RecoveryEnvelope) -> Result<(), KeyRuleError> {
    if recovery.key_id != envelope.key_id || recovery.key_version != envelope.key_version {
        return Err(KeyRuleError::RecoveryForAnotherKey);
    }
    Ok(())
}

/// Checks a change from the `current` envelope to `new`: a password change when
/// `rotation_recovery` is `None`, else a rotation with that recovery envelope.
pub fn check_change(
    current: &Envelope,
    new: &Envelope,
    rotation_recovery: Option<&RecoveryEnvelope>,
) -> Result<(), KeyRuleError> {
    match rotation_recovery {
        None if new.key_id != current.key_id || new.key_version != current.key_version => {
            Err(KeyRuleError::PasswordChangeSwapsKey)
        }
        None => Ok(()),
        Some(recovery) => {
            check_pair(new, recovery)?;
            if new.key_version <= current.key_version {
                return Err(KeyRuleError::RotationKeepsVersion);
            }
            Ok(())
        }
    }
}

/// Whether `keys` are the pair `envelope` and `recovery` (an `/init` retry).
pub fn same_keys(keys: &AccountKeys, envelope: &Envelope, recovery: &RecoveryEnvelope) -> bool {
    keys.envelope == *envelope && keys.recovery_envelope.as_ref() == Some(recovery)
}

/// Creating keys where the account has `existing`: [`CreateKeysOutcome::Created`] (store these
/// keys, revision 1, empty keyring) or [`CreateKeysOutcome::Exists`] (change nothing).
pub fn create(existing: Option<AccountKeys>, envelope: Envelope, recovery: RecoveryEnvelope) -> CreateKeysOutcome {
    match existing {
        Some(keys) => CreateKeysOutcome::Exists(keys),
        None => CreateKeysOutcome::Created(AccountKeys {
            envelope,
            recovery_envelope: Some(recovery),
            keyring: Vec::new(),
            revision: 1,
        }),
    }
}

/// What a change of keys does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateDecision {
    /// The account has no keys yet.
    NoKeys,
    /// The current revision is not the expected one (it is this one); nothing changes.
    Stale(u64),
    /// Store these keys (the revision raised by one).
    Apply(Box<AccountKeys>),
}

/// Applying `update` to the `current` keys, if their revision is `expected_revision`.
pub fn update(current: Option<AccountKeys>, expected_revision: u64, update: KeysUpdate) -> UpdateDecision {
    let Some(current) = current else { return UpdateDecision::NoKeys };
    if current.revision != expected_revision {
        return UpdateDecision::Stale(current.revision);
    }
    let (keyring, recovery_envelope) = match update.rotation {
        Some((keyring, recovery)) => (keyring, Some(recovery)),
        None => (current.keyring, current.recovery_envelope),
    };
    UpdateDecision::Apply(Box::new(AccountKeys {
        envelope: update.envelope,
        recovery_envelope,
        keyring,
        revision: current.revision.saturating_add(1),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sync_core::encoding::{base64url, hex};
    use sync_core::wire::KeyringEntry;

    use super::*;

    fn envelope(key: u8, version: u32) -> Envelope {
        serde_json::from_value(
            json!({"v": 1, "kdf": {"alg": "argon2id", "version": 19, "m_kib": 65536, "t": 3, "p": 4},
            "salt": base64url::encode(&[key; 32]), "key_id": hex::encode(&[key; 16]), "key_version": version,
            "nonce": base64url::encode(&[version as u8; 24]), "wrapped_key": base64url::encode(&[key ^ 0x55; 48])}),
        )
        .unwrap()
    }

    fn recovery(key: u8, version: u32) -> RecoveryEnvelope {
        serde_json::from_value(json!({"v": 1, "key_id": hex::encode(&[key; 16]), "key_version": version,
            "nonce": base64url::encode(&[7; 24]), "wrapped_key": base64url::encode(&[key ^ 0x33; 48])}))
        .unwrap()
    }

    fn entry(key: u8) -> KeyringEntry {
        serde_json::from_value(json!({"key_id": hex::encode(&[key; 16]), "nonce": base64url::encode(&[9; 24]),
            "wrapped_key": base64url::encode(&[key; 48])}))
        .unwrap()
    }

    #[test]
    fn rules_of_a_change() {
        assert_eq!(check_pair(&envelope(1, 1), &recovery(1, 1)), Ok(()));
        assert_eq!(check_pair(&envelope(1, 1), &recovery(2, 1)), Err(KeyRuleError::RecoveryForAnotherKey));
        assert_eq!(check_pair(&envelope(1, 1), &recovery(1, 2)), Err(KeyRuleError::RecoveryForAnotherKey));
        let current = envelope(1, 1);
        assert_eq!(check_change(&current, &envelope(1, 1), None), Ok(()));
        assert_eq!(check_change(&current, &envelope(2, 2), None), Err(KeyRuleError::PasswordChangeSwapsKey));
        assert_eq!(check_change(&current, &envelope(2, 2), Some(&recovery(2, 2))), Ok(()));
        assert_eq!(
            check_change(&current, &envelope(2, 1), Some(&recovery(2, 1))),
            Err(KeyRuleError::RotationKeepsVersion)
        );
        assert_eq!(
            check_change(&current, &envelope(2, 2), Some(&recovery(1, 1))),
            Err(KeyRuleError::RecoveryForAnotherKey)
        );
    }

    #[test]
    fn creation_and_revisions() {
        let CreateKeysOutcome::Created(keys) = create(None, envelope(1, 1), recovery(1, 1)) else { panic!() };
        assert_eq!(keys.revision, 1);
        assert!(keys.keyring.is_empty());
        assert!(same_keys(&keys, &envelope(1, 1), &recovery(1, 1)));
        assert!(!same_keys(&keys, &envelope(1, 1), &recovery(1, 2)));
        assert_eq!(create(Some(keys.clone()), envelope(2, 1), recovery(2, 1)), CreateKeysOutcome::Exists(keys.clone()));

        let password = KeysUpdate { envelope: envelope(1, 1), rotation: None };
        assert_eq!(update(None, 0, password.clone()), UpdateDecision::NoKeys);
        assert_eq!(update(Some(keys.clone()), 2, password.clone()), UpdateDecision::Stale(1));
        let UpdateDecision::Apply(changed) = update(Some(keys.clone()), 1, password) else { panic!() };
        assert_eq!(changed.revision, 2);
        assert_eq!(changed.recovery_envelope, Some(recovery(1, 1)));
        let rotation = KeysUpdate { envelope: envelope(2, 2), rotation: Some((vec![entry(1)], recovery(2, 2))) };
        let UpdateDecision::Apply(rotated) = update(Some(*changed), 2, rotation) else { panic!() };
        assert_eq!(rotated.revision, 3);
        assert_eq!(rotated.keyring, vec![entry(1)]);
        assert_eq!(rotated.recovery_envelope, Some(recovery(2, 2)));
        assert_eq!(rotated.envelope, envelope(2, 2));
    }
}
