//! The embedded object store: one file per object under `DATA_DIR/objects`, reached through
//! URLs that this server signs ([`super::signed_url`]) and answers itself
//! (`http::objects`).
//!
//! Layout: `objects/USER_ID/AB/BLOB_ID` (`AB` = first two hex digits of the blob id) for
//! objects, `objects/.staging/USER_ID/AB/BLOB_ID` for uploads waiting for `/upload/complete`,
//! and `objects/.partial/RANDOM.part` for uploads in progress (`RANDOM.check` for an upload
//! being checked). An upload streams to a partial file in bounded chunks (never whole in
//! memory), is synced, then renamed to its staging place, so a reader never sees half an
//! upload and an interrupted one leaves only a partial file that the cleanup job removes.
//! Completing renames the staged file to a private check file (out of reach of any `PUT`),
//! hashes it, and renames it into place when it is the declared object
//! ([`super::ObjectStore::finish_upload`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sync_core::BlobId;
use sync_core::encoding::hex;
use sync_core::wire::Checksum;
use tokio::io::AsyncWriteExt;

use super::signed_url::{SignedParams, UrlError, UrlMethod, UrlSigner};
use super::{ObjectDigest, ObjectStore};
use crate::domain::model::BlobMeta;
use crate::domain::uploads::{self, UploadCheck};
use crate::store::{ObjectKey, StoreError, StoreResult};

const PARTIAL_DIR: &str = ".partial";
const STAGING_DIR: &str = ".staging";

/// Why a streamed upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The body is longer than the signed size.
    #[error("the body is longer than the {0} bytes the URL was signed for")]
    TooLong(u64),
    /// The body is shorter than the signed size.
    #[error("the body has {got} bytes, the URL was signed for {expected}")]
    TooShort {
        /// Bytes received.
        got: u64,
        /// Bytes signed for.
        expected: u64,
    },
    /// The client's body stream failed (disconnect).
    #[error("the request body failed: {0}")]
    Body(String),
    /// The body went too long without a byte, or took too long in all.
    #[error("the request body was too slow")]
    Timeout,
    /// The disk failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Objects in a local directory, with server-signed URLs.
pub struct LocalObjects {
    root: PathBuf,
    signer: UrlSigner,
    public_url: String,
}

/// An upload body received whole and synced to a partial file, not yet staged: stage it with
/// [`LocalObjects::stage`]; dropped, its file is removed.
#[derive(Debug)]
pub struct ReceivedUpload {
    path: Option<PathBuf>,
}

