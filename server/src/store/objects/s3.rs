//! The object store at scale: any S3-compatible service (AWS S3, Cloudflare R2, MinIO,
//! SeaweedFS, ...) through the `object_store` crate, with presigned URLs straight to the store.
//!
//! Blob bytes never pass through this server in this mode: `/upload` hands out a presigned
//! `PUT` URL and `/download` presigned `GET` URLs (AWS Signature V4 in the query string). The
//! server reads an object only at `/upload/complete`, streamed in chunks through SHA-256 (never
//! whole in memory), and deletes objects on retention, device data removal, `DELETE /data`,
//! checksum mismatches and abandoned uploads.
//!
//! What the store enforces, and what the server checks:
//! - The store checks the signature and the expiry of every presigned URL: a tampered URL
//!   (method, bucket, key, expiry, signature) or an expired one is refused by the store itself
//!   (`403`), not by this server.
//! - A presigned `PUT` does not bind the body: neither its size (object_store reserves
//!   `Content-Length` for its signer) nor its content. It never names the object either, only
//!   its staging key: at `/upload/complete` the server copies the staged upload to a fresh key
//!   that no URL names, deletes the staged one, reads the copy in chunks through SHA-256 (never
//!   whole in memory) and, when size and SHA-256 are the declared ones, copies it to the
//!   object's key ([`ObjectStore::finish_upload`]); a mismatch is deleted (`400
//!   CHECKSUM_MISMATCH`). The object's key is therefore written only by the server, with
//!   verified bytes. The size of one upload is bounded by the store's own limit (5 GiB for a
//!   single S3 `PUT`).
//! - A presigned URL cannot be revoked: until it expires, its holder (a device of the same
//!   account) may `PUT` again, even after completion, but that only writes a staged leftover
//!   (never the completed object), which the cleanup job deletes once older than
//!   `abandoned_upload_secs`; keep `upload_url_ttl_secs` short. Objects written after their
//!   blob row was removed are orphans, deleted by the same job.
//!
//! Layout in one bucket (`PREFIX` empty by default): objects at `PREFIX/USER_ID/BLOB_ID_HEX`,
//! staged uploads at `PREFIX/staging/USER_ID/BLOB_ID_HEX`, uploads being checked at
//! `PREFIX/checking/USER_ID/BLOB_ID_HEX.RANDOM`.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::{Method, SignedUrlOptions, Signer};
use object_store::{ObjectStore as _, ObjectStoreExt as _};
use sha2::{Digest, Sha256};
use sync_core::BlobId;
use sync_core::encoding::hex;
use sync_core::wire::Checksum;

use super::{ObjectDigest, ObjectStore};
use crate::domain::model::BlobMeta;
use crate::domain::uploads::{self, UploadCheck};
use crate::redact;
use crate::store::{ObjectKey, StoreResult};

/// Where the bucket is and how to reach it. Unset fields come from the usual AWS environment
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`
/// or `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`), then from object_store's defaults.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Config {
    /// Endpoint URL as clients reach it (`https://ACCOUNT.r2.cloudflarestorage.com`,
    /// `http://127.0.0.1:8333`); `None`: AWS S3 of the region.
    pub endpoint: Option<String>,
    /// The bucket (it must exist).
    pub bucket: String,
    /// Region (`us-east-1`, `auto` for R2).
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Key prefix inside the bucket (several deployments or test runs can share a bucket).
    pub prefix: Option<String>,
}

/// Shows everything but the secret access key (`<redacted>`).
impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redact::secret(&self.secret_access_key))
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// Key prefix (after `PREFIX/`) of staged uploads.
const STAGING: &str = "staging/";
/// Key prefix (after `PREFIX/`) of uploads being checked.
const CHECKING: &str = "checking/";

/// Objects in an S3-compatible bucket, with presigned URLs.
pub struct S3Objects {
    store: AmazonS3,
    /// `""` or `"some/prefix/"`.
    prefix: String,
}

