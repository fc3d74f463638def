//! What each side checks of a message before processing it (docs/FORMAT.md, "Messages",
//! the session checks) and the session's deadline: one rule for both sides.

use sha2::{Digest, Sha256};

use super::SESSION_TTL_MS;
use super::message::{Parsed, Role, parse};
use crate::UnixMillis;
use crate::error::{Error, Result};

/// One side's view of the mailbox: its role, the mailbox, the deadline, and the hash of every
/// message it accepted.
#[derive(Debug)]
pub(crate) struct Inbox {
    own: Role,
    mailbox: u16,
    deadline: UnixMillis,
    accepted: Vec<(u32, [u8; 32])>,
}

impl Inbox {
    /// A session of `own` on `mailbox` that started at `now`.
    pub(crate) fn new(own: Role, mailbox: u16, now: UnixMillis) -> Inbox {
        Inbox { own, mailbox, deadline: UnixMillis(now.0.saturating_add(SESSION_TTL_MS)), accepted: Vec::new() }
    }

    /// The mailbox number.
    pub(crate) fn mailbox(&self) -> u16 {
        self.mailbox
    }

    /// `pairing_expired` after the deadline.
    pub(crate) fn check_time(&self, now: UnixMillis) -> Result<()> {
        if now > self.deadline { Err(Error::PairingExpired) } else { Ok(()) }
    }

    /// Parses `bytes` and admits the message if it is the peer's message number `expected`:
    /// another mailbox or this side's own role is `pairing_foreign`; an earlier number is
    /// `pairing_replayed` (the same bytes as the one accepted) or `pairing_foreign` (other
    /// bytes); a later one is `pairing_out_of_order`.
    pub(crate) fn admit(&mut self, bytes: &[u8], expected: u32, now: UnixMillis) -> Result<Parsed> {
        self.check_time(now)?;
        let message = parse(bytes)?;
        if message.mailbox != self.mailbox {
            return Err(Error::PairingForeign("a message of another mailbox"));
        }
        if message.role == self.own {
            return Err(Error::PairingForeign("a message in this side's own role"));
        }
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        if message.seq < expected {
            let replayed = self.accepted.iter().any(|(seq, hash)| *seq == message.seq && *hash == digest);
            return Err(if replayed {
                Error::PairingReplayed
            } else {
                Error::PairingForeign("a second message for a place already taken")
            });
        }
        if message.seq > expected {
            return Err(Error::PairingOutOfOrder);
        }
        self.accepted.push((message.seq, digest));
        Ok(message)
    }
}
