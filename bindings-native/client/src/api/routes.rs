//! The JSON routes of the API (`docs/openapi.yaml`): one method per route, each a retried
//! request with a bounded, typed answer.

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sync_core::DeviceId;
use sync_core::wire::{
    CompleteBatchRequest, CompleteBatchResponse, CompleteRequest, CompleteResponse, DeleteDataResponse,
    DevicesResponse, DownloadRequest, DownloadResponse, InitRequest, InitResponse, KeysRequest, KeysResponse,
    RemoveDeviceResponse, RetentionPolicy, RetentionResponse, SearchRequest, SearchResponse, StatusResponse,
    UploadBatchRequest, UploadBatchResponse, UploadRequest, UploadResponse,
};

use super::SyncClient;
use super::retry::{Attempt, error_of, network, read_limited};
use crate::error::{Result, SyncError};

/// Largest JSON answer read, in bytes.
pub const MAX_JSON_RESPONSE: usize = 16 << 20;

impl SyncClient {
    /// One JSON route: `body` (if any) in, `Resp` out, retried on network errors and 5xx.
    async fn call<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Req>,
    ) -> Result<Resp> {
        let body = match body {
            Some(b) => Some(Bytes::from(serde_json::to_vec(b).map_err(|source| SyncError::Encode { source })?)),
            None => None,
        };
        let bytes = self.request(method, path, HeaderMap::new(), body).await?;
        serde_json::from_slice::<Resp>(&bytes)
            .map_err(|source| SyncError::UndecodableResponse { route: path.to_owned(), source })
    }

    /// One route with `extra` headers and a JSON `body` (if any) of exact bytes: the answer's
    /// bytes (at most [`MAX_JSON_RESPONSE`]), retried on network errors and 5xx.
    pub(super) async fn request(
        &self,
        method: Method,
        path: &str,
        extra: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Vec<u8>> {
        let url = format!("{}{}", self.base, path);
        let mut headers = self.headers()?;
        headers.extend(extra);
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
                    return error_of(status, response).await;
                }
                match read_limited(&mut response, MAX_JSON_RESPONSE).await {
                    Ok(b) => Attempt::Done(b),
                    Err(failed) => failed,
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

    /// `POST /upload` with many declarations (batched: one answer per declaration).
    pub async fn upload_batch(&self, req: &UploadBatchRequest) -> Result<UploadBatchResponse> {
        self.call(Method::POST, "/upload", Some(req)).await
    }

    /// `POST /upload/complete` for many blobs (batched: one answer per blob).
    pub async fn complete_batch(&self, req: &CompleteBatchRequest) -> Result<CompleteBatchResponse> {
        self.call(Method::POST, "/upload/complete", Some(req)).await
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

    /// `GET /account/retention`: the cloud retention chosen per data type.
    pub async fn retention(&self) -> Result<RetentionResponse> {
        self.call::<(), _>(Method::GET, "/account/retention", None).await
    }

    /// `PUT /account/retention`: replaces the choice (within the tier's retention).
    pub async fn set_retention(&self, policy: &RetentionPolicy) -> Result<RetentionResponse> {
        self.call(Method::PUT, "/account/retention", Some(policy)).await
    }

    /// `POST /keys`.
    pub async fn keys(&self, req: &KeysRequest) -> Result<KeysResponse> {
        self.call(Method::POST, "/keys", Some(req)).await
    }
}
