//! [`SyncClient`]: every route of the server API v1 (DESIGN.md 5, `docs/openapi.yaml`).
//!
//! - JSON routes under the `/api/sync` base with `Authorization: Bearer` and `X-Device-Id`.
//! - Timeouts: connect, whole request (JSON routes), and a read timeout for transfers (a
//!   transfer may take long, but never stalls silently).
//! - Retries with exponential backoff and jitter on network errors and 5xx answers only; a 4xx
//!   answer is final and becomes [`SyncError::Api`] with the server's code.
//! - Transfers stream from and to disk with progress, through an optional shared bandwidth
//!   limit; every answer is bounded (JSON bodies, object sizes).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use sync_core::DeviceId;
use sync_core::wire::{
    BASE_PATH, Checksum, CompleteRequest, CompleteResponse, DEVICE_ID_HEADER, DeleteDataResponse, DevicesResponse,
    DownloadRequest, DownloadResponse, ErrorBody, InitRequest, InitResponse, KeysRequest, KeysResponse,
    RemoveDeviceResponse, SearchRequest, SearchResponse, StatusResponse, UploadRequest, UploadResponse,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::error::{IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::throttle::RateLimiter;

/// Largest JSON answer read, in bytes.
pub const MAX_JSON_RESPONSE: usize = 16 << 20;
/// Size of the chunks a file is sent in.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// Timeouts, retries and the bandwidth limit.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Whole-request timeout of JSON routes.
    pub request_timeout: Duration,
    /// Longest silence while a transfer streams.
    pub read_timeout: Duration,
    /// Retries after the first attempt (network errors and 5xx only).
    pub max_retries: u32,
    /// First backoff; doubled at each retry, with jitter.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Bytes per second for uploads and downloads together; `None` is unlimited.
    pub bandwidth_limit: Option<u64>,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_retries: 4,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(15),
            bandwidth_limit: None,
            user_agent: format!("screenpipe-sync/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The HTTP client of one device.
#[derive(Clone, Debug)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: String,
    device_id: DeviceId,
    options: ClientOptions,
    limiter: Option<Arc<RateLimiter>>,
}

/// Whether a failed attempt may be retried.
enum Attempt<T> {
    Done(T),
    Retry(SyncError),
    Fail(SyncError),
}

fn network(err: reqwest::Error) -> SyncError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() {
        "body"
    } else {
        "request"
    };
    // reqwest's message may hold the URL; signed URLs carry a signature, so name only the host.
    let host = err.url().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    SyncError::Network(format!("{kind} ({host}): {}", err.without_url()))
}

/// Normalizes a server address into the API base (`…/api/sync`, no trailing slash).
pub fn api_base(server: &str) -> Result<String> {
    let trimmed = server.trim().trim_end_matches('/');
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(SyncError::Config(format!("the server address {trimmed:?} is not an http(s) URL")));
    }
    reqwest::Url::parse(trimmed).map_err(|e| SyncError::Config(format!("the server address is not a URL: {e}")))?;
    Ok(if trimmed.ends_with(BASE_PATH) { trimmed.to_owned() } else { format!("{trimmed}{BASE_PATH}") })
}

impl SyncClient {
    /// A client for the server at `server` (its root or its `/api/sync` base).
    pub fn new(server: &str, token: &str, device_id: DeviceId, options: ClientOptions) -> Result<SyncClient> {
        let base = api_base(server)?;
        if token.trim().is_empty() {
            return Err(SyncError::Config("no bearer token (--token or SCREENPIPE_SYNC_TOKEN)".into()));
        }
        HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| SyncError::Config("the bearer token holds characters a header cannot".into()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| SyncError::Config(format!("cannot build the HTTP client: {e}")))?;
        let limiter = options.bandwidth_limit.map(|rate| Arc::new(RateLimiter::new(rate)));
        Ok(SyncClient { http, base, token: token.trim().to_owned(), device_id, options, limiter })
    }

    /// The API base (`…/api/sync`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The calling device.
    pub fn device_id(&self) -> &DeviceId {
        &self.device_id
    }

