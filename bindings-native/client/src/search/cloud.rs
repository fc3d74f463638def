//! The cloud search: candidate blobs from the server (`POST /search` with the query tokens of
//! every term, month bucket and key, split to stay under the request bound; or, with the token
//! setting off or no keywords, the blobs of the range from `POST /download`), downloaded,
//! verified and decrypted, and only the records holding every term within the range kept (the
//! server's matches are only candidates).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use sync_core::records::{FrameRecord, RecordsBundle, find_hits, tables};
use sync_core::search::{query_tokens, terms};
use sync_core::wire::limits::{MAX_IDS_PER_DOWNLOAD, MAX_PAGE_LIMIT, MAX_TOKENS_PER_SEARCH};
use sync_core::wire::{BlobDownload, DownloadRequest, SearchRequest, TimeRange};
use sync_core::{BlobId, BlobType, UnixMillis};

use super::cache::CachedBundle;
use super::items::{AudioView, FrameView, MemoryView, SearchItem};
use super::{CloudQuery, SearchFilter};
use crate::error::Result;
use crate::progress::NoProgress;
use crate::unpack::{media_dest, snapshot_dest};

/// Candidate bundles downloaded and decrypted at once.
const OPEN_CONCURRENCY: usize = 16;
/// Candidates opened in the first wave (a first page of 20 items from recent bundles needs
/// one wave: one round of downloads).
const FIRST_WAVE: usize = 16;

