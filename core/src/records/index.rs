//! The search tokens of a bundle, and the client-side check that drops the server's false
//! matches after decryption.
//!
//! Text fields indexed (field `text`): OCR text, window titles, URLs, transcriptions,
//! accessibility text, UI event text and window titles. The app name is indexed as field `app`.
//! Each record is bucketed by its own timestamp (an OCR row by its frame's).

use std::collections::{HashMap, HashSet};

use super::bundle::RecordsBundle;
use super::timestamps::parse_timestamp;
use crate::encoding::UnixMillis;
use crate::error::Result;
use crate::search::query::RecordTokens;
use crate::search::terms::terms;
use crate::search::tokens::TokenKey;
use crate::wire::values::SearchToken;

/// Calls `visit(table, row_id, timestamp, app_name, text_fields)` for every searchable record.
fn for_each_record(
    bundle: &RecordsBundle,
    mut visit: impl FnMut(&'static str, i64, UnixMillis, Option<&str>, &[Option<&str>]) -> Result<()>,
) -> Result<()> {
    let mut frame_times: HashMap<i64, UnixMillis> = HashMap::with_capacity(bundle.frames.len());
    for f in &bundle.frames {
        let ts = parse_timestamp(&f.timestamp)?;
        frame_times.insert(f.row_id, ts);
        visit("frames", f.row_id, ts, f.app_name.as_deref(), &[f.window_name.as_deref(), f.browser_url.as_deref()])?;
    }
    for o in &bundle.ocr_text {
        // An OCR row whose frame is not in the bundle takes the bundle's start as its time.
        let ts = frame_times.get(&o.frame_row_id).copied().unwrap_or(bundle.time_start);
        visit("ocr_text", o.row_id, ts, o.app_name.as_deref(), &[Some(o.text.as_str()), o.window_name.as_deref()])?;
    }
    for t in &bundle.audio_transcriptions {
        let ts = parse_timestamp(&t.timestamp)?;
        visit("audio_transcriptions", t.row_id, ts, None, &[Some(t.transcription.as_str())])?;
    }
    for a in &bundle.accessibility {
        let ts = parse_timestamp(&a.timestamp)?;
        let fields = [a.text_content.as_deref(), a.window_name.as_deref(), a.browser_url.as_deref()];
        visit("accessibility", a.row_id, ts, a.app_name.as_deref(), &fields)?;
    }
    for u in &bundle.ui_events {
        let ts = parse_timestamp(&u.timestamp)?;
        let fields = [u.text_content.as_deref(), u.window_title.as_deref(), u.browser_url.as_deref()];
        visit("ui_events", u.row_id, ts, u.app_name.as_deref(), &fields)?;
    }
    Ok(())
}

/// The search tokens of a bundle under `key`: the union over its records, sorted.
pub fn bundle_tokens(bundle: &RecordsBundle, key: &TokenKey) -> Result<Vec<SearchToken>> {
    let mut tokens = RecordTokens::new(key);
    for_each_record(bundle, |_, _, ts, app, fields| {
        if let Some(app) = app {
            tokens.add_app(ts, app)?;
        }
        for text in fields.iter().flatten() {
            tokens.add_text(ts, text)?;
        }
        Ok(())
    })?;
    Ok(tokens.into_tokens())
}

/// A record that holds every term of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordHit {
    /// The table the record comes from (`frames`, `ocr_text`, `audio_transcriptions`,
    /// `accessibility`, `ui_events`).
    pub table: &'static str,
    /// Its row id on the origin device.
    pub row_id: i64,
    /// Its timestamp.
    pub timestamp: UnixMillis,
}

/// The records of `bundle` within `[start, end]` whose text holds every term of `query`
/// (an empty query matches every record in range).
pub fn find_hits(bundle: &RecordsBundle, query: &str, start: UnixMillis, end: UnixMillis) -> Result<Vec<RecordHit>> {
    let wanted = terms(query);
    let mut hits = Vec::new();
    for_each_record(bundle, |table, row_id, ts, _, fields| {
        if ts < start || ts > end {
            return Ok(());
        }
        let mut have: HashSet<String> = HashSet::new();
        for text in fields.iter().flatten() {
            have.extend(terms(text));
        }
        if wanted.iter().all(|t| have.contains(t)) {
            hits.push(RecordHit { table, row_id, timestamp: ts });
        }
        Ok(())
    })?;
    Ok(hits)
}
