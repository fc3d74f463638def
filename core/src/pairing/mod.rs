//! Linking a new device with a short code (docs/FORMAT.md, "Linking a new device"): the unlocked device (the
//! [`Initiator`]) hands the keyring to a new device (the [`Joiner`]) that never sees the password,
//! through a mailbox on the server that learns neither the code nor any key.
//!
//! ```text
//! initiator                                  mailbox                       joiner
//! PairingCode::make ─ shows 4821-ocean-velvet-tiger ─────────────► PairingCode::parse
//! Initiator::make ──── 1 pake ─────────────────────────────────────► Joiner::make, receive
//!          receive ◄── 2 pake + device ───────────────────────────── (JoinerEvent::Send)
//!                  ──── 4 confirm ──────────────────────────────────► receive (Confirmed)
//!          receive ◄── 3 confirm ────────────────────────────────────
//! joiner_device() shown; approve ── 5 keys (sealed) ───────────────► receive (Keys(payload))
//!                   or deny ─────── 5 deny ────────────────────────► pairing_denied
//! ```
//!
//! Pure: no I/O, no clock (every step takes `now`), randomness from a [`RandomSource`]. Modules:
//! [`code`](PairingCode) (the short code), `uri` ([`LinkUri`], the QR payload), `device`
//! ([`DeviceInfo`]), `message` (the strict JSON messages), `pake` (SPAKE2 through the `spake2`
//! crate), `schedule` (transcript, keys, confirmation, sealing), `inbox` (the replay, order and
//! third-party checks and the deadline, shared by both sides), `initiator` and `joiner` (the two
//! state machines).
//!
//! [`RandomSource`]: crate::RandomSource

mod code;
mod device;
mod inbox;
mod initiator;
mod joiner;
mod message;
mod pake;
mod schedule;
mod uri;

#[cfg(test)]
mod tests;

pub use code::{CODE_WORDS, MAX_CODE_INPUT, MAX_MAILBOX, PairingCode};
pub use device::DeviceInfo;
pub use initiator::{Initiator, InitiatorStage};
pub use joiner::{Joiner, JoinerEvent, JoinerStage};
pub use message::{MAX_MESSAGE_LEN, MESSAGE_VERSION, MessageKind, PairingMessage, Role};
#[cfg(feature = "testkit")]
pub(crate) use schedule::transcript_hash;
pub use schedule::{MAX_PAYLOAD_LEN, PairingPayload};
pub use uri::{LINK_URI_PREFIX, LinkUri, MAX_LINK_URI_LEN, MAX_SERVER_URL_LEN};

/// How long a pairing session lasts on each side, in milliseconds (10 minutes).
pub const SESSION_TTL_MS: i64 = 600_000;
