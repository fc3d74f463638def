//! Numbered migrations (`migrations/NNNN_*.sql`), recorded in `schema_migrations`; a process
//! applies the missing ones at start, each in its own transaction, under a session advisory
//! lock, so processes starting together do not race. A released migration never changes: the
//! next change is a new file.

use deadpool_postgres::Pool;

use crate::store::{StoreError, StoreResult};

/// The migrations, in order: `(version, SQL)`.
pub const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_index_tokens.sql")),
    (3, include_str!("migrations/0003_postings.sql")),
    (4, include_str!("migrations/0004_retention_choices.sql")),
    (5, include_str!("migrations/0005_pairing.sql")),
];

/// The version a database has once every migration ran.
pub const SCHEMA_VERSION: i32 = 5;

/// Key of the advisory lock held while migrating (any constant; "spsync" in ASCII).
const MIGRATION_LOCK: i64 = 0x7370_7379_6e63;

/// Applies the migrations the database lacks.
pub(super) async fn migrate(pool: &Pool) -> StoreResult<()> {
    let mut client = pool.get().await?;
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await?;
    let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .await?;
        let current: i32 =
            client.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.try_get(0)?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let tx = client.transaction().await?;
            tx.batch_execute(sql).await?;
            // Migration 3 ends in Rust: packing the search index into posting lists.
            if *version == 3 {
                super::postings::rebuild_from_rows(&tx).await?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &crate::time::now_ms().0],
            )
            .await?;
            tx.commit().await?;
            tracing::info!(version, "database migration applied");
        }
        Ok::<(), StoreError>(())
    }
    .await;
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await?;
    result
}

/// The schema version of the database (the highest applied migration).
pub(super) async fn schema_version(pool: &Pool) -> StoreResult<i32> {
    let client = pool.get().await?;
    Ok(client.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.try_get(0)?)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// Databases have applied these exact texts: a released migration is never edited (the
    /// next change is a new file), and 0001 is byte for byte the schema of the store before
    /// its migrations moved to files.
    #[test]
    fn released_migrations_never_change() {
        let pinned = [
            (1, "72d1edde8991574a4a65a911ecda2a48f82661222294461a758a31a876b75023"),
            (2, "d4692984845fc326f35b5e0079b592959f70d7aea2c22c605784de8269cd5d40"),
            (3, "3e0b16b56a0395f805e01076f5b856d98cb29d8a9dbea932209c0d55def974b8"),
            (4, "2ba62c00b904bdce9303ea33f2d7f82db6473efc45d7e363a47a2e265fe70ec5"),
            (5, "136eb53f44712d6894f3d5c95997d4117cb6fc020c7dbe73c6c4a9e2e1ff6db6"),
        ];
        assert_eq!(MIGRATIONS.len(), pinned.len());
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
        for ((version, sql), (pinned_version, hash)) in MIGRATIONS.iter().zip(pinned) {
            assert_eq!(*version, pinned_version);
            assert_eq!(sync_core::encoding::hex::encode(&Sha256::digest(sql.as_bytes())), hash, "migration {version}");
        }
    }
}
