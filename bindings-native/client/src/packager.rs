//! The packager: screenpipe's rows and media files into sealed blobs in the staging folder,
//! from the last synced position (DESIGN.md 4).
//!
//! Two passes, each committed to the state file in one transaction together with the cursor
//! advance it covers (so a crash before the commit packages the same rows again, a crash after
//! it finds them pending):
//! - **media** ([`Packager::plan_media`]): one `frames` blob per `video_chunks` file and one
//!   `audio` blob per `audio_chunks` file, byte for byte, in row order. A file is taken once it
//!   has not changed for `media_settle` (screenpipe finished writing it). A missing file is
//!   reported and skipped (status `missing`) once a later chunk exists; the newest chunk may
//!   simply not be written yet, so it waits.
//! - **text** ([`Packager::plan_text`]): the rows of `frames`, `ocr_text`,
//!   `audio_transcriptions`, `accessibility` and `ui_events` past their cursors (at most
//!   `max_rows_per_pass` per table), grouped into bundles by the time window of their own
//!   timestamp (an OCR row by its frame's). A bundle carries the parents its rows need (the
//!   frame of an OCR row, the chunk of a frame or a transcription) even when those were sent
//!   before, so every bundle imports on its own; identities make the repeats harmless. A
//!   bundle whose search tokens or size would exceed the API's bounds is split.
//!
//! Blob ids are `HMAC(id_key, material)[0..16]` (the core's `derive_blob_id`) with
//! - media: `tuple("spsync-native/v1/media", device_id, table, i64be(row_id))`;
//! - text: `tuple("spsync-native/v1/text", device_id, i64be(window_start), i64be(window_end),
//!   part, then per table (name, i64be(from_row_id), i64be(to_row_id)))`,
//!
//! so that packaging the same rows again gives the same id. Rows that the unpacker imported
//! from another device (listed in `screenpipe_sync_imports`) are never packaged.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use sync_core::blob::header::DEFAULT_SEGMENT_EXP;
use sync_core::blob::{BlobContext, BlobSealer, Flags, SealOptions, seal_blob};
use sync_core::encoding::Tuple;
use sync_core::keys::KeySet;
use sync_core::blob::AeadBackend as Backend;
use sync_core::records::{
    AccessibilityRecord, AudioChunkRecord, FrameRecord, MAX_EXTRA_FIELDS, OcrRecord, RecordsBundle,
    TranscriptionRecord, UiEventRecord, VideoChunkRecord, bundle_tokens, parse_timestamp,
};
use sync_core::wire::limits::{MAX_BLOB_SIZE, MAX_TOKENS_PER_UPLOAD};
use sync_core::wire::{Checksum, SearchToken};
use sync_core::{BlobId, BlobType, DeviceId, OsRandom, UnixMillis};

use crate::config::SyncConfig;
use crate::error::{DbContext, IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::screenpipe::{IMPORTS_TABLE, Tables};
use crate::state::{PendingUpload, StateDb};

/// Largest JSON of one bundle before it is split, in bytes.
const MAX_BUNDLE_JSON: usize = 32 << 20;
/// Largest media file packaged (the API's blob bound less the format's overhead).
const MAX_MEDIA_FILE: u64 = 1 << 30;
/// Text tables with their row id column, in packaging order.
pub const TEXT_TABLES: [(&str, &str); 7] = [
    ("video_chunks", "id"),
    ("audio_chunks", "id"),
    ("frames", "id"),
    ("ocr_text", "rowid"),
    ("audio_transcriptions", "id"),
    ("accessibility", "id"),
    ("ui_events", "id"),
];
/// Media tables and their blob type.
pub const MEDIA_TABLES: [(&str, BlobType); 2] = [("video_chunks", BlobType::Frames), ("audio_chunks", BlobType::Audio)];

/// What one media pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaPass {
    /// Files sealed and staged.
    pub staged: u64,
    /// Their plaintext bytes.
    pub bytes: u64,
    /// Chunks whose file was missing (`table#row: path`), reported and skipped.
    pub missing: Vec<String>,
    /// Chunks skipped for another reason (too large, not a file).
    pub skipped: Vec<String>,
    /// True when a chunk is still being written (a later pass takes it).
    pub waiting: bool,
}

/// What one text pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextPass {
    /// Bundles sealed and staged.
    pub bundles: u64,
    /// New rows packaged (parents repeated from earlier bundles not counted).
    pub rows: u64,
    /// Bytes of bundle JSON.
    pub json_bytes: u64,
    /// Rows skipped because their timestamp could not be read (`table#row`).
    pub bad_rows: Vec<String>,
    /// True when rows remain past this pass's bound (run another pass).
    pub more: bool,
}

/// Packages one device's screenpipe data with one key set.
pub struct Packager<'a> {
    conn: Connection,
    tables: Tables,
    keys: &'a KeySet,
    device_id: &'a DeviceId,
    config: &'a SyncConfig,
    has_imports: bool,
}

