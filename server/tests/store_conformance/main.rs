//! One story per concern of the [`MetadataStore`] trait, run against every backend: SQLite
//! always, PostgreSQL too with `SYNC_TEST_BACKEND=postgres-s3` (a fresh database on the
//! services of `scripts/services.sh`). Both stores call the same rules (`sync_server::domain`)
//! inside their own transactions; these stories check that they apply them the same way.
//!
//! Modules: `accounts` (users and tokens, devices under a limit, keys and revisions, Stripe
//! bookkeeping), `blobs` (declare, re-declare, complete, quota; listing with a cursor; search;
//! usage), `cleanup` (deleting an account's data or the account, retention, abandoned uploads,
//! orphans), `pairing` (the pairing mailboxes), `retention` (the retention an account chooses per
//! type), `schema` (the migrations and databases created before them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod blobs;
mod cleanup;
mod pairing;
mod retention;
mod schema;

use std::sync::Arc;

use sha2::{Digest, Sha256};
use sync_core::wire::{Checksum, Envelope, KeyringEntry, RecoveryEnvelope, SyncTier};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};
use sync_server::domain::accounts::hash_token;
use sync_server::store::metadata::postgres::PostgresMetadata;
use sync_server::store::metadata::sqlite::SqliteMetadata;
use sync_server::store::metadata::{BlobMeta, CreateUserOutcome, MetadataStore, NewDevice, TokenBytes, User};

/// A store under test, with what keeps it alive.
pub struct Backend {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// The store.
    pub store: Arc<dyn MetadataStore>,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh, empty SQLite store.
pub fn sqlite() -> (SqliteMetadata, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteMetadata::open(&dir.path().join("metadata.sqlite3")).unwrap();
    (store, dir)
}

/// Every backend under test, each fresh and empty.
pub async fn backends() -> Vec<Backend> {
    let (store, dir) = sqlite();
    let mut out = vec![Backend { name: "sqlite", store: Arc::new(store), _dir: Some(dir) }];
    if common::scale_backend() {
        let url = common::fresh_database().await;
        let store = PostgresMetadata::connect(&url, 4).await.unwrap();
        out.push(Backend { name: "postgres", store: Arc::new(store), _dir: None });
    }
    out
}

/// 2026-01-05T09:00:00.000Z.
pub const T0: i64 = common::T0;
/// One minute and one day in ms.
pub const MINUTE: i64 = common::MINUTE;
/// One day in ms.
pub const DAY: i64 = common::DAY;

/// An instant `ms` after [`T0`].
pub fn at(ms: i64) -> UnixMillis {
    UnixMillis(T0 + ms)
}

/// Creates an account.
pub async fn user(store: &dyn MetadataStore, email: &str, tier: SyncTier) -> User {
    match store.create_user(email, tier, hash_token(&format!("token of {email}")), at(0)).await.unwrap() {
        CreateUserOutcome::Created(user) => user,
        CreateUserOutcome::EmailTaken => panic!("{email} exists"),
    }
}

/// A device to register.
pub fn device(id: &str) -> NewDevice {
    NewDevice {
        device_id: DeviceId::new(id).unwrap(),
        device_name: format!("{id} name"),
        device_os: "linux".into(),
        app_version: Some("1.0.0".into()),
    }
}

/// Registers a device without limit.
pub async fn register(store: &dyn MetadataStore, user: &User, id: &str) {
    store.register_device(user.id, device(id), None, at(0)).await.unwrap();
}

/// A device id.
pub fn dev(id: &str) -> DeviceId {
    DeviceId::new(id).unwrap()
}

/// A search token from a word.
pub fn tok(word: &str) -> TokenBytes {
    let digest = Sha256::digest(word.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// Blob metadata: id from `seed`, `time_start` `start` ms after [`T0`], five minutes long.
pub fn meta(seed: u8, blob_type: BlobType, start: i64, size: u64, device: &str) -> BlobMeta {
    BlobMeta {
        blob_id: BlobId([seed; 16]),
        blob_type,
        device_id: dev(device),
        time_start: at(start),
        time_end: at(start + 5 * MINUTE),
        size_bytes: size,
        checksum: Checksum([seed; 32]),
        key_id: KeyId([1; 16]),
    }
}

/// Declares and completes a blob (no limit in the way).
pub async fn stored(store: &dyn MetadataStore, user: &User, meta: &BlobMeta, words: &[&str], now: UnixMillis) {
    let tokens = words.iter().map(|w| tok(w)).collect();
    store
        .declare_blob(user.id, meta.clone(), tokens, sync_server::store::metadata::UploadLimits::UNLIMITED, now)
        .await
        .unwrap();
    let done = store.complete_blob(user.id, meta.blob_id, &meta.device_id, checked(meta), u64::MAX, now).await.unwrap();
    assert!(matches!(done, sync_server::store::metadata::CompleteOutcome::Completed { .. }), "{done:?}");
}

/// The check of an uploaded object that is exactly `meta`'s (what `/upload/complete` passes on).
pub fn checked(meta: &BlobMeta) -> Option<sync_server::store::objects::ObjectDigest> {
    Some(sync_server::store::objects::ObjectDigest { size: meta.size_bytes, sha256: meta.checksum })
}

/// An envelope for key `key` at `version`.
pub fn envelope(key: u8, version: u32) -> Envelope {
    serde_json::from_value(common::envelope(key, version)).unwrap()
}

/// A recovery envelope for key `key` at `version`.
pub fn recovery(key: u8, version: u32) -> RecoveryEnvelope {
    serde_json::from_value(common::recovery(key, version)).unwrap()
}

/// A keyring entry for key `key`.
pub fn keyring_entry(key: u8) -> KeyringEntry {
    serde_json::from_value(common::keyring_entry(key)).unwrap()
}
