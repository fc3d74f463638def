//! Transfers to and from the signed object URLs: uploads streamed from a staged file,
//! downloads into memory or into a file, each through the bandwidth limit, with progress, and
//! checked (a download's size and SHA-256 against the blob's metadata, its size against
//! [`ClientOptions::max_object_bytes`](super::ClientOptions::max_object_bytes) before a byte
//! is fetched). A URL is used only on a trusted origin ([`super::origins`]), and a redirect
//! is an error, never followed.

use std::path::Path;

use bytes::Bytes;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use sha2::{Digest, Sha256};
use sync_core::wire::Checksum;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::SyncClient;
use super::retry::{Attempt, error_of, network, redirected};
use crate::error::{IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};

/// Size of the chunks a file is sent in.
const UPLOAD_CHUNK: usize = 256 * 1024;

impl SyncClient {
    /// `PUT`s the file at `path` (exactly `size` bytes) to a signed upload URL, streamed, with
    /// progress. The file is re-read from the start at each retry.
    pub async fn put_file(&self, url: &str, path: &Path, size: u64, progress: &dyn Progress) -> Result<()> {
        let url = self.origins.object_url(url, "upload_url")?;
        self.with_retries("PUT object", || {
            let url = url.clone();
            async move {
                let file = match tokio::fs::File::open(path).await {
                    Ok(f) => f,
                    Err(e) => return Attempt::Fail(SyncError::io(format!("open {}", path.display()), e)),
                };
                match file.metadata().await {
                    Ok(m) if m.len() == size => {}
                    Ok(m) => {
                        return Attempt::Fail(SyncError::State(format!(
                            "staged file {} has {} bytes, {size} were declared",
                            path.display(),
                            m.len()
                        )));
                    }
                    Err(e) => return Attempt::Fail(SyncError::io(format!("stat {}", path.display()), e)),
                }
                let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
                let limiter = self.limiter.clone();
                let stream = futures::stream::unfold(Some(file), move |file| {
                    let limiter = limiter.clone();
                    let sent_tx = sent_tx.clone();
                    async move {
                        let mut file = file?;
                        let mut buf = vec![0u8; UPLOAD_CHUNK];
                        match file.read(&mut buf).await {
                            Ok(0) => None,
                            Ok(n) => {
                                buf.truncate(n);
                                if let Some(l) = &limiter {
                                    l.acquire(n).await;
                                }
                                let _ = sent_tx.send(n as u64);
                                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), Some(file)))
                            }
                            Err(e) => Some((Err(e), None)),
                        }
                    }
                });
                let req =
                    self.objects.put(url).header(CONTENT_LENGTH, size).header(CONTENT_TYPE, "application/octet-stream");
                let send = req.body(reqwest::Body::wrap_stream(stream)).send();
                tokio::pin!(send);
                let mut sent_total = 0u64;
                let result = loop {
                    tokio::select! {
                        r = &mut send => break r,
                        Some(n) = sent_rx.recv() => { sent_total += n; progress.advance(Stage::Uploading, n); }
                    }
                };
                while let Ok(n) = sent_rx.try_recv() {
                    sent_total += n;
                    progress.advance(Stage::Uploading, n);
                }
                let response = match result {
                    Ok(r) => r,
                    Err(e) => {
                        progress.add_total(Stage::Uploading, sent_total);
                        return Attempt::Retry(network(e));
                    }
                };
                let status = response.status();
                if status.is_success() {
                    return Attempt::Done(());
                }
                progress.add_total(Stage::Uploading, sent_total);
                if status.is_redirection() {
                    return Attempt::Fail(redirected("upload_url", status));
                }
                error_of(status, response).await
            }
        })
        .await
    }

    /// `GET`s a signed download URL into `sink`, checking the size and SHA-256 against the
    /// blob's metadata. The sink starts over at each retry.
    async fn get_object(
        &self,
        url: &str,
        size: u64,
        checksum: &Checksum,
        progress: &dyn Progress,
        sink: &mut Sink<'_>,
    ) -> Result<()> {
        let url = self.origins.object_url(url, "download_url")?;
        let max = self.options.max_object_bytes;
        if size > max {
            return Err(SyncError::InvalidResponse(format!(
                "a blob of {size} bytes is larger than the {max} bytes this client downloads (max_object_bytes)"
            )));
        }
        let sink = tokio::sync::Mutex::new(sink);
        self.with_retries("GET object", || {
            let url = url.clone();
            let sink = &sink;
            async move {
                let mut sink = sink.lock().await;
                if let Err(e) = sink.reset().await {
                    return Attempt::Fail(e);
                }
                let mut response = match self.objects.get(url).send().await {
                    Ok(r) => r,
                    Err(e) => return Attempt::Retry(network(e)),
                };
                let status = response.status();
                if status.is_redirection() {
                    return Attempt::Fail(redirected("download_url", status));
                }
                if !status.is_success() {
                    return error_of(status, response).await;
                }
                let mut hasher = Sha256::new();
                let mut got = 0u64;
                loop {
                    let chunk = match response.chunk().await {
                        Ok(Some(c)) => c,
                        Ok(None) => break,
                        Err(e) => return Attempt::Retry(network(e)),
                    };
                    got += chunk.len() as u64;
                    if got > size {
                        return Attempt::Fail(SyncError::ChecksumMismatch(format!(
                            "the server sent more than the {size} bytes the blob has"
                        )));
                    }
                    if let Some(l) = &self.limiter {
                        l.acquire(chunk.len()).await;
                    }
                    hasher.update(&chunk);
                    progress.advance(Stage::Downloading, chunk.len() as u64);
                    if let Err(e) = sink.write(&chunk).await {
                        return Attempt::Fail(e);
                    }
                }
                if got != size {
                    return Attempt::Fail(SyncError::ChecksumMismatch(format!("got {got} bytes of {size}")));
                }
                if hasher.finalize().as_slice() != checksum.0.as_slice() {
                    return Attempt::Fail(SyncError::ChecksumMismatch(
                        "the object's SHA-256 differs from the blob's checksum".into(),
                    ));
                }
                Attempt::Done(())
            }
        })
        .await
    }

    /// Downloads a blob into memory (at most `max` bytes), verified against its metadata.
    pub async fn download_to_vec(
        &self,
        url: &str,
        size: u64,
        checksum: &Checksum,
        max: u64,
        progress: &dyn Progress,
    ) -> Result<Vec<u8>> {
        if size > max {
            return Err(SyncError::InvalidResponse(format!("a blob of {size} bytes is larger than {max} allowed")));
        }
        let mut sink = Sink::Memory(Vec::with_capacity(usize::try_from(size).unwrap_or(0)));
        self.get_object(url, size, checksum, progress, &mut sink).await?;
        match sink {
            Sink::Memory(v) => Ok(v),
            Sink::File(..) => Err(SyncError::State("unexpected sink".into())),
        }
    }

    /// Downloads a blob into the file `path` (created or truncated), verified against its
    /// metadata, and flushed to disk.
    pub async fn download_to_file(
        &self,
        url: &str,
        size: u64,
        checksum: &Checksum,
        path: &Path,
        progress: &dyn Progress,
    ) -> Result<()> {
        let file = tokio::fs::File::create(path).await.io_ctx(|| format!("create {}", path.display()))?;
        let mut sink = Sink::File(file, path);
        self.get_object(url, size, checksum, progress, &mut sink).await?;
        if let Sink::File(mut file, _) = sink {
            file.flush().await.io_ctx(|| format!("write {}", path.display()))?;
            file.sync_all().await.io_ctx(|| format!("sync {}", path.display()))?;
        }
        Ok(())
    }
}

/// Where a download goes.
enum Sink<'a> {
    Memory(Vec<u8>),
    File(tokio::fs::File, &'a Path),
}

impl Sink<'_> {
    async fn reset(&mut self) -> Result<()> {
        match self {
            Sink::Memory(v) => v.clear(),
            Sink::File(f, path) => {
                f.set_len(0).await.io_ctx(|| format!("truncate {}", path.display()))?;
                f.rewind().await.io_ctx(|| format!("seek {}", path.display()))?;
            }
        }
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Sink::Memory(v) => v.extend_from_slice(bytes),
            Sink::File(f, path) => f.write_all(bytes).await.io_ctx(|| format!("write {}", path.display()))?,
        }
        Ok(())
    }
}
