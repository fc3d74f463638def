//! The key envelope, recovery envelope and keyring entry objects (docs/FORMAT.md, "Envelope", "Recovery" and "Rotation, keyring, rollback").
//!
//! These are the exact JSON objects the server stores and returns. Parsing is strict: unknown
//! fields, wrong types, and byte strings of the wrong length are malformed; a `v`, `alg` or
//! Argon2 `version` other than the one of format v1 is unsupported. Opening them needs the
//! `crypto` feature (`crate::keys`).

use serde::{Deserialize, Serialize};

use crate::encoding::base64url;
use crate::error::{Error, Result};
use crate::ids::KeyId;

/// Fixed length of an XChaCha nonce.
pub const NONCE_LEN: usize = 24;
/// Fixed length of a wrapped 32-byte key (key plus 16-byte tag).
pub const WRAPPED_KEY_LEN: usize = 48;

mod fixed {
    //! Serde for fixed-length base64url byte strings.
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer, const N: usize>(bytes: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::encoding::base64url::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::encoding::base64url::decode_array::<N>(&text, "byte string of the wrong length or encoding")
            .map_err(D::Error::custom)
    }
}

/// The Argon2id parameters as they appear in an envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeKdf {
    /// Always `"argon2id"` in format v1.
    pub alg: String,
    /// Argon2 version, always 19 (0x13).
    pub version: u32,
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

/// The password envelope: the master key wrapped under the password's `wrap_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version, 1.
    pub v: u32,
    /// Key derivation parameters.
    pub kdf: EnvelopeKdf,
    /// Argon2 salt (16 to 64 bytes; the bound is checked when opening, as `params_out_of_bounds`).
    #[serde(with = "base64url::serde_bytes")]
    pub salt: Vec<u8>,
    /// Id of the wrapped master key.
    pub key_id: KeyId,
    /// Version of the wrapped master key (1 for the first, +1 per rotation).
    pub key_version: u32,
    /// XChaCha nonce.
    #[serde(with = "fixed")]
    pub nonce: [u8; NONCE_LEN],
    /// The sealed master key.
    #[serde(with = "fixed")]
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// The recovery envelope: the master key wrapped under a key derived from the recovery key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryEnvelope {
    /// Format version, 1.
    pub v: u32,
    /// Id of the wrapped master key.
    pub key_id: KeyId,
    /// Version of the wrapped master key.
    pub key_version: u32,
    /// XChaCha nonce.
    #[serde(with = "fixed")]
    pub nonce: [u8; NONCE_LEN],
    /// The sealed master key.
    #[serde(with = "fixed")]
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// An older master key, sealed under the newest master's `keyring_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringEntry {
    /// Id of the older master key.
    pub key_id: KeyId,
    /// XChaCha nonce.
    #[serde(with = "fixed")]
    pub nonce: [u8; NONCE_LEN],
    /// The sealed older master key.
    #[serde(with = "fixed")]
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str, what: &'static str) -> Result<T> {
    serde_json::from_str(json).map_err(|_| Error::Malformed(what))
}

fn to_json<T: Serialize>(value: &T) -> String {
    // These types hold only strings and integers: serialization cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

impl Envelope {
    /// Parses an envelope and checks that it is format v1.
    pub fn from_json(json: &str) -> Result<Envelope> {
        let env: Envelope = from_json(json, "envelope JSON")?;
        env.check_version()?;
        Ok(env)
    }

    /// The JSON text of this envelope.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// `unsupported` unless `v`, `kdf.alg` and `kdf.version` are those of format v1.
    pub fn check_version(&self) -> Result<()> {
        if self.v != 1 {
            return Err(Error::Unsupported("envelope version"));
        }
        if self.kdf.alg != "argon2id" {
            return Err(Error::Unsupported("key derivation algorithm"));
        }
        if self.kdf.version != 19 {
            return Err(Error::Unsupported("Argon2 version"));
        }
        Ok(())
    }
}

impl RecoveryEnvelope {
    /// Parses a recovery envelope and checks that it is format v1.
    pub fn from_json(json: &str) -> Result<RecoveryEnvelope> {
        let env: RecoveryEnvelope = from_json(json, "recovery envelope JSON")?;
        env.check_version()?;
        Ok(env)
    }

    /// The JSON text of this recovery envelope.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// `unsupported` unless `v` is 1.
    pub fn check_version(&self) -> Result<()> {
        if self.v != 1 {
            return Err(Error::Unsupported("recovery envelope version"));
        }
        Ok(())
    }
}

impl KeyringEntry {
    /// Parses a keyring (a JSON list of entries).
    pub fn list_from_json(json: &str) -> Result<Vec<KeyringEntry>> {
        let list: Vec<KeyringEntry> = from_json(json, "keyring JSON")?;
        if list.len() > crate::wire::limits::MAX_KEYRING_ENTRIES {
            return Err(Error::TooLarge("keyring has too many entries"));
        }
        Ok(list)
    }

    /// The JSON text of a keyring.
    pub fn list_to_json(list: &[KeyringEntry]) -> String {
        to_json(&list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        Envelope {
            v: 1,
            kdf: EnvelopeKdf { alg: "argon2id".into(), version: 19, m_kib: 65536, t: 3, p: 4 },
            salt: vec![1; 32],
            key_id: KeyId([2; 16]),
            key_version: 1,
            nonce: [3; 24],
            wrapped_key: [4; 48],
        }
    }

    #[test]
    fn envelope_json_shape_and_round_trip() {
        let env = sample();
        let json = env.to_json();
        assert!(json.starts_with(r#"{"v":1,"kdf":{"alg":"argon2id","version":19,"m_kib":65536,"t":3,"p":4},"salt":"#));
        assert_eq!(Envelope::from_json(&json).unwrap(), env);
    }

    #[test]
    fn strictness() {
        let json = sample().to_json();
        let extra = json.replacen("{\"v\":1,", "{\"v\":1,\"x\":0,", 1);
        assert_eq!(Envelope::from_json(&extra).unwrap_err().code(), "malformed");
        let v2 = json.replacen("{\"v\":1,", "{\"v\":2,", 1);
        assert_eq!(Envelope::from_json(&v2).unwrap_err().code(), "unsupported");
        let alg = json.replacen("argon2id", "argon2i", 1);
        assert_eq!(Envelope::from_json(&alg).unwrap_err().code(), "unsupported");
        let ver = json.replacen("\"version\":19", "\"version\":16", 1);
        assert_eq!(Envelope::from_json(&ver).unwrap_err().code(), "unsupported");
        let mut short = sample();
        short.salt = vec![];
        let nonce = short.to_json().replacen(&base64url::encode(&[3; 24]), &base64url::encode(&[3; 23]), 1);
        assert_eq!(Envelope::from_json(&nonce).unwrap_err().code(), "malformed");
        let neg = json.replacen("\"t\":3", "\"t\":-3", 1);
        assert_eq!(Envelope::from_json(&neg).unwrap_err().code(), "malformed");
        assert_eq!(Envelope::from_json("[]").unwrap_err().code(), "malformed");
    }
}
