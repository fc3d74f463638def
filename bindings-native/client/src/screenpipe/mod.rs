//! screenpipe's database. **Every SQL statement this client runs against it lives in this
//! folder**:
//!
//! - [`open`]: opening it read-only (the packager, the local search: WAL readers never block
//!   screenpipe's writer) or read-write (the unpacker, with a long busy timeout).
//! - [`tables`]: schema inspection ([`Tables`]): the tables and columns present.
//! - [`generation`]: which screenpipe wrote the database ([`Generation`]: February 2026 or
//!   0.4), from its migrations and its shape; a schema no adapter fully understands is refused
//!   ([`SyncError::UnsupportedSchema`](crate::SyncError::UnsupportedSchema)) before anything
//!   is read or written.
//! - [`reads`]: the reads the packager needs (frames with their text, elements and snapshots,
//!   the other rows, media chunks, the timestamps that date a chunk, pass bounds), in one read
//!   snapshot, per generation.
//! - [`unpacker_writes`]: the writes the unpacker needs (rows, FTS entries where no trigger
//!   fills them, the row id mapping), one transaction per bundle.
//! - [`text_drops`]: `archive --drop-text`'s drops of proven text rows and `restore`'s writing back.
//! - [`evictions`]: the offloaded mark (`evicted_at`) that `archive` sets and `restore` clears.
//! - [`local_search`]: the local search's FTS queries and the oldest record time.
//! - [`imports`]: the client's own table in screenpipe's database, [`IMPORTS_TABLE`]: which
//!   local row holds which record of another device.
//! - [`values`]: conversions between SQLite values and the records' fields.
//!
//! The schemas these are written against are screenpipe's own (`tests/screenpipe/SCHEMA.md`:
//! observed on the real 0.4.50 binary, and the February 2026 migrations); the `sync-fixture`
//! crate writes both for tests.

pub mod evictions;
pub mod generation;
pub mod imports;
pub(crate) mod local_search;
pub mod open;
pub(crate) mod reads;
pub mod tables;
pub(crate) mod text_drops;
pub(crate) mod unpacker_writes;
pub(crate) mod values;

pub use generation::{Generation, Schema, detect};
pub use imports::{IMPORTS_SQL, IMPORTS_TABLE};
pub use open::{open_read_only, open_read_write, prepare_for_writes};
pub use tables::{KNOWN_TABLES, Tables};
