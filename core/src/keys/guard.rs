//! The rollback rule (docs/FORMAT.md, "Rotation, keyring, rollback").
//!
//! A client remembers the highest `(key_version, key_id)` it has unlocked and refuses anything
//! older: an old envelope, an old recovery envelope, an `is_new_user` answer for an account it
//! knows. [`KeyVersionGuard`] is that memory; clients persist it (it serializes to JSON) and
//! pass it to every unlock.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::KeyId;

/// The newest key a client has unlocked, or a floor on the version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVersionGuard {
    /// Highest key version seen.
    pub key_version: Option<u32>,
    /// Its key id, when known (a bare floor has none).
    pub key_id: Option<KeyId>,
}

impl KeyVersionGuard {
    /// A guard that has seen nothing: accepts any version, and a new account.
    pub fn new() -> KeyVersionGuard {
        KeyVersionGuard::default()
    }

    /// A guard that refuses versions below `min_version` (for a page that only remembers the
    /// number).
    pub fn at_least(min_version: u32) -> KeyVersionGuard {
        KeyVersionGuard { key_version: Some(min_version), key_id: None }
    }

    /// `rollback` if `(key_version, key_id)` is older than what was seen: a lower version, or
    /// the same version under another key id.
    pub fn check(&self, key_version: u32, key_id: &KeyId) -> Result<()> {
        let Some(newest) = self.key_version else {
            return Ok(());
        };
        if key_version < newest {
            return Err(Error::Rollback("the server offered an older key than this device has seen"));
        }
        if key_version == newest && self.key_id.is_some_and(|seen| seen != *key_id) {
            return Err(Error::Rollback("the server offered another key of the version this device has seen"));
        }
        Ok(())
    }

    /// `rollback` if the server says the account is new while this client knows it.
    pub fn check_new_user(&self) -> Result<()> {
        if self.key_version.is_some() {
            return Err(Error::Rollback("the server says the account is new, but this device knows its keys"));
        }
        Ok(())
    }

    /// Records a successfully unlocked key when it is newer than what was seen.
    pub fn observe(&mut self, key_version: u32, key_id: &KeyId) {
        if self.key_version.is_none_or(|v| key_version > v)
            || (self.key_version == Some(key_version) && self.key_id.is_none())
        {
            self.key_version = Some(key_version);
            self.key_id = Some(*key_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_older_and_forked_keys() {
        let k1 = KeyId([1; 16]);
        let k2 = KeyId([2; 16]);
        let mut guard = KeyVersionGuard::new();
        guard.check_new_user().unwrap();
        guard.check(1, &k1).unwrap();
        guard.observe(2, &k2);
        assert_eq!(guard.check(1, &k1).unwrap_err().code(), "rollback");
        assert_eq!(guard.check(2, &k1).unwrap_err().code(), "rollback");
        guard.check(2, &k2).unwrap();
        guard.check(3, &k1).unwrap();
        assert_eq!(guard.check_new_user().unwrap_err().code(), "rollback");
        guard.observe(1, &k1);
        assert_eq!(guard.key_version, Some(2));
        let json = serde_json::to_string(&guard).unwrap();
        assert_eq!(serde_json::from_str::<KeyVersionGuard>(&json).unwrap(), guard);
    }

    #[test]
    fn floor_only() {
        let guard = KeyVersionGuard::at_least(3);
        assert_eq!(guard.check(2, &KeyId([0; 16])).unwrap_err().code(), "rollback");
        guard.check(3, &KeyId([0; 16])).unwrap();
        let mut guard = guard;
        guard.observe(3, &KeyId([9; 16]));
        assert_eq!(guard.key_id, Some(KeyId([9; 16])));
    }
}
