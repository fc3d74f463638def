//! Which failures the service retries with backoff ([`is_transient`]) and how long it waits
//! ([`backoff_delay`]).

use std::time::Duration;

use sync_core::wire::codes;

use crate::error::SyncError;

/// True when the error is likely to go away by itself (retry with backoff): network errors,
/// 5xx, 429 and 408 answers, too many pending uploads, local I/O and database hiccups, damaged transfers.
pub fn is_transient(error: &SyncError) -> bool {
    match error {
        SyncError::Network { .. }
        | SyncError::InvalidResponse(_)
        | SyncError::UndecodableResponse { .. }
        | SyncError::InvalidUrl { .. }
        | SyncError::ChecksumMismatch(_)
        | SyncError::Io { .. }
        | SyncError::Database { .. }
        | SyncError::State(_)
        | SyncError::CorruptState { .. }
        | SyncError::Locked { .. }
        | SyncError::Worker { .. }
        | SyncError::RetryLater { .. }
        | SyncError::PendingLimit { .. } => true,
        SyncError::Api { status, code, .. } => {
            *status >= 500 || *status == 429 || code == codes::NOT_UPLOADED || code == codes::CHECKSUM_MISMATCH
        }
        _ => false,
    }
}

/// The delay before retry number `failures` (1 for the first): `base * 2^(failures-1)`, at most
/// `max`, times a random factor in [0.5, 1.5), and never more than `max`.
pub fn backoff_delay(base: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exp.min(20)).min(max);
    let random = getrandom::u64().unwrap_or(u64::MAX / 2);
    let factor = 0.5 + (random >> 11) as f64 / (1u64 << 53) as f64;
    raw.mul_f64(factor).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_stays_bounded() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(10);
        for failures in 1..40 {
            let d = backoff_delay(base, max, failures);
            let raw = base.saturating_mul(1 << (failures - 1).min(20)).min(max);
            assert!(d >= raw.mul_f64(0.5) && d <= max, "{failures}: {d:?}");
        }
        let samples: std::collections::HashSet<Duration> = (0..20).map(|_| backoff_delay(base, max, 3)).collect();
        assert!(samples.len() > 1, "jitter");
    }

    #[test]
    fn transient_errors() {
        let refused = reqwest::Client::new().get("http://[::1").build().unwrap_err();
        assert!(is_transient(&SyncError::Network { what: "cannot connect (::1)".into(), source: refused }));
        let api = |status: u16, code: &str| SyncError::Api { status, code: code.into(), message: String::new() };
        assert!(is_transient(&api(503, "UNAVAILABLE")));
        assert!(!is_transient(&api(403, codes::QUOTA_EXCEEDED)));
        assert!(!is_transient(&api(401, codes::UNAUTHORIZED)));
        assert!(!is_transient(&SyncError::Core(sync_core::Error::WrongPassword)));
    }
}
