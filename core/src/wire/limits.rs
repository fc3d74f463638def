//! Bounds of the API v1 that clients respect and the server enforces.
//!
//! Every count or length that arrives from outside is checked against one of these.

/// Longest JSON request body the server reads, in bytes.
pub const MAX_JSON_BODY: usize = 4 * 1024 * 1024;
/// Search tokens one upload may carry (a `text` blob's union of terms over its records).
pub const MAX_TOKENS_PER_UPLOAD: usize = 20_000;
/// Tokens one search request may carry (terms x months x keys).
pub const MAX_TOKENS_PER_SEARCH: usize = 1_024;
/// Blobs one batched `/upload` or `/upload/complete` may name.
pub const MAX_BLOBS_PER_BATCH: usize = 1_000;
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
/// Longest pairing message, in bytes (docs/FORMAT.md, "Messages"): the core refuses a longer one
/// and the server's mailbox does not store it.
pub const MAX_PAIR_MESSAGE_LEN: usize = 393_216;
/// Search tokens a blob may carry whatever its size (see [`max_tokens_for_size`]).
pub const MIN_TOKENS_PER_BLOB: usize = 64;

/// Search tokens one upload of `size_bytes` bytes of ciphertext may carry: one per byte, at
/// least [`MIN_TOKENS_PER_BLOB`], at most [`MAX_TOKENS_PER_UPLOAD`]. A `text` blob holds every
/// term it is indexed under, compressed: real screen text takes about 11 bytes of ciphertext
/// per term, and even random numbers or random CJK bigrams take 2 to 3, so the bound never
/// refuses a genuine blob; it refuses tiny blobs that carry thousands of tokens.
pub fn max_tokens_for_size(size_bytes: u64) -> usize {
    let by_size = usize::try_from(size_bytes).unwrap_or(usize::MAX);
    by_size.clamp(MIN_TOKENS_PER_BLOB, MAX_TOKENS_PER_UPLOAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bounded_by_size() {
        assert_eq!(max_tokens_for_size(1), 64);
        assert_eq!(max_tokens_for_size(64), 64);
        assert_eq!(max_tokens_for_size(1000), 1000);
        assert_eq!(max_tokens_for_size(MAX_BLOB_SIZE), MAX_TOKENS_PER_UPLOAD);
    }
}
