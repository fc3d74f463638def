//! One file per subcommand: its arguments, what it asks the library, and how its typed result
//! is shown (JSON with `--json`, lines for people otherwise).

pub(crate) mod archive;
pub(crate) mod change_password;
pub(crate) mod daemon;
pub(crate) mod dev;
pub(crate) mod devices;
pub(crate) mod init;
pub(crate) mod join;
pub(crate) mod link;
pub(crate) mod pull;
pub(crate) mod push;
pub(crate) mod recover;
pub(crate) mod restore;
pub(crate) mod retention;
pub(crate) mod rotate_key;
pub(crate) mod search;
pub(crate) mod service;
pub(crate) mod status;
pub(crate) mod verify;

use sync_client::SyncError;
use sync_core::UnixMillis;

/// A time argument: RFC 3339, or `YYYY-MM-DD` (midnight UTC).
pub(crate) fn parse_time(text: &str) -> Result<UnixMillis, SyncError> {
    let t = text.trim();
    let full = if t.len() == 10 { format!("{t} 00:00:00") } else { t.to_owned() };
    sync_core::records::parse_timestamp(&full)
        .map_err(|_| SyncError::Config(format!("{text:?} is not a time (RFC 3339 or YYYY-MM-DD)")))
}

/// A duration argument: a number and a unit, `m` (minutes), `h`, `d`, `w` or `y` (365 days).
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, SyncError> {
    let t = text.trim();
    let bad = || SyncError::Config(format!("{text:?} is not a duration (30d, 12h, 2w, 1y)"));
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => return Err(bad()),
    };
    Ok(std::time::Duration::from_secs(n.checked_mul(secs).ok_or_else(bad)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-02").unwrap(), UnixMillis(86_400_000));
        assert_eq!(parse_time("1970-01-01T00:00:01Z").unwrap(), UnixMillis(1000));
        assert_eq!(parse_time("yesterday").unwrap_err().code(), "config");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap().as_secs(), 30 * 86_400);
        assert_eq!(parse_duration("12h").unwrap().as_secs(), 12 * 3600);
        assert_eq!(parse_duration("2w").unwrap().as_secs(), 14 * 86_400);
        assert_eq!(parse_duration("1y").unwrap().as_secs(), 365 * 86_400);
        assert_eq!(parse_duration("45m").unwrap().as_secs(), 45 * 60);
        for bad in ["", "d", "30", "3x", "-1d", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad).unwrap_err().code(), "config", "{bad}");
        }
    }
}
