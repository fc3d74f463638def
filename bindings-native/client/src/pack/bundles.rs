//! Bundles: the records of a window's units, with the chunk rows they need, as one
//! [`RecordsBundle`] (docs/FORMAT.md, Records bundle), split in halves while its search tokens
//! or its JSON exceed the API's bounds.

use std::collections::{BTreeSet, HashMap};

use sync_core::UnixMillis;
use sync_core::records::{
    AccessibilityRecord, AudioChunkRecord, ElementRecord, FrameRecord, MeetingRecord, MemoryRecord, RecordsBundle,
    TranscriptionRecord, UiEventRecord, VideoChunkRecord, bundle_tokens,
};
use sync_core::wire::SearchToken;
use sync_core::wire::limits::MAX_TOKENS_PER_UPLOAD;

use super::{Packager, file_name_of};
use crate::error::Result;
use crate::state::StateDb;

/// Largest JSON of one bundle before it is split, in bytes.
const MAX_BUNDLE_JSON: usize = 32 << 20;

/// Chunk records read once per pass: `(is_video, row id)`.
pub(super) type ChunkCache = HashMap<(bool, i64), Option<(Option<VideoChunkRecord>, Option<AudioChunkRecord>)>>;

/// A unit of packaging: records that go together into one bundle (a frame with its elements,
/// one transcription, ...), filed at time `ts`.
#[derive(Default)]
pub(super) struct Unit {
    /// Its time (the window it belongs to).
    pub(super) ts: i64,
    /// Frames.
    pub(super) frames: Vec<FrameRecord>,
    /// Their elements.
    pub(super) elements: Vec<ElementRecord>,
    /// Transcriptions.
    pub(super) transcriptions: Vec<TranscriptionRecord>,
    /// Accessibility rows.
    pub(super) accessibility: Vec<AccessibilityRecord>,
    /// UI events.
    pub(super) ui: Vec<UiEventRecord>,
    /// Memories.
    pub(super) memories: Vec<MemoryRecord>,
    /// Meetings.
    pub(super) meetings: Vec<MeetingRecord>,
    /// New video chunk rows (by row id).
    pub(super) video_chunks: Vec<i64>,
    /// New audio chunk rows (by row id).
    pub(super) audio_chunks: Vec<i64>,
    /// Rows packaged for the first time (repeated parents not counted).
    pub(super) new_rows: u64,
}

/// One bundle ready to seal.
pub(super) struct BundlePart {
    /// `0`, or `0.1.0`... after splits: part of the blob id.
    pub(super) label: String,
    /// The bundle.
    pub(super) bundle: RecordsBundle,
    /// Its search tokens (none when the setting is off).
    pub(super) tokens: Vec<SearchToken>,
    /// Its JSON.
    pub(super) json: Vec<u8>,
    /// Rows packaged for the first time.
    pub(super) new_rows: u64,
}

impl Packager<'_> {
    /// Builds the bundle of `units`; splits it in halves while its tokens or JSON exceed the
    /// bounds.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn split_into_bundles(
        &self,
        state: &StateDb,
        cache: &mut ChunkCache,
        window_start: i64,
        window_end: i64,
        units: &[Unit],
        label: &str,
        out: &mut Vec<BundlePart>,
    ) -> Result<()> {
        let mut bundle = RecordsBundle::new(self.device_id.clone(), UnixMillis(window_start), UnixMillis(window_end));
        let mut video: BTreeSet<i64> = BTreeSet::new();
        let mut audio: BTreeSet<i64> = BTreeSet::new();
        let mut new_rows = 0;
        for u in units {
            bundle.frames.extend(u.frames.iter().cloned());
            bundle.elements.extend(u.elements.iter().cloned());
            bundle.memories.extend(u.memories.iter().cloned());
            bundle.meetings.extend(u.meetings.iter().cloned());
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
        bundle.elements.sort_by_key(|e| e.row_id);
        bundle.memories.sort_by_key(|m| m.row_id);
        bundle.meetings.sort_by_key(|m| m.row_id);
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
        out.push(BundlePart { label: label.to_owned(), bundle, tokens, json, new_rows });
        Ok(())
    }

    /// A `video_chunks` row as a bundle carries it (its file name and media blob id).
    fn video_chunk(&self, state: &StateDb, id: i64) -> Result<Option<VideoChunkRecord>> {
        let Some(row) = self.db.video_chunk(id)? else { return Ok(None) };
        Ok(Some(VideoChunkRecord {
            row_id: row.row_id,
            blob_id: self.chunk_blob(state, "video_chunks", row.row_id)?,
            file_name: file_name_of(&row.file_path.unwrap_or_default()),
            device_name: row.device_name,
            fps: row.fps.filter(|f| f.is_finite()),
        }))
    }

    /// An `audio_chunks` row as a bundle carries it (its file name and media blob id).
    fn audio_chunk(&self, state: &StateDb, id: i64) -> Result<Option<AudioChunkRecord>> {
        let Some(row) = self.db.audio_chunk(id)? else { return Ok(None) };
        Ok(Some(AudioChunkRecord {
            row_id: row.row_id,
            blob_id: self.chunk_blob(state, "audio_chunks", row.row_id)?,
            file_name: file_name_of(&row.file_path.unwrap_or_default()),
            timestamp: row.timestamp,
            transcription_status: row.transcription_status,
        }))
    }
}
