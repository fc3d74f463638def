//! Pairing mailboxes in SQLite: each call one immediate transaction that loads the mailbox,
//! asks [`crate::domain::pairing`] and applies the answer.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sync_core::UnixMillis;
use sync_core::wire::pair::PairDelivery;

use async_trait::async_trait;

use super::super::columns::array;
use super::super::{PairMailboxes, PairResult, TokenHash};
use super::SqliteMetadata;
use crate::domain::pairing::{self as rules, Mailbox, PairRefusal};
use crate::store::{StoreError, StoreResult};

type Outcome<T> = PairResult<T>;

fn load(conn: &Connection, user_id: i64, mailbox: u16) -> StoreResult<Option<Mailbox>> {
    let row = conn
        .prepare_cached(
            "SELECT initiator, joiner, expires_at, posted FROM pair_mailboxes WHERE user_id = ?1 AND mailbox = ?2",
        )?
        .query_row(params![user_id, mailbox], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<Vec<u8>>>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
        })
        .optional()?;
    let Some((initiator, joiner, expires_at, posted)) = row else { return Ok(None) };
    Ok(Some(Mailbox {
        initiator: array(&initiator, "pair initiator")?,
        joiner: joiner.map(|j| array(&j, "pair joiner")).transpose()?,
        expires_at: UnixMillis(expires_at),
        posted: u32::try_from(posted).map_err(|e| StoreError::corrupt_with("pair posted", e))?,
    }))
}

fn delete(tx: &Transaction<'_>, user_id: i64, mailbox: u16) -> StoreResult<()> {
    tx.prepare_cached("DELETE FROM pair_messages WHERE user_id = ?1 AND mailbox = ?2")?
        .execute(params![user_id, mailbox])?;
    tx.prepare_cached("DELETE FROM pair_mailboxes WHERE user_id = ?1 AND mailbox = ?2")?
        .execute(params![user_id, mailbox])?;
    Ok(())
}

