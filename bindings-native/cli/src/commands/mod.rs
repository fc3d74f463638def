//! One file per subcommand: its arguments, what it asks the library, and how its typed result
//! is shown (JSON with `--json`, lines for people otherwise).

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
pub(crate) mod rotate_key;
pub(crate) mod search;
pub(crate) mod service;
pub(crate) mod status;

use sync_client::SyncError;
use sync_core::UnixMillis;

/// A time argument: RFC 3339, or `YYYY-MM-DD` (midnight UTC).
pub(crate) fn parse_time(text: &str) -> Result<UnixMillis, SyncError> {
    let t = text.trim();
    let full = if t.len() == 10 { format!("{t} 00:00:00") } else { t.to_owned() };
    sync_core::records::parse_timestamp(&full)
        .map_err(|_| SyncError::Config(format!("{text:?} is not a time (RFC 3339 or YYYY-MM-DD)")))
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
}
