//! The unpacker: records bundles into a screenpipe database, idempotently (DESIGN.md 4).
//!
//! - One write transaction per bundle: the rows and their entries in
//!   `screenpipe_sync_imports` (origin device, table, origin row id → local row id, blob id)
//!   commit together, so a crash leaves either all of a bundle or none of it.
//! - A record already listed there is not inserted again (importing twice changes nothing);
//!   its local row id maps references (a frame's chunk, an OCR row's frame, a transcription's
//!   chunk, a UI event's frame).
//! - Rows are written with the columns the local schema has; `machine_id` is set to the origin
//!   device and `sync_id` to `device:table:row` where those columns exist.
//! - screenpipe's `AFTER INSERT` triggers index the rows for its FTS search. Where a table has
//!   no such trigger (and no background indexer), the unpacker fills the FTS table itself.
//! - Media files are written by the session before the rows (see `session.rs`); chunk rows
//!   point to `DATA_DIR/<origin device id>/<file name>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sync_core::records::RecordsBundle;
use sync_core::{BlobId, DeviceId};

use crate::error::{DbContext, Result, SyncError};
use crate::screenpipe::{IMPORTS_SQL, IMPORTS_TABLE, Tables};

/// What one import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    /// Rows inserted, by table.
    pub inserted: BTreeMap<String, u64>,
    /// Records already present (imported before).
    pub existing: u64,
    /// Records dropped because what they reference is not in the bundle or the database.
    pub orphans: u64,
}

impl ImportCounts {
    /// Rows inserted in all.
    pub fn total_inserted(&self) -> u64 {
        self.inserted.values().sum()
    }
}

/// Where a pulled media file goes: `DATA_DIR/<origin device>/<file name>`, the name reduced to
/// its last component (a bundle cannot write outside the folder).
pub fn media_dest(data_dir: &Path, origin: &DeviceId, file_name: &str, blob_id: &BlobId) -> PathBuf {
    let base = Path::new(file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "." && n != "..")
        .unwrap_or_else(|| format!("{blob_id}.mp4"));
    data_dir.join(origin.as_str()).join(base)
}

/// Writes bundles into one screenpipe database.
#[derive(Debug)]
pub struct Unpacker {
    conn: Connection,
    tables: Tables,
    manual_fts: bool,
    data_dir: PathBuf,
}

fn text(v: &Option<String>) -> Value {
    v.clone().map(Value::Text).unwrap_or(Value::Null)
}

fn int(v: Option<i64>) -> Value {
    v.map(Value::Integer).unwrap_or(Value::Null)
}

fn real(v: Option<f64>) -> Value {
    v.filter(|f| f.is_finite()).map(Value::Real).unwrap_or(Value::Null)
}

fn boolean(v: Option<bool>) -> Value {
    v.map(|b| Value::Integer(i64::from(b))).unwrap_or(Value::Null)
}

fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => {
            n.as_i64().map(Value::Integer).or_else(|| n.as_f64().map(Value::Real)).unwrap_or(Value::Null)
        }
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

/// Columns the unpacker never takes from a UI event's `extra` (set locally or mapped).
const UI_RESERVED: [&str; 11] = [
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
    "frame_id",
];

impl Unpacker {
    /// Opens screenpipe's database for writing and adds the imports table if needed.
    pub fn open(db_path: &Path, data_dir: &Path) -> Result<Unpacker> {
        let conn = crate::screenpipe::open_read_write(db_path)?;
        conn.execute_batch(IMPORTS_SQL).ctx("create the imports table")?;
        let tables = Tables::load(&conn)?;
        let manual_fts = !Tables::has_background_indexer(&conn)?;
        Ok(Unpacker { conn, tables, manual_fts, data_dir: data_dir.to_owned() })
    }

    /// The database connection (tests and search use it).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Imports one bundle (from blob `blob_id`) in one transaction.
    pub fn import(&mut self, bundle: &RecordsBundle, blob_id: &BlobId) -> Result<ImportCounts> {
        let tables = self.tables.clone();
        let manual_fts = self.manual_fts;
        let data_dir = self.data_dir.clone();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).ctx("begin import")?;
        let mut w = Writer {
            tx: &tx,
            tables: &tables,
            manual_fts,
            origin: &bundle.device_id,
            blob_id,
            counts: ImportCounts::default(),
        };
        w.run(bundle, &data_dir)?;
        let counts = w.counts;
        tx.commit().ctx("commit import")?;
        Ok(counts)
    }
}

struct Writer<'a> {
    tx: &'a Transaction<'a>,
    tables: &'a Tables,
    manual_fts: bool,
    origin: &'a DeviceId,
    blob_id: &'a BlobId,
    counts: ImportCounts,
}

