//! The server's clock: whole milliseconds and seconds since the Unix epoch, UTC.

use std::time::{SystemTime, UNIX_EPOCH};

use sync_core::UnixMillis;

/// Now, in milliseconds.
pub fn now_ms() -> UnixMillis {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    UnixMillis(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Now, in seconds.
pub fn now_secs() -> i64 {
    now_ms().0 / 1000
}

/// The `SystemTime` of a millisecond instant (the epoch for instants before it).
pub fn to_system_time(t: UnixMillis) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(t.0).unwrap_or(0))
}
