//! # sync-server
//!
//! The self-hostable sync server of screenpipe's end-to-end encrypted sync: the API of
//! `docs/openapi.yaml` over the formats of `docs/FORMAT.md`. It stores ciphertext, sizes, time
//! ranges and opaque search tokens; it never sees a key, a password or a plaintext, and builds
//! the core without its crypto half.
//!
//! Layers, from the outside in:
//! - [`cli`], [`config`]: the `sync-server` command and its settings.
//! - [`app`]: opening the stores, start and graceful shutdown.
//! - [`serve`]: the connection loop (HTTP/1.1 and HTTP/2, connection limits and timeouts).
//! - [`http`]: the HTTP layer: shared state, the router, one file per route group, errors,
//!   extractors, validation.
//! - [`domain`]: the rules (quotas, device limits, uploads, keys, retention, tiers, Stripe
//!   events, search ranking), written once as plain functions that the HTTP layer and both
//!   stores call.
//! - [`store`]: the metadata and object store traits and their implementations (SQLite or
//!   PostgreSQL; a local directory or S3), which hold only the SQL and the I/O.
//! - [`cleanup`]: the background job (tier retention, abandoned uploads, orphans).
//! - [`stripe`]: webhook signature verification and subscription events.
//! - [`time`]: the server's clock.

pub mod app;
pub mod cleanup;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
mod redact;
pub mod serve;
pub mod store;
pub mod stripe;
pub mod time;

pub use app::{RunningServer, start};
pub use config::Config;
pub use http::AppState;
