//! The search index in SQLite: packed posting lists in `postings` (layout and codec in
//! [`super::super::postings`]), read, appended to, rewritten on removals, and built once from
//! the index of one row per token and blob that databases kept before (`blob_tokens`).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::super::TokenBytes;
use super::super::columns::array;
use super::super::postings::{self as codec, Bounds, Chunk, Cursor, Tail};
use crate::domain::search::{ListBounds, Posting};
use crate::store::StoreResult;

/// The posting lists of `tokens` for `user_id`, one cursor per token (empty for an unknown
/// one), and their bounds.
pub(super) fn read(
    conn: &Connection,
    user_id: i64,
    tokens: &[TokenBytes],
) -> StoreResult<(Vec<Cursor>, Option<ListBounds>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT chunk, last_seq, entries, data FROM postings WHERE user_id = ?1 AND token = ?2 ORDER BY chunk",
    )?;
    let mut lists = Vec::with_capacity(tokens.len());
    let mut bounds = Bounds::default();
    for token in tokens {
        let mut chunks = Vec::new();
        let mut rows = stmt.query(params![user_id, &token[..]])?;
        while let Some(row) = rows.next()? {
            let chunk: i64 = row.get(0)?;
            bounds.add(chunk, row.get(1)?, row.get(2)?);
            chunks.push((chunk, row.get::<_, Vec<u8>>(3)?));
        }
        lists.push(Cursor::new(chunks));
    }
    Ok((lists, bounds.get()))
}

fn insert(tx: &Transaction<'_>, user_id: i64, token: &TokenBytes, chunk: &Chunk) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO postings (user_id, token, chunk, last_seq, last_end, entries, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![user_id, &token[..], chunk.chunk, chunk.last_seq, chunk.last_end, chunk.entries, &chunk.data])?;
    Ok(())
}

fn update(tx: &Transaction<'_>, user_id: i64, token: &TokenBytes, chunk: &Chunk) -> StoreResult<()> {
    tx.prepare_cached(
        "UPDATE postings SET last_seq = ?4, last_end = ?5, entries = ?6, data = ?7
         WHERE user_id = ?1 AND token = ?2 AND chunk = ?3",
    )?
    .execute(params![
        user_id,
        &token[..],
        chunk.chunk,
        chunk.last_seq,
        chunk.last_end,
        chunk.entries,
        &chunk.data
    ])?;
    Ok(())
}

/// Appends postings (per token, sorted, after every `seq` already listed).
pub(super) fn append(tx: &Transaction<'_>, user_id: i64, lists: &[(TokenBytes, Vec<Posting>)]) -> StoreResult<()> {
    for (token, postings) in lists {
        let tail = tx
            .prepare_cached(
                "SELECT chunk, last_seq, last_end, entries, data FROM postings
                 WHERE user_id = ?1 AND token = ?2 ORDER BY chunk DESC LIMIT 1",
            )?
            .query_row(params![user_id, &token[..]], |r| {
                Ok(Chunk {
                    chunk: r.get(0)?,
                    last_seq: r.get(1)?,
                    last_end: r.get(2)?,
                    entries: r.get(3)?,
                    data: r.get(4)?,
                })
            })
            .optional()?;
        let meta = tail.as_ref().map(|c| Tail {
            chunk: c.chunk,
            last_seq: c.last_seq,
            last_end: c.last_end,
            entries: c.entries,
        });
        let plan = codec::plan_append(meta, postings);
        if let (Some((_, bytes, last)), Some(mut chunk)) = (plan.extend_tail, tail) {
            chunk.data.extend_from_slice(&bytes);
            chunk.last_seq = last.last_seq;
            chunk.last_end = last.last_end;
            chunk.entries = last.entries;
            update(tx, user_id, token, &chunk)?;
        }
        for chunk in &plan.new_chunks {
            insert(tx, user_id, token, chunk)?;
        }
    }
    Ok(())
}

/// Removes the postings of `seqs` from each token's list.
pub(super) fn remove(tx: &Transaction<'_>, user_id: i64, removed: &[(TokenBytes, Vec<i64>)]) -> StoreResult<()> {
    for (token, seqs) in removed {
        // The chunk of each seq: the last one starting at or before it.
        let mut by_chunk: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
        for seq in seqs {
            let chunk: Option<i64> = tx
                .prepare_cached(
                    "SELECT chunk FROM postings WHERE user_id = ?1 AND token = ?2 AND chunk <= ?3
                     ORDER BY chunk DESC LIMIT 1",
                )?
                .query_row(params![user_id, &token[..], seq], |r| r.get(0))
                .optional()?;
            if let Some(chunk) = chunk {
                by_chunk.entry(chunk).or_default().push(*seq);
            }
        }
        for (chunk, seqs) in by_chunk {
            let data: Vec<u8> = tx
                .prepare_cached("SELECT data FROM postings WHERE user_id = ?1 AND token = ?2 AND chunk = ?3")?
                .query_row(params![user_id, &token[..], chunk], |r| r.get(0))?;
            match codec::remove(chunk, &data, &seqs)? {
                Some(kept) => update(tx, user_id, token, &kept)?,
                None => {
                    tx.prepare_cached("DELETE FROM postings WHERE user_id = ?1 AND token = ?2 AND chunk = ?3")?
                        .execute(params![user_id, &token[..], chunk])?;
                }
            }
        }
    }
    Ok(())
}

/// Builds the posting lists from `blob_tokens` (one row per token and completed blob, in
/// `(user_id, token, blob_ref)` order; migration 3 made each completed blob's `seq` its row id),
/// then drops that table.
pub(super) fn rebuild_from_rows(tx: &Transaction<'_>) -> StoreResult<()> {
    {
        let mut stmt = tx.prepare(
            "SELECT user_id, token, blob_ref, time_start, time_end, type_code FROM blob_tokens
             ORDER BY user_id, token, blob_ref",
        )?;
        let mut rows = stmt.query([])?;
        let mut current: Option<(i64, TokenBytes)> = None;
        let mut list: Vec<Posting> = Vec::new();
        while let Some(row) = rows.next()? {
            let user_id: i64 = row.get(0)?;
            let token: TokenBytes = array(&row.get::<_, Vec<u8>>(1)?, "token")?;
            if current != Some((user_id, token)) {
                if let Some((user, tok)) = current.take() {
                    for chunk in codec::pack(&list) {
                        insert(tx, user, &tok, &chunk)?;
                    }
                }
                list.clear();
                current = Some((user_id, token));
            }
            list.push(Posting {
                seq: row.get(2)?,
                time_start: row.get(3)?,
                time_end: row.get(4)?,
                type_code: row.get(5)?,
            });
        }
        if let Some((user, tok)) = current {
            for chunk in codec::pack(&list) {
                insert(tx, user, &tok, &chunk)?;
            }
        }
    }
    tx.execute_batch("DROP TABLE blob_tokens")?;
    Ok(())
}
