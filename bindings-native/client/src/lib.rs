//! # sync-native
//!
//! The desktop client of screenpipe's end-to-end encrypted sync (DESIGN.md sections 1, 4, 5):
//! read a screenpipe database, encrypt it and upload it; download, decrypt and import it on
//! another device; search the cloud and merge the results with local ones. All cryptography is
//! `sync-core`'s; this crate does the I/O around it.
//!
//! Layers, from the bottom:
//! - [`error`]: [`SyncError`], typed, with a stable code (the core's codes, the server's codes,
//!   and a few of its own).
//! - [`client`]: [`SyncClient`], every server route over reqwest with timeouts, retries with
//!   backoff (network errors and 5xx only), streamed transfers with progress and an optional
//!   bandwidth limit ([`throttle`]).
//! - [`state`]: [`StateDb`], the client's own SQLite file: device id, key version guard,
//!   packaging cursors, pending uploads, uploaded blobs (`sync_state`), pulled blobs.
//! - [`screenpipe`]: screenpipe's schema (what the packager reads and the unpacker writes).
//! - [`packager`]: screenpipe rows to `text` bundles and media files to `frames`/`audio` blobs,
//!   sealed into a staging folder with deterministic blob ids.
//! - [`unpacker`]: bundles into a screenpipe database, idempotently, with row id mapping and
//!   media files.
//! - [`session`]: [`SyncSession`], an unlocked account on this device: init, push, pull, key
//!   changes. Keys live only in memory and are zeroized when the session drops.
//! - [`query`]: [`CloudQuery`], cloud search merged with screenpipe's local search.
//! - [`fixture`]: a realistic screenpipe database and media folder of any size, for tests,
//!   demos and benchmarks.
//! - [`config`]: [`SyncConfig`], every setting, with a TOML file form.
//! - [`service`]: [`SyncService`], background sync on tokio (interval, trigger, status,
//!   backoff with jitter on failures).
//! - `ffi` (feature `uniffi`): the uniffi interface for desktop and mobile apps
//!   (`SyncManager`, the listener callback, the viewer's key and blob functions).
//!
//! The `screenpipe-sync` binary is a thin command-line layer over [`SyncSession`].

pub mod client;
pub mod config;
pub mod error;
pub mod fixture;
pub mod packager;
pub mod progress;
pub mod query;
pub mod screenpipe;
mod segments;
pub mod service;
pub mod session;
pub mod state;
pub mod throttle;
pub mod unpacker;
mod util;
pub use util::process_cpu_seconds;

pub use client::{ClientOptions, SyncClient};
pub use config::{DataTypes, SyncConfig};
pub use error::{Result, SyncError};
pub use progress::{NoProgress, Progress, Stage};
pub use query::{CloudQuery, SearchItem, SearchOptions};
pub use service::{ServiceListener, ServiceOptions, ServiceState, ServiceStatus, SyncInterval, SyncService};
pub use session::{InitOutcome, PullReport, PushReport, StatusReport, SyncSession};
pub use state::StateDb;

#[cfg(feature = "uniffi")]
pub mod ffi;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