fn file_name_of(path: &str) -> String {
    Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_owned())
}

fn media_material(device: &DeviceId, table: &str, row_id: i64) -> Vec<u8> {
    Tuple::new().str("spsync-native/v1/media").str(device.as_str()).str(table).i64(row_id).into_bytes()
}

/// The blob id of a media chunk (before any is stored for it).
pub fn media_blob_id(keys: &KeySet, device: &DeviceId, table: &str, row_id: i64) -> Result<BlobId> {
    Ok(keys.derive_blob_id(&media_material(device, table, row_id))?)
}

fn mtime_ms(meta: &std::fs::Metadata) -> UnixMillis {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| UnixMillis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
        .unwrap_or(UnixMillis(0))
}

/// Writes `write(file)` into `dir/name`: a temporary file, fsync, rename. The caller syncs the
/// folder once before committing the batch that names the file. Returns the final path.
fn write_staged(dir: &Path, name: &str, write: impl FnOnce(&mut std::fs::File) -> Result<()>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).io_ctx(|| format!("create {}", dir.display()))?;
    let tmp = dir.join(format!("{name}.tmp"));
    let dest = dir.join(name);
    let mut file = std::fs::File::create(&tmp).io_ctx(|| format!("create {}", tmp.display()))?;
    write(&mut file)?;
    file.sync_all().io_ctx(|| format!("sync {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, &dest).io_ctx(|| format!("rename {}", tmp.display()))?;
    Ok(dest)
}

/// Seals the file at `src` as a media blob into the staging folder, streamed (memory: one
/// segment plus a read buffer). Returns the staged path, ciphertext size and checksum.
fn seal_media_file(
    keys: &KeySet,
    ctx: &BlobContext,
    src: &Path,
    staging: &Path,
    progress: &dyn Progress,
) -> Result<(PathBuf, u64, Checksum)> {
    let input = std::fs::File::open(src).io_ctx(|| format!("open {}", src.display()))?;
    let sealer = BlobSealer::new(
        keys.current_data_key(),
        keys.current_key_id(),
        ctx,
        DEFAULT_SEGMENT_EXP,
        Flags { zstd: false, padded: false },
        Backend::Native,
        &mut OsRandom,
    )?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let name = format!("{}.blob", ctx.blob_id);
    let what = format!("{} sealed", src.display());
    let path = write_staged(staging, &name, |out| {
        crate::segments::seal_stream(
            sealer,
            input,
            out,
            |sealed| {
                hasher.update(sealed);
                size += sealed.len() as u64;
                progress.advance(Stage::Packaging, 0);
            },
            &what,
        )
    })?;
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&hasher.finalize());
    Ok((path, size, Checksum(sum)))
}

/// Chunk records read once per pass: `(is_video, row id)`.
type ChunkCache = HashMap<(bool, i64), Option<(Option<VideoChunkRecord>, Option<AudioChunkRecord>)>>;

/// A unit of packaging: records that go together into one bundle.
#[derive(Default)]
struct Unit {
    ts: i64,
    frames: Vec<FrameRecord>,
    ocr: Vec<OcrRecord>,
    transcriptions: Vec<TranscriptionRecord>,
    accessibility: Vec<AccessibilityRecord>,
    ui: Vec<UiEventRecord>,
    video_chunks: Vec<i64>,
    audio_chunks: Vec<i64>,
    new_rows: u64,
}

fn sql_value_to_json(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => serde_json::Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or_default(),
        ValueRef::Text(t) => serde_json::Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => serde_json::Value::Null,
    }
}

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

