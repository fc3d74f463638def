//! Request and response bodies of the server API v1 (`docs/openapi.yaml`), under `/api/sync`.
//!
//! Field names follow screenpipe's cloud client. Times are RFC 3339 strings with milliseconds
//! ([`UnixMillis`]); sizes are bytes. Optional request fields may be absent or `null`.
//! `docs/openapi.yaml` is the exact contract.

use serde::{Deserialize, Serialize};

use super::envelopes::{Envelope, KeyringEntry, RecoveryEnvelope};
use super::values::{Checksum, SearchToken};
use crate::encoding::UnixMillis;
use crate::ids::{BlobId, BlobType, DeviceId, KeyId};

/// Header naming the calling device.
pub const DEVICE_ID_HEADER: &str = "X-Device-Id";
/// Base path of every route.
pub const BASE_PATH: &str = "/api/sync";

/// Stable error codes of the server, in `{"error": message, "code": CODE}` bodies.
pub mod codes {
    /// Missing, malformed or unknown bearer token (401).
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    /// The account has no active subscription (403).
    pub const NO_SUBSCRIPTION: &str = "NO_SUBSCRIPTION";
    /// The upload would exceed the tier's storage (403).
    pub const QUOTA_EXCEEDED: &str = "QUOTA_EXCEEDED";
    /// A new device would exceed the tier's device count (403).
    pub const DEVICE_LIMIT_EXCEEDED: &str = "DEVICE_LIMIT_EXCEEDED";
    /// `expected_revision` is not the current revision (409).
    pub const STALE_REVISION: &str = "STALE_REVISION";
    /// The body is not valid JSON or not of the route's shape (400).
    pub const INVALID_REQUEST: &str = "INVALID_REQUEST";
    /// The body is larger than the route accepts (413).
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// No such blob for this user (404).
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// A signed URL whose signature does not verify (403).
    pub const BAD_SIGNATURE: &str = "BAD_SIGNATURE";
    /// A signed URL past its expiry (403).
    pub const URL_EXPIRED: &str = "URL_EXPIRED";
    /// The uploaded object's size or SHA-256 differs from what `/upload` declared (400).
    pub const CHECKSUM_MISMATCH: &str = "CHECKSUM_MISMATCH";
    /// `/upload/complete` before the object was uploaded (409).
    pub const NOT_UPLOADED: &str = "NOT_UPLOADED";
    /// A blob id reused with different metadata (409).
    pub const CONFLICT: &str = "CONFLICT";
    /// The device is not registered (call `/init` first) or was removed (403).
    pub const UNKNOWN_DEVICE: &str = "UNKNOWN_DEVICE";
    /// An account exists already (409 at `/init` with an envelope).
    pub const ACCOUNT_EXISTS: &str = "ACCOUNT_EXISTS";
    /// The blob is sealed under another master key than the account's current one: the key was
    /// rotated; fetch the keys again (`/init`) and seal under the new key (409).
    pub const KEY_ROTATED: &str = "KEY_ROTATED";
    /// The account has as many declared but not yet completed uploads (or bytes of them) as it
    /// may: complete some first, or wait until abandoned ones are swept (409).
    pub const PENDING_LIMIT: &str = "PENDING_LIMIT";
    /// Too many requests (429, with `Retry-After`).
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The request took longer than the server allows (408): send it again, faster or smaller.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// The server is serving as many requests as it may (503, with `Retry-After`).
    pub const OVERLOADED: &str = "OVERLOADED";
    /// A server fault (500).
    pub const INTERNAL: &str = "INTERNAL";
    /// The pairing mailbox is past its deadline (410): start a new pairing.
    pub const PAIR_EXPIRED: &str = "PAIR_EXPIRED";
    /// The pairing mailbox already has its joiner: one joiner per code (409).
    pub const PAIR_TAKEN: &str = "PAIR_TAKEN";
    /// The pairing mailbox holds as many messages as it may (409).
    pub const PAIR_FULL: &str = "PAIR_FULL";
    /// The account has as many open pairing mailboxes as it may (409): close one or wait for
    /// it to expire.
    pub const PAIR_LIMIT: &str = "PAIR_LIMIT";
    /// The side token does not name a side of this mailbox (403).
    pub const PAIR_FORBIDDEN: &str = "PAIR_FORBIDDEN";
}

