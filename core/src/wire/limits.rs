//! Bounds of the API v1 that clients respect and the server enforces.
//!
//! Every count or length that arrives from outside is checked against one of these.

/// Longest JSON request body the server reads, in bytes.
pub const MAX_JSON_BODY: usize = 4 * 1024 * 1024;
/// Search tokens one upload may carry (a `text` blob's union of terms over its records).
pub const MAX_TOKENS_PER_UPLOAD: usize = 20_000;
/// Tokens one search request may carry (terms x months x keys).
pub const MAX_TOKENS_PER_SEARCH: usize = 1_024;
/// Blob ids one download request may name.
pub const MAX_IDS_PER_DOWNLOAD: usize = 1_000;
/// Largest `limit` of a download or search page.
pub const MAX_PAGE_LIMIT: u32 = 1_000;
/// Default `limit` of a download or search page.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// Keyring entries one account may hold (one per rotation).
pub const MAX_KEYRING_ENTRIES: usize = 1_000;
/// Longest device name or OS string, in bytes.
pub const MAX_DEVICE_NAME_LEN: usize = 128;
/// Longest `app_version`, in bytes.
pub const MAX_APP_VERSION_LEN: usize = 64;
/// Largest blob the API accepts, in bytes of ciphertext (a media chunk of 1 GiB plus overhead).
pub const MAX_BLOB_SIZE: u64 = (1 << 30) + (1 << 24);
