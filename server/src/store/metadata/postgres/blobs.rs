//! Blobs in PostgreSQL: declaring and completing them ([`crate::domain::uploads`] decides) under
//! the account's lock, and reading one.

use deadpool_postgres::GenericClient;
use sync_core::wire::Checksum;
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

use super::super::columns::{
    COMPLETE, PENDING, array, blob_state, corrupt, pack_tokens, to_i64, to_u64, type_code, unpack_tokens,
};
use super::super::postings as codec;
use super::super::{BlobMeta, BlobRecord, CompleteOutcome, DeclareOutcome, TokenBytes, UploadLimits};
use super::keys;
use super::postings;
use super::rows::{META_COLUMNS, account_usage, lock_user, row_to_meta};
use crate::domain::search::Posting;
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

/// The account's next completion number (under the account's lock).
async fn next_seq(tx: &impl GenericClient, user_id: i64) -> StoreResult<i64> {
    let stmt = tx.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM blobs WHERE user_id = $1").await?;
    Ok(tx.query_one(&stmt, &[&user_id]).await?.try_get(0)?)
}

/// Inserts completed blobs with their tokens, skipping ids that exist (inside a transaction,
/// under the account's lock); how many were inserted.
pub(super) async fn bulk_insert_completed(
    tx: &impl GenericClient,
    user_id: i64,
    blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
    now: UnixMillis,
) -> StoreResult<u64> {
    lock_user(tx, user_id).await?;
    let first_seq = next_seq(tx, user_id).await?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO blobs (user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes,
               checksum, key_id, tokens, state, created_at, updated_at, completed_at, seq)
             SELECT $1, v.blob_id, v.blob_type, v.device_id, v.time_start, v.time_end, v.size_bytes, v.checksum,
               v.key_id, v.tokens, 1, $2, $2, $2, v.seq
             FROM UNNEST($3::bytea[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
               $9::bytea[], $10::bytea[], $11::bytea[], $12::bigint[])
               AS v(blob_id, blob_type, device_id, time_start, time_end, size_bytes, checksum, key_id, tokens, seq)
             ON CONFLICT (user_id, blob_id) DO NOTHING RETURNING seq",
        )
        .await?;
    let ids: Vec<&[u8]> = blobs.iter().map(|(m, _)| &m.blob_id.0[..]).collect();
    let kinds: Vec<&str> = blobs.iter().map(|(m, _)| m.blob_type.as_str()).collect();
    let devices: Vec<&str> = blobs.iter().map(|(m, _)| m.device_id.as_str()).collect();
    let starts: Vec<i64> = blobs.iter().map(|(m, _)| m.time_start.0).collect();
    let ends: Vec<i64> = blobs.iter().map(|(m, _)| m.time_end.0).collect();
    let sizes: Vec<i64> = blobs.iter().map(|(m, _)| to_i64(m.size_bytes)).collect::<StoreResult<_>>()?;
    let checksums: Vec<&[u8]> = blobs.iter().map(|(m, _)| &m.checksum.0[..]).collect();
    let keys: Vec<&[u8]> = blobs.iter().map(|(m, _)| &m.key_id.0[..]).collect();
    let packed: Vec<Vec<u8>> = blobs.iter().map(|(_, t)| pack_tokens(t)).collect();
    let seqs: Vec<i64> = (0..blobs.len()).map(|i| first_seq + i as i64).collect();
    let inserted: std::collections::HashSet<i64> = tx
        .query(
            &insert,
            &[&user_id, &now.0, &ids, &kinds, &devices, &starts, &ends, &sizes, &checksums, &keys, &packed, &seqs],
        )
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut listed: Vec<(Posting, &[TokenBytes])> = Vec::new();
    let (mut added, mut indexed) = (0u64, 0u64);
    for (i, (meta, tokens)) in blobs.iter().enumerate() {
        let seq = first_seq + i as i64;
        if !inserted.contains(&seq) {
            continue;
        }
        let posting = Posting {
            seq,
            time_start: meta.time_start.0,
            time_end: meta.time_end.0,
            type_code: type_code(meta.blob_type),
        };
        listed.push((posting, &tokens[..]));
        added = added.saturating_add(meta.size_bytes);
        indexed += tokens.len() as u64;
    }
    postings::append(tx, user_id, &codec::by_token(listed)).await?;
    tx.execute(
        "UPDATE users SET storage_used = storage_used + $2, index_tokens = index_tokens + $3 WHERE id = $1",
        &[&user_id, &to_i64(added)?, &to_i64(indexed)?],
    )
    .await?;
    Ok(inserted.len() as u64)
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
    let seq = next_seq(tx, user_id).await?;
    let mark = tx
        .prepare_cached("UPDATE blobs SET state = $2, completed_at = $3, updated_at = $3, seq = $4 WHERE id = $1")
        .await?;
    tx.execute(&mark, &[&id, &COMPLETE, &now.0, &seq]).await?;
    let tokens = unpack_tokens(row.try_get(3)?);
    let posting = Posting { seq, time_start: start, time_end: end, type_code: code };
    postings::append(tx, user_id, &codec::by_token([(posting, &tokens[..])])).await?;
    let usage =
        tx.prepare_cached("UPDATE users SET storage_used = $2, index_tokens = index_tokens + $3 WHERE id = $1").await?;
    tx.execute(&usage, &[&user_id, &to_i64(after)?, &to_i64(tokens.len() as u64)?]).await?;
    let sync = tx.prepare_cached("UPDATE devices SET last_sync_at = $3 WHERE user_id = $1 AND device_id = $2").await?;
    tx.execute(&sync, &[&user_id, &device_id.as_str(), &now.0]).await?;
    Ok(outcome)
}
