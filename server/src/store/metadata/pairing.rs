//! The pairing mailboxes' part of the metadata store ([`crate::domain::pairing`] decides, each
//! backend applies in one transaction): open, join, post, read, close, expire.
//!
//! Every method takes the caller's `user_id`: a mailbox number names a mailbox of that account
//! only, so another account's mailbox is `NotFound`. A refusal of the rules is the inner `Err`;
//! the outer one is a store fault.

use async_trait::async_trait;
use sync_core::UnixMillis;
use sync_core::wire::pair::PairDelivery;

use super::TokenHash;
use crate::domain::pairing::PairRefusal;
use crate::store::StoreResult;

/// The outcome of a mailbox call: done, or refused by a rule.
pub type PairResult<T> = StoreResult<Result<T, PairRefusal>>;

/// The pairing mailboxes of the accounts.
#[async_trait]
pub trait PairMailboxes: Send + Sync {
    /// Opens a mailbox for the account: removes its expired ones, then takes the number
    /// [`crate::domain::pairing::choose_number`] gives for `pick`, unless the account has as
    /// many open as it may. Its number.
    async fn open_mailbox(
        &self,
        user_id: i64,
        initiator: TokenHash,
        pick: u32,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> PairResult<u16>;
    /// Takes the joiner's place (once per mailbox); when the mailbox expires.
    async fn join_mailbox(
        &self,
        user_id: i64,
        mailbox: u16,
        joiner: TokenHash,
        now: UnixMillis,
    ) -> PairResult<UnixMillis>;
    /// Stores a message from the side `token` names; its `seq`.
    async fn post_pair_message(
        &self,
        user_id: i64,
        mailbox: u16,
        token: TokenHash,
        message: String,
        now: UnixMillis,
    ) -> PairResult<u32>;
    /// The peer's messages after `since`, in order, for the side `token` names; the peer's
    /// messages at or before `since` were read and are deleted.
    async fn read_pair_messages(
        &self,
        user_id: i64,
        mailbox: u16,
        token: TokenHash,
        since: u32,
        now: UnixMillis,
    ) -> PairResult<Vec<PairDelivery>>;
    /// Deletes the mailbox and its messages, for either side (expired or not).
    async fn close_mailbox(&self, user_id: i64, mailbox: u16, token: TokenHash) -> PairResult<()>;
    /// Deletes every mailbox expired at `now`, with its messages; how many.
    async fn remove_expired_mailboxes(&self, now: UnixMillis) -> StoreResult<u64>;
}
