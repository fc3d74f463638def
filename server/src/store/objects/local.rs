//! The embedded object store: one file per object under `DATA_DIR/objects`, reached through
//! URLs that this server signs ([`super::signed_url`]) and answers itself
//! (`http::objects`).
//!
//! Layout: `objects/USER_ID/AB/BLOB_ID` (`AB` = first two hex digits of the blob id), and
//! `objects/.partial/RANDOM.part` for uploads in progress. An upload streams to a partial file
//! in bounded chunks (never whole in memory), is synced, then renamed into place, so a reader
//! never sees half an object and an interrupted upload leaves only a partial file that the
//! cleanup job removes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sync_core::encoding::hex;
use sync_core::wire::Checksum;
use tokio::io::AsyncWriteExt;

use super::signed_url::{SignedParams, UrlError, UrlMethod, UrlSigner};
use super::{ObjectDigest, ObjectStore};
use crate::store::{ObjectKey, StoreError, StoreResult};

const PARTIAL_DIR: &str = ".partial";

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

impl LocalObjects {
    /// Uses (creating) `root` for objects; URLs start with `public_url` and are signed with
    /// `secret`.
    pub fn new(root: &Path, secret: [u8; 32], public_url: &str) -> StoreResult<LocalObjects> {
        std::fs::create_dir_all(root.join(PARTIAL_DIR))?;
        Ok(LocalObjects {
            root: root.to_owned(),
            signer: UrlSigner::new(secret),
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    fn object_path(&self, key: &ObjectKey) -> PathBuf {
        let hex = key.blob_id.to_hex();
        let shard = hex.get(..2).unwrap_or("00").to_owned();
        self.root.join(key.user_id.to_string()).join(shard).join(hex)
    }

    /// Checks a signed URL's parameters for `method` on `key` at `now` (Unix seconds).
    pub fn verify(&self, method: UrlMethod, key: &ObjectKey, params: &SignedParams, now: i64) -> Result<(), UrlError> {
        self.signer.verify(method, key, params, now)
    }

    /// Streams exactly `size` bytes of `body` into the object `key`, replacing it atomically.
    pub async fn write_stream<S, E>(&self, key: &ObjectKey, size: u64, body: S) -> Result<(), WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut name = [0u8; 16];
        getrandom::fill(&mut name).map_err(StoreError::from)?;
        let partial = self.root.join(PARTIAL_DIR).join(format!("{}.part", hex::encode(&name)));
        let result = self.write_partial(&partial, size, body).await;
        if let Err(err) = result {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(err);
        }
        let target = self.object_path(key);
        let moved = async {
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::rename(&partial, &target).await
        }
        .await;
        if let Err(err) = moved {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(StoreError::Io(err).into());
        }
        Ok(())
    }

    async fn write_partial<S, E>(&self, partial: &Path, size: u64, mut body: S) -> Result<(), WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let file = tokio::fs::File::create(partial).await.map_err(StoreError::Io)?;
        let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
        let mut written: u64 = 0;
        while let Some(chunk) = body.next().await {
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
        let file = out.into_inner();
        file.sync_data().await.map_err(StoreError::Io)?;
        Ok(())
    }

    /// Opens an object for reading: the file and its length, `None` when absent.
    pub async fn open(&self, key: &ObjectKey) -> StoreResult<Option<(tokio::fs::File, u64)>> {
        match tokio::fs::File::open(self.object_path(key)).await {
            Ok(file) => {
                let len = file.metadata().await?.len();
                Ok(Some((file, len)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

fn hash_file(path: &Path) -> std::io::Result<Option<ObjectDigest>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
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

#[async_trait]
impl ObjectStore for LocalObjects {
    async fn upload_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String> {
        Ok(self.signer.url(&self.public_url, UrlMethod::Put, key, size, expires))
    }

    async fn download_url(&self, key: &ObjectKey, size: u64, expires: i64) -> StoreResult<String> {
        Ok(self.signer.url(&self.public_url, UrlMethod::Get, key, size, expires))
    }

    async fn digest(&self, key: &ObjectKey) -> StoreResult<Option<ObjectDigest>> {
        let path = self.object_path(key);
        Ok(tokio::task::spawn_blocking(move || hash_file(&path)).await??)
    }

    async fn delete(&self, key: &ObjectKey) -> StoreResult<()> {
        match tokio::fs::remove_file(self.object_path(key)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err.into()),
        }
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
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(removed)
    }
}