impl Drop for ReceivedUpload {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn random_name() -> StoreResult<String> {
    let mut name = [0u8; 16];
    getrandom::fill(&mut name).map_err(StoreError::from)?;
    Ok(hex::encode(&name))
}

fn not_found(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::NotFound
}

async fn remove_if_present(path: &Path) -> StoreResult<()> {
    match tokio::fs::remove_file(path).await {
        Err(err) if !not_found(&err) => Err(err.into()),
        _ => Ok(()),
    }
}

impl LocalObjects {
    /// Uses (creating) `root` for objects; URLs start with `public_url` and are signed with
    /// `secret`.
    pub fn new(root: &Path, secret: [u8; 32], public_url: &str) -> StoreResult<LocalObjects> {
        std::fs::create_dir_all(root.join(PARTIAL_DIR))?;
        std::fs::create_dir_all(root.join(STAGING_DIR))?;
        Ok(LocalObjects {
            root: root.to_owned(),
            signer: UrlSigner::new(secret),
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    fn relative_path(key: &ObjectKey) -> PathBuf {
        let hex = key.blob_id.to_hex();
        let shard = hex.get(..2).unwrap_or("00").to_owned();
        PathBuf::from(key.user_id.to_string()).join(shard).join(hex)
    }

    fn object_path(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(Self::relative_path(key))
    }

    fn staged_path(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(STAGING_DIR).join(Self::relative_path(key))
    }

    /// Checks a signed URL's parameters for `method` on `key` at `now` (Unix seconds).
    pub fn verify(&self, method: UrlMethod, key: &ObjectKey, params: &SignedParams, now: i64) -> Result<(), UrlError> {
        self.signer.verify(method, key, params, now)
    }

    /// Streams exactly `size` bytes of `body` to a partial file and syncs it, giving up when
    /// the body goes `idle` without a byte or takes longer than `total`.
    pub async fn receive<S, E>(
        &self,
        size: u64,
        body: S,
        idle: std::time::Duration,
        total: std::time::Duration,
    ) -> Result<ReceivedUpload, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        // Dropped on timeout, the unfinished upload removes its file.
        tokio::time::timeout(total, self.receive_within(size, body, idle)).await.unwrap_or(Err(WriteError::Timeout))
    }

    async fn receive_within<S, E>(
        &self,
        size: u64,
        mut body: S,
        idle: std::time::Duration,
    ) -> Result<ReceivedUpload, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let path = self.root.join(PARTIAL_DIR).join(format!("{}.part", random_name()?));
        let file = tokio::fs::File::create(&path).await.map_err(StoreError::Io)?;
        // From here on the file is removed on every early return.
        let upload = ReceivedUpload { path: Some(path) };
        let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
        let mut written: u64 = 0;
        while let Some(chunk) = tokio::time::timeout(idle, body.next()).await.map_err(|_| WriteError::Timeout)? {
            let chunk = chunk.map_err(|e| WriteError::Body(e.to_string()))?;
            written = written.saturating_add(chunk.len() as u64);
            if written > size {
                return Err(WriteError::TooLong(size));
            }
            out.write_all(&chunk).await.map_err(StoreError::Io)?;
        }
        if written != size {
            return Err(WriteError::TooShort { got: written, expected: size });
        }
        out.flush().await.map_err(StoreError::Io)?;
        out.into_inner().sync_data().await.map_err(StoreError::Io)?;
        Ok(upload)
    }

    /// Makes a received upload the staged upload of `key` (replacing an earlier one atomically).
    pub async fn stage(&self, key: &ObjectKey, mut upload: ReceivedUpload) -> StoreResult<()> {
        let Some(partial) = upload.path.take() else { return Ok(()) };
        let target = self.staged_path(key);
        let moved = async {
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::rename(&partial, &target).await
        }
        .await;
        if let Err(err) = moved {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(StoreError::Io(err));
        }
        Ok(())
    }

    /// Opens an object for reading: the file and its length, `None` when absent.
    pub async fn open(&self, key: &ObjectKey) -> StoreResult<Option<(tokio::fs::File, u64)>> {
        match tokio::fs::File::open(self.object_path(key)).await {
            Ok(file) => {
                let len = file.metadata().await?.len();
                Ok(Some((file, len)))
            }
            Err(err) if not_found(&err) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

fn hash_file(path: &Path) -> std::io::Result<Option<ObjectDigest>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if not_found(&err) => return Ok(None),
        Err(err) => return Err(err),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size: u64 = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    let sha: [u8; 32] = hasher.finalize().into();
    Ok(Some(ObjectDigest { size, sha256: Checksum(sha) }))
}

/// Staged uploads (`USER_ID/AB/BLOB_ID` under `dir`) last modified before `older_than`.
fn staged_before(dir: &Path, older_than: SystemTime) -> std::io::Result<Vec<ObjectKey>> {
    let mut keys = Vec::new();
    for user in std::fs::read_dir(dir)? {
        let user = user?;
        let Some(user_id) = user.file_name().to_str().and_then(|n| n.parse::<i64>().ok()) else { continue };
        for shard in std::fs::read_dir(user.path())? {
            for file in std::fs::read_dir(shard?.path())? {
                let file = file?;
                let Some(blob_id) = file.file_name().to_str().and_then(|n| BlobId::from_hex(n).ok()) else { continue };
                if file.metadata()?.modified()? < older_than {
                    keys.push(ObjectKey { user_id, blob_id });
                }
            }
        }
    }
    keys.sort_by_key(|k| (k.user_id, k.blob_id.0));
    Ok(keys)
}

#[async_trait]
impl ObjectStore for LocalObjects {
    async fn upload_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String> {
        Ok(self.signer.url(&self.public_url, UrlMethod::Put, key, size, expires))
    }

    async fn download_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String> {
        Ok(self.signer.url(&self.public_url, UrlMethod::Get, key, size, expires))
    }

    async fn finish_upload(&self, key: &ObjectKey, declared: &BlobMeta) -> StoreResult<UploadCheck> {
        let check = self.root.join(PARTIAL_DIR).join(format!("{}.check", random_name()?));
        match tokio::fs::rename(self.staged_path(key), &check).await {
            Ok(()) => {}
            Err(err) if not_found(&err) => {
                let target = self.object_path(key);
                let digest = tokio::task::spawn_blocking(move || hash_file(&target)).await??;
                return Ok(uploads::check_upload(declared, digest));
            }
            Err(err) => return Err(err.into()),
        }
        let path = check.clone();
        let digest = tokio::task::spawn_blocking(move || {
            // Fresh, so the partial sweep leaves it alone while it is checked.
            std::fs::File::options().write(true).open(&path)?.set_modified(SystemTime::now())?;
            hash_file(&path)
        })
        .await?;
        let outcome = match digest {
            Ok(digest) => uploads::check_upload(declared, digest),
            Err(err) => {
                let _ = tokio::fs::remove_file(&check).await;
                return Err(err.into());
            }
        };
        if outcome != UploadCheck::Verified {
            remove_if_present(&check).await?;
            return Ok(outcome);
        }
        let target = self.object_path(key);
        let moved = async {
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::rename(&check, &target).await
        }
        .await;
        if let Err(err) = moved {
            let _ = tokio::fs::remove_file(&check).await;
            return Err(err.into());
        }
        Ok(outcome)
    }

    async fn delete(&self, key: &ObjectKey) -> StoreResult<()> {
        remove_if_present(&self.object_path(key)).await?;
        remove_if_present(&self.staged_path(key)).await
    }

    async fn delete_staged(&self, key: &ObjectKey) -> StoreResult<()> {
        remove_if_present(&self.staged_path(key)).await
    }

    async fn sweep_partial_uploads(&self, older_than: SystemTime) -> StoreResult<u64> {
        let dir = self.root.join(PARTIAL_DIR);
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(&dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let modified = entry.metadata().await?.modified()?;
            if modified < older_than {
                match tokio::fs::remove_file(entry.path()).await {
                    Ok(()) => removed += 1,
                    Err(err) if not_found(&err) => {}
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(removed)
    }

    async fn list_staged_before(
        &self,
        older_than: SystemTime,
        _offset: Option<String>,
        _limit: usize,
    ) -> StoreResult<(Vec<ObjectKey>, Option<String>)> {
        let dir = self.root.join(STAGING_DIR);
        let keys = tokio::task::spawn_blocking(move || staged_before(&dir, older_than)).await??;
        Ok((keys, None))
    }
}