/// Every error response: `{"error": message, "code": CODE}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Human-readable message.
    pub error: String,
    /// Stable code (see [`codes`]).
    pub code: String,
}

/// `POST /init`: register the device; fetch the account's keys or create them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitRequest {
    /// The calling device.
    pub device_id: DeviceId,
    /// A name the user recognises.
    pub device_name: String,
    /// Operating system, free text.
    pub device_os: String,
    /// Client version, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// For a new account: the password envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
    /// For a new account: the recovery envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_envelope: Option<RecoveryEnvelope>,
}

/// Answer to `POST /init`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitResponse {
    /// True when the account had no keys before this call.
    pub is_new_user: bool,
    /// The account's password envelope; `null` for a new account that sent none.
    pub envelope: Option<Envelope>,
    /// The account's recovery envelope; `null` when none is stored.
    pub recovery_envelope: Option<RecoveryEnvelope>,
    /// Older master keys, sealed under the newest.
    pub keyring: Vec<KeyringEntry>,
    /// Bumped at every key change.
    pub revision: u64,
}

/// `POST /upload`: declare a blob and get a signed upload URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// The blob's id.
    pub blob_id: BlobId,
    /// What it holds.
    pub blob_type: BlobType,
    /// The device that made it.
    pub device_id: DeviceId,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// Ciphertext size.
    pub size_bytes: u64,
    /// SHA-256 of the ciphertext.
    pub checksum: Checksum,
    /// Master key that sealed it.
    pub key_id: KeyId,
    /// Its search tokens (empty when token upload is off).
    #[serde(default)]
    pub search_tokens: Vec<SearchToken>,
}

/// Answer to `POST /upload`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// The blob's id.
    pub blob_id: BlobId,
    /// Where to `PUT` the ciphertext (empty when `already_uploaded`).
    pub upload_url: String,
    /// Seconds the URL stays valid.
    pub expires_in: u64,
    /// True when the same blob was completed before: nothing to upload.
    #[serde(default)]
    pub already_uploaded: bool,
}

/// `POST /upload` with many declarations at once (at most
/// [`MAX_BLOBS_PER_BATCH`](super::limits::MAX_BLOBS_PER_BATCH)): each is decided as a single
/// `/upload` would be, in order, in one transaction; each gets its own answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadBatchRequest {
    /// The declarations.
    pub blobs: Vec<UploadRequest>,
}

/// One declaration's answer in an [`UploadBatchResponse`]: the fields of an
/// [`UploadResponse`], or `error` (then `upload_url` is empty and `expires_in` 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadBatchItem {
    /// The blob's id.
    pub blob_id: BlobId,
    /// Where to `PUT` the ciphertext (empty when `already_uploaded` or refused).
    pub upload_url: String,
    /// Seconds the URL stays valid.
    pub expires_in: u64,
    /// True when the same blob was completed before: nothing to upload.
    #[serde(default)]
    pub already_uploaded: bool,
    /// Why this declaration was refused (what a single `/upload` would answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Answer to a batched `POST /upload`: one item per declaration, in their order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadBatchResponse {
    /// The answers.
    pub results: Vec<UploadBatchItem>,
}

/// `POST /upload/complete` for many blobs at once (at most
/// [`MAX_BLOBS_PER_BATCH`](super::limits::MAX_BLOBS_PER_BATCH)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteBatchRequest {
    /// The uploaded blobs.
    pub blob_ids: Vec<BlobId>,
}

/// One blob's answer in a [`CompleteBatchResponse`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteBatchItem {
    /// The blob.
    pub blob_id: BlobId,
    /// Why it was not completed (what a single `/upload/complete` would answer); absent when
    /// it is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Answer to a batched `POST /upload/complete`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteBatchResponse {
    /// One item per distinct blob id, in their order.
    pub results: Vec<CompleteBatchItem>,
    /// Bytes stored for the user after these blobs.
    pub storage_used: u64,
    /// The tier's limit in bytes.
    pub storage_limit: u64,
}

