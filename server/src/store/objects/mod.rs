//! The object store: where ciphertext objects live, and how clients reach them.
//!
//! Clients never send blob bytes through the JSON API: `/upload` hands out an upload URL and
//! `/download` download URLs. The object store decides what those URLs are: the local store
//! signs URLs that this server answers itself ([`local::LocalObjects`]); an S3-compatible store
//! hands out its own presigned URLs. The server then checks a completed upload through
//! [`ObjectStore::digest`] (size and SHA-256) before the blob becomes visible.

pub mod local;
pub mod s3;
pub mod signed_url;

use std::time::SystemTime;

use async_trait::async_trait;

use super::{ObjectKey, StoreResult};
pub use crate::domain::model::ObjectDigest;

/// Where objects live.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// A URL to `PUT` exactly `size` bytes of `key` to, valid until `expires` (Unix seconds).
    async fn upload_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String>;
    /// A URL to `GET` `key` (of `size` bytes) from, valid until `expires` (Unix seconds).
    async fn download_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String>;
    /// Size and SHA-256 of the stored object, `None` when nothing was uploaded.
    async fn digest(&self, key: &ObjectKey) -> StoreResult<Option<ObjectDigest>>;
    /// Deletes an object; deleting a missing object is not an error.
    async fn delete(&self, key: &ObjectKey) -> StoreResult<()>;
    /// Removes partial uploads (interrupted PUTs) last touched before `older_than`; returns
    /// how many were removed.
    async fn sweep_partial_uploads(&self, older_than: SystemTime) -> StoreResult<u64>;
    /// Objects last modified before `older_than`, listed in key order from after `offset`
    /// (at most `limit` listed per call), and the offset to continue from (`None` at the end):
    /// candidates for the orphan sweep, which deletes those without a blob row. A store whose
    /// writes this server answers itself (it checks the blob row before writing) lists none.
    async fn list_objects_before(
        &self,
        _older_than: SystemTime,
        _offset: Option<String>,
        _limit: usize,
    ) -> StoreResult<(Vec<ObjectKey>, Option<String>)> {
        Ok((Vec::new(), None))
    }
}
