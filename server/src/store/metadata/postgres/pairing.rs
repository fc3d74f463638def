//! Pairing mailboxes in PostgreSQL: each call one transaction under the account's lock
//! (`SELECT ... FOR UPDATE` on its `users` row), so two processes never give one mailbox two
//! joiners or one `seq` twice; it loads the mailbox, asks [`crate::domain::pairing`] and applies
//! the answer.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use sync_core::UnixMillis;
use sync_core::wire::pair::PairDelivery;

use super::super::columns::array;
use super::super::{PairMailboxes, PairResult, TokenHash};
use super::PostgresMetadata;
use super::rows::lock_user;
use crate::domain::pairing::{self as rules, Mailbox, PairRefusal};
use crate::store::{StoreError, StoreResult};

async fn load(tx: &impl GenericClient, user_id: i64, mailbox: i32) -> StoreResult<Option<Mailbox>> {
    let stmt = tx
        .prepare_cached(
            "SELECT initiator, joiner, expires_at, posted FROM pair_mailboxes WHERE user_id = $1 AND mailbox = $2",
        )
        .await?;
    let Some(row) = tx.query_opt(&stmt, &[&user_id, &mailbox]).await? else { return Ok(None) };
    let joiner: Option<Vec<u8>> = row.try_get(1)?;
    Ok(Some(Mailbox {
        initiator: array(&row.try_get::<_, Vec<u8>>(0)?, "pair initiator")?,
        joiner: joiner.map(|j| array(&j, "pair joiner")).transpose()?,
        expires_at: UnixMillis(row.try_get(2)?),
        posted: u32::try_from(row.try_get::<_, i32>(3)?).map_err(|e| StoreError::corrupt_with("pair posted", e))?,
    }))
}

async fn delete(tx: &impl GenericClient, user_id: i64, mailbox: i32) -> StoreResult<()> {
    tx.execute("DELETE FROM pair_messages WHERE user_id = $1 AND mailbox = $2", &[&user_id, &mailbox]).await?;
    tx.execute("DELETE FROM pair_mailboxes WHERE user_id = $1 AND mailbox = $2", &[&user_id, &mailbox]).await?;
    Ok(())
}

fn seq_i32(seq: u32) -> StoreResult<i32> {
    i32::try_from(seq).map_err(|e| StoreError::corrupt_with("pair seq", e))
}

async fn open(
    tx: &impl GenericClient,
    user_id: i64,
    initiator: TokenHash,
    pick: u32,
    now: UnixMillis,
    expires_at: UnixMillis,
) -> PairResult<u16> {
    if !lock_user(tx, user_id).await? {
        return Ok(Err(PairRefusal::NotFound));
    }
    tx.execute(
        "DELETE FROM pair_messages WHERE user_id = $1 AND mailbox IN
         (SELECT mailbox FROM pair_mailboxes WHERE user_id = $1 AND expires_at <= $2)",
        &[&user_id, &now.0],
    )
    .await?;
    tx.execute("DELETE FROM pair_mailboxes WHERE user_id = $1 AND expires_at <= $2", &[&user_id, &now.0]).await?;
    let open = tx
        .query("SELECT mailbox FROM pair_mailboxes WHERE user_id = $1", &[&user_id])
        .await?
        .iter()
        .map(|row| u16::try_from(row.try_get::<_, i32>(0)?).map_err(|e| StoreError::corrupt_with("pair mailbox", e)))
        .collect::<StoreResult<Vec<u16>>>()?;
    let number = match rules::choose_number(&open, pick) {
        Ok(n) => n,
        Err(refusal) => return Ok(Err(refusal)),
    };
    tx.execute(
        "INSERT INTO pair_mailboxes (user_id, mailbox, initiator, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &[&user_id, &i32::from(number), &&initiator[..], &now.0, &expires_at.0],
    )
    .await?;
    Ok(Ok(number))
}

async fn join(
    tx: &impl GenericClient,
    user_id: i64,
    mailbox: i32,
    joiner: TokenHash,
    now: UnixMillis,
) -> PairResult<UnixMillis> {
    lock_user(tx, user_id).await?;
    let found = load(tx, user_id, mailbox).await?;
    if let Err(refusal) = rules::join(found.as_ref(), now) {
        return Ok(Err(refusal));
    }
    tx.execute(
        "UPDATE pair_mailboxes SET joiner = $3 WHERE user_id = $1 AND mailbox = $2",
        &[&user_id, &mailbox, &&joiner[..]],
    )
    .await?;
    Ok(Ok(found.map(|m| m.expires_at).unwrap_or(now)))
}

