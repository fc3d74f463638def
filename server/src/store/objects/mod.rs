//! The object store: where ciphertext objects live, and how clients reach them.
//!
//! Clients never send blob bytes through the JSON API: `/upload` hands out an upload URL and
//! `/download` download URLs. The object store decides what those URLs are: the local store
//! signs URLs that this server answers itself ([`local::LocalObjects`]); an S3-compatible store
//! hands out its own presigned URLs.
//!
//! An upload URL never names the object itself: it names the object's *staging* place. At
//! `/upload/complete` the server takes the staged upload out of reach of every URL (a rename, or
//! a copy to a key no URL names), checks its size and SHA-256 against the declaration
//! ([`crate::domain::uploads::check_upload`]) and only then moves it into place
//! ([`ObjectStore::finish_upload`]). So a completed object cannot be written through any URL: a
//! `PUT` through a still-valid upload URL after completion only writes a staged leftover, which
//! the cleanup job removes.

pub mod local;
pub mod s3;
pub mod signed_url;

use std::time::SystemTime;

use async_trait::async_trait;

use super::{ObjectKey, StoreResult};
use crate::domain::model::BlobMeta;
pub use crate::domain::model::ObjectDigest;
use crate::domain::uploads::UploadCheck;

/// Where objects live.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// A URL to `PUT` exactly `size` bytes of `key`'s upload to (its staging place, never the
    /// object itself), valid until `expires` (Unix seconds).
    async fn upload_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String>;
    /// A URL to `GET` `key` (of `size` bytes) from, valid until `expires` (Unix seconds).
    async fn download_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String>;
    /// Takes the upload staged for `key` out of reach of upload URLs, checks it against the
    /// `declared` size and SHA-256, and makes it the object of `key` when it matches (a staged
    /// upload that does not match is deleted). Without a staged upload, checks the object in
    /// place (one verified before whose completion did not go through, over the quota for
    /// example), leaving it as it is.
    async fn finish_upload(&self, key: &ObjectKey, declared: &BlobMeta) -> StoreResult<UploadCheck>;
    /// Deletes an object and its staged upload; deleting missing ones is not an error.
    async fn delete(&self, key: &ObjectKey) -> StoreResult<()>;
    /// Deletes the staged upload of `key` only (a leftover of a completed or removed blob).
    async fn delete_staged(&self, key: &ObjectKey) -> StoreResult<()>;
    /// Removes partial uploads (interrupted PUTs) and uploads taken for checking (an
    /// interrupted completion) last touched before `older_than`; returns how many.
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
    /// Staged uploads last modified before `older_than`, paged like
    /// [`ObjectStore::list_objects_before`]: the cleanup job deletes those of blobs that are
    /// complete or gone.
    async fn list_staged_before(
        &self,
        older_than: SystemTime,
        offset: Option<String>,
        limit: usize,
    ) -> StoreResult<(Vec<ObjectKey>, Option<String>)>;
}
