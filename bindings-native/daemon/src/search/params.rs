//! [`SearchParams`]: screenpipe's `GET /search` query parameters, read as screenpipe-mcp and
//! pipes send them (unknown parameters are ignored, as screenpipe does).

use std::collections::BTreeMap;

use sync_client::search::{ContentType, SearchFilter, SearchOptions};
use sync_core::UnixMillis;
use sync_core::records::parse_timestamp;

use crate::error::{DaemonError, Result};

/// screenpipe's default page size.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page served (screenpipe-mcp's video export asks for 10,000).
pub const MAX_LIMIT: usize = 10_000;

/// A parsed `GET /search`.
#[derive(Clone, Debug)]
pub struct SearchParams {
    /// `q` (empty: browse by time).
    pub q: String,
    /// The options for the client's search.
    pub options: SearchOptions,
    /// `include_frames=true`.
    pub include_frames: bool,
}

fn bad(name: &str, value: &str, what: &str) -> DaemonError {
    DaemonError::BadRequest(format!("{name}={value}: {what}"))
}

fn number(map: &BTreeMap<String, String>, name: &str) -> Result<Option<usize>> {
    match map.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| bad(name, v, "not a whole number")),
    }
}

fn time(map: &BTreeMap<String, String>, name: &str) -> Result<Option<UnixMillis>> {
    match map.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse_timestamp(v).map(Some).map_err(|_| bad(name, v, "not an ISO 8601 time")),
    }
}

fn text(map: &BTreeMap<String, String>, name: &str) -> Option<String> {
    map.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl SearchParams {
    /// Reads the parameters; a malformed number, time, flag or content type is `bad_request`.
    pub fn parse(map: &BTreeMap<String, String>) -> Result<SearchParams> {
        let content_type = match map.get("content_type") {
            None => ContentType::All,
            Some(v) => ContentType::parse(v).ok_or_else(|| {
                bad("content_type", v, "expected all, ocr, audio, ui, accessibility, input or memory")
            })?,
        };
        let include_frames = match map.get("include_frames").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "true" || v == "1" => true,
            Some(v) if v == "false" || v == "0" || v.is_empty() => false,
            Some(v) => return Err(bad("include_frames", &v, "expected true or false")),
        };
        let filter = SearchFilter {
            content_type,
            app_name: text(map, "app_name"),
            window_name: text(map, "window_name"),
            browser_url: text(map, "browser_url"),
            min_length: number(map, "min_length")?,
            max_length: number(map, "max_length")?,
            speaker_name: text(map, "speaker_name"),
            device_name: text(map, "device_name"),
        };
        let options = SearchOptions {
            start: time(map, "start_time")?,
            end: time(map, "end_time")?,
            limit: number(map, "limit")?.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
            offset: number(map, "offset")?.unwrap_or(0),
            filter,
            ..SearchOptions::default()
        };
        Ok(SearchParams { q: map.get("q").cloned().unwrap_or_default(), options, include_frames })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn screenpipe_parameters() {
        let p = SearchParams::parse(&map(&[
            ("q", "budget review"),
            ("content_type", "accessibility"),
            ("limit", "5"),
            ("offset", "10"),
            ("start_time", "2026-01-01T00:00:00Z"),
            ("end_time", "2026-02-01T00:00:00.5+00:00"),
            ("app_name", "Firefox"),
            ("min_length", "3"),
            ("include_frames", "true"),
            ("unknown", "ignored"),
        ]))
        .unwrap();
        assert_eq!(p.q, "budget review");
        assert_eq!(p.options.filter.content_type, ContentType::Ui);
        assert_eq!((p.options.limit, p.options.offset), (5, 10));
        assert_eq!(p.options.start, Some(UnixMillis(1_767_225_600_000)));
        assert_eq!(p.options.end, Some(UnixMillis(1_769_904_000_500)));
        assert_eq!(p.options.filter.app_name.as_deref(), Some("Firefox"));
        assert_eq!(p.options.filter.min_length, Some(3));
        assert!(p.include_frames);
        let d = SearchParams::parse(&map(&[])).unwrap();
        assert_eq!((d.q.as_str(), d.options.limit, d.include_frames), ("", DEFAULT_LIMIT, false));
        assert_eq!(SearchParams::parse(&map(&[("limit", "99999")])).unwrap().options.limit, MAX_LIMIT);
        for bad in [("limit", "-1"), ("start_time", "yesterday"), ("content_type", "video"), ("include_frames", "yes")]
        {
            let e = SearchParams::parse(&map(&[bad])).unwrap_err();
            assert_eq!(e.code(), "bad_request", "{bad:?}");
        }
    }
}