async fn post(
    tx: &impl GenericClient,
    user_id: i64,
    mailbox: i32,
    token: TokenHash,
    message: &str,
    now: UnixMillis,
) -> PairResult<u32> {
    lock_user(tx, user_id).await?;
    let found = load(tx, user_id, mailbox).await?;
    let decided = rules::side(found.as_ref(), &token, now)
        .and_then(|side| found.as_ref().ok_or(PairRefusal::NotFound).and_then(rules::next_seq).map(|seq| (side, seq)));
    let (side, seq) = match decided {
        Ok(decided) => decided,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let seq_db = seq_i32(seq)?;
    tx.execute(
        "INSERT INTO pair_messages (user_id, mailbox, seq, side, message) VALUES ($1, $2, $3, $4, $5)",
        &[&user_id, &mailbox, &seq_db, &side.as_i16(), &message],
    )
    .await?;
    tx.execute(
        "UPDATE pair_mailboxes SET posted = $3 WHERE user_id = $1 AND mailbox = $2",
        &[&user_id, &mailbox, &seq_db],
    )
    .await?;
    Ok(Ok(seq))
}

async fn read(
    tx: &impl GenericClient,
    user_id: i64,
    mailbox: i32,
    token: TokenHash,
    since: u32,
    now: UnixMillis,
) -> PairResult<Vec<PairDelivery>> {
    lock_user(tx, user_id).await?;
    let found = load(tx, user_id, mailbox).await?;
    let side = match rules::side(found.as_ref(), &token, now) {
        Ok(side) => side,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let peer = side.peer().as_i16();
    let since = i32::try_from(since).unwrap_or(i32::MAX);
    tx.execute(
        "DELETE FROM pair_messages WHERE user_id = $1 AND mailbox = $2 AND side = $3 AND seq <= $4",
        &[&user_id, &mailbox, &peer, &since],
    )
    .await?;
    let rows = tx
        .query(
            "SELECT seq, message FROM pair_messages WHERE user_id = $1 AND mailbox = $2 AND side = $3 ORDER BY seq",
            &[&user_id, &mailbox, &peer],
        )
        .await?;
    let messages = rows
        .iter()
        .map(|row| {
            let seq = u32::try_from(row.try_get::<_, i32>(0)?).map_err(|e| StoreError::corrupt_with("pair seq", e))?;
            Ok(PairDelivery { seq, message: row.try_get(1)? })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Ok(messages))
}

async fn close(tx: &impl GenericClient, user_id: i64, mailbox: i32, token: TokenHash) -> PairResult<()> {
    lock_user(tx, user_id).await?;
    let Some(found) = load(tx, user_id, mailbox).await? else { return Ok(Err(PairRefusal::NotFound)) };
    if let Err(refusal) = rules::owner(&found, &token) {
        return Ok(Err(refusal));
    }
    delete(tx, user_id, mailbox).await?;
    Ok(Ok(()))
}

#[async_trait]
impl PairMailboxes for PostgresMetadata {
    async fn open_mailbox(
        &self,
        user_id: i64,
        initiator: TokenHash,
        pick: u32,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> PairResult<u16> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = open(&tx, user_id, initiator, pick, now, expires_at).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn join_mailbox(
        &self,
        user_id: i64,
        mailbox: u16,
        joiner: TokenHash,
        now: UnixMillis,
    ) -> PairResult<UnixMillis> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = join(&tx, user_id, i32::from(mailbox), joiner, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn post_pair_message(
        &self,
        user_id: i64,
        mailbox: u16,
        token: TokenHash,
        message: String,
        now: UnixMillis,
    ) -> PairResult<u32> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = post(&tx, user_id, i32::from(mailbox), token, &message, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn read_pair_messages(
        &self,
        user_id: i64,
        mailbox: u16,
        token: TokenHash,
        since: u32,
        now: UnixMillis,
    ) -> PairResult<Vec<PairDelivery>> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = read(&tx, user_id, i32::from(mailbox), token, since, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn close_mailbox(&self, user_id: i64, mailbox: u16, token: TokenHash) -> PairResult<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let outcome = close(&tx, user_id, i32::from(mailbox), token).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn remove_expired_mailboxes(&self, now: UnixMillis) -> StoreResult<u64> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "DELETE FROM pair_messages m USING pair_mailboxes b
             WHERE m.user_id = b.user_id AND m.mailbox = b.mailbox AND b.expires_at <= $1",
            &[&now.0],
        )
        .await?;
        let removed = tx.execute("DELETE FROM pair_mailboxes WHERE expires_at <= $1", &[&now.0]).await?;
        tx.commit().await?;
        Ok(removed)
    }
}
