//! The SQLite schema's migrations (`migrations/NNNN_*.sql`) and the version the database
//! records in `PRAGMA user_version`.
//!
//! Databases created before versions were recorded hold version 0 and the tables of
//! `0001_init.sql`, which is idempotent (`CREATE ... IF NOT EXISTS`): at version 0 it runs and
//! the version becomes 1. Every later migration runs once, in its own immediate transaction
//! that re-reads the version first and records the new one, so two processes opening the same
//! file apply it once. A released migration never changes: the next change is a new file. A
//! migration may finish with a step in Rust, in the same transaction (3 packs the search index
//! into posting lists, which SQL cannot encode).

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::store::StoreResult;

/// A step of a migration written in Rust, run after its SQL in the same transaction.
pub type Step = fn(&Transaction<'_>) -> StoreResult<()>;

/// The migrations, in order: `(version, SQL)`.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_index_tokens.sql")),
    (3, include_str!("migrations/0003_postings.sql")),
    (4, include_str!("migrations/0004_retention_choices.sql")),
    (5, include_str!("migrations/0005_pairing.sql")),
];

/// The Rust steps of migrations, by version.
const STEPS: &[(i64, Step)] = &[(3, super::postings::rebuild_from_rows)];

/// The version a database has once every migration ran.
pub const SCHEMA_VERSION: i64 = 5;

/// The version `conn`'s database records.
pub fn schema_version(conn: &Connection) -> StoreResult<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Applies the migrations the database lacks, up to `target` (every one: [`SCHEMA_VERSION`]).
pub fn migrate(conn: &mut Connection, target: i64) -> StoreResult<()> {
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= target) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if schema_version(&tx)? < *version {
            tx.execute_batch(sql)?;
            for (_, step) in STEPS.iter().filter(|(v, _)| v == version) {
                step(&tx)?;
            }
            tx.pragma_update(None, "user_version", version)?;
            tracing::info!(version, "database migration applied");
        }
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// Databases have applied these exact texts: a released migration is never edited.
    #[test]
    fn released_migrations_never_change() {
        let pinned = [
            (1, "d08b1a1491485144fba9099fbff4320080cf7a2f773239ebf1dd7c3a08a46510"),
            (2, "db64785f479367377c794c5555adf3463e011a20710c394e38626bfe4dae94d5"),
            (3, "ceca25ab47bf3be4c66c9f144b92423ac42b26dd7c416a4cad9303e7c34989f8"),
            (4, "c73d6585830e8ecabaeed22f34c634fba76a3ea684f86af845dd264a7fa46c73"),
            (5, "898854bea478906df953ba7cf02ed8a6f2d51948b3aa207b28ec3ccb01e87aba"),
        ];
        assert_eq!(MIGRATIONS.len(), pinned.len());
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
        for ((version, sql), (pinned_version, hash)) in MIGRATIONS.iter().zip(pinned) {
            assert_eq!(*version, pinned_version);
            assert_eq!(sync_core::encoding::hex::encode(&Sha256::digest(sql.as_bytes())), hash, "migration {version}");
        }
    }

    #[test]
    fn versions_are_recorded_and_applied_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 0);
        migrate(&mut conn, 1).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 1);
        migrate(&mut conn, SCHEMA_VERSION).unwrap();
        migrate(&mut conn, SCHEMA_VERSION).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        let columns: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'index_tokens'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(columns, 1);
    }
}
