//! [`ExportedKeys`]: an unlocked [`KeySet`] in a serialized form (docs/FORMAT.md, "Exported keys"),
//! for the operating system's keychain ("Remember on this device") and, later, for linking a
//! new device.
//!
//! What it holds is the key material itself, not the password: the current master key with its
//! id and version, and every older master key with its id. Subkeys are not stored; they are
//! derived again on import. The form is versioned JSON, parsed strictly and within bounds
//! (unknown fields, duplicate or oversized values, non-canonical base64url and hex are
//! refused). Every secret byte lives in zeroizing memory: the master secrets, the text form
//! ([`ExportedKeys::to_json`] returns a `Zeroizing` buffer), and the decoding steps between.
//!
//! Importing ([`KeySet::from_export`]) applies the same rollback rule as an unlock: the
//! [`KeyVersionGuard`] refuses a set older than what this client has seen, and records it.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::guard::KeyVersionGuard;
use super::keyset::KeySet;
use super::master::{MasterKey, MasterSecret};
use super::subkeys::Subkeys;
use crate::encoding::{base64url, hex};
use crate::error::{Error, Result};
use crate::ids::KeyId;
use crate::wire::limits::MAX_KEYRING_ENTRIES;

/// The `format` field of the JSON form.
pub const EXPORT_FORMAT: &str = "spsync-exported-keys";
/// The version of the JSON form this implementation writes and reads.
pub const EXPORT_VERSION: u32 = 1;
/// Largest text form accepted, in bytes (a full keyring of [`MAX_KEYRING_ENTRIES`] keys fits).
pub const MAX_EXPORT_BYTES: usize = 256 * 1024;

/// An unlocked key set, ready to be stored or sent. `Debug` prints key ids and the version
/// only; the secrets are zeroized when the value drops.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportedKeys {
    current: MasterKey,
    current_version: u32,
    older: Vec<MasterKey>,
}

/// One key in the JSON form, borrowing its text (the secret is never copied into a `String`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireKey<'a> {
    key_id: &'a str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_version: Option<u32>,
    secret: &'a str,
}

/// The JSON form.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    format: &'a str,
    version: u32,
    #[serde(borrow)]
    current: WireKey<'a>,
    #[serde(borrow)]
    older: Vec<WireKey<'a>>,
}

/// A master secret decoded from base64url into zeroizing memory.
fn decode_secret(text: &str) -> Result<MasterSecret> {
    let mut bytes = base64url::decode_array::<32>(text, "exported key secret is not 32 bytes of base64url")?;
    let secret = MasterSecret::from_bytes(bytes);
    bytes.zeroize();
    Ok(secret)
}

impl ExportedKeys {
    /// The version of the current master key.
    pub fn current_version(&self) -> u32 {
        self.current_version
    }

    /// The id of the current master key.
    pub fn current_key_id(&self) -> KeyId {
        self.current.key_id
    }

    /// Ids of every key held, current first.
    pub fn key_ids(&self) -> Vec<KeyId> {
        std::iter::once(self.current.key_id).chain(self.older.iter().map(|k| k.key_id)).collect()
    }

    /// The JSON form (docs/FORMAT.md, "Exported keys"), in memory that is zeroized when dropped.
    pub fn to_json(&self) -> Result<Zeroizing<Vec<u8>>> {
        let encode = |k: &MasterKey| (k.key_id.to_hex(), Zeroizing::new(base64url::encode(k.secret.expose())));
        let current = encode(&self.current);
        let older: Vec<(String, Zeroizing<String>)> = self.older.iter().map(encode).collect();
        let wire = Wire {
            format: EXPORT_FORMAT,
            version: EXPORT_VERSION,
            current: WireKey { key_id: &current.0, key_version: Some(self.current_version), secret: &current.1 },
            older: older.iter().map(|(id, s)| WireKey { key_id: id, key_version: None, secret: s }).collect(),
        };
        // Reserved up front so that the buffer never reallocates (a reallocation would leave a
        // copy of the secrets behind).
        let mut out = Zeroizing::new(Vec::with_capacity(160 + 128 * (self.older.len() + 1)));
        serde_json::to_writer(&mut *out, &wire).map_err(|_| Error::InvalidState("exported keys do not serialize"))?;
        Ok(out)
    }

    /// Parses the JSON form strictly: the format name and version, exactly the known fields,
    /// 16-byte key ids in lowercase hex, 32-byte secrets in canonical base64url, a current
    /// version of at least 1, at most [`MAX_KEYRING_ENTRIES`] older keys, no key twice, at
    /// most [`MAX_EXPORT_BYTES`] in all.
    pub fn from_json(bytes: &[u8]) -> Result<ExportedKeys> {
        if bytes.len() > MAX_EXPORT_BYTES {
            return Err(Error::TooLarge("exported keys"));
        }
        let wire: Wire<'_> =
            serde_json::from_slice(bytes).map_err(|_| Error::Malformed("exported keys are not the expected JSON"))?;
        if wire.format != EXPORT_FORMAT {
            return Err(Error::Malformed("not exported keys"));
        }
        if wire.version != EXPORT_VERSION {
            return Err(Error::Unsupported("exported keys version"));
        }
        if wire.older.len() > MAX_KEYRING_ENTRIES {
            return Err(Error::TooLarge("exported keys hold too many older keys"));
        }
        let current_version = match wire.current.key_version {
            Some(v) if v >= 1 => v,
            _ => return Err(Error::Malformed("the current exported key needs a version of at least 1")),
        };
        let key_id = |text: &str| -> Result<KeyId> {
            Ok(KeyId(hex::decode_array::<16>(text, "exported key id is not 16 bytes of lowercase hex")?))
        };
        let current = MasterKey {
            key_id: key_id(wire.current.key_id)?,
            key_version: Some(current_version),
            secret: decode_secret(wire.current.secret)?,
        };
        let mut seen = BTreeSet::from([current.key_id]);
        let mut older = Vec::with_capacity(wire.older.len());
        for k in &wire.older {
            if k.key_version.is_some() {
                return Err(Error::Malformed("an older exported key carries a version"));
            }
            let id = key_id(k.key_id)?;
            if !seen.insert(id) {
                return Err(Error::Malformed("a key appears twice in exported keys"));
            }
            older.push(MasterKey { key_id: id, key_version: None, secret: decode_secret(k.secret)? });
        }
        Ok(ExportedKeys { current, current_version, older })
    }
}

impl fmt::Debug for ExportedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportedKeys")
            .field("current", &self.current.key_id)
            .field("version", &self.current_version)
            .field("older", &self.older.iter().map(|k| k.key_id).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KeySet {
    /// This set's master keys, to store in a keychain or send to a new device.
    pub fn export(&self) -> ExportedKeys {
        let (current, current_version, older) = self.masters();
        ExportedKeys { current: current.clone(), current_version, older: older.to_vec() }
    }

    /// The set back from its exported form: refuses a rollback (`rollback`: a version older
    /// than `guard` has seen, or another key of that version), derives every subkey, and
    /// records the current key in `guard`.
    pub fn from_export(exported: &ExportedKeys, guard: &mut KeyVersionGuard) -> Result<KeySet> {
        guard.check(exported.current_version, &exported.current.key_id)?;
        let subkeys = Subkeys::derive(&exported.current.secret)?;
        let keys =
            KeySet::from_opened(exported.current.clone(), exported.current_version, subkeys, exported.older.clone())?;
        guard.observe(keys.current_version(), &keys.current_key_id());
        Ok(keys)
    }
}
