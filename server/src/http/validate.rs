//! Checks shared by several routes: time ranges, page limits, filters, token lists.

use sync_core::wire::limits::{DEFAULT_PAGE_LIMIT, MAX_IDS_PER_DOWNLOAD, MAX_PAGE_LIMIT};
use sync_core::wire::{SearchToken, TimeRange};
use sync_core::{BlobType, DeviceId};

use super::error::{ApiError, ApiResult};
use crate::store::metadata::{BlobFilter, TokenBytes};

/// A page size: the default when absent, `1..=MAX_PAGE_LIMIT` otherwise.
pub fn page_limit(limit: Option<u32>) -> ApiResult<u32> {
    match limit {
        None => Ok(DEFAULT_PAGE_LIMIT),
        Some(n) if (1..=MAX_PAGE_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(format!("limit {n} is not between 1 and {MAX_PAGE_LIMIT}"))),
    }
}

/// A filter from a time range and optional type and device lists; an empty list is the same
/// as no list.
pub fn filter(
    time_range: Option<TimeRange>,
    blob_types: Option<Vec<BlobType>>,
    device_ids: Option<Vec<DeviceId>>,
) -> ApiResult<BlobFilter> {
    let time_range = match time_range {
        Some(range) if range.start > range.end => {
            return Err(ApiError::invalid("time_range.start is after time_range.end"));
        }
        Some(range) => Some((range.start, range.end)),
        None => None,
    };
    let blob_types = blob_types.filter(|t| !t.is_empty()).map(|mut types| {
        types.sort_unstable();
        types.dedup();
        types
    });
    let device_ids = match device_ids.filter(|d| !d.is_empty()) {
        Some(ids) if ids.len() > MAX_IDS_PER_DOWNLOAD => {
            return Err(ApiError::too_large(format!("more than {MAX_IDS_PER_DOWNLOAD} device_ids")));
        }
        Some(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            Some(ids)
        }
        None => None,
    };
    Ok(BlobFilter { time_range, blob_types, device_ids })
}

/// Distinct raw tokens, at most `max` in the request.
pub fn tokens(tokens: &[SearchToken], max: usize) -> ApiResult<Vec<TokenBytes>> {
    if tokens.len() > max {
        return Err(ApiError::too_large(format!("{} search tokens, at most {max} allowed", tokens.len())));
    }
    let mut raw = Vec::with_capacity(tokens.len());
    for token in tokens {
        let bytes = sync_core::encoding::base64url::decode_array::<16>(token.as_str(), "search token")
            .map_err(|e| ApiError::invalid(format!("invalid search token: {e}")))?;
        raw.push(bytes);
    }
    raw.sort_unstable();
    raw.dedup();
    Ok(raw)
}

/// A free-text field of at most `max` bytes.
pub fn text(name: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.len() > max {
        return Err(ApiError::invalid(format!("{name} is longer than {max} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!("{name} contains control characters")));
    }
    Ok(())
}
