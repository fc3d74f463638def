//! [`CloudQuery`]: search that spans the local screenpipe database and the cloud, in
//! screenpipe's `/search` result shape.
//!
//! - [`CloudQuery::needs_cloud_data`]: whether the local database lacks part of a time range
//!   (it starts before the oldest local record, or holds nothing at all).
//! - [`CloudQuery::fetch_cloud_data`]: the server's search (`POST /search` with the query
//!   tokens of every term, month bucket and key; or, with the token setting off or no keywords,
//!   the blobs of the range), then the candidate blobs are downloaded, decrypted, and only the
//!   records holding every term are kept (the server's matches are candidates).
//! - [`CloudQuery::query_all`]: the local FTS search (screenpipe's `ocr_text_fts` and
//!   `audio_transcriptions_fts`, checked with the same term rule) merged with the cloud's,
//!   deduplicated by record identity (origin device, table, origin row id: a row imported from
//!   the cloud and the same record found in the cloud are one), newest first.
//!
//! An item is `{"type": "OCR" | "Audio", "content": {...screenpipe's fields...}}` plus
//! `"source": "local" | "cloud"` and `"device_id"` (the origin device).

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sync_core::records::{RecordsBundle, find_hits, parse_timestamp};
use sync_core::search::{query_tokens, terms};
use sync_core::wire::limits::{MAX_IDS_PER_DOWNLOAD, MAX_PAGE_LIMIT, MAX_TOKENS_PER_SEARCH};
use sync_core::wire::{BlobDownload, DownloadRequest, SearchRequest, TimeRange};
use sync_core::{BlobId, BlobType, UnixMillis};

use crate::error::{DbContext, Result};
use crate::progress::NoProgress;
use crate::screenpipe::IMPORTS_TABLE;
use crate::session::SyncSession;
use crate::unpacker::media_dest;

/// Search options.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// First instant (default: the beginning).
    pub start: Option<UnixMillis>,
    /// Last instant (default: now).
    pub end: Option<UnixMillis>,
    /// Most items returned.
    pub limit: usize,
    /// Items skipped first.
    pub offset: usize,
    /// Most cloud blobs downloaded for one query.
    pub max_cloud_blobs: usize,
    /// Include the cloud (else only the local database).
    pub cloud: bool,
    /// Include the local database.
    pub local: bool,
}

impl Default for SearchOptions {
    fn default() -> SearchOptions {
        SearchOptions { start: None, end: None, limit: 50, offset: 0, max_cloud_blobs: 200, cloud: true, local: true }
    }
}

/// screenpipe's OCR result content.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OcrContent {
    /// Frame row id (local for local results, the origin's for cloud ones).
    pub frame_id: i64,
    /// The OCR text.
    pub text: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// The video file.
    pub file_path: String,
    /// Frame offset in the video file.
    pub offset_index: i64,
    /// App name.
    pub app_name: String,
    /// Window name.
    pub window_name: String,
    /// Tags (none from sync).
    pub tags: Vec<String>,
    /// Frame image (never filled here).
    pub frame: Option<String>,
    /// The frame's `name`.
    pub frame_name: Option<String>,
    /// Browser URL.
    pub browser_url: Option<String>,
    /// Focused.
    pub focused: Option<bool>,
    /// Monitor name.
    pub device_name: String,
}

/// screenpipe's audio result content.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AudioContent {
    /// Audio chunk row id.
    pub chunk_id: i64,
    /// The transcription.
    pub transcription: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// The audio file.
    pub file_path: String,
    /// `offset_index`.
    pub offset_index: i64,
    /// Tags (none from sync).
    pub tags: Vec<String>,
    /// Audio device name.
    pub device_name: String,
    /// `Input` or `Output`.
    pub device_type: String,
    /// Speaker (`{"id": n}` when known).
    pub speaker: Option<serde_json::Value>,
    /// Start within the chunk, seconds.
    pub start_time: Option<f64>,
    /// End within the chunk, seconds.
    pub end_time: Option<f64>,
}

