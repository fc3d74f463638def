//! The key hierarchy (docs/FORMAT.md, "Key hierarchy"), from the password to the subkeys.
//!
//! ```text
//! password ──NFKC, Argon2id──► password_key ──HKDF "spsync/v1/wrap"──► wrap_key ─┐
//! recovery phrase ──BIP-39──► recovery_key ──HKDF "spsync/v1/recovery-wrap"──────┤ XChaCha unwrap
//!                                                                                  ▼
//!                                                 master_key (random, key_id, key_version)
//!                                                  ├─HKDF "spsync/v1/data"────► data_key (blobs)
//!                                                  ├─HKDF "spsync/v1/search"──► search_key (tokens)
//!                                                  ├─HKDF "spsync/v1/id"──────► id_key (blob ids)
//!                                                  └─HKDF "spsync/v1/keyring"─► keyring_key (older masters)
//! ```
//!
//! Modules, bottom up: [`params`] (Argon2id bounds), [`password`] (normalization, derivation,
//! strength), [`master`] and [`subkeys`], [`envelope`], [`recovery`], [`keyring`], then the
//! safe API: [`KeySet`] (every unlocked key by id; account creation, unlock, password change,
//! recovery, rotation), [`KeyVersionGuard`] (the rollback rule) and [`ExportedKeys`] (an unlocked
//! set serialized for the OS keychain or another device). Naming follows
//! `derive_` for deterministic and `make_` for random.

pub mod envelope;
pub mod export;
pub mod guard;
pub mod keyring;
pub mod keyset;
pub mod master;
pub mod params;
pub mod password;
pub mod recovery;
pub mod subkeys;

pub use export::ExportedKeys;
pub use guard::KeyVersionGuard;
pub use keyset::{DataKeys, KeySet, NewAccount, Rotation};
pub use master::MasterKey;
pub use params::KdfParams;
pub use recovery::{RecoveryKey, RecoveryPhrase};
pub use subkeys::{DataKey, IdKey, KeyringKey, SearchKey, Subkeys};
