//! Keyring entries (docs/FORMAT.md, "Rotation, keyring, rollback"): every older master key, sealed under the newest master's
//! `keyring_key`, so that one password unlocks every key ever used.

use std::collections::BTreeSet;

use super::master::{MasterKey, MasterSecret};
use super::subkeys::KeyringKey;
use crate::encoding::Tuple;
use crate::error::{Error, Result};
use crate::ids::KeyId;
use crate::primitives::random::{RandomSource, random_array};
use crate::primitives::xchacha;
use crate::wire::envelopes::KeyringEntry;
use crate::wire::limits::MAX_KEYRING_ENTRIES;

/// `tuple("spsync/v1/keyring", new_key_id, u32be(new_key_version), old_key_id)`.
pub fn keyring_aad(new_key_id: &KeyId, new_key_version: u32, old_key_id: &KeyId) -> Vec<u8> {
    Tuple::new()
        .str("spsync/v1/keyring")
        .bytes(new_key_id.as_bytes())
        .u32(new_key_version)
        .bytes(old_key_id.as_bytes())
        .into_bytes()
}

/// Seals one older master key under the newest master's keyring key, with a given nonce.
pub fn seal_entry_with(
    keyring_key: &KeyringKey,
    new_key_id: &KeyId,
    new_key_version: u32,
    old: &MasterKey,
    nonce: &[u8; 24],
) -> Result<KeyringEntry> {
    let aad = keyring_aad(new_key_id, new_key_version, &old.key_id);
    let wrapped_key = xchacha::wrap_key(keyring_key.expose(), nonce, old.secret.expose(), &aad)?;
    Ok(KeyringEntry { key_id: old.key_id, nonce: *nonce, wrapped_key })
}

/// Seals every older master key with fresh nonces.
pub fn seal_keyring(
    keyring_key: &KeyringKey,
    new_key_id: &KeyId,
    new_key_version: u32,
    older: &[&MasterKey],
    rng: &mut dyn RandomSource,
) -> Result<Vec<KeyringEntry>> {
    older
        .iter()
        .map(|old| {
            let nonce: [u8; 24] = random_array(rng)?;
            seal_entry_with(keyring_key, new_key_id, new_key_version, old, &nonce)
        })
        .collect()
}

/// Opens every entry of a keyring sealed under the master `(new_key_id, new_key_version)`.
///
/// An entry that does not open is `tampered`; two entries for one key id, or an entry naming
/// the newest key itself as old, is `malformed`; more than [`MAX_KEYRING_ENTRIES`] is
/// `too_large`.
pub fn open_keyring(
    keyring_key: &KeyringKey,
    new_key_id: &KeyId,
    new_key_version: u32,
    entries: &[KeyringEntry],
) -> Result<Vec<MasterKey>> {
    if entries.len() > MAX_KEYRING_ENTRIES {
        return Err(Error::TooLarge("keyring has too many entries"));
    }
    let mut seen = BTreeSet::new();
    let mut opened = Vec::with_capacity(entries.len());
    for entry in entries {
        if entry.key_id == *new_key_id {
            return Err(Error::Malformed("a keyring entry names the current key as old"));
        }
        if !seen.insert(entry.key_id) {
            return Err(Error::Malformed("two keyring entries for one key id"));
        }
        let aad = keyring_aad(new_key_id, new_key_version, &entry.key_id);
        let secret = xchacha::unwrap_key(keyring_key.expose(), &entry.nonce, &entry.wrapped_key, &aad)
            .ok_or(Error::Tampered("keyring entry does not open"))?;
        opened.push(MasterKey { key_id: entry.key_id, key_version: None, secret: MasterSecret::from_bytes(secret) });
    }
    Ok(opened)
}
