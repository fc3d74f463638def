//! # sync-server
//!
//! The self-hostable sync server of screenpipe's end-to-end encrypted sync (DESIGN.md
//! section 5). It stores ciphertext, sizes, time ranges and opaque search tokens; it never
//! sees a key, a password or a plaintext, and builds the core without its crypto half.
//!
//! - [`cli`], [`config`]: the `sync-server` command and its settings.
//! - [`app`]: wiring, start and graceful shutdown.
//! - [`routes`]: the HTTP API under `/api/sync`, signed object URLs, `/openapi.yaml`, the
//!   static viewer.
//! - [`auth`], [`json`], [`errors`], [`request_id`]: request handling shared by routes.
//! - [`signed_url`]: HMAC-signed, expiring URLs of the local object store.
//! - [`store`]: the metadata and object store traits and their embedded implementations
//!   (SQLite, local directory).
//! - [`stripe`]: webhook signature verification and subscription events.
//! - [`retention`]: the cleanup job (tier retention, abandoned uploads).

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod errors;
pub mod json;
pub mod request_id;
pub mod retention;
pub mod routes;
pub mod signed_url;
pub mod store;
pub mod stripe;
pub mod time;

pub use app::{AppState, RunningServer, start};
pub use config::Config;
