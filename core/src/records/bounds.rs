//! The field bounds of a bundle: every string at most [`MAX_FIELD_LEN`] bytes, at most
//! [`MAX_EXTRA_FIELDS`] `extra` columns per UI event (whose string values are bounded too),
//! every number finite (JSON has no NaN or infinity; serde would write `null`).

use super::bundle::{MAX_EXTRA_FIELDS, MAX_FIELD_LEN, RecordsBundle};
use crate::error::{Error, Result};

fn check(s: &str) -> Result<()> {
    if s.len() > MAX_FIELD_LEN { Err(Error::Malformed("a bundle field is too long")) } else { Ok(()) }
}

fn check_all<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> Result<()> {
    fields.into_iter().flatten().try_for_each(check)
}

fn finite(numbers: impl IntoIterator<Item = Option<f64>>) -> Result<()> {
    if numbers.into_iter().flatten().all(f64::is_finite) {
        Ok(())
    } else {
        Err(Error::Malformed("a bundle number is not finite"))
    }
}

/// Checks every string field and every number of every record.
pub(super) fn check_fields(b: &RecordsBundle) -> Result<()> {
    for c in &b.video_chunks {
        check_all([Some(c.file_name.as_str()), c.device_name.as_deref()])?;
        finite([c.fps])?;
    }
    for f in &b.frames {
        check_all([
            Some(f.timestamp.as_str()),
            f.name.as_deref(),
            f.browser_url.as_deref(),
            f.app_name.as_deref(),
            f.window_name.as_deref(),
            f.device_name.as_deref(),
            f.text.as_deref(),
            f.text_source.as_deref(),
            f.text_json.as_deref(),
            f.ocr_engine.as_deref(),
            f.accessibility_text.as_deref(),
            f.accessibility_tree_json.as_deref(),
            f.capture_trigger.as_deref(),
            f.document_path.as_deref(),
        ])?;
        if let Some(s) = &f.snapshot {
            check_all([Some(s.entry.as_str()), Some(s.file_name.as_str())])?;
        }
    }
    for e in &b.elements {
        check_all([Some(e.source.as_str()), Some(e.role.as_str()), e.text.as_deref(), e.properties.as_deref()])?;
        finite(e.bounds.into_iter().flatten().map(Some).chain([e.confidence]))?;
    }
    for a in &b.audio_chunks {
        check_all([Some(a.file_name.as_str()), a.timestamp.as_deref(), a.transcription_status.as_deref()])?;
    }
    for t in &b.audio_transcriptions {
        check_all([
            Some(t.timestamp.as_str()),
            Some(t.transcription.as_str()),
            t.device.as_deref(),
            t.transcription_engine.as_deref(),
        ])?;
        finite([t.start_time, t.end_time])?;
    }
    for a in &b.accessibility {
        check_all([
            Some(a.timestamp.as_str()),
            a.app_name.as_deref(),
            a.window_name.as_deref(),
            a.text_content.as_deref(),
            a.browser_url.as_deref(),
        ])?;
    }
    for u in &b.ui_events {
        if u.extra.len() > MAX_EXTRA_FIELDS {
            return Err(Error::Malformed("too many extra columns in a UI event"));
        }
        check_all([
            Some(u.timestamp.as_str()),
            Some(u.event_type.as_str()),
            u.app_name.as_deref(),
            u.window_title.as_deref(),
            u.browser_url.as_deref(),
            u.text_content.as_deref(),
        ])?;
        for (name, value) in &u.extra {
            check(name)?;
            check_all([value.as_str()])?;
        }
    }
    for m in &b.memories {
        check_all([
            Some(m.content.as_str()),
            Some(m.source.as_str()),
            m.source_context.as_deref(),
            Some(m.tags.as_str()),
            Some(m.created_at.as_str()),
            Some(m.updated_at.as_str()),
            m.sync_uuid.as_deref(),
        ])?;
        finite([m.importance])?;
    }
    for m in &b.meetings {
        check_all([
            Some(m.meeting_start.as_str()),
            m.meeting_end.as_deref(),
            Some(m.meeting_app.as_str()),
            m.title.as_deref(),
            m.attendees.as_deref(),
            m.detection_source.as_deref(),
            m.created_at.as_deref(),
            m.note.as_deref(),
            m.end_reason.as_deref(),
            m.calendar_event_id.as_deref(),
        ])?;
    }
    Ok(())
}