impl S3Objects {
    /// Builds the client (no request is made).
    pub fn new(config: &S3Config) -> StoreResult<S3Objects> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&config.bucket);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &config.region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &config.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build()?;
        let prefix = config.prefix.as_deref().unwrap_or("").trim_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        Ok(S3Objects { store, prefix })
    }

    fn path(&self, key: &ObjectKey) -> Path {
        Path::from(format!("{}{}", self.prefix, key.path()))
    }

    fn staged_path(&self, key: &ObjectKey) -> Path {
        Path::from(format!("{}{STAGING}{}", self.prefix, key.path()))
    }

    fn check_path(key: &ObjectKey, prefix: &str) -> StoreResult<Path> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(crate::store::StoreError::from)?;
        Ok(Path::from(format!("{prefix}{CHECKING}{}.{}", key.path(), hex::encode(&nonce))))
    }

    /// The object key of a listed location under `PREFIX/` + `under` (`USER_ID/BLOB_ID_HEX`).
    fn key_under(&self, location: &Path, under: &str) -> Option<ObjectKey> {
        let rest = location.as_ref().strip_prefix(&self.prefix)?.strip_prefix(under)?;
        let (user, blob) = rest.split_once('/')?;
        Some(ObjectKey { user_id: user.parse().ok()?, blob_id: BlobId::from_hex(blob).ok()? })
    }

    /// Size and SHA-256 of the object at `path`, read in chunks; `None` when absent.
    async fn hash(&self, path: &Path) -> StoreResult<Option<ObjectDigest>> {
        let result = match self.store.get(path).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut stream = result.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            size = size.saturating_add(chunk.len() as u64);
            hasher.update(&chunk);
        }
        let sha: [u8; 32] = hasher.finalize().into();
        Ok(Some(ObjectDigest { size, sha256: Checksum(sha) }))
    }

    async fn delete_path(&self, path: &Path) -> StoreResult<()> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Keys of the objects listed under `PREFIX/` + `under` last modified before
    /// `older_than`, paged as [`ObjectStore::list_objects_before`] says.
    async fn list_under(
        &self,
        under: &str,
        older_than: SystemTime,
        offset: Option<String>,
        limit: usize,
    ) -> StoreResult<(Vec<(Path, Option<ObjectKey>)>, Option<String>)> {
        let base = format!("{}{under}", self.prefix);
        let prefix = Path::from(base.trim_end_matches('/'));
        let prefix = if base.is_empty() { None } else { Some(&prefix) };
        let mut listing = match &offset {
            Some(offset) => self.store.list_with_offset(prefix, &Path::from(offset.as_str())),
            None => self.store.list(prefix),
        };
        let cutoff = unix_millis(older_than);
        let mut found = Vec::new();
        let mut seen = 0usize;
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            seen += 1;
            if meta.last_modified.timestamp_millis() < cutoff {
                let key = self.key_under(&meta.location, under);
                found.push((meta.location.clone(), key));
            }
            if seen >= limit {
                return Ok((found, Some(meta.location.to_string())));
            }
        }
        Ok((found, None))
    }

    /// The underlying client (tests and tools use it to look at the bucket).
    pub fn client(&self) -> &AmazonS3 {
        &self.store
    }

    /// Every object key under the prefix (for tests and tools; lists the whole prefix).
    pub async fn list_all(&self) -> StoreResult<Vec<String>> {
        let prefix = Path::from(self.prefix.trim_end_matches('/'));
        let mut listing = self.store.list(if self.prefix.is_empty() { None } else { Some(&prefix) });
        let mut out = Vec::new();
        while let Some(meta) = listing.next().await {
            out.push(meta?.location.to_string());
        }
        Ok(out)
    }

    async fn sign(&self, method: Method, path: &Path, options: &SignedUrlOptions, expires: i64) -> StoreResult<String> {
        let secs = expires.saturating_sub(crate::time::now_secs()).max(1);
        let expires_in = Duration::from_secs(u64::try_from(secs).unwrap_or(1));
        let url = self.store.signed_url_opts(method, path, expires_in, options).await?;
        Ok(url.to_string())
    }
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn upload_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String> {
        // The size is checked at /upload/complete (see the module documentation).
        let _ = size;
        self.sign(Method::PUT, &self.staged_path(key), &SignedUrlOptions::default(), expires).await
    }

    async fn download_url(&self, key: &ObjectKey, _size: u64, expires: i64) -> StoreResult<String> {
        // The store answers with these headers: a download, never a page.
        let options = SignedUrlOptions::new().with_query([
            ("response-content-disposition", "attachment"),
            ("response-content-type", "application/octet-stream"),
        ]);
        self.sign(Method::GET, &self.path(key), &options, expires).await
    }

    async fn finish_upload(&self, key: &ObjectKey, declared: &BlobMeta) -> StoreResult<UploadCheck> {
        let staged = self.staged_path(key);
        let check = Self::check_path(key, &self.prefix)?;
        match self.store.copy(&staged, &check).await {
            Ok(()) => {}
            Err(object_store::Error::NotFound { .. }) => {
                return Ok(uploads::check_upload(declared, self.hash(&self.path(key)).await?));
            }
            Err(err) => return Err(err.into()),
        }
        // Taken: a later PUT through the URL makes a new staged upload, never this copy.
        self.delete_path(&staged).await?;
        let outcome = match self.hash(&check).await {
            Ok(digest) => uploads::check_upload(declared, digest),
            Err(err) => {
                let _ = self.delete_path(&check).await;
                return Err(err);
            }
        };
        if outcome == UploadCheck::Verified
            && let Err(err) = self.store.copy(&check, &self.path(key)).await
        {
            let _ = self.delete_path(&check).await;
            return Err(err.into());
        }
        self.delete_path(&check).await?;
        Ok(outcome)
    }

    async fn delete(&self, key: &ObjectKey) -> StoreResult<()> {
        self.delete_path(&self.path(key)).await?;
        self.delete_path(&self.staged_path(key)).await
    }

    async fn delete_staged(&self, key: &ObjectKey) -> StoreResult<()> {
        self.delete_path(&self.staged_path(key)).await
    }

    async fn sweep_partial_uploads(&self, older_than: SystemTime) -> StoreResult<u64> {
        // A presigned PUT is a single request: the store keeps all of it or nothing. What an
        // interrupted completion leaves is a copy being checked.
        let mut removed = 0;
        let mut offset = None;
        loop {
            let (found, next) = self.list_under(CHECKING, older_than, offset, 1000).await?;
            for (path, _) in found {
                self.delete_path(&path).await?;
                removed += 1;
            }
            match next {
                Some(next) => offset = Some(next),
                None => return Ok(removed),
            }
        }
    }

    async fn list_objects_before(
        &self,
        older_than: SystemTime,
        offset: Option<String>,
        limit: usize,
    ) -> StoreResult<(Vec<ObjectKey>, Option<String>)> {
        let (found, next) = self.list_under("", older_than, offset, limit).await?;
        Ok((found.into_iter().filter_map(|(_, key)| key).collect(), next))
    }

    async fn list_staged_before(
        &self,
        older_than: SystemTime,
        offset: Option<String>,
        limit: usize,
    ) -> StoreResult<(Vec<ObjectKey>, Option<String>)> {
        let (found, next) = self.list_under(STAGING, older_than, offset, limit).await?;
        Ok((found.into_iter().filter_map(|(_, key)| key).collect(), next))
    }
}

/// Milliseconds since the epoch of a `SystemTime`.
fn unix_millis(t: SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}
