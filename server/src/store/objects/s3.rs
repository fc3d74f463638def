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
//!   `Content-Length` for its signer) nor its content. The server checks both at
//!   `/upload/complete` (a streamed full read through SHA-256), deletes a mismatching object
//!   and answers `400 CHECKSUM_MISMATCH`; the blob stays invisible until a good upload. The
//!   size of one object is bounded by the store's own limit (5 GiB for a single S3 `PUT`).
//! - A presigned URL cannot be revoked: until it expires, its holder (a device of the same
//!   account) may `PUT` again, even after completion. Clients check the SHA-256 (and the AEAD)
//!   of every download, so such an overwrite is detected, never accepted; keep
//!   `upload_url_ttl_secs` short. Objects written through a URL after their blob row was
//!   removed (`DELETE /data` during an upload, an abandoned upload finished late) are orphans:
//!   the cleanup job lists objects older than `abandoned_upload_secs` and deletes those
//!   without a blob row.
//!
//! Layout: `PREFIX/USER_ID/BLOB_ID_HEX` in one bucket (`PREFIX` empty by default).

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::{Method, SignedUrlOptions, Signer};
use object_store::{ObjectStore as _, ObjectStoreExt as _};
use sha2::{Digest, Sha256};
use sync_core::BlobId;
use sync_core::wire::Checksum;

use super::{ObjectDigest, ObjectStore};
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

    fn key_of(&self, location: &Path) -> Option<ObjectKey> {
        let rest = location.as_ref().strip_prefix(&self.prefix)?;
        let (user, blob) = rest.split_once('/')?;
        Some(ObjectKey { user_id: user.parse().ok()?, blob_id: BlobId::from_hex(blob).ok()? })
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

    async fn sign(
        &self,
        method: Method,
        key: &ObjectKey,
        options: &SignedUrlOptions,
        expires: i64,
    ) -> StoreResult<String> {
        let secs = expires.saturating_sub(crate::time::now_secs()).max(1);
        let expires_in = Duration::from_secs(u64::try_from(secs).unwrap_or(1));
        let url = self.store.signed_url_opts(method, &self.path(key), expires_in, options).await?;
        Ok(url.to_string())
    }
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn upload_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String> {
        // The size is checked at /upload/complete (see the module documentation).
        let _ = size;
        self.sign(Method::PUT, key, &SignedUrlOptions::default(), expires).await
    }

    async fn download_url(&self, key: &ObjectKey, _size: u64, expires: i64) -> StoreResult<String> {
        self.sign(Method::GET, key, &SignedUrlOptions::default(), expires).await
    }

    async fn digest(&self, key: &ObjectKey) -> StoreResult<Option<ObjectDigest>> {
        let result = match self.store.get(&self.path(key)).await {
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

    async fn delete(&self, key: &ObjectKey) -> StoreResult<()> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    async fn sweep_partial_uploads(&self, _older_than: SystemTime) -> StoreResult<u64> {
        // A presigned PUT is a single request: the store keeps all of it or nothing.
        Ok(0)
    }

    async fn list_objects_before(
        &self,
        older_than: SystemTime,
        offset: Option<String>,
        limit: usize,
    ) -> StoreResult<(Vec<ObjectKey>, Option<String>)> {
        let prefix = Path::from(self.prefix.trim_end_matches('/'));
        let prefix = if self.prefix.is_empty() { None } else { Some(&prefix) };
        let mut listing = match &offset {
            Some(offset) => self.store.list_with_offset(prefix, &Path::from(offset.as_str())),
            None => self.store.list(prefix),
        };
        let cutoff = unix_millis(older_than);
        let mut keys = Vec::new();
        let mut seen = 0usize;
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            seen += 1;
            if meta.last_modified.timestamp_millis() < cutoff
                && let Some(key) = self.key_of(&meta.location)
            {
                keys.push(key);
            }
            if seen >= limit {
                return Ok((keys, Some(meta.location.to_string())));
            }
        }
        Ok((keys, None))
    }
}

/// Milliseconds since the epoch of a `SystemTime`.
fn unix_millis(t: SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}