/// How many distinct items of `items` that `filter` accepts are newer than `boundary` (the
/// newest instant a candidate left unopened may hold): those are certain to rank before
/// anything still unopened.
fn certain(items: &[SearchItem], filter: &SearchFilter, boundary: UnixMillis) -> usize {
    items
        .iter()
        .filter(|i| i.time > boundary && filter.accepts(i))
        .map(SearchItem::identity)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

impl CloudQuery<'_> {
    /// The text blobs that may hold records of `keywords` in `[start, end]`, newest first (by
    /// their last instant, returned with them), at most `max`: the server's token matches, or
    /// (tokens off, no keywords) every blob of the range.
    async fn candidate_blobs(
        &self,
        start: UnixMillis,
        end: UnixMillis,
        keywords: &str,
        max: usize,
    ) -> Result<Vec<(BlobId, UnixMillis)>> {
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
            let mut cursors = crate::api::pages::Cursors::default();
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
                cursor = cursors.follow(page.next_cursor)?;
                if cursor.is_none() || found.len() >= max * 4 {
                    break;
                }
            }
        }
        let mut ids: Vec<(BlobId, UnixMillis)> = found.into_iter().collect();
        ids.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ids.truncate(max);
        Ok(ids)
    }

    /// The cloud records in `[start, end]` holding every term of `keywords`, newest first,
    /// from at most `max` candidate blobs (each downloaded, verified and decrypted), and whether
    /// they are all (every candidate opened, and fewer than `max` of them).
    ///
    /// Candidates are opened newest first in waves ([`FIRST_WAVE`], then twice as many each
    /// time, [`OPEN_CONCURRENCY`] at a time, every download URL listed in one `/download`). With
    /// `enough` (a count and the filter that counts), opening stops once that many distinct
    /// accepted items are newer than every candidate left unopened: the first page is then
    /// certain, and the items found are fewer than all (the second value is false).
    pub(super) async fn fetch_cloud(
        &self,
        start: UnixMillis,
        end: UnixMillis,
        keywords: &str,
        max: usize,
        enough: Option<(usize, &SearchFilter)>,
    ) -> Result<(Vec<SearchItem>, bool)> {
        let candidates = self.candidate_blobs(start, end, keywords, max).await?;
        let mut items = Vec::new();
        let missing: Vec<BlobId> =
            candidates.iter().map(|(id, _)| *id).filter(|id| self.cache.is_none_or(|c| !c.contains(id))).collect();
        let mut listed: HashMap<BlobId, BlobDownload> = HashMap::new();
        for batch in missing.chunks(MAX_IDS_PER_DOWNLOAD) {
            let request = DownloadRequest { blob_ids: Some(batch.to_vec()), ..Default::default() };
            listed.extend(self.session.client().download(&request).await?.blobs.into_iter().map(|b| (b.blob_id, b)));
        }
        let mut next = 0;
        let mut wave = FIRST_WAVE;
        while next < candidates.len() {
            let this = &candidates[next..(next + wave).min(candidates.len())];
            next += this.len();
            wave = wave.saturating_mul(2);
            let mut to_open = Vec::new();
            let mut unlisted = Vec::new();
            for (id, _) in this {
                match (self.cache.and_then(|c| c.get(id)), listed.remove(id)) {
                    (Some(hit), _) => items.extend(self.items_of(&hit.device_id, &hit.bundle, keywords, start, end)?),
                    (None, Some(blob)) => to_open.push(blob),
                    // Dropped from the cache since the listing: listed now.
                    (None, None) => unlisted.push(*id),
                }
            }
            for batch in unlisted.chunks(MAX_IDS_PER_DOWNLOAD) {
                let request = DownloadRequest { blob_ids: Some(batch.to_vec()), ..Default::default() };
                to_open.extend(self.session.client().download(&request).await?.blobs);
            }
            // Downloaded and decrypted a few at a time (the order does not matter: the items
            // are sorted after).
            let opened: Vec<_> = stream::iter(to_open)
                .map(|blob| async move {
                    let bundle = self.session.open_text_blob(&blob, &NoProgress).await;
                    (blob, bundle)
                })
                .buffer_unordered(OPEN_CONCURRENCY)
                .collect()
                .await;
            for (blob, bundle) in opened {
                match bundle {
                    Ok(bundle) => {
                        items.extend(self.items_of(&blob.device_id, &bundle, keywords, start, end)?);
                        if let Some(cache) = self.cache {
                            let entry = CachedBundle { device_id: blob.device_id.clone(), bundle: Arc::new(bundle) };
                            cache.insert(blob.blob_id, entry);
                        }
                    }
                    Err(e) => tracing::warn!(blob = %blob.blob_id, error = %e, "cloud blob rejected"),
                }
            }
            if let (Some((want, filter)), Some((_, newest_left))) = (enough, candidates.get(next))
                && certain(&items, filter, *newest_left) >= want
            {
                items.sort_by_key(|i| std::cmp::Reverse(i.time));
                return Ok((items, false));
            }
        }
        items.sort_by_key(|i| std::cmp::Reverse(i.time));
        // `max` candidates: there may have been more.
        Ok((items, candidates.len() < max))
    }

    /// A frame's fields: where its media lands when pulled (the snapshot, else the video
    /// chunk).
    fn frame_view<'b>(
        &self,
        data_dir: &std::path::Path,
        origin: &sync_core::DeviceId,
        bundle: &RecordsBundle,
        f: &'b FrameRecord,
        time: UnixMillis,
    ) -> FrameView<'b> {
        let chunk = f
            .video_chunk_row_id
            .and_then(|c| bundle.video_chunks.iter().find(|v| v.row_id == c))
            .map(|c| media_dest(data_dir, origin, &c.file_name, &c.blob_id.unwrap_or(BlobId([0; 16]))))
            .map(|p| p.to_string_lossy().into_owned());
        let file_path = match &f.snapshot {
            Some(s) => Some(snapshot_dest(data_dir, origin, f, s).to_string_lossy().into_owned()),
            None => chunk.clone(),
        };
        FrameView {
            frame_id: f.row_id,
            stored_timestamp: &f.timestamp,
            time,
            text: f.text.as_deref(),
            accessibility_text: f.accessibility_text.as_deref(),
            app_name: f.app_name.as_deref(),
            window_name: f.window_name.as_deref(),
            offset_index: f.offset_index,
            browser_url: f.browser_url.as_deref(),
            focused: f.focused,
            frame_name: f.name.as_deref(),
            device_name: f.device_name.as_deref(),
            file_path: file_path.unwrap_or_default(),
            chunk_file_path: chunk.unwrap_or_default(),
            text_source: f.text_source.as_deref(),
            capture_trigger: f.capture_trigger.as_deref(),
        }
    }

    /// The records of a decrypted bundle that hold every term within the range.
    fn items_of(
        &self,
        origin: &sync_core::DeviceId,
        bundle: &RecordsBundle,
        keywords: &str,
        start: UnixMillis,
        end: UnixMillis,
    ) -> Result<Vec<SearchItem>> {
        let data_dir = &self.session.config().data_dir;
        let device = origin.to_string();
        let frames: BTreeMap<i64, &FrameRecord> = bundle.frames.iter().map(|f| (f.row_id, f)).collect();
        let trans: BTreeMap<i64, &sync_core::records::TranscriptionRecord> =
            bundle.audio_transcriptions.iter().map(|t| (t.row_id, t)).collect();
        let mut out = Vec::new();
        for hit in find_hits(bundle, keywords, start, end)? {
            match hit.table {
                tables::FRAMES => {
                    let Some(f) = frames.get(&hit.row_id) else { continue };
                    let view = self.frame_view(data_dir, origin, bundle, f, hit.timestamp);
                    let snapshot = f.snapshot.as_ref().and_then(|s| s.blob_id.map(|b| (b, s.entry.clone())));
                    for content in std::iter::once(view.ocr()).chain(view.ui()) {
                        out.push(SearchItem {
                            content,
                            source: "cloud",
                            device_id: device.clone(),
                            table: tables::FRAMES,
                            origin_row_id: f.row_id,
                            time: hit.timestamp,
                            snapshot: snapshot.clone(),
                        });
                    }
                }
                tables::AUDIO_TRANSCRIPTIONS => {
                    let Some(t) = trans.get(&hit.row_id) else { continue };
                    let chunk = bundle.audio_chunks.iter().find(|c| c.row_id == t.audio_chunk_row_id);
                    let file_path = chunk
                        .map(|c| media_dest(data_dir, origin, &c.file_name, &c.blob_id.unwrap_or(BlobId([0; 16]))))
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let content = AudioView {
                        chunk_id: t.audio_chunk_row_id,
                        transcription: &t.transcription,
                        stored_timestamp: &t.timestamp,
                        time: hit.timestamp,
                        file_path,
                        offset_index: t.offset_index,
                        device: t.device.as_deref(),
                        is_input_device: t.is_input_device,
                        speaker_id: t.speaker_id,
                        start_time: t.start_time,
                        end_time: t.end_time,
                        engine: t.transcription_engine.as_deref(),
                    }
                    .audio();
                    out.push(SearchItem {
                        content,
                        source: "cloud",
                        device_id: device.clone(),
                        table: tables::AUDIO_TRANSCRIPTIONS,
                        origin_row_id: t.row_id,
                        time: hit.timestamp,
                        snapshot: None,
                    });
                }
                tables::MEMORIES => {
                    let Some(m) = bundle.memories.iter().find(|m| m.row_id == hit.row_id) else { continue };
                    let content = MemoryView {
                        id: m.row_id,
                        content: &m.content,
                        source: &m.source,
                        source_context: m.source_context.as_deref(),
                        tags: Some(&m.tags),
                        importance: m.importance,
                        frame_id: m.frame_row_id,
                        created_at: &m.created_at,
                        updated_at: &m.updated_at,
                        time: hit.timestamp,
                    }
                    .memory();
                    out.push(SearchItem {
                        content,
                        source: "cloud",
                        device_id: device.clone(),
                        table: tables::MEMORIES,
                        origin_row_id: m.row_id,
                        time: hit.timestamp,
                        snapshot: None,
                    });
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
