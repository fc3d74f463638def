//! The unlocked device's side: shows the code, checks the joiner's confirmation, shows the
//! joiner's name and OS for approval, then sends the sealed payload (or an authenticated refusal).

use std::fmt;

use super::code::PairingCode;
use super::device::DeviceInfo;
use super::inbox::Inbox;
use super::message::{Body, PairingMessage, Role};
use super::pake::Pake;
use super::schedule::{SessionKeys, transcript_hash};
use crate::UnixMillis;
use crate::error::{Error, Result};
use crate::primitives::random::{RandomSource, random_array};

/// Where an [`Initiator`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitiatorStage {
    /// Message 1 is posted; waiting for the joiner's SPAKE2 message (2).
    AwaitingJoiner,
    /// Message 4 (this side's confirmation) is posted; waiting for the joiner's (3).
    AwaitingConfirmation,
    /// The joiner proved it knows the code: its device is shown for approval.
    AwaitingApproval,
    /// Done (keys sent or refused) or failed; every call is `invalid_state`.
    Ended,
}

enum State {
    AwaitingJoiner { pake: Pake, m1: Vec<u8> },
    AwaitingConfirmation { keys: SessionKeys, device: DeviceInfo },
    AwaitingApproval { keys: SessionKeys, device: DeviceInfo },
    Ended,
}

/// The unlocked device's pairing session (side A).
///
/// Any error ends the session and erases its keys. `Debug` shows the mailbox and the stage.
pub struct Initiator {
    inbox: Inbox,
    state: State,
}

impl Initiator {
    /// Starts a session for `code` at `now`: draws the SPAKE2 scalar (64 bytes) from `rng` and
    /// returns the session and message 1 to post.
    pub fn make(
        code: &PairingCode,
        rng: &mut dyn RandomSource,
        now: UnixMillis,
    ) -> Result<(Initiator, PairingMessage)> {
        let (pake, element) = Pake::start(Role::Initiator, &code.password(), rng)?;
        let m1 =
            PairingMessage::encode(code.mailbox(), 1, Role::Initiator, &Body::Pake { pake: element, device: None })?;
        let state = State::AwaitingJoiner { pake, m1: m1.as_bytes().to_vec() };
        Ok((Initiator { inbox: Inbox::new(Role::Initiator, code.mailbox(), now), state }, m1))
    }

    /// Takes the joiner's next message (2, then 3). Message 2 gives the keys: returns this side's
    /// confirmation (message 4) to post. Message 3 is the joiner's confirmation: when it
    /// verifies, the joiner's device is available from [`Initiator::joiner_device`] for
    /// approval; when it does not (a wrong code, or a party in the middle) it is
    /// `pairing_failed` and nothing more is sent.
    pub fn receive(&mut self, message: &[u8], now: UnixMillis) -> Result<Option<PairingMessage>> {
        let state = std::mem::replace(&mut self.state, State::Ended);
        let (next, out) = self.step(state, message, now)?;
        self.state = next;
        Ok(out)
    }

    fn step(&mut self, state: State, message: &[u8], now: UnixMillis) -> Result<(State, Option<PairingMessage>)> {
        let mailbox = self.inbox.mailbox();
        match state {
            State::AwaitingJoiner { pake, m1 } => {
                let Body::Pake { pake: element, device: Some(device) } = self.inbox.admit(message, 2, now)?.body else {
                    return Err(Error::Malformed("pairing message 2"));
                };
                let spake_key = pake.finish(Role::Joiner, &element)?;
                let keys = SessionKeys::derive(&spake_key, transcript_hash(mailbox, &m1, message))?;
                let m4 = PairingMessage::encode(
                    mailbox,
                    4,
                    Role::Initiator,
                    &Body::Confirm { mac: keys.confirmation(Role::Initiator)? },
                )?;
                Ok((State::AwaitingConfirmation { keys, device }, Some(m4)))
            }
            State::AwaitingConfirmation { keys, device } => {
                let Body::Confirm { mac } = self.inbox.admit(message, 3, now)?.body else {
                    return Err(Error::Malformed("pairing message 3"));
                };
                keys.check_confirmation(Role::Joiner, &mac)?;
                Ok((State::AwaitingApproval { keys, device }, None))
            }
            State::AwaitingApproval { .. } => {
                // The joiner sends nothing after message 3: classify what came (replay, ...).
                self.inbox.admit(message, 4, now)?;
                Err(Error::Malformed("no message is expected while awaiting approval"))
            }
            State::Ended => Err(Error::InvalidState("the pairing has ended")),
        }
    }

    /// The joiner's name and OS, authenticated, once its confirmation verified (and until the
    /// session ends); `None` before.
    pub fn joiner_device(&self) -> Option<&DeviceInfo> {
        match &self.state {
            State::AwaitingApproval { device, .. } => Some(device),
            _ => None,
        }
    }

    /// The user approved: seals `payload` (1 to 262,144 bytes) under a fresh nonce (24 bytes
    /// from `rng`) and returns message 5 to post. The session ends.
    pub fn approve(&mut self, payload: &[u8], rng: &mut dyn RandomSource, now: UnixMillis) -> Result<PairingMessage> {
        let keys = self.take_approval(now)?;
        let nonce = random_array::<24>(rng)?;
        let sealed = keys.seal(&nonce, payload)?;
        PairingMessage::encode(self.inbox.mailbox(), 5, Role::Initiator, &Body::Keys { nonce, sealed })
    }

    /// The user declined: returns the authenticated refusal (message 5) to post. The session
    /// ends.
    pub fn deny(&mut self, now: UnixMillis) -> Result<PairingMessage> {
        let keys = self.take_approval(now)?;
        PairingMessage::encode(self.inbox.mailbox(), 5, Role::Initiator, &Body::Deny { mac: keys.deny_mac()? })
    }

    /// Ends the session and returns its keys if it was awaiting approval and is not expired.
    fn take_approval(&mut self, now: UnixMillis) -> Result<SessionKeys> {
        match std::mem::replace(&mut self.state, State::Ended) {
            State::AwaitingApproval { keys, .. } => {
                self.inbox.check_time(now)?;
                Ok(keys)
            }
            _ => Err(Error::InvalidState("approval before the joiner is confirmed, or after the end")),
        }
    }

    /// Where the session is.
    pub fn stage(&self) -> InitiatorStage {
        match self.state {
            State::AwaitingJoiner { .. } => InitiatorStage::AwaitingJoiner,
            State::AwaitingConfirmation { .. } => InitiatorStage::AwaitingConfirmation,
            State::AwaitingApproval { .. } => InitiatorStage::AwaitingApproval,
            State::Ended => InitiatorStage::Ended,
        }
    }

    /// The mailbox number.
    pub fn mailbox(&self) -> u16 {
        self.inbox.mailbox()
    }
}

impl fmt::Debug for Initiator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Initiator").field("mailbox", &self.mailbox()).field("stage", &self.stage()).finish()
    }
}