impl<'a> Packager<'a> {
    /// Opens screenpipe's database read-only for one packaging run.
    pub fn new(config: &'a SyncConfig, keys: &'a KeySet, device_id: &'a DeviceId) -> Result<Packager<'a>> {
        let conn = crate::screenpipe::open_read_only(&config.db_path)?;
        let tables = Tables::load(&conn)?;
        if !tables.has_table("frames") && !tables.has_table("audio_transcriptions") {
            return Err(SyncError::Schema(format!(
                "{} has neither frames nor audio_transcriptions: is it screenpipe's database?",
                config.db_path.display()
            )));
        }
        let has_imports = tables.has_table(IMPORTS_TABLE);
        Ok(Packager { conn, tables, keys, device_id, config, has_imports })
    }

    fn not_imported(&self, table: &str, id_expr: &str) -> String {
        if self.has_imports {
            format!(
                "NOT EXISTS (SELECT 1 FROM {IMPORTS_TABLE} i WHERE i.table_name = '{table}' AND i.local_row_id = {id_expr})"
            )
        } else {
            "1".to_owned()
        }
    }

    fn imported_expr(&self, table: &str, id_expr: &str) -> String {
        if self.has_imports {
            format!(
                "EXISTS (SELECT 1 FROM {IMPORTS_TABLE} i WHERE i.table_name = '{table}' AND i.local_row_id = {id_expr})"
            )
        } else {
            "0".to_owned()
        }
    }

    fn resolve_media_path(&self, stored: &str) -> PathBuf {
        let p = PathBuf::from(stored);
        if p.is_absolute() { p } else { self.config.data_dir.join(p) }
    }

    /// The media pass: seals up to `batch` settled media files past the media cursors.
    pub fn plan_media(&self, state: &mut StateDb, batch: usize, progress: &dyn Progress) -> Result<MediaPass> {
        let mut pass = MediaPass::default();
        let staging = self.config.staging_dir();
        let settle_ms = i64::try_from(self.config.media_settle.as_millis()).unwrap_or(i64::MAX);
        let now = crate::util::now_ms();
        for (table, blob_type) in MEDIA_TABLES {
            if !self.tables.has_table(table) || !self.config.data_types.allows(blob_type) {
                continue;
            }
            let cursor_name = format!("media:{table}");
            let cursor = state.cursor(&cursor_name)?;
            let max_id: i64 = self
                .conn
                .query_row(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), [], |r| r.get(0))
                .ctx(table)?;
            let sql = format!(
                "SELECT id, file_path, {} FROM {table} WHERE id > ?1 ORDER BY id LIMIT ?2",
                self.imported_expr(table, &format!("{table}.id"))
            );
            let rows: Vec<(i64, String, bool)> = {
                let mut stmt = self.conn.prepare(&sql).ctx(table)?;
                let mapped = stmt
                    .query_map(params![cursor, i64::try_from(batch).unwrap_or(64)], |r| {
                        Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default(), r.get::<_, bool>(2)?))
                    })
                    .ctx(table)?;
                mapped.collect::<std::result::Result<_, _>>().ctx(table)?
            };
            let mut pending: Vec<PendingUpload> = Vec::new();
            let mut media: Vec<(String, i64, BlobId, &'static str)> = Vec::new();
            let mut last_row: Option<i64> = None;
            for (row_id, stored_path, imported) in rows {
                if imported {
                    last_row = Some(row_id);
                    continue;
                }
                let path = self.resolve_media_path(&stored_path);
                let derived = media_blob_id(self.keys, self.device_id, table, row_id)?;
                let blob_id = state.assign_media_blob(table, row_id, derived)?;
                let meta = match std::fs::metadata(&path) {
                    Ok(m) => Some(m),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(SyncError::io(format!("stat {}", path.display()), e)),
                };
                let Some(meta) = meta.filter(|m| m.is_file()) else {
                    if row_id < max_id {
                        let note = format!("{table}#{row_id}: {}", path.display());
                        progress.warn(&format!("media file missing, skipped: {note}"));
                        tracing::warn!(table, row_id, path = %path.display(), "media file missing; skipped");
                        media.push((table.to_owned(), row_id, blob_id, "missing"));
                        last_row = Some(row_id);
                        pass.missing.push(note);
                        continue;
                    }
                    pass.waiting = true;
                    break;
                };
                let mtime = mtime_ms(&meta);
                if now.0.saturating_sub(mtime.0) < settle_ms {
                    pass.waiting = true;
                    break;
                }
                if meta.len() > MAX_MEDIA_FILE {
                    let note = format!("{table}#{row_id}: {} is larger than 1 GiB", path.display());
                    progress.warn(&format!("media file skipped: {note}"));
                    media.push((table.to_owned(), row_id, blob_id, "missing"));
                    last_row = Some(row_id);
                    pass.skipped.push(note);
                    continue;
                }
                let (start, end) = self.media_range(table, row_id, mtime)?;
                let ctx = BlobContext {
                    blob_id,
                    blob_type,
                    device_id: self.device_id.clone(),
                    time_start: start,
                    time_end: end,
                };
                let (staged, size, checksum) = seal_media_file(self.keys, &ctx, &path, &staging, progress)?;
                if size > MAX_BLOB_SIZE {
                    return Err(SyncError::State(format!("a sealed media blob of {size} bytes exceeds the API bound")));
                }
                pending.push(PendingUpload {
                    blob_id,
                    blob_type,
                    time_start: start,
                    time_end: end,
                    size_bytes: size,
                    checksum,
                    key_id: self.keys.current_key_id(),
                    tokens: Vec::new(),
                    staging_file: staged,
                    records: 1,
                    media: Some((table.to_owned(), row_id)),
                });
                media.push((table.to_owned(), row_id, blob_id, "staged"));
                last_row = Some(row_id);
                progress.advance(Stage::Packaging, 1);
                pass.staged += 1;
                pass.bytes += meta.len();
            }
            if let Some(row) = last_row {
                if !pending.is_empty() {
                    crate::util::sync_dir(&staging)?;
                }
                state.commit_plan(&pending, &media, &[(cursor_name.clone(), row)])?;
            }
        }
        Ok(pass)
    }

    /// The time range of a media blob: its frames' (video) or its own and its transcriptions'
    /// timestamps (audio); the file's modification time when there are none.
    fn media_range(&self, table: &str, row_id: i64, mtime: UnixMillis) -> Result<(UnixMillis, UnixMillis)> {
        let mut times: Vec<i64> = Vec::new();
        let mut collect = |sql: &str| -> Result<()> {
            let mut stmt = self.conn.prepare_cached(sql).ctx(table)?;
            let rows = stmt.query_map([row_id], |r| r.get::<_, Option<String>>(0)).ctx(table)?;
            for ts in rows {
                if let Some(ts) = ts.ctx(table)?
                    && let Ok(ms) = parse_timestamp(&ts)
                {
                    times.push(ms.0);
                }
            }
            Ok(())
        };
        if table == "video_chunks" && self.tables.has_table("frames") {
            collect("SELECT timestamp FROM frames WHERE video_chunk_id = ?1")?;
        }
        if table == "audio_chunks" {
            if self.tables.has(table, "timestamp") {
                collect("SELECT timestamp FROM audio_chunks WHERE id = ?1")?;
            }
            if self.tables.has_table("audio_transcriptions") {
                collect("SELECT timestamp FROM audio_transcriptions WHERE audio_chunk_id = ?1")?;
            }
        }
        let start = times.iter().min().copied().unwrap_or(mtime.0);
        let end = times.iter().max().copied().unwrap_or(mtime.0).max(start);
        Ok((UnixMillis(start), UnixMillis(end)))
    }

    /// The rows `sql` selects with `?1 = lo` and `?2 = hi`, each mapped by `map`; errors name
    /// `table`.
    fn rows_in<T>(
        &self,
        table: &str,
        sql: &str,
        lo: i64,
        hi: i64,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).ctx(table)?;
        let rows = stmt.query_map(params![lo, hi], map).ctx(table)?;
        rows.collect::<std::result::Result<_, _>>().ctx(table)
    }

    /// New chunk rows of a pass (not imported).
    fn new_chunk_ids(&self, table: &str, lo: i64, hi: i64) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT id FROM {table} WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            self.not_imported(table, &format!("{table}.id"))
        );
        self.rows_in(table, &sql, lo, hi, |r| r.get::<_, i64>(0))
    }

    /// The time a chunk row is filed under: its own timestamp (audio), else its earliest frame
    /// or transcription, else its file's modification time.
    fn chunk_time(&self, table: &str, id: i64) -> Result<Option<UnixMillis>> {
        let path: Option<String> = self
            .conn
            .prepare_cached(&format!("SELECT file_path FROM {table} WHERE id = ?1"))
            .ctx(table)?
            .query_row([id], |r| r.get(0))
            .optional()
            .ctx(table)?
            .flatten();
        let mtime = path
            .map(|p| self.resolve_media_path(&p))
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| mtime_ms(&m))
            .unwrap_or(UnixMillis(i64::MAX));
        let (start, _) = self.media_range(table, id, mtime)?;
        Ok((start.0 != i64::MAX).then_some(start))
    }

    /// The upper row id of a pass over `table` from `lo` (at most `max_rows_per_pass` rows).
    fn pass_bound(&self, table: &str, id_col: &str, lo: i64) -> Result<(i64, bool)> {
        let max: i64 = self
            .conn
            .query_row(&format!("SELECT COALESCE(MAX({id_col}), 0) FROM {table}"), [], |r| r.get(0))
            .ctx(table)?;
        let limit = i64::from(self.config.max_rows_per_pass.max(1));
        let nth: Option<i64> = self
            .conn
            .query_row(
                &format!("SELECT {id_col} FROM {table} WHERE {id_col} > ?1 ORDER BY {id_col} LIMIT 1 OFFSET ?2"),
                params![lo, limit - 1],
                |r| r.get(0),
            )
            .optional()
            .ctx(table)?;
        Ok(match nth {
            Some(n) if n < max => (n, true),
            _ => (max.max(lo), false),
        })
    }

    fn frame_by_id(&self, id: i64) -> Result<Option<FrameRecord>> {
        let t = &self.tables;
        let sql = format!(
            "SELECT id, video_chunk_id, offset_index, timestamp, {}, {}, {}, {}, {}, {} FROM frames WHERE id = ?1",
            t.col_or_null("frames", "name"),
            t.col_or_null("frames", "browser_url"),
            t.col_or_null("frames", "app_name"),
            t.col_or_null("frames", "window_name"),
            t.col_or_null("frames", "focused"),
            t.col_or_null("frames", "device_name"),
        );
        let mut stmt = self.conn.prepare_cached(&sql).ctx("frames")?;
        stmt.query_row([id], frame_row).optional().ctx("frames")
    }

    fn frames_in(&self, lo: i64, hi: i64) -> Result<Vec<FrameRecord>> {
        let t = &self.tables;
        let sql = format!(
            "SELECT id, video_chunk_id, offset_index, timestamp, {}, {}, {}, {}, {}, {} FROM frames
             WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            t.col_or_null("frames", "name"),
            t.col_or_null("frames", "browser_url"),
            t.col_or_null("frames", "app_name"),
            t.col_or_null("frames", "window_name"),
            t.col_or_null("frames", "focused"),
            t.col_or_null("frames", "device_name"),
            self.not_imported("frames", "frames.id"),
        );
        self.rows_in("frames", &sql, lo, hi, frame_row)
    }

    fn ocr_in(&self, lo: i64, hi: i64) -> Result<Vec<OcrRecord>> {
        let t = &self.tables;
        let sql = format!(
            "SELECT rowid, frame_id, text, {}, {}, {}, {}, {}, {} FROM ocr_text
             WHERE rowid > ?1 AND rowid <= ?2 AND {} ORDER BY rowid",
            t.col_or_null("ocr_text", "text_json"),
            t.col_or_null("ocr_text", "ocr_engine"),
            t.col_or_null("ocr_text", "text_length"),
            t.col_or_null("ocr_text", "app_name"),
            t.col_or_null("ocr_text", "window_name"),
            t.col_or_null("ocr_text", "focused"),
            self.not_imported("ocr_text", "ocr_text.rowid"),
        );
        self.rows_in("ocr_text", &sql, lo, hi, |r| {
            Ok(OcrRecord {
                row_id: r.get(0)?,
                frame_row_id: r.get(1)?,
                text: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                text_json: r.get(3)?,
                ocr_engine: r.get(4)?,
                text_length: r.get(5)?,
                app_name: r.get(6)?,
                window_name: r.get(7)?,
                focused: opt_bool(r, 8)?,
            })
        })
    }

    fn video_chunk(&self, state: &StateDb, id: i64) -> Result<Option<VideoChunkRecord>> {
        let t = &self.tables;
        if !t.has_table("video_chunks") {
            return Ok(None);
        }
        let sql = format!(
            "SELECT id, file_path, {}, {} FROM video_chunks WHERE id = ?1",
            t.col_or_null("video_chunks", "device_name"),
            t.col_or_null("video_chunks", "fps")
        );
        type Row = (i64, Option<String>, Option<String>, Option<f64>);
        let row: Option<Row> = self
            .conn
            .prepare_cached(&sql)
            .ctx("video_chunks")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()
            .ctx("video_chunks")?;
        let Some((row_id, path, device_name, fps)) = row else { return Ok(None) };
        Ok(Some(VideoChunkRecord {
            row_id,
            blob_id: self.chunk_blob(state, "video_chunks", row_id)?,
            file_name: file_name_of(&path.unwrap_or_default()),
            device_name,
            fps: fps.filter(|f| f.is_finite()),
        }))
    }

    fn audio_chunk(&self, state: &StateDb, id: i64) -> Result<Option<AudioChunkRecord>> {
        let t = &self.tables;
        if !t.has_table("audio_chunks") {
            return Ok(None);
        }
        let sql = format!(
            "SELECT id, file_path, {} FROM audio_chunks WHERE id = ?1",
            t.col_or_null("audio_chunks", "timestamp")
        );
        let row: Option<(i64, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(&sql)
            .ctx("audio_chunks")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, opt_text(r, 2)?)))
            .optional()
            .ctx("audio_chunks")?;
        let Some((row_id, path, timestamp)) = row else { return Ok(None) };
        Ok(Some(AudioChunkRecord {
            row_id,
            blob_id: self.chunk_blob(state, "audio_chunks", row_id)?,
            file_name: file_name_of(&path.unwrap_or_default()),
            timestamp,
        }))
    }

    /// The blob id a chunk's file has or will have; `None` when it was reported missing.
    fn chunk_blob(&self, state: &StateDb, table: &str, row_id: i64) -> Result<Option<BlobId>> {
        match state.media_blob(table, row_id)? {
            Some((_, status)) if status == "missing" => Ok(None),
            Some((id, _)) => Ok(Some(id)),
            None => {
                let derived = media_blob_id(self.keys, self.device_id, table, row_id)?;
                Ok(Some(state.assign_media_blob(table, row_id, derived)?))
            }
        }
    }

    fn transcriptions_in(&self, lo: i64, hi: i64) -> Result<Vec<TranscriptionRecord>> {
        let t = &self.tables;
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
            self.not_imported("audio_transcriptions", "audio_transcriptions.id"),
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
                start_time: r.get(9)?,
                end_time: r.get(10)?,
                text_length: r.get(11)?,
            })
        })
    }

    fn accessibility_in(&self, lo: i64, hi: i64) -> Result<Vec<AccessibilityRecord>> {
        let t = &self.tables;
        let c = |name| t.col_or_null("accessibility", name);
        let sql = format!(
            "SELECT id, timestamp, {}, {}, {}, {} FROM accessibility WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("app_name"),
            c("window_name"),
            c("text_content"),
            c("browser_url"),
            self.not_imported("accessibility", "accessibility.id"),
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

    fn ui_events_in(&self, lo: i64, hi: i64) -> Result<Vec<UiEventRecord>> {
        let extra_cols: Vec<String> = self
            .tables
            .columns("ui_events")
            .filter(|c| !UI_FIELDS.contains(c))
            .take(MAX_EXTRA_FIELDS)
            .map(str::to_owned)
            .collect();
        let t = &self.tables;
        let c = |name| t.col_or_null("ui_events", name);
        let extra_sql: String = extra_cols.iter().map(|c| format!(", \"{c}\"")).collect();
        let sql = format!(
            "SELECT id, timestamp, {}, {}, {}, {}, {}{extra_sql} FROM ui_events WHERE id > ?1 AND id <= ?2 AND {} ORDER BY id",
            c("event_type"),
            c("app_name"),
            c("window_title"),
            c("browser_url"),
            c("text_content"),
            self.not_imported("ui_events", "ui_events.id"),
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

    /// The text pass: packages the rows past the cursors into bundles, seals them into the
    /// staging folder and commits them with the cursor advance.
    pub fn plan_text(&self, state: &mut StateDb, progress: &dyn Progress) -> Result<TextPass> {
        let mut pass = TextPass::default();
        // One read transaction: every query below sees the same snapshot.
        self.conn.execute_batch("BEGIN").ctx("begin read")?;
        let result = self.plan_text_in_snapshot(state, progress, &mut pass);
        let _ = self.conn.execute_batch("COMMIT");
        result.map(|()| pass)
    }

    fn plan_text_in_snapshot(&self, state: &mut StateDb, progress: &dyn Progress, pass: &mut TextPass) -> Result<()> {
        let mut ranges: Vec<(String, i64, i64)> = Vec::new();
        for (table, id_col) in TEXT_TABLES {
            if !self.tables.has_table(table) {
                continue;
            }
            let lo = state.cursor(&format!("text:{table}"))?;
            let (hi, more) = self.pass_bound(table, id_col, lo)?;
            pass.more |= more;
            ranges.push((table.to_owned(), lo, hi));
        }
        let range_of = |t: &str| ranges.iter().find(|r| r.0 == t).map(|r| (r.1, r.2));
        if ranges.iter().all(|(_, lo, hi)| hi <= lo) {
            return Ok(());
        }
        let window_ms = i64::try_from(self.config.window.as_millis()).unwrap_or(300_000).max(1000);
        let mut units: BTreeMap<i64, Vec<Unit>> = BTreeMap::new();
        let add = |ts: i64, unit: Unit, units: &mut BTreeMap<i64, Vec<Unit>>| {
            let w = ts.div_euclid(window_ms) * window_ms;
            units.entry(w).or_default().push(Unit { ts, ..unit });
        };

        // Frames and their OCR rows.
        let mut frames: BTreeMap<i64, (FrameRecord, bool)> = BTreeMap::new();
        if let Some((lo, hi)) = range_of("frames") {
            for f in self.frames_in(lo, hi)? {
                frames.insert(f.row_id, (f, true));
            }
        }
        let mut ocr_by_frame: BTreeMap<i64, Vec<OcrRecord>> = BTreeMap::new();
        if let Some((lo, hi)) = range_of("ocr_text") {
            for o in self.ocr_in(lo, hi)? {
                ocr_by_frame.entry(o.frame_row_id).or_default().push(o);
            }
        }
        for frame_id in ocr_by_frame.keys() {
            if !frames.contains_key(frame_id)
                && let Some(f) = self.frame_by_id(*frame_id)?
            {
                frames.insert(*frame_id, (f, false));
            }
        }
        for (frame_id, ocr) in &ocr_by_frame {
            if !frames.contains_key(frame_id) {
                for o in ocr {
                    pass.bad_rows.push(format!("ocr_text#{} (its frame {frame_id} is gone)", o.row_id));
                }
            }
        }
        for (id, (frame, is_new)) in frames {
            let ocr = ocr_by_frame.remove(&id).unwrap_or_default();
            let Ok(ts) = parse_timestamp(&frame.timestamp) else {
                pass.bad_rows.push(format!("frames#{id}"));
                pass.bad_rows.extend(ocr.iter().map(|o| format!("ocr_text#{}", o.row_id)));
                continue;
            };
            let new_rows = u64::from(is_new) + ocr.len() as u64;
            add(ts.0, Unit { frames: vec![frame], ocr, new_rows, ..Unit::default() }, &mut units);
        }
        if let Some((lo, hi)) = range_of("audio_transcriptions") {
            for t in self.transcriptions_in(lo, hi)? {
                match parse_timestamp(&t.timestamp) {
                    Ok(ts) => add(ts.0, Unit { transcriptions: vec![t], new_rows: 1, ..Unit::default() }, &mut units),
                    Err(_) => pass.bad_rows.push(format!("audio_transcriptions#{}", t.row_id)),
                }
            }
        }
        if let Some((lo, hi)) = range_of("accessibility") {
            for a in self.accessibility_in(lo, hi)? {
                match parse_timestamp(&a.timestamp) {
                    Ok(ts) => add(ts.0, Unit { accessibility: vec![a], new_rows: 1, ..Unit::default() }, &mut units),
                    Err(_) => pass.bad_rows.push(format!("accessibility#{}", a.row_id)),
                }
            }
        }
        if let Some((lo, hi)) = range_of("ui_events") {
            for u in self.ui_events_in(lo, hi)? {
                match parse_timestamp(&u.timestamp) {
                    Ok(ts) => add(ts.0, Unit { ui: vec![u], new_rows: 1, ..Unit::default() }, &mut units),
                    Err(_) => pass.bad_rows.push(format!("ui_events#{}", u.row_id)),
                }
            }
        }
        // Chunk rows: each new one travels in the bundle of its time, so that a chunk without
        // frames or transcriptions (and its media file) reaches other devices too.
        for (table, is_video) in [("video_chunks", true), ("audio_chunks", false)] {
            let Some((lo, hi)) = range_of(table) else { continue };
            for id in self.new_chunk_ids(table, lo, hi)? {
                match self.chunk_time(table, id)? {
                    Some(ts) => {
                        let unit = if is_video {
                            Unit { video_chunks: vec![id], new_rows: 1, ..Unit::default() }
                        } else {
                            Unit { audio_chunks: vec![id], new_rows: 1, ..Unit::default() }
                        };
                        add(ts.0, unit, &mut units);
                    }
                    None => pass.bad_rows.push(format!("{table}#{id}")),
                }
            }
        }
        for bad in &pass.bad_rows {
            tracing::warn!(row = %bad, "row skipped: unreadable timestamp or missing parent");
        }
        if !pass.bad_rows.is_empty() {
            progress.warn(&format!("{} rows skipped (unreadable timestamp or missing parent)", pass.bad_rows.len()));
        }

        let mut range_material = Tuple::new();
        for (t, lo, hi) in &ranges {
            range_material = range_material.str(t).i64(*lo).i64(*hi);
        }
        let staging = self.config.staging_dir();
        let mut pending = Vec::new();
        let mut chunk_cache: ChunkCache = HashMap::new();
        progress.add_total(Stage::Packaging, units.values().map(|u| u.len() as u64).sum());
        for (window_start, mut window_units) in units {
            window_units.sort_by_key(|u| u.ts);
            let window_end = window_start + window_ms - 1;
            let mut parts = Vec::new();
            self.split_into_bundles(state, &mut chunk_cache, window_start, window_end, &window_units, "0", &mut parts)?;
            for (part, bundle, tokens, json, new_rows) in parts {
                let material = Tuple::new()
                    .str("spsync-native/v1/text")
                    .str(self.device_id.as_str())
                    .i64(window_start)
                    .i64(window_end)
                    .str(&part)
                    .tuple(&range_material)
                    .into_bytes();
                let blob_id = self.keys.derive_blob_id(&material)?;
                let ctx = BlobContext {
                    blob_id,
                    blob_type: BlobType::Text,
                    device_id: self.device_id.clone(),
                    time_start: bundle.time_start,
                    time_end: bundle.time_end,
                };
                let sealed = seal_blob(
                    self.keys.current_data_key(),
                    self.keys.current_key_id(),
                    &ctx,
                    &json,
                    &SealOptions::for_type(BlobType::Text),
                    &mut OsRandom,
                )?;
                let mut sum = [0u8; 32];
                sum.copy_from_slice(&Sha256::digest(&sealed));
                let staged = write_staged(&staging, &format!("{blob_id}.blob"), |f| {
                    f.write_all(&sealed).io_ctx(|| "write a staged blob".to_owned())
                })?;
                pass.bundles += 1;
                pass.rows += new_rows;
                pass.json_bytes += json.len() as u64;
                pending.push(PendingUpload {
                    blob_id,
                    blob_type: BlobType::Text,
                    time_start: ctx.time_start,
                    time_end: ctx.time_end,
                    size_bytes: sealed.len() as u64,
                    checksum: Checksum(sum),
                    key_id: self.keys.current_key_id(),
                    tokens,
                    staging_file: staged,
                    records: bundle.record_count() as u64,
                    media: None,
                });
                progress.advance(Stage::Packaging, 1);
            }
        }
        let cursors: Vec<(String, i64)> = ranges.iter().map(|(t, _, hi)| (format!("text:{t}"), *hi)).collect();
        if !pending.is_empty() {
            crate::util::sync_dir(&staging)?;
        }
        state.commit_plan(&pending, &[], &cursors)
    }

    /// Builds the bundle of `units`; splits it in halves while its tokens or JSON exceed the
    /// bounds. Pushes `(part label, bundle, tokens, json, new rows)`.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn split_into_bundles(
        &self,
        state: &StateDb,
        cache: &mut ChunkCache,
        window_start: i64,
        window_end: i64,
        units: &[Unit],
        label: &str,
        out: &mut Vec<(String, RecordsBundle, Vec<SearchToken>, Vec<u8>, u64)>,
    ) -> Result<()> {
        let mut bundle = RecordsBundle::new(self.device_id.clone(), UnixMillis(window_start), UnixMillis(window_end));
        let mut video: BTreeSet<i64> = BTreeSet::new();
        let mut audio: BTreeSet<i64> = BTreeSet::new();
        let mut new_rows = 0;
        for u in units {
            bundle.frames.extend(u.frames.iter().cloned());
            bundle.ocr_text.extend(u.ocr.iter().cloned());
            bundle.audio_transcriptions.extend(u.transcriptions.iter().cloned());
            bundle.accessibility.extend(u.accessibility.iter().cloned());
            bundle.ui_events.extend(u.ui.iter().cloned());
            video.extend(u.frames.iter().filter_map(|f| f.video_chunk_row_id));
            audio.extend(u.transcriptions.iter().map(|t| t.audio_chunk_row_id));
            video.extend(u.video_chunks.iter().copied());
            audio.extend(u.audio_chunks.iter().copied());
            new_rows += u.new_rows;
        }
        for id in video {
            let entry = match cache.get(&(true, id)) {
                Some(e) => e.clone(),
                None => {
                    let e = self.video_chunk(state, id)?.map(|v| (Some(v), None));
                    cache.insert((true, id), e.clone());
                    e
                }
            };
            if let Some((Some(v), _)) = entry {
                bundle.video_chunks.push(v);
            }
        }
        for id in audio {
            let entry = match cache.get(&(false, id)) {
                Some(e) => e.clone(),
                None => {
                    let e = self.audio_chunk(state, id)?.map(|a| (None, Some(a)));
                    cache.insert((false, id), e.clone());
                    e
                }
            };
            if let Some((_, Some(a))) = entry {
                bundle.audio_chunks.push(a);
            }
        }
        bundle.frames.sort_by_key(|f| f.row_id);
        bundle.ocr_text.sort_by_key(|o| o.row_id);
        bundle.audio_transcriptions.sort_by_key(|t| t.row_id);
        let tokens = if self.config.search_tokens {
            bundle_tokens(&bundle, self.keys.current_token_key()?)?
        } else {
            Vec::new()
        };
        let json = bundle.to_json()?;
        let too_big = tokens.len() > MAX_TOKENS_PER_UPLOAD || json.len() > MAX_BUNDLE_JSON;
        if too_big && units.len() > 1 {
            let (a, b) = units.split_at(units.len() / 2);
            self.split_into_bundles(state, cache, window_start, window_end, a, &format!("{label}.0"), out)?;
            return self.split_into_bundles(state, cache, window_start, window_end, b, &format!("{label}.1"), out);
        }
        let mut tokens = tokens;
        if tokens.len() > MAX_TOKENS_PER_UPLOAD {
            tracing::warn!(
                tokens = tokens.len(),
                "one record has more distinct terms than an upload may carry; some are not searchable in the cloud"
            );
            tokens.truncate(MAX_TOKENS_PER_UPLOAD);
        }
        out.push((label.to_owned(), bundle, tokens, json, new_rows));
        Ok(())
    }
}

fn opt_bool(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<bool>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(v) => Some(v != 0),
        ValueRef::Real(v) => Some(v != 0.0),
        ValueRef::Text(t) => {
            let t = String::from_utf8_lossy(t).to_ascii_lowercase();
            Some(t == "1" || t == "true")
        }
        ValueRef::Blob(_) => None,
    })
}

/// A column as text, whatever its storage class (timestamps are TEXT in screenpipe, but a
/// DATETIME default may store something else).
fn opt_text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(v) => Some(v.to_string()),
        ValueRef::Real(v) => Some(v.to_string()),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => None,
    })
}

fn frame_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FrameRecord> {
    Ok(FrameRecord {
        row_id: r.get(0)?,
        video_chunk_row_id: r.get(1)?,
        offset_index: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
        timestamp: opt_text(r, 3)?.unwrap_or_default(),
        name: r.get(4)?,
        browser_url: r.get(5)?,
        app_name: r.get(6)?,
        window_name: r.get(7)?,
        focused: opt_bool(r, 8)?,
        device_name: r.get(9)?,
    })
}
