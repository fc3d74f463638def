//! The master key: 32 random bytes named by a `key_id`, with a `key_version` (docs/FORMAT.md, "Envelope").
//!
//! The master key itself encrypts nothing; it wraps into envelopes and derives the subkeys.

use std::fmt;

use crate::error::Result;
use crate::ids::KeyId;
use crate::primitives::random::{RandomSource, random_array};
use crate::primitives::secret::secret_bytes;

secret_bytes!(
    /// The 32 secret bytes of a master key.
    MasterSecret
);

/// A master key with its id and version.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// Names the key in envelopes, keyring entries and blob headers.
    pub key_id: KeyId,
    /// 1 for the first key, +1 at each rotation; `None` for an older key opened from a keyring
    /// entry (entries do not carry a version).
    pub key_version: Option<u32>,
    /// The secret.
    pub secret: MasterSecret,
}

impl MasterKey {
    /// Makes a new random master key with a random id.
    pub fn make(key_version: u32, rng: &mut dyn RandomSource) -> Result<MasterKey> {
        let secret = MasterSecret::from_bytes(random_array::<32>(rng)?);
        let key_id = KeyId(random_array::<16>(rng)?);
        Ok(MasterKey { key_id, key_version: Some(key_version), secret })
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("key_id", &self.key_id)
            .field("key_version", &self.key_version)
            .field("secret", &self.secret)
            .finish()
    }
}
