//! The schemas: SQLite's first migration produces exactly the tables of databases created
//! before the migrations moved to `.sql` files (`tests/fixtures/sqlite_schema.txt`), such a
//! database opens, is upgraded in place to the current schema and serves as before, each
//! migration runs once (the version in `PRAGMA user_version`), and PostgreSQL records its
//! schema version once.

use sync_core::wire::SyncTier;
use sync_core::{BlobId, BlobType};
use sync_server::domain::accounts::hash_token;
use sync_server::store::metadata::postgres::{PostgresMetadata, migrate as postgres_migrate};
use sync_server::store::metadata::sqlite::{SqliteMetadata, migrate};
use sync_server::store::metadata::{BlobFilter, BlobState, MetadataStore};

use crate::*;

/// `(type, name, table, sql)` rows of the fixture.
fn fixture() -> Vec<(String, String, String, String)> {
    let text = include_str!("../fixtures/sqlite_schema.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.splitn(4, '\t').collect();
            assert_eq!(parts.len(), 4, "{l}");
            (parts[0].into(), parts[1].into(), parts[2].into(), parts[3].replace("\\n", "\n"))
        })
        .collect()
}

fn sqlite_master(path: &std::path::Path) -> Vec<(String, String, String, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<String>>(3)?.unwrap_or_default())))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn sqlite_migrations_make_the_tables_of_existing_databases() {
    // The first migration alone: the tables of existing databases.
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.sqlite3");
    let mut conn = rusqlite::Connection::open(&first).unwrap();
    migrate::migrate(&mut conn, 1).unwrap();
    drop(conn);
    assert_eq!(sqlite_master(&first), fixture());
    // Every migration: the current schema, at the current version.
    let (store, dir) = sqlite();
    drop(store);
    let path = dir.path().join("metadata.sqlite3");
    let current = sqlite_master(&path);
    assert_ne!(current, fixture());
    assert_eq!(migrate::schema_version(&rusqlite::Connection::open(&path).unwrap()).unwrap(), migrate::SCHEMA_VERSION);
    // Opening again applies nothing new.
    drop(SqliteMetadata::open(&path).unwrap());
    assert_eq!(sqlite_master(&path), current);
}

#[tokio::test]
async fn a_database_created_before_the_migrations_opens_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.sqlite3");
    {
        // The schema as the store created it before (the fixture's statements), with rows
        // written as it wrote them.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mut statements: Vec<_> = fixture().into_iter().filter(|row| !row.3.is_empty()).collect();
        // Tables before their indexes.
        statements.sort_by_key(|row| row.0 != "table");
        for (_, _, _, sql) in statements {
            conn.execute_batch(&sql).unwrap();
        }
        let token = tok("kept");
        conn.execute(
            "INSERT INTO users (id, email, token_hash, tier, created_at, storage_used) VALUES (7, 'old@example.com', ?1, 'pro', 1, 300)",
            [&hash_token("old token")[..]],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO blobs (id, user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes, checksum,
               key_id, tokens, state, created_at, updated_at, completed_at)
             VALUES (1, 7, ?1, 'text', 'd1', 10, 20, 300, ?2, ?3, ?4, 1, 5, 5, 5)",
            rusqlite::params![&[1u8; 16][..], &[2u8; 32][..], &[3u8; 16][..], &token[..]],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO blob_tokens (user_id, token, blob_ref, time_start, time_end, type_code) VALUES (7, ?1, 1, 10, 20, 0)",
            [&token[..]],
        )
        .unwrap();
    }
    let store = SqliteMetadata::open(&path).unwrap();
    // Upgraded in place: the version recorded, the old blob's token counted.
    assert_eq!(migrate::schema_version(&rusqlite::Connection::open(&path).unwrap()).unwrap(), migrate::SCHEMA_VERSION);
    assert_eq!(store.usage(7).await.unwrap().index_tokens, 1);
    let user = store.user_by_token_hash(hash_token("old token")).await.unwrap().unwrap();
    assert_eq!((user.id, user.tier), (7, SyncTier::Pro));
    let record = store.blob(7, BlobId([1; 16])).await.unwrap().unwrap();
    assert_eq!(
        (record.state, record.meta.blob_type, record.meta.size_bytes),
        (BlobState::Complete, BlobType::Text, 300)
    );
    let (hits, total) = store.search(7, vec![tok("kept")], BlobFilter::default(), 10).await.unwrap();
    assert_eq!((hits.len(), total), (1, 1));
    assert_eq!(store.usage(7).await.unwrap().text_bytes, 300);
    // It takes new writes next to the old rows.
    register(&store, &user, "d1").await;
    stored(&store, &user, &meta(9, BlobType::Audio, 0, 100, "d1"), &["kept"], at(1)).await;
    assert_eq!(store.storage_used(7).await.unwrap(), 400);
    assert_eq!(store.search(7, vec![tok("kept")], BlobFilter::default(), 10).await.unwrap().1, 2);
    assert_eq!(store.usage(7).await.unwrap().index_tokens, 2);
    drop(store);
    // The schema of a database created now.
    let (fresh, fresh_dir) = sqlite();
    drop(fresh);
    assert_eq!(sqlite_master(&path), sqlite_master(&fresh_dir.path().join("metadata.sqlite3")));
}