pub(super) fn open(
    tx: &Transaction<'_>,
    user_id: i64,
    initiator: TokenHash,
    pick: u32,
    now: UnixMillis,
    expires_at: UnixMillis,
) -> Outcome<u16> {
    tx.prepare_cached(
        "DELETE FROM pair_messages WHERE user_id = ?1 AND mailbox IN
         (SELECT mailbox FROM pair_mailboxes WHERE user_id = ?1 AND expires_at <= ?2)",
    )?
    .execute(params![user_id, now.0])?;
    tx.prepare_cached("DELETE FROM pair_mailboxes WHERE user_id = ?1 AND expires_at <= ?2")?
        .execute(params![user_id, now.0])?;
    let open: Vec<u16> = tx
        .prepare_cached("SELECT mailbox FROM pair_mailboxes WHERE user_id = ?1")?
        .query_map([user_id], |r| r.get::<_, u16>(0))?
        .collect::<rusqlite::Result<_>>()?;
    let number = match rules::choose_number(&open, pick) {
        Ok(n) => n,
        Err(refusal) => return Ok(Err(refusal)),
    };
    tx.prepare_cached(
        "INSERT INTO pair_mailboxes (user_id, mailbox, initiator, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, number, &initiator[..], now.0, expires_at.0])?;
    Ok(Ok(number))
}

pub(super) fn join(
    tx: &Transaction<'_>,
    user_id: i64,
    mailbox: u16,
    joiner: TokenHash,
    now: UnixMillis,
) -> Outcome<UnixMillis> {
    let found = load(tx, user_id, mailbox)?;
    if let Err(refusal) = rules::join(found.as_ref(), now) {
        return Ok(Err(refusal));
    }
    tx.prepare_cached("UPDATE pair_mailboxes SET joiner = ?3 WHERE user_id = ?1 AND mailbox = ?2")?
        .execute(params![user_id, mailbox, &joiner[..]])?;
    Ok(Ok(found.map(|m| m.expires_at).unwrap_or(now)))
}

pub(super) fn post(
    tx: &Transaction<'_>,
    user_id: i64,
    mailbox: u16,
    token: TokenHash,
    message: &str,
    now: UnixMillis,
) -> Outcome<u32> {
    let found = load(tx, user_id, mailbox)?;
    let decided = rules::side(found.as_ref(), &token, now)
        .and_then(|side| found.as_ref().ok_or(PairRefusal::NotFound).and_then(rules::next_seq).map(|seq| (side, seq)));
    let (side, seq) = match decided {
        Ok(decided) => decided,
        Err(refusal) => return Ok(Err(refusal)),
    };
    tx.prepare_cached("INSERT INTO pair_messages (user_id, mailbox, seq, side, message) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![user_id, mailbox, seq, side.as_i16(), message])?;
    tx.prepare_cached("UPDATE pair_mailboxes SET posted = ?3 WHERE user_id = ?1 AND mailbox = ?2")?
        .execute(params![user_id, mailbox, seq])?;
    Ok(Ok(seq))
}

pub(super) fn read(
    tx: &Transaction<'_>,
    user_id: i64,
    mailbox: u16,
    token: TokenHash,
    since: u32,
    now: UnixMillis,
) -> Outcome<Vec<PairDelivery>> {
    let found = load(tx, user_id, mailbox)?;
    let side = match rules::side(found.as_ref(), &token, now) {
        Ok(side) => side,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let peer = side.peer().as_i16();
    tx.prepare_cached("DELETE FROM pair_messages WHERE user_id = ?1 AND mailbox = ?2 AND side = ?3 AND seq <= ?4")?
        .execute(params![user_id, mailbox, peer, since])?;
    let mut stmt = tx.prepare_cached(
        "SELECT seq, message FROM pair_messages WHERE user_id = ?1 AND mailbox = ?2 AND side = ?3 ORDER BY seq",
    )?;
    let rows =
        stmt.query_map(params![user_id, mailbox, peer], |r| Ok(PairDelivery { seq: r.get(0)?, message: r.get(1)? }))?;
    Ok(Ok(rows.collect::<rusqlite::Result<_>>()?))
}

pub(super) fn close(tx: &Transaction<'_>, user_id: i64, mailbox: u16, token: TokenHash) -> Outcome<()> {
    let Some(found) = load(tx, user_id, mailbox)? else { return Ok(Err(PairRefusal::NotFound)) };
    if let Err(refusal) = rules::owner(&found, &token) {
        return Ok(Err(refusal));
    }
    delete(tx, user_id, mailbox)?;
    Ok(Ok(()))
}

pub(super) fn remove_expired(tx: &Transaction<'_>, now: UnixMillis) -> StoreResult<u64> {
    tx.prepare_cached(
        "DELETE FROM pair_messages WHERE (user_id, mailbox) IN
         (SELECT user_id, mailbox FROM pair_mailboxes WHERE expires_at <= ?1)",
    )?
    .execute([now.0])?;
    let removed = tx.prepare_cached("DELETE FROM pair_mailboxes WHERE expires_at <= ?1")?.execute([now.0])?;
    Ok(removed as u64)
}

#[async_trait]
impl PairMailboxes for SqliteMetadata {
    async fn open_mailbox(
        &self,
        user_id: i64,
        initiator: TokenHash,
        pick: u32,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> PairResult<u16> {
        self.write(move |tx| open(tx, user_id, initiator, pick, now, expires_at)).await
    }

    async fn join_mailbox(
        &self,
        user_id: i64,
        mailbox: u16,
        joiner: TokenHash,
        now: UnixMillis,
    ) -> PairResult<UnixMillis> {
        self.write(move |tx| join(tx, user_id, mailbox, joiner, now)).await
    }

    async fn post_pair_message(
        &self,
        user_id: i64,
        mailbox: u16,
        token: TokenHash,
        message: String,
        now: UnixMillis,
    ) -> PairResult<u32> {
        self.write(move |tx| post(tx, user_id, mailbox, token, &message, now)).await
    }

    async fn read_pair_messages(
        &self,
        user_id: i64,
        mailbox: u16,
        token: TokenHash,
        since: u32,
        now: UnixMillis,
    ) -> PairResult<Vec<PairDelivery>> {
        self.write(move |tx| read(tx, user_id, mailbox, token, since, now)).await
    }

    async fn close_mailbox(&self, user_id: i64, mailbox: u16, token: TokenHash) -> PairResult<()> {
        self.write(move |tx| close(tx, user_id, mailbox, token)).await
    }

    async fn remove_expired_mailboxes(&self, now: UnixMillis) -> StoreResult<u64> {
        self.write(move |tx| remove_expired(tx, now)).await
    }
}
