//! The pairing mailbox (docs/FORMAT.md, "The server's mailbox"): which number a new mailbox
//! gets, who may join, post and read, and when it is gone. Both metadata stores load a
//! mailbox's facts and ask these rules inside their transactions.
//!
//! A mailbox belongs to one account and lives [`Mailbox::expires_at`] (10 minutes by default,
//! `pair_ttl_secs`). The initiator opens it and gets a side token; the first joiner takes the
//! other side and gets its own; a second joiner is refused ([`PairRefusal::Taken`]): one guess
//! of the code per mailbox. At most [`MAX_MESSAGES`] messages of at most
//! [`MAX_PAIR_MESSAGE_LEN`] bytes; a side reads only its peer's messages, and what it has read
//! is deleted. Closing or expiry deletes the mailbox and its messages. The server never parses a
//! message: it cannot tell a key from noise, and it stores only the hashes of side tokens.

use sha2::{Digest, Sha256};
use sync_core::UnixMillis;
pub use sync_core::wire::limits::MAX_PAIR_MESSAGE_LEN;

use super::model::TokenHash;

/// Highest mailbox number (the code's first part is 1 to 9999).
pub const MAX_MAILBOX: u16 = 9999;
/// Mailboxes one account may have open at once.
pub const MAX_OPEN_MAILBOXES: usize = 4;
/// Messages one mailbox holds at most over its life (the protocol sends 5).
pub const MAX_MESSAGES: u32 = 8;
/// Default time a mailbox lives, in seconds (docs/FORMAT.md 12.5: 10 minutes).
pub const DEFAULT_TTL_SECS: u64 = 600;
/// Prefix of a side token.
pub const SIDE_TOKEN_PREFIX: &str = "spp_";

/// One side of a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The device that opened it (shows the code).
    Initiator,
    /// The device that joined it (typed the code).
    Joiner,
}

impl Side {
    /// The stored form: 0 initiator, 1 joiner.
    pub fn as_i16(self) -> i16 {
        match self {
            Side::Initiator => 0,
            Side::Joiner => 1,
        }
    }

    /// The other side.
    pub fn peer(self) -> Side {
        match self {
            Side::Initiator => Side::Joiner,
            Side::Joiner => Side::Initiator,
        }
    }
}

/// What the stores keep of an open mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// Hash of the initiator's side token.
    pub initiator: TokenHash,
    /// Hash of the joiner's side token, once a joiner took the place.
    pub joiner: Option<TokenHash>,
    /// When the mailbox stops answering (and the cleanup job removes it).
    pub expires_at: UnixMillis,
    /// Messages posted so far (read ones included).
    pub posted: u32,
}

/// Why a mailbox call is refused; each has a stable code (`docs/openapi.yaml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PairRefusal {
    /// No open mailbox with this number for this account (`404 NOT_FOUND`).
    #[error("no such pairing mailbox for this account")]
    NotFound,
    /// The mailbox is past its deadline (`410 PAIR_EXPIRED`).
    #[error("the pairing mailbox has expired: start a new pairing")]
    Expired,
    /// The side token names no side of this mailbox (`403 PAIR_FORBIDDEN`).
    #[error("the side token does not belong to this pairing mailbox")]
    Forbidden,
    /// A joiner already took the place (`409 PAIR_TAKEN`).
    #[error("this pairing code was already used by another device: start a new pairing")]
    Taken,
    /// The mailbox holds [`MAX_MESSAGES`] messages (`409 PAIR_FULL`).
    #[error("the pairing mailbox holds as many messages as it may")]
    Full,
    /// The account has [`MAX_OPEN_MAILBOXES`] open (`409 PAIR_LIMIT`).
    #[error("too many pairings in progress for this account: finish or cancel one first")]
    Limit,
}

