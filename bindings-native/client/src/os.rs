//! What the operating system gives: the clock, randomness (device ids, backoff jitter), durable
//! renames (folder fsync), this process's CPU time.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sync_core::UnixMillis;

use crate::error::{IoContext, Result, SyncError};

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> UnixMillis {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    UnixMillis(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// A random UUID (version 4), lowercase: a valid device id.
pub(crate) fn random_uuid() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|_| SyncError::Core(sync_core::Error::Random))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]))
}

/// A random number in `0..n` (for backoff jitter).
pub(crate) fn random_below(n: u64) -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() || n == 0 {
        return 0;
    }
    u64::from_le_bytes(b) % n
}

/// Flushes a directory entry (after a rename) so that the rename survives a power cut.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let f = std::fs::File::open(dir).io_ctx(|| format!("open {}", dir.display()))?;
        f.sync_all().io_ctx(|| format!("sync {}", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// CPU time (user + system) of this process so far, in seconds, where the OS tells it
/// (`/proc/self/stat` on Linux, assuming 100 clock ticks per second).
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ')'.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_a_device_id() {
        let id = random_uuid().unwrap();
        assert_eq!(id.len(), 36);
        sync_core::DeviceId::new(id).unwrap();
        assert!(process_cpu_seconds().is_some_and(|s| s >= 0.0));
    }
}
