//! The search index in PostgreSQL: packed posting lists in `postings` (layout and codec in
//! [`super::super::postings`]). Each operation is a fixed number of statements whatever the
//! number of tokens (arrays through `UNNEST`): reading a search's lists is one query, appending
//! a blob's postings three, removing blobs' postings three.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use futures::{TryStreamExt, pin_mut};
use tokio_postgres::types::ToSql;

use super::super::TokenBytes;
use super::super::columns::array;
use super::super::postings::{self as codec, Bounds, Chunk, Cursor, Tail};
use crate::domain::search::{ListBounds, Posting};
use crate::store::StoreResult;

/// The posting lists of `tokens` for `user_id`, one cursor per token (empty for an unknown
/// one), and their bounds.
pub(super) async fn read(
    client: &impl GenericClient,
    user_id: i64,
    tokens: &[TokenBytes],
) -> StoreResult<(Vec<Cursor>, Option<ListBounds>)> {
    let raw: Vec<&[u8]> = tokens.iter().map(|t| &t[..]).collect();
    let stmt = client
        .prepare_cached(
            "SELECT token, chunk, last_seq, entries, data FROM postings
             WHERE user_id = $1 AND token = ANY($2) ORDER BY token, chunk",
        )
        .await?;
    let mut chunks: HashMap<TokenBytes, Vec<(i64, Vec<u8>)>> = HashMap::new();
    let mut bounds = Bounds::default();
    for row in client.query(&stmt, &[&user_id, &raw]).await? {
        let token: TokenBytes = array(row.try_get(0)?, "token")?;
        let chunk: i64 = row.try_get(1)?;
        bounds.add(chunk, row.try_get(2)?, row.try_get(3)?);
        chunks.entry(token).or_default().push((chunk, row.try_get(4)?));
    }
    Ok((tokens.iter().map(|t| Cursor::new(chunks.remove(t).unwrap_or_default())).collect(), bounds.get()))
}

/// New chunks as the arrays of an `UNNEST` insert.
#[derive(Default)]
struct NewChunks {
    users: Vec<i64>,
    tokens: Vec<Vec<u8>>,
    keys: Vec<i64>,
    last_seqs: Vec<i64>,
    last_ends: Vec<i64>,
    entries: Vec<i64>,
    data: Vec<Vec<u8>>,
}

impl NewChunks {
    fn push(&mut self, user_id: i64, token: &TokenBytes, chunk: Chunk) {
        self.users.push(user_id);
        self.tokens.push(token.to_vec());
        self.keys.push(chunk.chunk);
        self.last_seqs.push(chunk.last_seq);
        self.last_ends.push(chunk.last_end);
        self.entries.push(chunk.entries);
        self.data.push(chunk.data);
    }

    async fn insert(&mut self, client: &impl GenericClient) -> StoreResult<()> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let stmt = client
            .prepare_cached(
                "INSERT INTO postings (user_id, token, chunk, last_seq, last_end, entries, data)
                 SELECT * FROM UNNEST($1::bigint[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bigint[],
                   $6::bigint[], $7::bytea[])",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[&self.users, &self.tokens, &self.keys, &self.last_seqs, &self.last_ends, &self.entries, &self.data],
            )
            .await?;
        *self = NewChunks::default();
        Ok(())
    }
}

/// Rewritten chunks as the arrays of an `UNNEST` update (`data` replaced, or extended when
/// `extend`).
#[derive(Default)]
struct Rewrites {
    tokens: Vec<Vec<u8>>,
    keys: Vec<i64>,
    last_seqs: Vec<i64>,
    last_ends: Vec<i64>,
    entries: Vec<i64>,
    data: Vec<Vec<u8>>,
}

impl Rewrites {
    fn push(&mut self, token: &TokenBytes, key: i64, tail: Tail, data: Vec<u8>) {
        self.tokens.push(token.to_vec());
        self.keys.push(key);
        self.last_seqs.push(tail.last_seq);
        self.last_ends.push(tail.last_end);
        self.entries.push(tail.entries);
        self.data.push(data);
    }

    async fn apply(&self, client: &impl GenericClient, user_id: i64, extend: bool) -> StoreResult<()> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let data = if extend { "p.data || v.data" } else { "v.data" };
        let stmt = client
            .prepare_cached(&format!(
                "UPDATE postings p SET data = {data}, last_seq = v.last_seq, last_end = v.last_end, entries = v.entries
                 FROM UNNEST($2::bytea[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bytea[])
                   AS v(token, chunk, last_seq, last_end, entries, data)
                 WHERE p.user_id = $1 AND p.token = v.token AND p.chunk = v.chunk"
            ))
            .await?;
        let params: [&(dyn ToSql + Sync); 7] =
            [&user_id, &self.tokens, &self.keys, &self.last_seqs, &self.last_ends, &self.entries, &self.data];
        client.execute(&stmt, &params).await?;
        Ok(())
    }
}

