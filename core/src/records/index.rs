//! The search tokens of a bundle, and the client-side check that drops the server's false
//! matches after decryption.
//!
//! Text fields indexed (field `text`): a frame's screen text and accessibility text, window
//! titles, URLs, transcriptions, accessibility rows, UI event text and window titles, memories
//! (content and tags), meetings (title, note, attendees). Elements are not indexed (their text
//! is the frame's). The app name (a meeting's app) is indexed as field `app`. Each record is
//! bucketed by its own timestamp: a memory by `updated_at` (its version), a meeting by
//! `meeting_start`.

use std::collections::HashSet;

use super::bundle::{RecordsBundle, tables};
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
    for f in &bundle.frames {
        let ts = parse_timestamp(&f.timestamp)?;
        let fields =
            [f.text.as_deref(), f.accessibility_text.as_deref(), f.window_name.as_deref(), f.browser_url.as_deref()];
        visit(tables::FRAMES, f.row_id, ts, f.app_name.as_deref(), &fields)?;
    }
    for t in &bundle.audio_transcriptions {
        let ts = parse_timestamp(&t.timestamp)?;
        visit(tables::AUDIO_TRANSCRIPTIONS, t.row_id, ts, None, &[Some(t.transcription.as_str())])?;
    }
    for a in &bundle.accessibility {
        let ts = parse_timestamp(&a.timestamp)?;
        let fields = [a.text_content.as_deref(), a.window_name.as_deref(), a.browser_url.as_deref()];
        visit(tables::ACCESSIBILITY, a.row_id, ts, a.app_name.as_deref(), &fields)?;
    }
    for u in &bundle.ui_events {
        let ts = parse_timestamp(&u.timestamp)?;
        let fields = [u.text_content.as_deref(), u.window_title.as_deref(), u.browser_url.as_deref()];
        visit(tables::UI_EVENTS, u.row_id, ts, u.app_name.as_deref(), &fields)?;
    }
    for m in &bundle.memories {
        let ts = parse_timestamp(&m.updated_at)?;
        visit(tables::MEMORIES, m.row_id, ts, None, &[Some(m.content.as_str()), Some(m.tags.as_str())])?;
    }
    for m in &bundle.meetings {
        let ts = parse_timestamp(&m.meeting_start)?;
        let fields = [m.title.as_deref(), m.note.as_deref(), m.attendees.as_deref()];
        visit(tables::MEETINGS, m.row_id, ts, Some(m.meeting_app.as_str()), &fields)?;
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
    /// The table the record comes from ([`tables`]: `frames`, `audio_transcriptions`,
    /// `accessibility`, `ui_events`, `memories`, `meetings`).
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