#[tokio::test]
async fn postgres_records_its_schema_version_once() {
    if !common::scale_backend() {
        return;
    }
    let url = common::fresh_database().await;
    let first = PostgresMetadata::connect(&url, 2).await.unwrap();
    let version = first.schema_version().await.unwrap();
    assert_eq!(version, postgres_migrate::SCHEMA_VERSION);
    let ann = user(&first, "ann@example.com", SyncTier::Pro).await;
    // Processes starting together: each finds the schema current and the data intact.
    let (a, b) = tokio::join!(PostgresMetadata::connect(&url, 2), PostgresMetadata::connect(&url, 2));
    for store in [a.unwrap(), b.unwrap()] {
        assert_eq!(store.schema_version().await.unwrap(), version);
        assert_eq!(store.user_by_email("ann@example.com").await.unwrap(), Some(ann.clone()));
        assert_eq!(store.pool_status().1, 2);
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(connection);
    let applied: i64 = client.query_one("SELECT COUNT(*) FROM schema_migrations", &[]).await.unwrap().get(0);
    assert_eq!(applied, i64::from(version));
    drop(client);
    let _ = task.await;
}

/// A PostgreSQL database at schema version 1 with rows in it is upgraded in place: the search
/// tokens of its completed blobs are counted, and it serves as before.
#[tokio::test]
async fn postgres_upgrades_an_existing_database_in_place() {
    if !common::scale_backend() {
        return;
    }
    let url = common::fresh_database().await;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(connection);
    let (version, first) = postgres_migrate::MIGRATIONS[0];
    assert_eq!(version, 1);
    client.batch_execute(first).await.unwrap();
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 0);",
        )
        .await
        .unwrap();
    let token = tok("kept");
    client
        .execute(
            "INSERT INTO users (id, email, token_hash, tier, created_at, storage_used) VALUES (7, 'old@example.com', $1, 'pro', 1, 300)",
            &[&&hash_token("old token")[..]],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO blobs (id, user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes, checksum,
               key_id, tokens, state, created_at, updated_at, completed_at)
             VALUES (1, 7, $1, 'text', 'd1', 10, 20, 300, $2, $3, $4, 1, 5, 5, 5)",
            &[&&[1u8; 16][..], &&[2u8; 32][..], &&[3u8; 16][..], &&token[..]],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO blob_tokens (user_id, token, blob_ref, time_start, time_end, type_code) VALUES (7, $1, 1, 10, 20, 0)",
            &[&&token[..]],
        )
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    let store = PostgresMetadata::connect(&url, 2).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), postgres_migrate::SCHEMA_VERSION);
    assert_eq!(store.usage(7).await.unwrap().index_tokens, 1);
    let (hits, total) = store.search(7, vec![tok("kept")], BlobFilter::default(), 10).await.unwrap();
    assert_eq!((hits.len(), total), (1, 1));
    assert_eq!(store.storage_used(7).await.unwrap(), 300);
}