/// Appends postings (per token, sorted, after every `seq` already listed), in three statements.
pub(super) async fn append(
    client: &impl GenericClient,
    user_id: i64,
    lists: &[(TokenBytes, Vec<Posting>)],
) -> StoreResult<()> {
    if lists.is_empty() {
        return Ok(());
    }
    let raw: Vec<&[u8]> = lists.iter().map(|(t, _)| &t[..]).collect();
    let stmt = client
        .prepare_cached(
            "SELECT DISTINCT ON (token) token, chunk, last_seq, last_end, entries FROM postings
             WHERE user_id = $1 AND token = ANY($2) ORDER BY token, chunk DESC",
        )
        .await?;
    let mut tails: HashMap<TokenBytes, Tail> = HashMap::new();
    for row in client.query(&stmt, &[&user_id, &raw]).await? {
        let tail = Tail {
            chunk: row.try_get(1)?,
            last_seq: row.try_get(2)?,
            last_end: row.try_get(3)?,
            entries: row.try_get(4)?,
        };
        tails.insert(array(row.try_get(0)?, "token")?, tail);
    }
    let mut extended = Rewrites::default();
    let mut created = NewChunks::default();
    for (token, postings) in lists {
        let plan = codec::plan_append(tails.get(token).copied(), postings);
        if let Some((key, bytes, last)) = plan.extend_tail {
            extended.push(token, key, last, bytes);
        }
        for chunk in plan.new_chunks {
            created.push(user_id, token, chunk);
        }
    }
    extended.apply(client, user_id, true).await?;
    created.insert(client).await
}

/// Removes the postings of `seqs` from each token's list, in three statements.
pub(super) async fn remove(
    client: &impl GenericClient,
    user_id: i64,
    removed: &[(TokenBytes, Vec<i64>)],
) -> StoreResult<()> {
    let mut pair_tokens: Vec<&[u8]> = Vec::new();
    let mut pair_seqs: Vec<i64> = Vec::new();
    for (token, seqs) in removed {
        for seq in seqs {
            pair_tokens.push(&token[..]);
            pair_seqs.push(*seq);
        }
    }
    if pair_seqs.is_empty() {
        return Ok(());
    }
    // The chunk of each (token, seq): the last one starting at or before it.
    let stmt = client
        .prepare_cached(
            "SELECT DISTINCT ON (c.token, c.chunk) c.token, c.chunk, c.data
             FROM UNNEST($2::bytea[], $3::bigint[]) AS v(token, seq)
             CROSS JOIN LATERAL (SELECT token, chunk, data FROM postings
                 WHERE user_id = $1 AND token = v.token AND chunk <= v.seq ORDER BY chunk DESC LIMIT 1) c",
        )
        .await?;
    let seqs_of: HashMap<TokenBytes, &Vec<i64>> = removed.iter().map(|(t, s)| (*t, s)).collect();
    let mut rewritten = Rewrites::default();
    let (mut gone_tokens, mut gone_keys): (Vec<Vec<u8>>, Vec<i64>) = (Vec::new(), Vec::new());
    for row in client.query(&stmt, &[&user_id, &pair_tokens, &pair_seqs]).await? {
        let token: TokenBytes = array(row.try_get(0)?, "token")?;
        let key: i64 = row.try_get(1)?;
        let data: &[u8] = row.try_get(2)?;
        let seqs = seqs_of.get(&token).map(|s| s.as_slice()).unwrap_or_default();
        match codec::remove(key, data, seqs)? {
            Some(kept) => {
                let tail = Tail { chunk: key, last_seq: kept.last_seq, last_end: kept.last_end, entries: kept.entries };
                rewritten.push(&token, key, tail, kept.data);
            }
            None => {
                gone_tokens.push(token.to_vec());
                gone_keys.push(key);
            }
        }
    }
    rewritten.apply(client, user_id, false).await?;
    if !gone_keys.is_empty() {
        let stmt = client
            .prepare_cached(
                "DELETE FROM postings p USING UNNEST($2::bytea[], $3::bigint[]) AS v(token, chunk)
                 WHERE p.user_id = $1 AND p.token = v.token AND p.chunk = v.chunk",
            )
            .await?;
        client.execute(&stmt, &[&user_id, &gone_tokens, &gone_keys]).await?;
    }
    Ok(())
}

/// Builds the posting lists from `blob_tokens` (one row per token and completed blob; migration
/// 3 made each completed blob's `seq` its row id), streamed in order, then drops that table.
pub(super) async fn rebuild_from_rows(tx: &deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
    let params: [&(dyn ToSql + Sync); 0] = [];
    let rows = tx
        .query_raw(
            "SELECT user_id, token, blob_ref, time_start, time_end, type_code FROM blob_tokens
             ORDER BY user_id, token, blob_ref",
            params,
        )
        .await?;
    pin_mut!(rows);
    let mut created = NewChunks::default();
    let mut current: Option<(i64, TokenBytes)> = None;
    let mut list: Vec<Posting> = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let user_id: i64 = row.try_get(0)?;
        let token: TokenBytes = array(row.try_get(1)?, "token")?;
        if current != Some((user_id, token)) {
            if let Some((user, tok)) = current.take() {
                for chunk in codec::pack(&list) {
                    created.push(user, &tok, chunk);
                }
                if created.keys.len() >= 5_000 {
                    created.insert(tx).await?;
                }
            }
            list.clear();
            current = Some((user_id, token));
        }
        list.push(Posting {
            seq: row.try_get(2)?,
            time_start: row.try_get(3)?,
            time_end: row.try_get(4)?,
            type_code: row.try_get(5)?,
        });
    }
    if let Some((user, tok)) = current {
        for chunk in codec::pack(&list) {
            created.push(user, &tok, chunk);
        }
    }
    created.insert(tx).await?;
    tx.batch_execute("DROP TABLE blob_tokens").await?;
    Ok(())
}
