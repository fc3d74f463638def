//! Storage behind two traits: [`metadata::MetadataStore`] (accounts, devices, keys, blob index,
//! search tokens) and [`objects::ObjectStore`] (the ciphertext objects).
//!
//! The embedded default is [`metadata::sqlite::SqliteMetadata`] (one SQLite file) and
//! [`objects::local::LocalObjects`] (a directory, with server-signed URLs). A PostgreSQL
//! metadata store and an S3-compatible object store (presigned URLs) implement the same traits;
//! the routes only see the traits.

pub mod metadata;
pub mod objects;

use std::fmt;

use sync_core::BlobId;

/// A storage fault (I/O, database, corrupt row). Never caused by client input.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(String),
    /// The file system failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A blocking task was cancelled or panicked.
    #[error("background task failed: {0}")]
    Task(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> StoreError {
        StoreError::Database(err.to_string())
    }
}

impl From<tokio::task::JoinError> for StoreError {
    fn from(err: tokio::task::JoinError) -> StoreError {
        StoreError::Task(err.to_string())
    }
}

/// Result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Names one stored object: a user's blob. Blob ids are scoped per user, so two users' blobs
/// never share an object even with the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// The owner's internal id.
    pub user_id: i64,
    /// The blob.
    pub blob_id: BlobId,
}

impl ObjectKey {
    /// The key's path form, `USER_ID/BLOB_ID_HEX`, as it appears in URLs and object stores.
    pub fn path(&self) -> String {
        format!("{}/{}", self.user_id, self.blob_id.to_hex())
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}
