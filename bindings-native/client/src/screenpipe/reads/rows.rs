//! The rows besides frames, as the core's records: transcriptions, accessibility rows (the
//! February 2026 generation), UI events, memories and meetings (0.4). Columns are read where
//! present (the needs of the generation are checked when the database is opened).

use std::collections::BTreeMap;

use sync_core::records::{
    AccessibilityRecord, MAX_EXTRA_FIELDS, MeetingRecord, MemoryRecord, TranscriptionRecord, UiEventRecord,
};

use super::PackagerReads;
use crate::error::Result;
use crate::screenpipe::imports::not_imported;
use crate::screenpipe::values::{opt_bool, opt_text, sql_value_to_json};

/// Columns of `ui_events` carried as named fields (the rest go to `extra`), plus the sync
/// columns, which stay local.
const UI_FIELDS: [&str; 10] = [
    "id",
    "timestamp",
    "event_type",
    "app_name",
    "window_title",
    "browser_url",
    "text_content",
    "sync_id",
    "machine_id",
    "synced_at",
];

impl PackagerReads {
    /// The transcriptions in `(lo, hi]` recorded here.
    pub(crate) fn transcriptions_in(&self, lo: i64, hi: i64) -> Result<Vec<TranscriptionRecord>> {
        let t = self.tables();
        let c = |name| t.col_or_null("audio_transcriptions", name);
        let sql = format!(
            "SELECT id, audio_chunk_id, offset_index, timestamp, transcription, {}, {}, {}, {}, {}, {}, {}
             FROM audio_transcriptions WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("device"),
            c("is_input_device"),
            c("speaker_id"),
            c("transcription_engine"),
            c("start_time"),
            c("end_time"),
            c("text_length"),
            not_imported(self.has_imports, "audio_transcriptions", "audio_transcriptions.id"),
        );
        self.rows_in("audio_transcriptions", &sql, lo, hi, |r| {
            Ok(TranscriptionRecord {
                row_id: r.get(0)?,
                audio_chunk_row_id: r.get(1)?,
                offset_index: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                timestamp: opt_text(r, 3)?.unwrap_or_default(),
                transcription: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                device: r.get(5)?,
                is_input_device: opt_bool(r, 6)?,
                speaker_id: r.get(7)?,
                transcription_engine: r.get(8)?,
                start_time: r.get::<_, Option<f64>>(9)?.filter(|v| v.is_finite()),
                end_time: r.get::<_, Option<f64>>(10)?.filter(|v| v.is_finite()),
                text_length: r.get(11)?,
            })
        })
    }

    /// The accessibility rows in `(lo, hi]` recorded here.
    pub(crate) fn accessibility_in(&self, lo: i64, hi: i64) -> Result<Vec<AccessibilityRecord>> {
        let t = self.tables();
        let c = |name| t.col_or_null("accessibility", name);
        let sql = format!(
            "SELECT id, timestamp, {}, {}, {}, {} FROM accessibility WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("app_name"),
            c("window_name"),
            c("text_content"),
            c("browser_url"),
            not_imported(self.has_imports, "accessibility", "accessibility.id"),
        );
        self.rows_in("accessibility", &sql, lo, hi, |r| {
            Ok(AccessibilityRecord {
                row_id: r.get(0)?,
                timestamp: opt_text(r, 1)?.unwrap_or_default(),
                app_name: r.get(2)?,
                window_name: r.get(3)?,
                text_content: r.get(4)?,
                browser_url: r.get(5)?,
            })
        })
    }

