//! Blobs in SQLite: declaring and completing them ([`crate::domain::uploads`] decides), reading
//! one, and the bulk import of completed blobs.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sync_core::wire::Checksum;
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

use super::super::columns::{
    COMPLETE, PENDING, array, blob_state, corrupt, pack_tokens, to_i64, to_u64, type_code, unpack_tokens,
};
use super::super::postings as codec;
use super::super::{BlobMeta, BlobRecord, CompleteOutcome, DeclareOutcome, TokenBytes, UploadLimits};
use super::keys;
use super::postings;
use super::rows::{META_COLUMNS, account_usage, make_meta, read_meta};
use crate::domain::search::Posting;
use crate::domain::uploads::{self, AccountFacts, DeclareDecision, StoredBlob};
use crate::store::StoreResult;
use crate::store::objects::ObjectDigest;

pub(super) fn declare(
    tx: &Transaction<'_>,
    user_id: i64,
    meta: &BlobMeta,
    tokens: &[TokenBytes],
    limits: &UploadLimits,
    now: UnixMillis,
) -> StoreResult<DeclareOutcome> {
    let existing = tx
        .prepare_cached(&format!(
            "SELECT b.id, b.state, {META_COLUMNS} FROM blobs b WHERE b.user_id = ?1 AND b.blob_id = ?2"
        ))?
        .query_row(params![user_id, &meta.blob_id.0[..]], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, read_meta(r, 2)?))
        })
        .optional()?
        .map(|(id, state, raw)| Ok::<_, crate::store::StoreError>((id, blob_state(state), make_meta(raw)?)))
        .transpose()?;
    let facts =
        AccountFacts { current_key: keys::current_key(tx, user_id)?, usage: account_usage(tx, user_id, meta.blob_id)? };
    let decision = uploads::declare(
        existing.as_ref().map(|(_, state, stored)| (*state, stored)),
        meta,
        tokens.len() as u64,
        &facts,
        limits,
    );
    match (decision, &existing) {
        (DeclareDecision::Refresh, Some((id, _, _))) => {
            tx.prepare_cached(
                "UPDATE blobs SET blob_type = ?2, device_id = ?3, time_start = ?4, time_end = ?5,
                   size_bytes = ?6, checksum = ?7, key_id = ?8, tokens = ?9, updated_at = ?10
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                meta.blob_type.as_str(),
                meta.device_id.as_str(),
                meta.time_start.0,
                meta.time_end.0,
                to_i64(meta.size_bytes)?,
                &meta.checksum.0[..],
                &meta.key_id.0[..],
                pack_tokens(tokens),
                now.0
            ])?;
        }
        (DeclareDecision::Insert, _) => {
            tx.prepare_cached(
                "INSERT INTO blobs (user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes,
                   checksum, key_id, tokens, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
            )?
            .execute(params![
                user_id,
                &meta.blob_id.0[..],
                meta.blob_type.as_str(),
                meta.device_id.as_str(),
                meta.time_start.0,
                meta.time_end.0,
                to_i64(meta.size_bytes)?,
                &meta.checksum.0[..],
                &meta.key_id.0[..],
                pack_tokens(tokens),
                PENDING,
                now.0
            ])?;
        }
        _ => {}
    }
    Ok(decision.outcome())
}

pub(super) fn blob(conn: &Connection, user_id: i64, blob_id: BlobId) -> StoreResult<Option<BlobRecord>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT b.state, {META_COLUMNS} FROM blobs b WHERE b.user_id = ?1 AND b.blob_id = ?2"
        ))?
        .query_row(params![user_id, &blob_id.0[..]], |r| Ok((r.get::<_, i64>(0)?, read_meta(r, 1)?)))
        .optional()?;
    row.map(|(state, raw)| Ok(BlobRecord { meta: make_meta(raw)?, state: blob_state(state) })).transpose()
}