/// The content of an item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "content")]
pub enum Content {
    /// Screen text.
    #[serde(rename = "OCR")]
    Ocr(OcrContent),
    /// A transcription.
    Audio(AudioContent),
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchItem {
    /// The screenpipe-shaped part.
    #[serde(flatten)]
    pub content: Content,
    /// `local` or `cloud`.
    pub source: &'static str,
    /// The device the record comes from.
    pub device_id: String,
    /// Its table on the origin device (`ocr_text` or `audio_transcriptions`).
    #[serde(skip)]
    pub table: &'static str,
    /// Its row id on the origin device.
    #[serde(skip)]
    pub origin_row_id: i64,
    /// Its time, for ordering.
    #[serde(skip)]
    pub time: UnixMillis,
}

impl SearchItem {
    /// The record identity: origin device, table, origin row id.
    pub fn identity(&self) -> (String, &'static str, i64) {
        (self.device_id.clone(), self.table, self.origin_row_id)
    }
}

fn rfc3339(ms: UnixMillis) -> String {
    ms.to_rfc3339().unwrap_or_default()
}

/// True when `text` holds every term of `wanted`.
fn holds_all(wanted: &[String], fields: &[&str]) -> bool {
    if wanted.is_empty() {
        return true;
    }
    let have: HashSet<String> = fields.iter().flat_map(|f| terms(f)).collect();
    wanted.iter().all(|t| have.contains(t))
}

/// An FTS5 query: every term as a quoted string (implicit AND).
fn fts_query(wanted: &[String]) -> String {
    wanted.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

/// Search over a session.
#[derive(Debug)]
pub struct CloudQuery<'a> {
    session: &'a SyncSession,
}

impl<'a> CloudQuery<'a> {
    /// A query helper for `session`.
    pub fn new(session: &'a SyncSession) -> CloudQuery<'a> {
        CloudQuery { session }
    }

    /// True when the local database does not cover `[start, end]`: it holds nothing, or its
    /// oldest record is after `start`.
    pub fn needs_cloud_data(&self, start: UnixMillis, _end: UnixMillis) -> Result<bool> {
        let conn = crate::screenpipe::open_read_only(&self.session.config().db_path)?;
        Ok(match oldest_local(&conn)? {
            None => true,
            Some(oldest) => start < oldest,
        })
    }

    /// Cloud records in `[start, end]` holding every word of `keywords` (all records of the
    /// range when `keywords` is empty), newest first.
    pub async fn fetch_cloud_data(
        &self,
        start: UnixMillis,
        end: UnixMillis,
        keywords: &str,
    ) -> Result<Vec<SearchItem>> {
        self.fetch_cloud(start, end, keywords, SearchOptions::default().max_cloud_blobs).await
    }

    async fn candidate_blobs(
        &self,
        start: UnixMillis,
        end: UnixMillis,
        keywords: &str,
        max: usize,
    ) -> Result<Vec<BlobId>> {
        let s = self.session;
        let wanted = terms(keywords);
        let mut found: BTreeMap<BlobId, UnixMillis> = BTreeMap::new();
        if s.config().search_tokens && !wanted.is_empty() {
            // Split the range by months so that each request stays under the token bound.
            let keys = s.keys().token_keys();
            let per_month = wanted.len() * keys.len();
            let months_per_request = (MAX_TOKENS_PER_SEARCH / per_month.max(1)).max(1);
            let mut from = start;
            while from <= end {
                let mut to = from;
                let mut month = from;
                for _ in 0..months_per_request {
                    let next = month.start_of_next_month()?;
                    if next > end {
                        to = end;
                        break;
                    }
                    to = UnixMillis(next.0 - 1);
                    month = next;
                }
                let tokens = query_tokens(keys, keywords, from, to)?;
                let answer = s
                    .client()
                    .search(&SearchRequest {
                        search_tokens: tokens,
                        time_range: Some(TimeRange { start: from, end: to }),
                        blob_types: Some(vec![BlobType::Text]),
                        limit: Some(MAX_PAGE_LIMIT),
                    })
                    .await?;
                for m in answer.matches {
                    found.insert(m.blob_id, m.time_end);
                }
                if to >= end {
                    break;
                }
                from = UnixMillis(to.0 + 1);
            }
        } else {
            let mut cursor = None;
            loop {
                let page = s
                    .client()
                    .download(&DownloadRequest {
                        time_range: Some(TimeRange { start, end }),
                        blob_types: Some(vec![BlobType::Text]),
                        limit: Some(MAX_PAGE_LIMIT),
                        cursor: cursor.clone(),
                        ..DownloadRequest::default()
                    })
                    .await?;
                for b in page.blobs {
                    found.insert(b.blob_id, b.time_end);
                }
                match page.next_cursor {
                    Some(c) if Some(&c) != cursor.as_ref() && found.len() < max * 4 => cursor = Some(c),
                    _ => break,
                }
            }
        }
        let mut ids: Vec<(BlobId, UnixMillis)> = found.into_iter().collect();
        ids.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ids.truncate(max);
        Ok(ids.into_iter().map(|(id, _)| id).collect())
    }

    async fn fetch_cloud(
        &self,
        start: UnixMillis,
        end: UnixMillis,
        keywords: &str,
        max: usize,
    ) -> Result<Vec<SearchItem>> {
        let ids = self.candidate_blobs(start, end, keywords, max).await?;
        let mut items = Vec::new();
        for batch in ids.chunks(MAX_IDS_PER_DOWNLOAD) {
            let listed = self
                .session
                .client()
                .download(&DownloadRequest { blob_ids: Some(batch.to_vec()), ..Default::default() })
                .await?;
            for blob in listed.blobs {
                match self.session.open_text_blob(&blob, &NoProgress).await {
                    Ok(bundle) => items.extend(self.items_of(&blob, &bundle, keywords, start, end)?),
                    Err(e) => tracing::warn!(blob = %blob.blob_id, error = %e, "cloud blob rejected"),
                }
            }
        }
        items.sort_by_key(|i| std::cmp::Reverse(i.time));
        Ok(items)
    }

    fn items_of(
        &self,
        blob: &BlobDownload,
        bundle: &RecordsBundle,
        keywords: &str,
        start: UnixMillis,
        end: UnixMillis,
    ) -> Result<Vec<SearchItem>> {
        let data_dir = &self.session.config().data_dir;
        let device = blob.device_id.to_string();
        let frames: BTreeMap<i64, &sync_core::records::FrameRecord> =
            bundle.frames.iter().map(|f| (f.row_id, f)).collect();
        let ocr: BTreeMap<i64, &sync_core::records::OcrRecord> =
            bundle.ocr_text.iter().map(|o| (o.row_id, o)).collect();
        let trans: BTreeMap<i64, &sync_core::records::TranscriptionRecord> =
            bundle.audio_transcriptions.iter().map(|t| (t.row_id, t)).collect();
        let mut out = Vec::new();
        for hit in find_hits(bundle, keywords, start, end)? {
            match hit.table {
                "ocr_text" => {
                    let Some(o) = ocr.get(&hit.row_id) else { continue };
                    let f = frames.get(&o.frame_row_id);
                    let chunk = f
                        .and_then(|f| f.video_chunk_row_id)
                        .and_then(|c| bundle.video_chunks.iter().find(|v| v.row_id == c));
                    let file_path = chunk
                        .map(|c| {
                            media_dest(data_dir, &blob.device_id, &c.file_name, &c.blob_id.unwrap_or(BlobId([0; 16])))
                        })
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    out.push(SearchItem {
                        content: Content::Ocr(OcrContent {
                            frame_id: o.frame_row_id,
                            text: o.text.clone(),
                            timestamp: rfc3339(hit.timestamp),
                            file_path,
                            offset_index: f.map(|f| f.offset_index).unwrap_or(0),
                            app_name: o
                                .app_name
                                .clone()
                                .or_else(|| f.and_then(|f| f.app_name.clone()))
                                .unwrap_or_default(),
                            window_name: o
                                .window_name
                                .clone()
                                .or_else(|| f.and_then(|f| f.window_name.clone()))
                                .unwrap_or_default(),
                            tags: Vec::new(),
                            frame: None,
                            frame_name: f.and_then(|f| f.name.clone()),
                            browser_url: f.and_then(|f| f.browser_url.clone()),
                            focused: o.focused.or_else(|| f.and_then(|f| f.focused)),
                            device_name: f.and_then(|f| f.device_name.clone()).unwrap_or_default(),
                        }),
                        source: "cloud",
                        device_id: device.clone(),
                        table: "ocr_text",
                        origin_row_id: o.row_id,
                        time: hit.timestamp,
                    });
                }
                "audio_transcriptions" => {
                    let Some(t) = trans.get(&hit.row_id) else { continue };
                    let chunk = bundle.audio_chunks.iter().find(|c| c.row_id == t.audio_chunk_row_id);
                    let file_path = chunk
                        .map(|c| {
                            media_dest(data_dir, &blob.device_id, &c.file_name, &c.blob_id.unwrap_or(BlobId([0; 16])))
                        })
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    out.push(SearchItem {
                        content: Content::Audio(AudioContent {
                            chunk_id: t.audio_chunk_row_id,
                            transcription: t.transcription.clone(),
                            timestamp: rfc3339(hit.timestamp),
                            file_path,
                            offset_index: t.offset_index,
                            tags: Vec::new(),
                            device_name: t.device.clone().unwrap_or_default(),
                            device_type: if t.is_input_device.unwrap_or(true) { "Input" } else { "Output" }.into(),
                            speaker: t.speaker_id.map(|id| serde_json::json!({ "id": id })),
                            start_time: t.start_time,
                            end_time: t.end_time,
                        }),
                        source: "cloud",
                        device_id: device.clone(),
                        table: "audio_transcriptions",
                        origin_row_id: t.row_id,
                        time: hit.timestamp,
                    });
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Local results from screenpipe's own FTS tables, filtered with the same term rule as the
    /// cloud's.
    pub fn search_local(&self, query: &str, start: UnixMillis, end: UnixMillis, max: usize) -> Result<Vec<SearchItem>> {
        let conn = crate::screenpipe::open_read_only(&self.session.config().db_path)?;
        search_local(&conn, self.session.device_id().as_str(), query, start, end, max)
    }

    /// Local and cloud results merged: deduplicated by identity (local wins), newest first,
    /// then `offset` and `limit`.
    pub async fn query_all(&self, query: &str, options: &SearchOptions) -> Result<Vec<SearchItem>> {
        let start = options.start.unwrap_or(UnixMillis(0));
        let end = options.end.unwrap_or_else(|| UnixMillis(crate::util::now_ms().0 + 86_400_000));
        let want = options.limit.saturating_add(options.offset).max(1);
        let mut items = Vec::new();
        if options.local {
            items.extend(self.search_local(query, start, end, want.max(1000))?);
        }
        if options.cloud {
            // Without an explicit start, search the cloud from its oldest data only (the query
            // tokens grow with the months of the range).
            let start = match options.start {
                Some(s) => s,
                None => self.session.client().status().await?.stats.oldest_data.unwrap_or(start).max(start),
            };
            if start <= end {
                items.extend(self.fetch_cloud(start, end, query, options.max_cloud_blobs).await?);
            }
        }
        let mut seen = HashSet::new();
        items.retain(|i| seen.insert(i.identity()));
        items.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.identity().cmp(&b.identity())));
        Ok(items.into_iter().skip(options.offset).take(options.limit).collect())
    }
}

/// The oldest record time in a screenpipe database.
fn oldest_local(conn: &Connection) -> Result<Option<UnixMillis>> {
    let mut oldest: Option<UnixMillis> = None;
    for (table, col) in [("frames", "id"), ("audio_transcriptions", "id")] {
        let exists: Option<i64> = conn
            .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
            .optional()
            .ctx("sqlite_master")?;
        if exists.is_none() {
            continue;
        }
        let sql = format!(
            "SELECT timestamp FROM (SELECT timestamp FROM {table} ORDER BY {col} LIMIT 1)
             UNION ALL SELECT timestamp FROM (SELECT timestamp FROM {table} ORDER BY timestamp LIMIT 5)"
        );
        let mut stmt = conn.prepare(&sql).ctx(table)?;
        let rows = stmt.query_map([], |r| r.get::<_, Option<String>>(0)).ctx(table)?;
        for ts in rows {
            if let Some(ts) = ts.ctx(table)?
                && let Ok(ms) = parse_timestamp(&ts)
            {
                oldest = Some(oldest.map_or(ms, |o| o.min(ms)));
            }
        }
    }
    Ok(oldest)
}

/// The identity of a local row: its origin (from the imports table) or this device.
fn local_identity(conn: &Connection, has_imports: bool, own: &str, table: &str, id: i64) -> Result<(String, i64)> {
    if has_imports {
        let origin: Option<(String, i64)> = conn
            .prepare_cached(&format!(
                "SELECT origin_device, origin_row_id FROM {IMPORTS_TABLE} WHERE table_name = ?1 AND local_row_id = ?2"
            ))
            .ctx("imports")?
            .query_row(params![table, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .ctx("imports")?;
        if let Some(o) = origin {
            return Ok(o);
        }
    }
    Ok((own.to_owned(), id))
}

/// screenpipe's own FTS search over OCR text and transcriptions, checked with the core's term
/// rule and the time range.
pub fn search_local(
    conn: &Connection,
    own_device: &str,
    query: &str,
    start: UnixMillis,
    end: UnixMillis,
    max: usize,
) -> Result<Vec<SearchItem>> {
    let wanted = terms(query);
    let tables = crate::screenpipe::Tables::load(conn)?;
    let has_imports = tables.has_table(IMPORTS_TABLE);
    let limit = i64::try_from(max.saturating_mul(4)).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    if tables.has_table("ocr_text") && tables.has_table("frames") {
        let filter = if wanted.is_empty() || tables.fts_columns("ocr_text").is_none() {
            "1".to_owned()
        } else {
            "o.frame_id IN (SELECT frame_id FROM ocr_text_fts WHERE ocr_text_fts MATCH ?1)".to_owned()
        };
        let q = |table: &str, alias: &str, col: &str| {
            if tables.has(table, col) { format!("{alias}.\"{col}\"") } else { "NULL".to_owned() }
        };
        let sql = format!(
            "SELECT o.rowid, o.frame_id, o.text, {}, {}, f.timestamp, f.offset_index, {}, {}, {}, {}, {}, {}
             FROM ocr_text o JOIN frames f ON f.id = o.frame_id
             {}
             WHERE {filter} ORDER BY f.id DESC LIMIT ?2",
            q("ocr_text", "o", "app_name"),
            q("ocr_text", "o", "window_name"),
            q("frames", "f", "browser_url"),
            q("ocr_text", "o", "focused"),
            q("frames", "f", "name"),
            q("frames", "f", "device_name"),
            q("frames", "f", "app_name"),
            if tables.has_table("video_chunks") { "vc.file_path" } else { "NULL" },
            if tables.has_table("video_chunks") { "LEFT JOIN video_chunks vc ON vc.id = f.video_chunk_id" } else { "" },
        );
        let mut stmt = conn.prepare(&sql).ctx("local OCR search")?;
        type OcrRow = (
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            String,
            i64,
            Option<String>,
            Option<bool>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows = stmt
            .query_map(params![fts_query(&wanted), limit], |r| -> rusqlite::Result<OcrRow> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                ))
            })
            .ctx("local OCR search")?;
        for row in rows {
            let (rowid, frame_id, text, app, window, ts, offset, url, focused, name, device_name, frame_app, path) =
                row.ctx("local OCR search")?;
            let Ok(time) = parse_timestamp(&ts) else { continue };
            if time < start || time > end {
                continue;
            }
            if !holds_all(&wanted, &[&text, window.as_deref().unwrap_or("")]) {
                continue;
            }
            let (device, origin_row) = local_identity(conn, has_imports, own_device, "ocr_text", rowid)?;
            out.push(SearchItem {
                content: Content::Ocr(OcrContent {
                    frame_id,
                    text,
                    timestamp: rfc3339(time),
                    file_path: path.unwrap_or_default(),
                    offset_index: offset,
                    app_name: app.or(frame_app).unwrap_or_default(),
                    window_name: window.unwrap_or_default(),
                    tags: Vec::new(),
                    frame: None,
                    frame_name: name,
                    browser_url: url,
                    focused,
                    device_name: device_name.unwrap_or_default(),
                }),
                source: "local",
                device_id: device,
                table: "ocr_text",
                origin_row_id: origin_row,
                time,
            });
        }
    }
    if tables.has_table("audio_transcriptions") {
        let filter = if wanted.is_empty() || tables.fts_columns("audio_transcriptions").is_none() {
            "1".to_owned()
        } else {
            "t.audio_chunk_id IN (SELECT audio_chunk_id FROM audio_transcriptions_fts WHERE audio_transcriptions_fts MATCH ?1)"
                .to_owned()
        };
        let sql = format!(
            "SELECT t.id, t.audio_chunk_id, t.transcription, t.timestamp, t.offset_index, t.device, t.is_input_device,
                    t.speaker_id, t.start_time, t.end_time, {}
             FROM audio_transcriptions t {}
             WHERE {filter} ORDER BY t.id DESC LIMIT ?2",
            if tables.has_table("audio_chunks") { "ac.file_path" } else { "NULL" },
            if tables.has_table("audio_chunks") { "LEFT JOIN audio_chunks ac ON ac.id = t.audio_chunk_id" } else { "" },
        );
        let mut stmt = conn.prepare(&sql).ctx("local audio search")?;
        type AudioRow = (
            i64,
            i64,
            String,
            String,
            i64,
            Option<String>,
            Option<bool>,
            Option<i64>,
            Option<f64>,
            Option<f64>,
            Option<String>,
        );
        let rows = stmt
            .query_map(params![fts_query(&wanted), limit], |r| -> rusqlite::Result<AudioRow> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            })
            .ctx("local audio search")?;
        for row in rows {
            let (id, chunk, text, ts, offset, device_name, input, speaker, st, et, path) =
                row.ctx("local audio search")?;
            let Ok(time) = parse_timestamp(&ts) else { continue };
            if time < start || time > end || !holds_all(&wanted, &[&text]) {
                continue;
            }
            let (device, origin_row) = local_identity(conn, has_imports, own_device, "audio_transcriptions", id)?;
            out.push(SearchItem {
                content: Content::Audio(AudioContent {
                    chunk_id: chunk,
                    transcription: text,
                    timestamp: rfc3339(time),
                    file_path: path.unwrap_or_default(),
                    offset_index: offset,
                    tags: Vec::new(),
                    device_name: device_name.unwrap_or_default(),
                    device_type: if input.unwrap_or(true) { "Input" } else { "Output" }.into(),
                    speaker: speaker.map(|id| serde_json::json!({ "id": id })),
                    start_time: st,
                    end_time: et,
                }),
                source: "local",
                device_id: device,
                table: "audio_transcriptions",
                origin_row_id: origin_row,
                time,
            });
        }
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.time));
    Ok(out)
}