impl Writer<'_> {
    fn lookup(&self, table: &str, origin_row: i64) -> Result<Option<i64>> {
        self.tx
            .prepare_cached(&format!(
                "SELECT local_row_id FROM {IMPORTS_TABLE} WHERE origin_device = ?1 AND table_name = ?2 AND origin_row_id = ?3"
            ))
            .ctx("imports lookup")?
            .query_row(params![self.origin.as_str(), table, origin_row], |r| r.get(0))
            .optional()
            .ctx("imports lookup")
    }

    fn record(&self, table: &str, origin_row: i64, local: i64) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO {IMPORTS_TABLE} (origin_device, table_name, origin_row_id, local_row_id, blob_id, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
            ))
            .ctx("imports record")?
            .execute(params![self.origin.as_str(), table, origin_row, local, self.blob_id.to_hex()])
            .ctx("imports record")?;
        Ok(())
    }

    /// Inserts a row with the columns present locally (a NULL for a `NOT NULL` column is left
    /// to the column's default); returns its row id. `or_ignore` turns a uniqueness conflict into `None`.
    fn insert(
        &mut self,
        table: &str,
        origin_row: i64,
        mut cols: Vec<(String, Value)>,
        or_ignore: bool,
    ) -> Result<Option<i64>> {
        if self.tables.has(table, "machine_id") {
            cols.push(("machine_id".into(), Value::Text(self.origin.as_str().to_owned())));
        }
        if self.tables.has(table, "sync_id") {
            cols.push(("sync_id".into(), Value::Text(format!("{}:{table}:{origin_row}", self.origin))));
        }
        let cols: Vec<(String, Value)> = cols
            .into_iter()
            .filter(|(c, v)| self.tables.has(table, c) && !(*v == Value::Null && self.tables.is_not_null(table, c)))
            .collect();
        let names: Vec<String> = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let verb = if or_ignore { "INSERT OR IGNORE" } else { "INSERT" };
        let sql = format!("{verb} INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
        let changed = self
            .tx
            .prepare_cached(&sql)
            .ctx(table)?
            .execute(rusqlite::params_from_iter(cols.iter().map(|(_, v)| v)))
            .map_err(|e| SyncError::db(format!("insert into {table}"), e))?;
        if changed == 0 {
            return Ok(None);
        }
        let id = self.tx.last_insert_rowid();
        *self.counts.inserted.entry(table.to_owned()).or_default() += 1;
        if self.manual_fts && !self.tables.has_insert_trigger(table) {
            self.index_fts(table, id, &cols)?;
        }
        Ok(Some(id))
    }

    /// Fills the table's FTS5 table for a row when no trigger does.
    fn index_fts(&self, table: &str, id: i64, cols: &[(String, Value)]) -> Result<()> {
        let Some(fts_cols) = self.tables.fts_columns(table) else { return Ok(()) };
        let content_table = matches!(table, "accessibility" | "ui_events");
        let mut names = Vec::new();
        let mut values = Vec::new();
        if content_table {
            names.push("rowid".to_owned());
            values.push(Value::Integer(id));
        }
        for c in fts_cols {
            let v = if c == "id" {
                Value::Integer(id)
            } else {
                cols.iter().find(|(n, _)| n == c).map(|(_, v)| v.clone()).unwrap_or(Value::Text(String::new()))
            };
            names.push(format!("\"{c}\""));
            values.push(v);
        }
        let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {table}_fts ({}) VALUES ({})", names.join(", "), marks.join(", "));
        self.tx.prepare_cached(&sql).ctx("fts")?.execute(rusqlite::params_from_iter(values.iter())).ctx("fts")?;
        Ok(())
    }

    fn run(&mut self, b: &RecordsBundle, data_dir: &Path) -> Result<()> {
        for vc in &b.video_chunks {
            if self.lookup("video_chunks", vc.row_id)?.is_some() {
                self.counts.existing += 1;
                continue;
            }
            let blob = vc.blob_id.unwrap_or(BlobId([0; 16]));
            let path = media_dest(data_dir, self.origin, &vc.file_name, &blob);
            let cols = vec![
                ("file_path".into(), Value::Text(path.to_string_lossy().into_owned())),
                ("device_name".into(), text(&vc.device_name)),
                ("fps".into(), real(vc.fps)),
            ];
            if let Some(id) = self.insert("video_chunks", vc.row_id, cols, false)? {
                self.record("video_chunks", vc.row_id, id)?;
            }
        }
        for f in &b.frames {
            if self.lookup("frames", f.row_id)?.is_some() {
                self.counts.existing += 1;
                continue;
            }
            let chunk = match f.video_chunk_row_id {
                Some(c) => self.lookup("video_chunks", c)?,
                None => None,
            };
            let cols = vec![
                ("video_chunk_id".into(), Value::Integer(chunk.unwrap_or(0))),
                ("offset_index".into(), Value::Integer(f.offset_index)),
                ("timestamp".into(), Value::Text(f.timestamp.clone())),
                ("name".into(), text(&f.name)),
                ("browser_url".into(), text(&f.browser_url)),
                ("app_name".into(), text(&f.app_name)),
                ("window_name".into(), text(&f.window_name)),
                ("focused".into(), boolean(f.focused)),
                ("device_name".into(), text(&f.device_name)),
            ];
            if let Some(id) = self.insert("frames", f.row_id, cols, false)? {
                self.record("frames", f.row_id, id)?;
            }
        }
        for o in &b.ocr_text {
            if self.lookup("ocr_text", o.row_id)?.is_some() {
                self.counts.existing += 1;
                continue;
            }
            let Some(frame) = self.lookup("frames", o.frame_row_id)? else {
                self.counts.orphans += 1;
                continue;
            };
            let cols = vec![
                ("frame_id".into(), Value::Integer(frame)),
                ("text".into(), Value::Text(o.text.clone())),
                ("text_json".into(), text(&o.text_json)),
                ("ocr_engine".into(), text(&o.ocr_engine)),
                ("text_length".into(), int(o.text_length)),
                ("app_name".into(), text(&o.app_name)),
                ("window_name".into(), text(&o.window_name)),
                ("focused".into(), boolean(o.focused)),
            ];
            if let Some(id) = self.insert("ocr_text", o.row_id, cols, false)? {
                self.record("ocr_text", o.row_id, id)?;
            }
        }
        for a in &b.audio_chunks {
            if self.lookup("audio_chunks", a.row_id)?.is_some() {
                self.counts.existing += 1;
                continue;
            }
            let blob = a.blob_id.unwrap_or(BlobId([0; 16]));
            let path = media_dest(data_dir, self.origin, &a.file_name, &blob);
            let cols = vec![
                ("file_path".into(), Value::Text(path.to_string_lossy().into_owned())),
                ("timestamp".into(), text(&a.timestamp)),
            ];
            if let Some(id) = self.insert("audio_chunks", a.row_id, cols, false)? {
                self.record("audio_chunks", a.row_id, id)?;
            }
        }
        for t in &b.audio_transcriptions {
            if self.lookup("audio_transcriptions", t.row_id)?.is_some() {
                self.counts.existing += 1;
                continue;
            }
            let Some(chunk) = self.lookup("audio_chunks", t.audio_chunk_row_id)? else {
                self.counts.orphans += 1;
                continue;
            };
            let cols = vec![
                ("audio_chunk_id".into(), Value::Integer(chunk)),
                ("offset_index".into(), Value::Integer(t.offset_index)),
                ("timestamp".into(), Value::Text(t.timestamp.clone())),
                ("transcription".into(), Value::Text(t.transcription.clone())),
                ("device".into(), text(&t.device)),
                ("is_input_device".into(), boolean(t.is_input_device)),
                ("speaker_id".into(), int(t.speaker_id)),
                ("transcription_engine".into(), text(&t.transcription_engine)),
                ("start_time".into(), real(t.start_time)),
                ("end_time".into(), real(t.end_time)),
                ("text_length".into(), int(t.text_length)),
            ];
            // screenpipe keeps (audio_chunk_id, transcription) unique: a duplicate maps to the
            // row already there.
            let local = match self.insert("audio_transcriptions", t.row_id, cols, true)? {
                Some(id) => id,
                None => self
                    .tx
                    .query_row(
                        "SELECT id FROM audio_transcriptions WHERE audio_chunk_id = ?1 AND transcription = ?2",
                        params![chunk, t.transcription],
                        |r| r.get(0),
                    )
                    .ctx("audio_transcriptions")?,
            };
            self.record("audio_transcriptions", t.row_id, local)?;
        }
        for a in &b.accessibility {
            if self.lookup("accessibility", a.row_id)?.is_some() {
                self.counts.existing += 1;
                continue;
            }
            let cols = vec![
                ("timestamp".into(), Value::Text(a.timestamp.clone())),
                ("app_name".into(), Value::Text(a.app_name.clone().unwrap_or_default())),
                ("window_name".into(), Value::Text(a.window_name.clone().unwrap_or_default())),
                ("text_content".into(), Value::Text(a.text_content.clone().unwrap_or_default())),
                ("browser_url".into(), text(&a.browser_url)),
            ];
            if let Some(id) = self.insert("accessibility", a.row_id, cols, false)? {
                self.record("accessibility", a.row_id, id)?;
            }
        }
        for u in &b.ui_events {
            if self.lookup("ui_events", u.row_id)?.is_some() {
                self.counts.existing += 1;
                continue;
            }
            let mut cols = vec![
                ("timestamp".into(), Value::Text(u.timestamp.clone())),
                ("event_type".into(), Value::Text(u.event_type.clone())),
                ("app_name".into(), text(&u.app_name)),
                ("window_title".into(), text(&u.window_title)),
                ("browser_url".into(), text(&u.browser_url)),
                ("text_content".into(), text(&u.text_content)),
            ];
            for (name, v) in &u.extra {
                if name == "frame_id" {
                    let mapped = match v.as_i64() {
                        Some(f) => self.lookup("frames", f)?,
                        None => None,
                    };
                    cols.push(("frame_id".into(), int(mapped)));
                } else if !UI_RESERVED.contains(&name.as_str()) {
                    cols.push((name.clone(), json_value(v)));
                }
            }
            if let Some(id) = self.insert("ui_events", u.row_id, cols, false)? {
                self.record("ui_events", u.row_id, id)?;
            }
        }
        Ok(())
    }
}
