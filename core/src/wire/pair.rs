//! The pairing mailbox routes (`/pair/*`; docs/FORMAT.md, "The server's mailbox";
//! `docs/openapi.yaml`): the server relays the opaque pairing messages of docs/FORMAT.md section
//! 12 between the two devices of one account.
//!
//! `POST /pair` opens a mailbox and answers the initiator's side token; `POST /pair/{mailbox}/join`
//! takes the joiner's place (once) and answers the joiner's. Every other call names its side
//! with the [`PAIR_TOKEN_HEADER`]: `POST /pair/{mailbox}/messages` (the body is the message's
//! exact bytes), `GET /pair/{mailbox}/messages?since=N` (the peer's messages after `N`),
//! `DELETE /pair/{mailbox}`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::encoding::UnixMillis;

/// Header carrying a side token of a mailbox.
pub const PAIR_TOKEN_HEADER: &str = "X-Pair-Token";

/// A side's credential for one mailbox, minted by the server (`spp_` and 64 hex digits). Not a
/// key: it only keeps other clients of the account off a side. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PairToken(pub String);

impl fmt::Debug for PairToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairToken(<redacted>)")
    }
}

/// Answer to `POST /pair` (a new mailbox, for the initiator) and to `POST /pair/{mailbox}/join`
/// (the joiner's place).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairOpened {
    /// The mailbox number (1 to 9999), the code's first part.
    pub mailbox: u16,
    /// This side's token, for the [`PAIR_TOKEN_HEADER`] of its later calls.
    pub side_token: PairToken,
    /// When the server forgets the mailbox.
    pub expires_at: UnixMillis,
}

/// Answer to `POST /pair/{mailbox}/messages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairPosted {
    /// The message's place in the mailbox (1, 2, ...; both sides' messages counted).
    pub seq: u32,
}

/// One message of the peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairDelivery {
    /// Its place in the mailbox.
    pub seq: u32,
    /// Its exact text, as the peer posted it.
    pub message: String,
}

/// Answer to `GET /pair/{mailbox}/messages?since=N`: the peer's messages with `seq` above `N`,
/// in order. Those at or below `N` were read: the server deletes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairMessages {
    /// The peer's unread messages.
    pub messages: Vec<PairDelivery>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_side_token_is_hidden_and_sent_as_a_string() {
        let opened =
            PairOpened { mailbox: 7, side_token: PairToken("spp_secret".into()), expires_at: UnixMillis(1_000) };
        assert!(!format!("{opened:?}").contains("secret"));
        let json = serde_json::to_string(&opened).unwrap();
        assert!(json.contains(r#""side_token":"spp_secret""#), "{json}");
        assert_eq!(serde_json::from_str::<PairOpened>(&json).unwrap(), opened);
    }
}
