//! The records bundle: the payload of a `text` blob (`docs/FORMAT.md`, "Records bundle").
//!
//! One bundle holds one device's records for one time window: video chunks and their frames
//! with OCR text, audio chunks and their transcriptions, accessibility text and UI events.
//! Every record carries a stable identity (origin device id + table + local row id), so that
//! importing the same bundle twice creates nothing new.
//!
//! - [`bundle`]: the versioned types and their strict, bounded JSON encoding.
//! - [`timestamps`]: screenpipe's timestamp texts to milliseconds.
//! - [`index`]: the search tokens of a bundle and the client-side match that drops false hits.

pub mod bundle;
pub mod index;
pub mod timestamps;

pub use bundle::*;
pub use index::{RecordHit, bundle_tokens, find_hits};
pub use timestamps::parse_timestamp;
