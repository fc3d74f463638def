//! [`StoreError`]: a storage fault, with the error that caused it as its source.

/// A storage fault (database, object store, file system, corrupt row). Never caused by client
/// input; the HTTP layer answers it as `500 INTERNAL` and logs it with its sources.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed (the message names the SQLSTATE and the server's message, which the
    /// driver's own `Display` leaves to its source).
    #[error("postgres: {}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be taken from the pool.
    #[error("postgres pool: {0}")]
    Pool(#[source] deadpool_postgres::PoolError),
    /// The PostgreSQL pool could not be built.
    #[error("postgres pool: {0}")]
    PoolBuild(#[from] deadpool_postgres::BuildError),
    /// The PostgreSQL connection string does not parse.
    #[error("invalid database URL: {0}")]
    DatabaseUrl(#[source] tokio_postgres::Error),
    /// The S3-compatible object store failed.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// The file system failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The operating system's random number generator failed.
    #[error("no randomness: {0}")]
    Random(#[from] getrandom::Error),
    /// A stored value could not be read back (or a value cannot be stored).
    #[error("corrupt stored value: {what}")]
    Corrupt {
        /// Which value, and what is wrong with it.
        what: String,
        /// The parse error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A blocking task was cancelled or panicked.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl StoreError {
    /// A corrupt value without an underlying error.
    pub fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::Corrupt { what: what.into(), source: None }
    }

    /// A corrupt value, with the error that refused it.
    pub fn corrupt_with(what: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Corrupt { what: what.into(), source: Some(Box::new(source)) }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> StoreError {
        match err {
            deadpool_postgres::PoolError::Backend(e) => StoreError::Postgres(e),
            other => StoreError::Pool(other),
        }
    }
}

/// `Display` of a PostgreSQL server error is only "db error": name its code and message.
fn postgres_message(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(e) => format!("{}: {}", e.code().code(), e.message()),
        None => err.to_string(),
    }
}

/// Result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn sources_are_kept() {
        let sqlite = StoreError::from(rusqlite::Error::QueryReturnedNoRows);
        assert!(sqlite.source().is_some_and(|s| s.is::<rusqlite::Error>()));
        assert_eq!(sqlite.to_string(), "sqlite: Query returned no rows");
        let io = StoreError::from(std::io::Error::other("disk"));
        assert!(io.source().is_some_and(|s| s.is::<std::io::Error>()));
        let parse = "x".parse::<i64>().map_err(|e| StoreError::corrupt_with("size: not a number", e));
        let parse = parse.err().map(|e| (e.to_string(), e.source().is_some()));
        assert_eq!(parse, Some(("corrupt stored value: size: not a number".to_owned(), true)));
        assert!(StoreError::corrupt("x").source().is_none());
        let url = "postgres://h:port/db".parse::<tokio_postgres::Config>().map_err(StoreError::DatabaseUrl);
        assert!(url.err().is_some_and(|e| e.source().is_some_and(|s| s.is::<tokio_postgres::Error>())));
    }
}
