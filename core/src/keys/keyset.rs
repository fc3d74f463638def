//! [`KeySet`]: every unlocked key of an account by `key_id`, and the account operations
//! (creation, unlock, recovery, password change, rotation) as one safe API.
//!
//! A `KeySet` is cheap to clone (shared, immutable); its secrets are zeroized when the last
//! clone drops, and `Debug` prints only key ids and versions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::envelope::{open_envelope, seal_envelope};
use super::guard::KeyVersionGuard;
use super::keyring::{open_keyring, seal_keyring};
use super::master::MasterKey;
use super::params::KdfParams;
use super::password::check_strength;
use super::recovery::{RecoveryKey, RecoveryPhrase, open_recovery_envelope, seal_recovery_envelope};
use super::subkeys::{DataKey, IdKey, Subkeys};
use crate::error::{Error, Result};
use crate::ids::{BlobId, KeyId};
use crate::primitives::random::RandomSource;
use crate::search::tokens::TokenKey;
use crate::wire::envelopes::{Envelope, KeyringEntry, RecoveryEnvelope};

/// Data keys by key id: what a blob opener needs to find the key a blob names.
#[derive(Clone)]
pub struct DataKeys(Arc<BTreeMap<KeyId, DataKey>>);

impl DataKeys {
    /// A set of one data key (for vectors, tests and single-key tools).
    pub fn single(key_id: KeyId, key: DataKey) -> DataKeys {
        DataKeys(Arc::new(BTreeMap::from([(key_id, key)])))
    }

    /// The data key named `key_id`, or `unknown_key` naming it.
    pub fn get(&self, key_id: &KeyId) -> Result<&DataKey> {
        self.0.get(key_id).ok_or_else(|| Error::UnknownKey { key_id: key_id.to_hex() })
    }

    /// The ids held.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.0.keys()
    }
}

impl fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

struct Inner {
    current: MasterKey,
    current_version: u32,
    subkeys: Subkeys,
    older: Vec<MasterKey>,
    data: DataKeys,
    tokens: Vec<TokenKey>,
}

/// Every unlocked key of an account: the current master key (which seals everything new) and
/// every older one from the keyring (which still open old blobs and search old tokens).
#[derive(Clone)]
pub struct KeySet(Arc<Inner>);

/// What account creation returns: the two envelopes to send to the server, the recovery phrase
/// to show once, and the unlocked keys.
#[derive(Debug)]
pub struct NewAccount {
    /// The password envelope.
    pub envelope: Envelope,
    /// The recovery envelope.
    pub recovery_envelope: RecoveryEnvelope,
    /// The recovery phrase: show it once and ask the user to confirm it.
    pub recovery_phrase: RecoveryPhrase,
    /// The unlocked keys.
    pub keys: KeySet,
}

/// What a rotation returns: everything to send to `POST /keys`, the new phrase, the new keys.
#[derive(Debug)]
pub struct Rotation {
    /// The new password envelope (same password, new master key).
    pub envelope: Envelope,
    /// The new recovery envelope (the old phrase stops working).
    pub recovery_envelope: RecoveryEnvelope,
    /// Every older master key sealed under the new one.
    pub keyring: Vec<KeyringEntry>,
    /// The new recovery phrase: show it once.
    pub recovery_phrase: RecoveryPhrase,
    /// The unlocked keys, current = the new master key.
    pub keys: KeySet,
}

impl KeySet {
    /// Builds the set from an opened current master key and the account's keyring.
    pub fn from_master(current: MasterKey, keyring: &[KeyringEntry]) -> Result<KeySet> {
        let current_version = current.key_version.ok_or(Error::InvalidInput("the current key needs its version"))?;
        let subkeys = Subkeys::derive(&current.secret)?;
        let older = open_keyring(&subkeys.keyring, &current.key_id, current_version, keyring)?;
        KeySet::from_opened(current, current_version, subkeys, older)
    }

    /// Builds the set from master keys already opened (the keyring's older keys, or an
    /// [`ExportedKeys`](super::export::ExportedKeys)): derives every subkey.
    pub(super) fn from_opened(
        current: MasterKey,
        current_version: u32,
        subkeys: Subkeys,
        older: Vec<MasterKey>,
    ) -> Result<KeySet> {
        let mut data = BTreeMap::new();
        let mut tokens = Vec::with_capacity(older.len() + 1);
        data.insert(current.key_id, subkeys.data.clone());
        tokens.push(TokenKey::new(current.key_id, &subkeys.search)?);
        for old in &older {
            let sub = Subkeys::derive(&old.secret)?;
            data.insert(old.key_id, sub.data.clone());
            tokens.push(TokenKey::new(old.key_id, &sub.search)?);
        }
        Ok(KeySet(Arc::new(Inner { current, current_version, subkeys, older, data: DataKeys(Arc::new(data)), tokens })))
    }

    /// Creates an account: refuses a weak password, makes a master key (version 1), a recovery
    /// key, and both envelopes.
    pub fn create_account(password: &str, params: &KdfParams, rng: &mut dyn RandomSource) -> Result<NewAccount> {
        check_strength(password)?;
        params.check()?;
        let master = MasterKey::make(1, rng)?;
        let envelope = seal_envelope(&master, 1, password, params, rng)?;
        let recovery = RecoveryKey::make(rng)?;
        let recovery_envelope = seal_recovery_envelope(&master, 1, &recovery, rng)?;
        let recovery_phrase = recovery.to_phrase()?;
        let keys = KeySet::from_master(master, &[])?;
        Ok(NewAccount { envelope, recovery_envelope, recovery_phrase, keys })
    }