    /// The UI events in `(lo, hi]` recorded here; columns other than the named ones go to
    /// `extra` (at most the format's bound).
    pub(crate) fn ui_events_in(&self, lo: i64, hi: i64) -> Result<Vec<UiEventRecord>> {
        let extra_cols: Vec<String> = self
            .tables()
            .columns("ui_events")
            .filter(|c| !UI_FIELDS.contains(c))
            .take(MAX_EXTRA_FIELDS)
            .map(str::to_owned)
            .collect();
        let t = self.tables();
        let c = |name| t.col_or_null("ui_events", name);
        let extra_sql: String = extra_cols.iter().map(|c| format!(", \"{c}\"")).collect();
        let sql = format!(
            "SELECT id, timestamp, {}, {}, {}, {}, {}{extra_sql} FROM ui_events WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("event_type"),
            c("app_name"),
            c("window_title"),
            c("browser_url"),
            c("text_content"),
            not_imported(self.has_imports, "ui_events", "ui_events.id"),
        );
        self.rows_in("ui_events", &sql, lo, hi, |r| {
            let mut extra = BTreeMap::new();
            for (i, name) in extra_cols.iter().enumerate() {
                let v = sql_value_to_json(r.get_ref(7 + i)?);
                if !v.is_null() {
                    extra.insert(name.clone(), v);
                }
            }
            Ok(UiEventRecord {
                row_id: r.get(0)?,
                timestamp: opt_text(r, 1)?.unwrap_or_default(),
                event_type: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                app_name: r.get(3)?,
                window_title: r.get(4)?,
                browser_url: r.get(5)?,
                text_content: r.get(6)?,
                extra,
            })
        })
    }

    /// Every memory recorded here (0.4; a person's notes: few rows), in row order. The
    /// packager keeps the ones whose version (`updated_at`, id) is past its cursor.
    pub(crate) fn memories(&self) -> Result<Vec<MemoryRecord>> {
        if !self.tables().has_table("memories") {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, content, source, source_context, tags, importance, frame_id, created_at, updated_at, sync_uuid
             FROM memories WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            not_imported(self.has_imports, "memories", "memories.id"),
        );
        self.rows_in("memories", &sql, 0, i64::MAX, |r| {
            Ok(MemoryRecord {
                row_id: r.get(0)?,
                content: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                source: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                source_context: r.get(3)?,
                tags: r.get::<_, Option<String>>(4)?.unwrap_or_else(|| "[]".to_owned()),
                importance: r.get::<_, Option<f64>>(5)?.filter(|v| v.is_finite()),
                frame_row_id: r.get(6)?,
                created_at: opt_text(r, 7)?.unwrap_or_default(),
                updated_at: opt_text(r, 8)?.unwrap_or_default(),
                sync_uuid: r.get(9)?,
            })
        })
    }

    /// The meetings in `(lo, hi]` recorded here (0.4).
    pub(crate) fn meetings_in(&self, lo: i64, hi: i64) -> Result<Vec<MeetingRecord>> {
        let sql = format!(
            "SELECT id, meeting_start, meeting_end, meeting_app, title, attendees, detection_source, created_at, note,
                    end_reason, calendar_event_id
             FROM meetings WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            not_imported(self.has_imports, "meetings", "meetings.id"),
        );
        self.rows_in("meetings", &sql, lo, hi, |r| {
            Ok(MeetingRecord {
                row_id: r.get(0)?,
                meeting_start: opt_text(r, 1)?.unwrap_or_default(),
                meeting_end: opt_text(r, 2)?,
                meeting_app: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                title: r.get(4)?,
                attendees: r.get(5)?,
                detection_source: r.get(6)?,
                created_at: opt_text(r, 7)?,
                note: r.get(8)?,
                end_reason: r.get(9)?,
                calendar_event_id: r.get(10)?,
            })
        })
    }

    /// The first meeting in `(lo, hi]` recorded here that has not ended, with its start.
    pub(crate) fn first_open_meeting(&self, lo: i64, hi: i64) -> Result<Option<(i64, String)>> {
        let sql = format!(
            "SELECT id, meeting_start FROM meetings WHERE id > ?1 AND id <= ?2 AND meeting_end IS NULL AND {}
             ORDER BY id LIMIT 1",
            not_imported(self.has_imports, "meetings", "meetings.id"),
        );
        Ok(self
            .rows_in("meetings", &sql, lo, hi, |r| Ok((r.get::<_, i64>(0)?, opt_text(r, 1)?.unwrap_or_default())))?
            .into_iter()
            .next())
    }
}