/// `POST /upload/complete`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteRequest {
    /// The uploaded blob.
    pub blob_id: BlobId,
}

/// Answer to `POST /upload/complete`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteResponse {
    /// Bytes stored for the user after this blob.
    pub storage_used: u64,
    /// The tier's limit in bytes.
    pub storage_limit: u64,
}

/// A closed time range `[start, end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// First instant.
    pub start: UnixMillis,
    /// Last instant.
    pub end: UnixMillis,
}

/// `POST /download`: by ids, or by time range with optional filters and paging.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadRequest {
    /// Blobs by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_ids: Option<Vec<BlobId>>,
    /// Blobs overlapping this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// Only these types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_types: Option<Vec<BlobType>>,
    /// Only these devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<DeviceId>>,
    /// Page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Opaque cursor from the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A blob's metadata with a signed download URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobDownload {
    /// Its id.
    pub blob_id: BlobId,
    /// Its type.
    pub blob_type: BlobType,
    /// The device that made it.
    pub device_id: DeviceId,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// Ciphertext size.
    pub size_bytes: u64,
    /// SHA-256 of the ciphertext.
    pub checksum: Checksum,
    /// Master key that sealed it.
    pub key_id: KeyId,
    /// Where to `GET` the ciphertext.
    pub download_url: String,
}

/// Answer to `POST /download`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadResponse {
    /// The blobs of this page.
    pub blobs: Vec<BlobDownload>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// `POST /search`: blobs holding any of these tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Query tokens (every term x month bucket x key).
    pub search_tokens: Vec<SearchToken>,
    /// Only blobs overlapping this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// Only these types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_types: Option<Vec<BlobType>>,
    /// At most this many matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One matching blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchMatch {
    /// Its id.
    pub blob_id: BlobId,
    /// Its type.
    pub blob_type: BlobType,
    /// The device that made it.
    pub device_id: DeviceId,
    /// Start of its time range.
    pub time_start: UnixMillis,
    /// End of its time range.
    pub time_end: UnixMillis,
    /// How many of the query's tokens it holds.
    pub match_count: u32,
}

/// Answer to `POST /search`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// Matches, most tokens first, then newest first.
    pub matches: Vec<SearchMatch>,
    /// Matches in all, before `limit`.
    pub total_matches: u64,
}

/// A subscription tier (`docs/openapi.yaml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncTier {
    /// No active subscription: sync refused with `NO_SUBSCRIPTION`.
    None,
    /// 20 GB, 3 devices, 6 months retention.
    Starter,
    /// 100 GB, 10 devices, unlimited retention.
    Pro,
    /// 500 GB, unlimited devices.
    Team,
}

impl SyncTier {
    /// Storage limit in bytes (GB = 10^9).
    pub fn storage_limit(self) -> u64 {
        match self {
            SyncTier::None => 0,
            SyncTier::Starter => 20_000_000_000,
            SyncTier::Pro => 100_000_000_000,
            SyncTier::Team => 500_000_000_000,
        }
    }

    /// Device limit; `None` is unlimited.
    pub fn device_limit(self) -> Option<u32> {
        match self {
            SyncTier::None => Some(0),
            SyncTier::Starter => Some(3),
            SyncTier::Pro => Some(10),
            SyncTier::Team => None,
        }
    }

    /// Retention in days; `None` keeps data forever.
    pub fn retention_days(self) -> Option<u32> {
        match self {
            SyncTier::None | SyncTier::Starter => Some(183),
            SyncTier::Pro | SyncTier::Team => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncTier::None => "none",
            SyncTier::Starter => "starter",
            SyncTier::Pro => "pro",
            SyncTier::Team => "team",
        }
    }
}

impl std::str::FromStr for SyncTier {
    type Err = crate::Error;
    fn from_str(text: &str) -> crate::Result<Self> {
        match text {
            "none" => Ok(SyncTier::None),
            "starter" => Ok(SyncTier::Starter),
            "pro" => Ok(SyncTier::Pro),
            "team" => Ok(SyncTier::Team),
            _ => Err(crate::Error::InvalidInput("tier is not none, starter, pro or team")),
        }
    }
}

