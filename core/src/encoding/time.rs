//! Times: whole milliseconds since the Unix epoch, UTC; in JSON, RFC 3339 with exactly three
//! fractional digits and `Z` (`2026-01-05T09:00:00.000Z`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
use time::{OffsetDateTime, format_description::FormatItem, macros::format_description};

use crate::error::{Error, Result};

const RFC3339_MS: &[FormatItem<'static>] =
    format_description!("[year repr:full sign:automatic]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Milliseconds since the Unix epoch, UTC.
///
/// Only years 0000 to 9999 have a JSON form; [`UnixMillis::to_rfc3339`] refuses the rest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub i64);

/// 0000-01-01T00:00:00.000Z.
const MIN_MS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z.
const MAX_MS: i64 = 253_402_300_799_999;

impl UnixMillis {
    /// The earliest time with a JSON form.
    pub const MIN: UnixMillis = UnixMillis(MIN_MS);
    /// The latest time with a JSON form.
    pub const MAX: UnixMillis = UnixMillis(MAX_MS);

    /// Formats as RFC 3339 with exactly three fractional digits and `Z`.
    pub fn to_rfc3339(self) -> Result<String> {
        if !(MIN_MS..=MAX_MS).contains(&self.0) {
            return Err(Error::InvalidInput("time outside years 0000 to 9999"));
        }
        let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .map_err(|_| Error::InvalidInput("time out of range"))?;
        dt.format(RFC3339_MS).map_err(|_| Error::InvalidInput("time out of range"))
    }

    /// Parses the strict RFC 3339 form; anything else (another offset, fewer or more fractional
    /// digits, lowercase `t`/`z`, a sign) is malformed.
    pub fn parse_rfc3339(text: &str) -> Result<UnixMillis> {
        // The fixed form is exactly 24 ASCII bytes; this also bounds the work on hostile input.
        if text.len() != 24 {
            return Err(Error::Malformed("time is not YYYY-MM-DDTHH:MM:SS.mmmZ"));
        }
        let dt = time::PrimitiveDateTime::parse(text, RFC3339_MS)
            .map_err(|_| Error::Malformed("time is not YYYY-MM-DDTHH:MM:SS.mmmZ"))?
            .assume_utc();
        let ms = dt.unix_timestamp_nanos() / 1_000_000;
        let ms = i64::try_from(ms).map_err(|_| Error::Malformed("time out of range"))?;
        // Round-trip check: exactly one text per instant (no leap-second or sign variants).
        let back = UnixMillis(ms).to_rfc3339().map_err(|_| Error::Malformed("time out of range"))?;
        if back != text {
            return Err(Error::Malformed("time is not in canonical form"));
        }
        Ok(UnixMillis(ms))
    }

    /// The UTC `YYYY-MM` of this instant (the search-token month bucket).
    pub fn month_bucket(self) -> Result<String> {
        let text = self.to_rfc3339()?;
        Ok(text.get(..7).unwrap_or_default().to_owned())
    }

    /// The first millisecond of the month after this instant's month.
    pub fn start_of_next_month(self) -> Result<UnixMillis> {
        let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .map_err(|_| Error::InvalidInput("time out of range"))?;
        let (year, month) = match dt.month() {
            time::Month::December => (dt.year() + 1, time::Month::January),
            m => (dt.year(), m.next()),
        };
        let date =
            time::Date::from_calendar_date(year, month, 1).map_err(|_| Error::InvalidInput("time out of range"))?;
        let ts = date.midnight().assume_utc().unix_timestamp() * 1000;
        Ok(UnixMillis(ts))
    }
}

impl fmt::Debug for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_rfc3339() {
            Ok(text) => write!(f, "{text}"),
            Err(_) => write!(f, "UnixMillis({})", self.0),
        }
    }
}

impl Serialize for UnixMillis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.to_rfc3339().map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for UnixMillis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        UnixMillis::parse_rfc3339(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let t = UnixMillis::parse_rfc3339("2026-01-05T09:00:00.000Z").unwrap();
        assert_eq!(t.0, 1_767_603_600_000);
        assert_eq!(t.to_rfc3339().unwrap(), "2026-01-05T09:00:00.000Z");
        assert_eq!(UnixMillis(-1).to_rfc3339().unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(UnixMillis::MIN.to_rfc3339().unwrap(), "0000-01-01T00:00:00.000Z");
        assert_eq!(UnixMillis::MAX.to_rfc3339().unwrap(), "9999-12-31T23:59:59.999Z");
        assert!(UnixMillis(MAX_MS + 1).to_rfc3339().is_err());
        assert!(UnixMillis(i64::MIN).to_rfc3339().is_err());
    }

    #[test]
    fn rejects_other_forms() {
        for bad in [
            "2026-01-05T09:00:00Z",
            "2026-01-05T09:00:00.00Z",
            "2026-01-05T09:00:00.0000Z",
            "2026-01-05T09:00:00.000+00:00",
            "2026-01-05t09:00:00.000Z",
            "2026-01-05T09:00:00.000z",
            "2026-01-05 09:00:00.000Z",
            "+2026-01-05T09:00:00.000Z",
            "2026-02-30T09:00:00.000Z",
            "2026-01-05T24:00:00.000Z",
            "2026-01-05T23:59:60.000Z",
            "2026-1-05T09:00:00.000ZZ",
            "",
        ] {
            assert!(UnixMillis::parse_rfc3339(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn month_buckets() {
        let t = UnixMillis::parse_rfc3339("2026-01-31T23:59:59.999Z").unwrap();
        assert_eq!(t.month_bucket().unwrap(), "2026-01");
        assert_eq!(UnixMillis(t.0 + 1).month_bucket().unwrap(), "2026-02");
        assert_eq!(t.start_of_next_month().unwrap(), UnixMillis(t.0 + 1));
        let dec = UnixMillis::parse_rfc3339("2025-12-10T00:00:00.000Z").unwrap();
        assert_eq!(dec.start_of_next_month().unwrap(), UnixMillis::parse_rfc3339("2026-01-01T00:00:00.000Z").unwrap());
    }

    #[test]
    fn serde_round_trip() {
        let t = UnixMillis(1_767_603_600_123);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-01-05T09:00:00.123Z\"");
        assert_eq!(serde_json::from_str::<UnixMillis>(&json).unwrap(), t);
        assert!(serde_json::from_str::<UnixMillis>("1767603600123").is_err());
    }
}
