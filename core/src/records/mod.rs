//! The records bundle: the payload of a `text` blob (`docs/FORMAT.md`, "Records bundle").
//!
//! One bundle holds one device's records for one time window: video chunks and frames (with
//! their screen text and snapshot), the frames' elements, audio chunks and their
//! transcriptions, accessibility text, UI events, memories and meetings. Every record carries a
//! stable identity (origin device id + table + local row id), so that importing the same bundle
//! twice creates nothing new.
//!
//! - [`bundle`]: the bundle (v2), its strict, bounded JSON encoding, the identity tables.
//! - [`screen`]: video chunks, frames, snapshots, elements, audio chunks, transcriptions.
//! - [`activity`]: accessibility rows, UI events, memories, meetings.
//! - `v1`: the v1 format, read and upgraded to the v2 model.
//! - `bounds`: the length bound of every string field.
//! - [`timestamps`]: screenpipe's timestamp texts to milliseconds.
//! - [`index`]: the search tokens of a bundle and the client-side match that drops false hits.

pub mod activity;
mod bounds;
pub mod bundle;
pub mod index;
pub mod screen;
pub mod timestamps;
mod v1;

pub use activity::{AccessibilityRecord, MeetingRecord, MemoryRecord, UiEventRecord};
pub use bundle::*;
pub use index::{RecordHit, bundle_tokens, find_hits};
pub use screen::{
    AudioChunkRecord, ElementRecord, FrameRecord, OcrRow, SnapshotRef, TranscriptionRecord, VideoChunkRecord,
};
pub use timestamps::parse_timestamp;

#[cfg(test)]
mod tests;