/// Quota part of `GET /status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// Bytes stored.
    pub storage_used: u64,
    /// Bytes allowed.
    pub storage_limit: u64,
    /// Registered devices.
    pub device_count: u32,
    /// Devices allowed; `null` is unlimited.
    pub device_limit: Option<u32>,
    /// Whether uploads are accepted now.
    pub can_sync: bool,
    /// The tier.
    pub sync_tier: SyncTier,
    /// Quota bytes the account's search tokens take (16 per token of a completed blob), on top
    /// of `storage_used`; `storage_used + index_bytes` is what the limit applies to. Absent
    /// from older servers (0).
    #[serde(default)]
    pub index_bytes: u64,
}

/// Statistics part of `GET /status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Completed blobs.
    pub total_blobs: u64,
    /// Last completed upload.
    pub last_sync: Option<UnixMillis>,
    /// Earliest `time_start` stored.
    pub oldest_data: Option<UnixMillis>,
    /// Latest `time_end` stored.
    pub newest_data: Option<UnixMillis>,
}

/// Bytes stored per blob type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageBreakdown {
    /// `text` blobs.
    pub text: u64,
    /// `frames` blobs.
    pub frames: u64,
    /// `audio` blobs.
    pub audio: u64,
}

/// Answer to `GET /status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// Quota and tier.
    pub quota: Quota,
    /// Blob statistics.
    pub stats: Stats,
    /// Bytes per type.
    pub storage_breakdown: StorageBreakdown,
}

/// One registered device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Its id.
    pub device_id: DeviceId,
    /// Its name.
    pub device_name: String,
    /// Its operating system.
    pub device_os: String,
    /// Its last completed upload.
    pub last_sync_at: Option<UnixMillis>,
    /// When it was registered.
    pub created_at: UnixMillis,
}

/// Answer to `GET /devices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicesResponse {
    /// The user's devices.
    pub devices: Vec<DeviceInfo>,
}

/// Answer to `DELETE /devices?device_id=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveDeviceResponse {
    /// Whether a device was removed.
    pub removed: bool,
}

/// Answer to `DELETE /data`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteDataResponse {
    /// Blobs removed.
    pub deleted_blobs: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
}

/// Answer to `GET /billing/reference`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingReferenceResponse {
    /// The account's billing reference: what a checkout puts in the Stripe subscription's
    /// `metadata.sync_account` (or `client_reference_id`) so that the subscription sets this
    /// account's tier. Minted by the server; it cannot be forged for another account.
    pub reference: String,
}

/// `POST /keys`: password change (`envelope` only) or rotation (all three).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysRequest {
    /// The revision the client last saw; a different current revision is `409 STALE_REVISION`.
    pub expected_revision: u64,
    /// The new password envelope.
    pub envelope: Envelope,
    /// For a rotation: the new keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring: Option<Vec<KeyringEntry>>,
    /// For a rotation: the new recovery envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_envelope: Option<RecoveryEnvelope>,
}

/// Answer to `POST /keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysResponse {
    /// The new revision.
    pub revision: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_request_json() {
        let json = r#"{"blob_id":"000102030405060708090a0b0c0d0e0f","blob_type":"text","device_id":"dev-1",
            "time_start":"2026-01-05T09:00:00.000Z","time_end":"2026-01-05T09:05:00.000Z","size_bytes":1234,
            "checksum":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "key_id":"0f0e0d0c0b0a09080706050403020100","search_tokens":["AAAAAAAAAAAAAAAAAAAAAA"]}"#;
        let req: UploadRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.blob_type, BlobType::Text);
        assert_eq!(req.search_tokens.len(), 1);
        let back: UploadRequest = serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(back, req);
        assert!(serde_json::from_str::<UploadRequest>(&json.replace("\"text\"", "\"video\"")).is_err());
    }

    #[test]
    fn download_request_optional_fields() {
        let req: DownloadRequest = serde_json::from_str(r#"{"blob_ids":null}"#).unwrap();
        assert_eq!(req, DownloadRequest::default());
        assert_eq!(serde_json::to_string(&req).unwrap(), "{}");
    }
}