    fn headers(&self) -> Result<HeaderMap> {
        let mut h = HeaderMap::new();
        let auth = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|_| SyncError::Config("bad token".into()))?;
        h.insert(AUTHORIZATION, auth);
        let device =
            HeaderValue::from_str(self.device_id.as_str()).map_err(|_| SyncError::Config("bad device id".into()))?;
        h.insert(DEVICE_ID_HEADER, device);
        Ok(h)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options.backoff_base.as_millis() as u64;
        let exp = base.saturating_mul(1u64 << attempt.min(16));
        let capped = exp.min(self.options.backoff_max.as_millis() as u64);
        Duration::from_millis(capped / 2 + crate::util::random_below(capped / 2 + 1))
    }

    /// Runs `attempt` until it is done, fails for good, or the retries are spent.
    async fn with_retries<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Attempt<T>>,
    {
        let mut n = 0;
        loop {
            match attempt().await {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e) if n >= self.options.max_retries => return Err(e),
                Attempt::Retry(e) => {
                    let wait = self.backoff(n);
                    tracing::warn!(what, attempt = n + 1, error = %e, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    n += 1;
                }
            }
        }
    }

    /// Reads at most `limit` bytes of a body.
    async fn read_limited(response: &mut reqwest::Response, limit: usize) -> std::result::Result<Vec<u8>, Attempt<()>> {
        let mut out = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if out.len() + chunk.len() > limit {
                        return Err(Attempt::Fail(SyncError::InvalidResponse(format!(
                            "an answer larger than {limit} bytes"
                        ))));
                    }
                    out.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(out),
                Err(e) => return Err(Attempt::Retry(network(e))),
            }
        }
    }

    /// The error of a non-success answer: retry on 5xx, final otherwise.
    async fn error_of(status: StatusCode, mut response: reqwest::Response) -> Attempt<()> {
        let body = Self::read_limited(&mut response, 64 * 1024).await.unwrap_or_default();
        let err = match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(b) => SyncError::Api { status: status.as_u16(), code: b.code, message: b.error },
            Err(_) => SyncError::Api {
                status: status.as_u16(),
                code: format!("HTTP_{}", status.as_u16()),
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            },
        };
        if status.is_server_error() { Attempt::Retry(err) } else { Attempt::Fail(err) }
    }

    async fn call<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Req>,
    ) -> Result<Resp> {
        let url = format!("{}{}", self.base, path);
        let headers = self.headers()?;
        let body = match body {
            Some(b) => Some(Bytes::from(
                serde_json::to_vec(b).map_err(|e| SyncError::Config(format!("cannot encode the request: {e}")))?,
            )),
            None => None,
        };
        self.with_retries(path, || {
            let mut req =
                self.http.request(method.clone(), &url).headers(headers.clone()).timeout(self.options.request_timeout);
            if let Some(body) = &body {
                req = req.header(CONTENT_TYPE, "application/json").body(body.clone());
            }
            async move {
                let mut response = match req.send().await {
                    Ok(r) => r,
                    Err(e) => return Attempt::Retry(network(e)),
                };
                let status = response.status();
                if !status.is_success() {
                    return match Self::error_of(status, response).await {
                        Attempt::Retry(e) => Attempt::Retry(e),
                        Attempt::Fail(e) => Attempt::Fail(e),
                        Attempt::Done(()) => Attempt::Fail(SyncError::InvalidResponse("error".into())),
                    };
                }
                let bytes = match Self::read_limited(&mut response, MAX_JSON_RESPONSE).await {
                    Ok(b) => b,
                    Err(Attempt::Retry(e)) => return Attempt::Retry(e),
                    Err(Attempt::Fail(e)) => return Attempt::Fail(e),
                    Err(Attempt::Done(())) => return Attempt::Fail(SyncError::InvalidResponse("empty".into())),
                };
                match serde_json::from_slice::<Resp>(&bytes) {
                    Ok(v) => Attempt::Done(v),
                    Err(e) => Attempt::Fail(SyncError::InvalidResponse(format!("{path}: {e}"))),
                }
            }
        })
        .await
    }

    /// `POST /init`.
    pub async fn init(&self, req: &InitRequest) -> Result<InitResponse> {
        self.call(Method::POST, "/init", Some(req)).await
    }

    /// `POST /upload`.
    pub async fn upload(&self, req: &UploadRequest) -> Result<UploadResponse> {
        self.call(Method::POST, "/upload", Some(req)).await
    }

    /// `POST /upload/complete`.
    pub async fn complete(&self, req: &CompleteRequest) -> Result<CompleteResponse> {
        self.call(Method::POST, "/upload/complete", Some(req)).await
    }

    /// `POST /download`.
    pub async fn download(&self, req: &DownloadRequest) -> Result<DownloadResponse> {
        self.call(Method::POST, "/download", Some(req)).await
    }

    /// `POST /search`.
    pub async fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        self.call(Method::POST, "/search", Some(req)).await
    }

    /// `GET /status`.
    pub async fn status(&self) -> Result<StatusResponse> {
        self.call::<(), _>(Method::GET, "/status", None).await
    }

    /// `GET /devices`.
    pub async fn devices(&self) -> Result<DevicesResponse> {
        self.call::<(), _>(Method::GET, "/devices", None).await
    }

    /// `DELETE /devices?device_id=`.
    pub async fn remove_device(&self, device_id: &DeviceId) -> Result<RemoveDeviceResponse> {
        // Device ids are [a-z0-9-]: nothing to escape.
        self.call::<(), _>(Method::DELETE, &format!("/devices?device_id={}", device_id.as_str()), None).await
    }

    /// `DELETE /data`.
    pub async fn delete_data(&self) -> Result<DeleteDataResponse> {
        self.call::<(), _>(Method::DELETE, "/data", None).await
    }

    /// `POST /keys`.
    pub async fn keys(&self, req: &KeysRequest) -> Result<KeysResponse> {
        self.call(Method::POST, "/keys", Some(req)).await
    }

    /// `PUT`s the file at `path` (exactly `size` bytes) to a signed upload URL, streamed, with
    /// progress. The file is re-read from the start at each retry.
    pub async fn put_file(&self, url: &str, path: &Path, size: u64, progress: &dyn Progress) -> Result<()> {
        let url = reqwest::Url::parse(url).map_err(|_| SyncError::InvalidResponse("upload_url is not a URL".into()))?;
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
                    self.http.put(url).header(CONTENT_LENGTH, size).header(CONTENT_TYPE, "application/octet-stream");
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
                match Self::error_of(status, response).await {
                    Attempt::Retry(e) => Attempt::Retry(e),
                    Attempt::Fail(e) => Attempt::Fail(e),
                    Attempt::Done(()) => Attempt::Fail(SyncError::InvalidResponse("PUT".into())),
                }
            }
        })
        .await
    }

    /// `GET`s a signed download URL into `sink`, checking the size and SHA-256 against the
    /// blob's metadata. `reset` is called before each retry (the sink starts over).
    async fn get_object(
        &self,
        url: &str,
        size: u64,
        checksum: &Checksum,
        progress: &dyn Progress,
        sink: &mut Sink<'_>,
    ) -> Result<()> {
        let url =
            reqwest::Url::parse(url).map_err(|_| SyncError::InvalidResponse("download_url is not a URL".into()))?;
        let sink = tokio::sync::Mutex::new(sink);
        self.with_retries("GET object", || {
            let url = url.clone();
            let sink = &sink;
            async move {
                let mut sink = sink.lock().await;
                if let Err(e) = sink.reset().await {
                    return Attempt::Fail(e);
                }
                let mut response = match self.http.get(url).send().await {
                    Ok(r) => r,
                    Err(e) => return Attempt::Retry(network(e)),
                };
                let status = response.status();
                if !status.is_success() {
                    return match Self::error_of(status, response).await {
                        Attempt::Retry(e) => Attempt::Retry(e),
                        Attempt::Fail(e) => Attempt::Fail(e),
                        Attempt::Done(()) => Attempt::Fail(SyncError::InvalidResponse("GET".into())),
                    };
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
