//! screenpipe's timestamp texts: mostly RFC 3339 with an offset (often `+00:00`) and 0 to 9
//! fractional digits, sometimes `YYYY-MM-DD HH:MM:SS` (UTC) with optional fractional digits.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::encoding::UnixMillis;
use crate::error::{Error, Result};

/// Longest timestamp text accepted.
pub const MAX_TIMESTAMP_LEN: usize = 64;

/// Parses a screenpipe timestamp to whole milliseconds (sub-millisecond digits truncated toward
/// the past).
pub fn parse_timestamp(text: &str) -> Result<UnixMillis> {
    let text = text.trim();
    if text.len() > MAX_TIMESTAMP_LEN {
        return Err(Error::Malformed("timestamp too long"));
    }
    let dt = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(dt) => dt,
        Err(_) => {
            let sql = format_description!(
                version = 2,
                "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]][optional [Z]]"
            );
            PrimitiveDateTime::parse(text, sql).map_err(|_| Error::Malformed("unrecognised timestamp"))?.assume_utc()
        }
    };
    let nanos = dt.unix_timestamp_nanos();
    let ms = nanos.div_euclid(1_000_000);
    i64::try_from(ms).map(UnixMillis).map_err(|_| Error::Malformed("timestamp out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screenpipe_forms() {
        let base = UnixMillis::parse_rfc3339("2026-01-05T09:00:00.000Z").unwrap().0;
        assert_eq!(parse_timestamp("2026-01-05T09:00:00+00:00").unwrap().0, base);
        assert_eq!(parse_timestamp("2026-01-05T09:00:00.123456789+00:00").unwrap().0, base + 123);
        assert_eq!(parse_timestamp("2026-01-05T10:00:00.5+01:00").unwrap().0, base + 500);
        assert_eq!(parse_timestamp("2026-01-05T09:00:00Z").unwrap().0, base);
        assert_eq!(parse_timestamp("2026-01-05 09:00:00").unwrap().0, base);
        assert_eq!(parse_timestamp("2026-01-05 09:00:00.25").unwrap().0, base + 250);
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("2026-13-05 09:00:00").is_err());
    }
}