/// The stored form of a side token.
pub fn hash_side_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// When a mailbox opened at `now` expires.
pub fn expires_at(now: UnixMillis, ttl_secs: u64) -> UnixMillis {
    let ttl_ms = i64::try_from(ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    UnixMillis(now.0.saturating_add(ttl_ms))
}

/// The number of a new mailbox, given the numbers the account has open (expired ones already
/// removed) and a random `pick`: the first free number from `pick` on, wrapping.
pub fn choose_number(open: &[u16], pick: u32) -> Result<u16, PairRefusal> {
    if open.len() >= MAX_OPEN_MAILBOXES {
        return Err(PairRefusal::Limit);
    }
    let span = u32::from(MAX_MAILBOX);
    (0..span).map(|i| (pick.wrapping_add(i) % span) as u16 + 1).find(|n| !open.contains(n)).ok_or(PairRefusal::Limit)
}

/// Whether a mailbox answers at `now`: `NotFound` when absent, `Expired` past its deadline.
pub fn live(mailbox: Option<&Mailbox>, now: UnixMillis) -> Result<&Mailbox, PairRefusal> {
    let mailbox = mailbox.ok_or(PairRefusal::NotFound)?;
    if now >= mailbox.expires_at { Err(PairRefusal::Expired) } else { Ok(mailbox) }
}

/// Whether a joiner may take the place: once per mailbox.
pub fn join(mailbox: Option<&Mailbox>, now: UnixMillis) -> Result<(), PairRefusal> {
    let mailbox = live(mailbox, now)?;
    if mailbox.joiner.is_some() { Err(PairRefusal::Taken) } else { Ok(()) }
}

/// Which side a side token's hash names, expired or not (closing an expired mailbox is
/// allowed).
pub fn owner(mailbox: &Mailbox, token: &TokenHash) -> Result<Side, PairRefusal> {
    if mailbox.initiator == *token {
        Ok(Side::Initiator)
    } else if mailbox.joiner.as_ref() == Some(token) {
        Ok(Side::Joiner)
    } else {
        Err(PairRefusal::Forbidden)
    }
}

/// Which side a side token's hash names, in a live mailbox.
pub fn side(mailbox: Option<&Mailbox>, token: &TokenHash, now: UnixMillis) -> Result<Side, PairRefusal> {
    owner(live(mailbox, now)?, token)
}

/// The `seq` of the next message posted, unless the mailbox is full.
pub fn next_seq(mailbox: &Mailbox) -> Result<u32, PairRefusal> {
    if mailbox.posted >= MAX_MESSAGES { Err(PairRefusal::Full) } else { Ok(mailbox.posted + 1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(joiner: Option<TokenHash>, posted: u32) -> Mailbox {
        Mailbox { initiator: [1; 32], joiner, expires_at: UnixMillis(1_000), posted }
    }

    #[test]
    fn numbers_are_free_ones_from_the_pick_and_bounded_per_account() {
        assert_eq!(choose_number(&[], 0), Ok(1));
        assert_eq!(choose_number(&[], 9998), Ok(9999));
        assert_eq!(choose_number(&[], 9999), Ok(1));
        assert_eq!(choose_number(&[5, 6], 4), Ok(7));
        assert_eq!(choose_number(&[9999], 9998), Ok(1));
        assert_eq!(choose_number(&[1, 2, 3, 4], 0), Err(PairRefusal::Limit));
    }

    #[test]
    fn sides_joining_and_expiry() {
        let now = UnixMillis(999);
        let open = mailbox(None, 0);
        assert_eq!(live(None, now), Err(PairRefusal::NotFound));
        assert_eq!(live(Some(&open), UnixMillis(1_000)), Err(PairRefusal::Expired));
        assert_eq!(join(Some(&open), now), Ok(()));
        assert_eq!(join(Some(&open), UnixMillis(1_000)), Err(PairRefusal::Expired));
        let joined = mailbox(Some([2; 32]), 1);
        assert_eq!(join(Some(&joined), now), Err(PairRefusal::Taken));
        assert_eq!(side(Some(&joined), &[1; 32], now), Ok(Side::Initiator));
        assert_eq!(side(Some(&joined), &[2; 32], now), Ok(Side::Joiner));
        assert_eq!(side(Some(&joined), &[3; 32], now), Err(PairRefusal::Forbidden));
        assert_eq!(side(Some(&open), &[3; 32], now), Err(PairRefusal::Forbidden));
        assert_eq!(side(Some(&joined), &[1; 32], UnixMillis(2_000)), Err(PairRefusal::Expired));
        assert_eq!(owner(&joined, &[2; 32]), Ok(Side::Joiner));
        assert_eq!(owner(&joined, &[4; 32]), Err(PairRefusal::Forbidden));
        assert_eq!(Side::Joiner.peer(), Side::Initiator);
    }

    #[test]
    fn messages_are_counted() {
        assert_eq!(next_seq(&mailbox(None, 0)), Ok(1));
        assert_eq!(next_seq(&mailbox(None, MAX_MESSAGES - 1)), Ok(MAX_MESSAGES));
        assert_eq!(next_seq(&mailbox(None, MAX_MESSAGES)), Err(PairRefusal::Full));
        assert_eq!(expires_at(UnixMillis(5), 600), UnixMillis(600_005));
        assert_eq!(hash_side_token("a"), hash_side_token("a"));
        assert_ne!(hash_side_token("a"), hash_side_token("b"));
    }
}
