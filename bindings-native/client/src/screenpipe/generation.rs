//! Which screenpipe wrote a database, and whether this client can read and write it.
//!
//! Two schema generations have an adapter (a reader for the packager, a writer for the
//! unpacker), `tests/screenpipe/SCHEMA.md` says what each holds:
//! - [`Generation::Feb2026`]: 50 migrations, the last `20260213000000`; screen text in
//!   `ocr_text` rows, mp4 video chunks, `accessibility` rows, a background FTS indexer.
//! - [`Generation::V0_4`]: screenpipe 0.4.50, 116 migrations, the last `20260828143000`; JPEG
//!   snapshots (`frames.snapshot_path`), screen text in `frames.full_text`, `elements`,
//!   `memories`, `meetings`, FTS kept by triggers.
//!
//! [`detect`] reads `_sqlx_migrations` (count, last version) and the tables and columns
//! present. A known release is taken as is; any other version (between the two, older, newer)
//! is taken by the adapter its shape calls for (an `ocr_text` table: February 2026; otherwise
//! 0.4) **only if every table and column that adapter reads or writes is present**. Otherwise
//! it is refused with [`SyncError::UnsupportedSchema`] naming each missing `table.column`,
//! before anything is uploaded or written.

use rusqlite::{Connection, OptionalExtension};

use super::tables::Tables;
use crate::error::{DbContext, Result, SyncError};

/// A screenpipe schema generation with an adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Generation {
    /// The February 2026 schema (and older ones of the same shape).
    #[serde(rename = "2026-02")]
    Feb2026,
    /// screenpipe 0.4 (0.4.50: October 2026).
    #[serde(rename = "0.4")]
    V0_4,
}

/// The migration that moved screen text from `ocr_text` into `frames.full_text`.
const UNIFY_OCR_MIGRATION: i64 = 20260613130000;

/// The releases this client was tested against: generation, migrations, last version.
pub const KNOWN_RELEASES: [(Generation, i64, i64); 2] =
    [(Generation::Feb2026, 50, 20260213000000), (Generation::V0_4, 116, 20260828143000)];

/// `(table, columns)` an adapter reads or writes. The sync columns (`machine_id`, `sync_id`,
/// ...) are used where present and are not needed.
type Needs = &'static [(&'static str, &'static [&'static str])];

const TRANSCRIPTIONS: &[&str] = &[
    "id",
    "audio_chunk_id",
    "offset_index",
    "timestamp",
    "transcription",
    "device",
    "is_input_device",
    "speaker_id",
    "transcription_engine",
    "start_time",
    "end_time",
    "text_length",
];
const UI_EVENTS: &[&str] =
    &["id", "timestamp", "event_type", "app_name", "window_title", "browser_url", "text_content", "frame_id"];
const FRAMES_FEB: &[&str] = &[
    "id",
    "video_chunk_id",
    "offset_index",
    "timestamp",
    "name",
    "browser_url",
    "app_name",
    "window_name",
    "focused",
    "device_name",
];

const NEEDS_FEB2026: Needs = &[
    ("video_chunks", &["id", "file_path", "device_name", "fps"]),
    ("frames", FRAMES_FEB),
    ("ocr_text", &["frame_id", "text", "text_json", "ocr_engine", "text_length"]),
    ("audio_chunks", &["id", "file_path", "timestamp"]),
    ("audio_transcriptions", TRANSCRIPTIONS),
    ("accessibility", &["id", "timestamp", "app_name", "window_name", "text_content", "browser_url"]),
    ("ui_events", UI_EVENTS),
];

const NEEDS_V0_4: Needs = &[
    ("video_chunks", &["id", "file_path", "device_name", "fps"]),
    (
        "frames",
        &[
            "id",
            "video_chunk_id",
            "offset_index",
            "timestamp",
            "name",
            "browser_url",
            "app_name",
            "window_name",
            "focused",
            "device_name",
            "snapshot_path",
            "full_text",
            "text_source",
            "text_json",
            "accessibility_text",
            "accessibility_tree_json",
            "capture_trigger",
            "document_path",
        ],
    ),
    (
        "elements",
        &[
            "id",
            "frame_id",
            "source",
            "role",
            "text",
            "parent_id",
            "depth",
            "left_bound",
            "top_bound",
            "width_bound",
            "height_bound",
            "confidence",
            "sort_order",
            "properties",
            "on_screen",
        ],
    ),
    ("audio_chunks", &["id", "file_path", "timestamp", "transcription_status"]),
    ("audio_transcriptions", TRANSCRIPTIONS),
    ("ui_events", UI_EVENTS),
    (
        "memories",
        &[
            "id",
            "content",
            "source",
            "source_context",
            "tags",
            "importance",
            "frame_id",
            "created_at",
            "updated_at",
            "sync_uuid",
        ],
    ),
    (
        "meetings",
        &[
            "id",
            "meeting_start",
            "meeting_end",
            "meeting_app",
            "title",
            "attendees",
            "detection_source",
            "created_at",
            "note",
            "end_reason",
            "calendar_event_id",
        ],
    ),
];