    /// Unlocks with the password. Refuses a rollback (checked before the slow KDF), then opens
    /// the envelope and the keyring, and records the key in `guard`.
    pub fn unlock(
        envelope: &Envelope,
        password: &str,
        keyring: &[KeyringEntry],
        guard: &mut KeyVersionGuard,
    ) -> Result<KeySet> {
        guard.check(envelope.key_version, &envelope.key_id)?;
        let master = open_envelope(envelope, password)?;
        let keys = KeySet::from_master(master, keyring)?;
        guard.observe(keys.current_version(), &keys.current_key_id());
        Ok(keys)
    }

    /// Unlocks with the recovery phrase (then set a new password with
    /// [`KeySet::change_password`]).
    pub fn unlock_with_recovery(
        recovery_envelope: &RecoveryEnvelope,
        phrase: &str,
        keyring: &[KeyringEntry],
        guard: &mut KeyVersionGuard,
    ) -> Result<KeySet> {
        let recovery = RecoveryKey::from_phrase(phrase)?;
        guard.check(recovery_envelope.key_version, &recovery_envelope.key_id)?;
        let master = open_recovery_envelope(recovery_envelope, &recovery)?;
        let keys = KeySet::from_master(master, keyring)?;
        guard.observe(keys.current_version(), &keys.current_key_id());
        Ok(keys)
    }

    /// A new envelope for a new password: new salt and nonce, same master key and version.
    /// Refuses a weak password.
    pub fn change_password(
        &self,
        new_password: &str,
        params: &KdfParams,
        rng: &mut dyn RandomSource,
    ) -> Result<Envelope> {
        check_strength(new_password)?;
        seal_envelope(&self.0.current, self.0.current_version, new_password, params, rng)
    }

    /// Re-wraps the current key with the default parameters after an unlock with weaker ones
    /// (no strength check: the password is unchanged).
    pub fn rewrap(&self, password: &str, rng: &mut dyn RandomSource) -> Result<Envelope> {
        seal_envelope(&self.0.current, self.0.current_version, password, &KdfParams::DEFAULT, rng)
    }

    /// Rotates: a new master key (version + 1) with a new id, envelope, recovery key and
    /// keyring holding every older key. The password must open `current_envelope` to this
    /// set's current key (`wrong_password` otherwise), so a typo cannot lock the user out.
    pub fn rotate(
        &self,
        current_envelope: &Envelope,
        password: &str,
        params: &KdfParams,
        rng: &mut dyn RandomSource,
    ) -> Result<Rotation> {
        if current_envelope.key_id != self.0.current.key_id {
            return Err(Error::InvalidInput("the envelope is not of the current key"));
        }
        let opened = open_envelope(current_envelope, password)?;
        if opened.secret != self.0.current.secret {
            return Err(Error::WrongPassword);
        }
        params.check()?;
        let version = self.0.current_version.checked_add(1).ok_or(Error::TooLarge("key version"))?;
        let master = MasterKey::make(version, rng)?;
        let envelope = seal_envelope(&master, version, password, params, rng)?;
        let recovery = RecoveryKey::make(rng)?;
        let recovery_envelope = seal_recovery_envelope(&master, version, &recovery, rng)?;
        let recovery_phrase = recovery.to_phrase()?;
        let new_sub = Subkeys::derive(&master.secret)?;
        let older: Vec<&MasterKey> = std::iter::once(&self.0.current).chain(self.0.older.iter()).collect();
        let keyring = seal_keyring(&new_sub.keyring, &master.key_id, version, &older, rng)?;
        let keys = KeySet::from_master(master, &keyring)?;
        Ok(Rotation { envelope, recovery_envelope, keyring, recovery_phrase, keys })
    }

    /// Id of the current master key (the one that seals new blobs).
    pub fn current_key_id(&self) -> KeyId {
        self.0.current.key_id
    }

    /// Version of the current master key.
    pub fn current_version(&self) -> u32 {
        self.0.current_version
    }

    /// Ids of every key held, current first.
    pub fn key_ids(&self) -> Vec<KeyId> {
        std::iter::once(self.0.current.key_id).chain(self.0.older.iter().map(|k| k.key_id)).collect()
    }

    /// The current data key (seals new blobs).
    pub fn current_data_key(&self) -> &DataKey {
        &self.0.subkeys.data
    }

    /// Every data key by id (opens any blob of the account).
    pub fn data_keys(&self) -> DataKeys {
        self.0.data.clone()
    }

    /// The current id key.
    pub fn id_key(&self) -> &IdKey {
        &self.0.subkeys.id
    }

    /// The blob id of packaged data: `HMAC-SHA256(id_key, material)[0..16]`.
    pub fn derive_blob_id(&self, material: &[u8]) -> Result<BlobId> {
        self.0.subkeys.id.derive_blob_id(material)
    }

    /// Token keys of every key, current first (queries search under all of them).
    pub fn token_keys(&self) -> &[TokenKey] {
        &self.0.tokens
    }

    /// The token key of the current master key (new records are indexed under it).
    pub fn current_token_key(&self) -> Result<&TokenKey> {
        self.0.tokens.first().ok_or(Error::InvalidState("no token key"))
    }

    /// The current master key and every older one (for [`ExportedKeys`](super::export::ExportedKeys)).
    pub(super) fn masters(&self) -> (&MasterKey, u32, &[MasterKey]) {
        (&self.0.current, self.0.current_version, &self.0.older)
    }

    /// True when `key_id` is held by this set (current or older).
    pub fn holds(&self, key_id: &KeyId) -> bool {
        self.0.data.0.contains_key(key_id)
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("current", &self.0.current.key_id)
            .field("version", &self.0.current_version)
            .field("older", &self.0.older.iter().map(|k| k.key_id).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