pub(super) fn complete(
    tx: &Transaction<'_>,
    user_id: i64,
    blob_id: BlobId,
    device_id: &DeviceId,
    verified: Option<ObjectDigest>,
    storage_limit: u64,
    now: UnixMillis,
) -> StoreResult<CompleteOutcome> {
    let row = tx
        .prepare_cached(
            "SELECT id, state, size_bytes, tokens, time_start, time_end, blob_type, key_id, checksum
             FROM blobs WHERE user_id = ?1 AND blob_id = ?2",
        )?
        .query_row(params![user_id, &blob_id.0[..]], |r| {
            Ok(CompletingRow {
                id: r.get(0)?,
                state: r.get(1)?,
                size: r.get(2)?,
                tokens: r.get(3)?,
                start: r.get(4)?,
                end: r.get(5)?,
                kind: r.get(6)?,
                key_id: r.get(7)?,
                checksum: r.get(8)?,
            })
        })
        .optional()?;
    let blob = row.as_ref().map(CompletingRow::facts).transpose()?;
    let facts =
        AccountFacts { current_key: keys::current_key(tx, user_id)?, usage: account_usage(tx, user_id, blob_id)? };
    let outcome = uploads::complete(blob.as_ref(), verified.as_ref(), &facts, storage_limit);
    let (CompleteOutcome::Completed { storage_used: after }, Some(row)) = (outcome, row) else {
        return Ok(outcome);
    };
    let seq = next_seq(tx, user_id)?;
    tx.prepare_cached("UPDATE blobs SET state = ?2, completed_at = ?3, updated_at = ?3, seq = ?4 WHERE id = ?1")?
        .execute(params![row.id, COMPLETE, now.0, seq])?;
    let code = type_code(row.kind.parse::<BlobType>().map_err(corrupt("blob_type"))?);
    let tokens = unpack_tokens(&row.tokens);
    let posting = Posting { seq, time_start: row.start, time_end: row.end, type_code: code };
    postings::append(tx, user_id, &codec::by_token([(posting, &tokens[..])]))?;
    tx.prepare_cached("UPDATE users SET storage_used = ?2, index_tokens = index_tokens + ?3 WHERE id = ?1")?
        .execute(params![user_id, to_i64(after)?, to_i64(tokens.len() as u64)?])?;
    tx.prepare_cached("UPDATE devices SET last_sync_at = ?3 WHERE user_id = ?1 AND device_id = ?2")?
        .execute(params![user_id, device_id.as_str(), now.0])?;
    Ok(outcome)
}

/// The columns a completion reads of its blob.
struct CompletingRow {
    id: i64,
    state: i64,
    size: i64,
    tokens: Vec<u8>,
    start: i64,
    end: i64,
    kind: String,
    key_id: Vec<u8>,
    checksum: Vec<u8>,
}

impl CompletingRow {
    fn facts(&self) -> StoreResult<StoredBlob> {
        Ok(StoredBlob {
            state: blob_state(self.state),
            size: to_u64(self.size)?,
            tokens: (self.tokens.len() / 16) as u64,
            key_id: KeyId(array(&self.key_id, "key_id")?),
            checksum: Checksum(array(&self.checksum, "checksum")?),
        })
    }
}

/// The account's next completion number.
fn next_seq(tx: &Transaction<'_>, user_id: i64) -> StoreResult<i64> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM blobs WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))?)
}

/// Inserts completed blobs with their tokens, skipping ids that exist; how many were inserted.
pub(super) fn bulk_insert_completed(
    tx: &Transaction<'_>,
    user_id: i64,
    blobs: Vec<(BlobMeta, Vec<TokenBytes>)>,
    now: UnixMillis,
) -> StoreResult<u64> {
    let mut inserted = 0u64;
    let mut added: u64 = 0;
    let mut indexed: u64 = 0;
    let mut seq = next_seq(tx, user_id)?;
    let mut blob = tx.prepare_cached(
        "INSERT OR IGNORE INTO blobs (user_id, blob_id, blob_type, device_id, time_start, time_end, size_bytes,
           checksum, key_id, tokens, state, created_at, updated_at, completed_at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?11, ?11, ?12)",
    )?;
    let mut listed: Vec<(Posting, &[TokenBytes])> = Vec::new();
    for (meta, tokens) in &blobs {
        let n = blob.execute(params![
            user_id,
            &meta.blob_id.0[..],
            meta.blob_type.as_str(),
            meta.device_id.as_str(),
            meta.time_start.0,
            meta.time_end.0,
            to_i64(meta.size_bytes)?,
            &meta.checksum.0[..],
            &meta.key_id.0[..],
            pack_tokens(tokens),
            now.0,
            seq
        ])?;
        if n == 0 {
            continue;
        }
        let posting = Posting {
            seq,
            time_start: meta.time_start.0,
            time_end: meta.time_end.0,
            type_code: type_code(meta.blob_type),
        };
        listed.push((posting, &tokens[..]));
        seq += 1;
        indexed += tokens.len() as u64;
        inserted += 1;
        added = added.saturating_add(meta.size_bytes);
    }
    postings::append(tx, user_id, &codec::by_token(listed))?;
    tx.execute(
        "UPDATE users SET storage_used = storage_used + ?2, index_tokens = index_tokens + ?3 WHERE id = ?1",
        params![user_id, to_i64(added)?, to_i64(indexed)?],
    )?;
    Ok(inserted)
}