impl Generation {
    /// `2026-02` or `0.4`.
    pub fn name(self) -> &'static str {
        match self {
            Generation::Feb2026 => "2026-02",
            Generation::V0_4 => "0.4",
        }
    }

    /// What the generation is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Generation::Feb2026 => "screenpipe February 2026 (ocr_text, mp4 chunks)",
            Generation::V0_4 => "screenpipe 0.4 (snapshots, frames.full_text, elements, memories, meetings)",
        }
    }

    /// Every table and column the generation's adapter reads or writes.
    pub fn needs(self) -> Needs {
        match self {
            Generation::Feb2026 => NEEDS_FEB2026,
            Generation::V0_4 => NEEDS_V0_4,
        }
    }

    /// True when frames carry their screen text (`full_text`) and snapshots (0.4); false when
    /// text is in `ocr_text` rows and media in video chunks.
    pub fn has_snapshots(self) -> bool {
        self == Generation::V0_4
    }
}

/// `_sqlx_migrations` of a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Migrations {
    /// Rows.
    pub count: i64,
    /// The highest version.
    pub last: Option<i64>,
}

/// A database's schema as this client sees it.
#[derive(Clone, Debug)]
pub struct Schema {
    /// The adapter that reads and writes it.
    pub generation: Generation,
    /// Its migrations, when it records them.
    pub migrations: Option<Migrations>,
    /// True for a release this client was tested against ([`KNOWN_RELEASES`]).
    pub known_release: bool,
    /// The tables and columns present.
    pub tables: Tables,
}

impl Schema {
    /// One line for reports: `0.4 (116 migrations, last 20260828143000)`.
    pub fn summary(&self) -> String {
        let migrations = match self.migrations {
            Some(Migrations { count, last: Some(last) }) => format!("{count} migrations, last {last}"),
            _ => "no migration table".to_owned(),
        };
        let known = if self.known_release { "" } else { ", not a tested release: every needed column present" };
        format!("{} ({migrations}{known})", self.generation.name())
    }
}

/// `_sqlx_migrations`' row count and highest version, if the table exists.
fn migrations(conn: &Connection) -> Result<Option<Migrations>> {
    let exists = conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'", [], |_| Ok(()))
        .optional()
        .ctx("sqlite_master")?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let (count, last) = conn
        .query_row("SELECT COUNT(*), MAX(version) FROM _sqlx_migrations", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .ctx("_sqlx_migrations")?;
    Ok(Some(Migrations { count, last }))
}

/// The `table.column`s of `generation`'s needs that `tables` lacks (a missing table is named
/// as `table`).
pub fn missing(generation: Generation, tables: &Tables) -> Vec<String> {
    let mut out = Vec::new();
    for (table, columns) in generation.needs() {
        if !tables.has_table(table) {
            out.push((*table).to_owned());
            continue;
        }
        out.extend(columns.iter().filter(|c| !tables.has(table, c)).map(|c| format!("{table}.{c}")));
    }
    out
}

/// Reads which generation wrote the database behind `conn`; refuses one whose schema the
/// chosen adapter does not fully find ([`SyncError::UnsupportedSchema`]).
pub fn detect(conn: &Connection) -> Result<Schema> {
    let tables = Tables::load(conn)?;
    let migrations = migrations(conn)?;
    let known = KNOWN_RELEASES
        .iter()
        .find(|(_, count, last)| migrations.is_some_and(|m| m.count == *count && m.last == Some(*last)))
        .map(|(g, _, _)| *g);
    let generation = known.unwrap_or_else(|| {
        if tables.has_table("ocr_text") {
            Generation::Feb2026
        } else if tables.has("frames", "full_text") || tables.has_table("elements") {
            Generation::V0_4
        } else {
            match migrations.and_then(|m| m.last) {
                Some(last) if last < UNIFY_OCR_MIGRATION => Generation::Feb2026,
                _ => Generation::V0_4,
            }
        }
    });
    let missing = missing(generation, &tables);
    if !missing.is_empty() {
        return Err(SyncError::UnsupportedSchema {
            generation: generation.describe(),
            migrations: match migrations {
                Some(Migrations { count, last: Some(last) }) => format!("{count} migrations, last {last}"),
                Some(_) => "an empty migration table".to_owned(),
                None => "no migration table".to_owned(),
            },
            missing,
        });
    }
    Ok(Schema { generation, migrations, known_release: known.is_some(), tables })
}
