//! Storage behind two traits: [`metadata::MetadataStore`] (accounts, devices, keys, blob index,
//! search tokens) and [`objects::ObjectStore`] (the ciphertext objects).
//!
//! The embedded default is [`metadata::sqlite::SqliteMetadata`] (one SQLite file) and
//! [`objects::local::LocalObjects`] (a directory, with server-signed URLs). A PostgreSQL
//! metadata store and an S3-compatible object store (presigned URLs) implement the same traits;
//! the HTTP layer only sees the traits. The rules the stores apply inside their transactions
//! live in [`crate::domain`]; the stores hold the SQL.

mod error;
pub mod metadata;
pub mod objects;

pub use crate::domain::model::ObjectKey;
pub use error::{StoreError, StoreResult};
