//! screenpipe's database. **Every SQL statement this client runs against it lives in this
//! folder**:
//!
//! - [`open`]: opening it read-only (the packager, the local search: WAL readers never block
//!   screenpipe's writer) or read-write (the unpacker, with a long busy timeout).
//! - [`tables`]: schema inspection ([`Tables`]): real databases differ by screenpipe version,
//!   so every read and write uses only the tables and columns present.
//! - [`packager_reads`]: the reads the packager needs (rows past the cursors, media chunks, the
//!   timestamps that date a chunk, pass bounds), in one read snapshot.
//! - [`unpacker_writes`]: the writes the unpacker needs (rows, FTS entries where no trigger
//!   fills them, the row id mapping), one transaction per bundle.
//! - [`local_search`]: the local search's FTS queries and the oldest record time.
//! - [`imports`]: the client's own table in screenpipe's database, [`IMPORTS_TABLE`]: which
//!   local row holds which record of another device.
//! - [`values`]: conversions between SQLite values and the records' fields.
//!
//! The schema these are written against is screenpipe's after its migrations (tables, the FTS5
//! tables `frames_fts`, `ocr_text_fts`, `audio_transcriptions_fts`, `accessibility_fts`,
//! `ui_events_fts`, and the `AFTER INSERT` triggers that fill them); the `sync-fixture` crate
//! writes it for tests.

pub mod imports;
pub(crate) mod local_search;
pub mod open;
pub(crate) mod packager_reads;
pub mod tables;
pub(crate) mod unpacker_writes;
pub(crate) mod values;

pub use imports::{IMPORTS_SQL, IMPORTS_TABLE};
pub use open::{open_read_only, open_read_write};
pub use tables::{KNOWN_TABLES, Tables};
