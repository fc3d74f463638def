//! Blobs in PostgreSQL: declaring and completing them ([`crate::domain::uploads`] decides) under
//! the account's lock, and reading one.

use deadpool_postgres::GenericClient;
use sync_core::wire::Checksum;
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

use super::super::columns::{COMPLETE, PENDING, array, blob_state, corrupt, pack_tokens, to_i64, to_u64, type_code};
use super::super::{BlobMeta, BlobRecord, CompleteOutcome, DeclareOutcome, TokenBytes, UploadLimits};
use super::keys;
use super::rows::{META_COLUMNS, account_usage, lock_user, row_to_meta, token_params};
use crate::domain::uploads::{self, AccountFacts, DeclareDecision, StoredBlob};
use crate::store::StoreResult;
use crate::store::objects::ObjectDigest;

/// Declares a blob (inside a transaction).
pub(super) async fn declare(
    tx: &impl GenericClient,
    user_id: i64,
    meta: &BlobMeta,
    tokens: &[TokenBytes],
    limits: &UploadLimits,
    now: UnixMillis,
) -> StoreResult<DeclareOutcome> {
    lock_user(tx, user_id).await?;
    let select = tx
        .prepare_cached(&format!(
            "SELECT b.id, b.state, {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.blob_id = $2"
        ))
        .await?;
    let existing = match tx.query_opt(&select, &[&user_id, &&meta.blob_id.0[..]]).await? {
        Some(row) => {
            Some((row.try_get::<_, i64>(0)?, blob_state(i64::from(row.try_get::<_, i16>(1)?)), row_to_meta(&row, 2)?))
        }
        None => None,
    };
    let facts = AccountFacts {
        current_key: keys::current_key(tx, user_id).await?,
        usage: account_usage(tx, user_id, meta.blob_id).await?,
    };
    let decision = uploads::declare(
        existing.as_ref().map(|(_, state, stored)| (*state, stored)),
        meta,
        tokens.len() as u64,
        &facts,
        limits,
    );
    let packed = pack_tokens(tokens);
    let size = to_i64(meta.size_bytes)?;
    match (decision, &existing) {
        (DeclareDecision::Refresh, Some((id, _, _))) => {
            let stmt = tx
                .prepare_cached(
                    "UPDATE blobs SET blob_type = $2, device_id = $3, time_start = $4, time_end = $5,
                       size_bytes = $6, checksum = $7, key_id = $8, tokens = $9, updated_at = $10
                     WHERE id = $1",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    id,
                    &meta.blob_type.as_str(),
                    &meta.device_id.as_str(),
                    &meta.time_start.0,
                    &meta.time_end.0,
                    &size,
                    &&meta.checksum.0[..],
                    &&meta.key_id.0[..],
                    &packed,
                    &now.0,
                ],
            )
            .await?;
        }
        (DeclareDecision::Insert, _) => {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO blobs (user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes,
                       checksum, key_id, tokens, state, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    &user_id,
                    &&meta.blob_id.0[..],
                    &meta.blob_type.as_str(),
                    &meta.device_id.as_str(),
                    &meta.time_start.0,
                    &meta.time_end.0,
                    &size,
                    &&meta.checksum.0[..],
                    &&meta.key_id.0[..],
                    &packed,
                    &PENDING,
                    &now.0,
                ],
            )
            .await?;
        }
        _ => {}
    }
    Ok(decision.outcome())
}

pub(super) async fn blob(
    client: &impl GenericClient,
    user_id: i64,
    blob_id: BlobId,
) -> StoreResult<Option<BlobRecord>> {
    let stmt = client
        .prepare_cached(&format!("SELECT b.state, {META_COLUMNS} FROM blobs b WHERE b.user_id = $1 AND b.blob_id = $2"))
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&user_id, &&blob_id.0[..]]).await? else { return Ok(None) };
    Ok(Some(BlobRecord { meta: row_to_meta(&row, 1)?, state: blob_state(i64::from(row.try_get::<_, i16>(0)?)) }))
}

/// Completes a blob (inside a transaction). The account's lock serialises every completion of
/// the account, in every process: the usage read is the latest, and nothing completes between
/// it and the update.
pub(super) async fn complete(
    tx: &impl GenericClient,
    user_id: i64,
    blob_id: BlobId,
    device_id: &DeviceId,
    verified: Option<ObjectDigest>,
    storage_limit: u64,
    now: UnixMillis,
) -> StoreResult<CompleteOutcome> {
    if !lock_user(tx, user_id).await? {
        return Ok(CompleteOutcome::NotFound);
    }
    let select = tx
        .prepare_cached(
            "SELECT id, state, size_bytes, tokens, time_start, time_end, blob_type, key_id, checksum
             FROM blobs WHERE user_id = $1 AND blob_id = $2",
        )
        .await?;
    let row = tx.query_opt(&select, &[&user_id, &&blob_id.0[..]]).await?;
    let blob = match &row {
        Some(row) => Some(StoredBlob {
            state: blob_state(i64::from(row.try_get::<_, i16>(1)?)),
            size: to_u64(row.try_get(2)?)?,
            tokens: (row.try_get::<_, &[u8]>(3)?.len() / 16) as u64,
            key_id: KeyId(array(row.try_get(7)?, "key_id")?),
            checksum: Checksum(array(row.try_get(8)?, "checksum")?),
        }),
        None => None,
    };
    let facts = AccountFacts {
        current_key: keys::current_key(tx, user_id).await?,
        usage: account_usage(tx, user_id, blob_id).await?,
    };
    let outcome = uploads::complete(blob.as_ref(), verified.as_ref(), &facts, storage_limit);
    let (CompleteOutcome::Completed { storage_used: after }, Some(row)) = (outcome, row) else { return Ok(outcome) };
    let id: i64 = row.try_get(0)?;
    let kind: &str = row.try_get(6)?;
    let code = type_code(kind.parse::<BlobType>().map_err(corrupt("blob_type"))?);
    let (start, end): (i64, i64) = (row.try_get(4)?, row.try_get(5)?);
    let mark =
        tx.prepare_cached("UPDATE blobs SET state = $2, completed_at = $3, updated_at = $3 WHERE id = $1").await?;
    tx.execute(&mark, &[&id, &COMPLETE, &now.0]).await?;
    let index = tx
        .prepare_cached(
            "INSERT INTO blob_tokens (user_id, token, blob_ref, time_start, time_end, type_code)
             SELECT $1, t, $3, $4, $5, $6 FROM UNNEST($2::bytea[]) AS t ON CONFLICT DO NOTHING",
        )
        .await?;
    let tokens = token_params(row.try_get(3)?);
    tx.execute(&index, &[&user_id, &tokens, &id, &start, &end, &code]).await?;
    let usage =
        tx.prepare_cached("UPDATE users SET storage_used = $2, index_tokens = index_tokens + $3 WHERE id = $1").await?;
    tx.execute(&usage, &[&user_id, &to_i64(after)?, &to_i64(tokens.len() as u64)?]).await?;
    let sync = tx.prepare_cached("UPDATE devices SET last_sync_at = $3 WHERE user_id = $1 AND device_id = $2").await?;
    tx.execute(&sync, &[&user_id, &device_id.as_str(), &now.0]).await?;
    Ok(outcome)
}
