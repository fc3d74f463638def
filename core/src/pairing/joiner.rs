//! The new device's side: types the code, proves it knows it, checks the initiator's
//! confirmation, then opens the sealed payload.

use std::fmt;

use super::code::PairingCode;
use super::device::DeviceInfo;
use super::inbox::Inbox;
use super::message::{Body, PAKE_LEN, PairingMessage, Role};
use super::pake::Pake;
use super::schedule::{PairingPayload, SessionKeys, transcript_hash};
use crate::UnixMillis;
use crate::error::{Error, Result};
use crate::primitives::random::RandomSource;

/// Where a [`Joiner`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinerStage {
    /// Waiting for the initiator's SPAKE2 message (1).
    AwaitingInitiator,
    /// Messages 2 and 3 are posted; waiting for the initiator's confirmation (4).
    AwaitingConfirmation,
    /// The code was right; waiting for the user's approval on the initiator (5).
    AwaitingKeys,
    /// Done (payload received) or failed; every call is `invalid_state`.
    Ended,
}

/// What a message did to a [`Joiner`].
#[derive(Debug)]
pub enum JoinerEvent {
    /// Messages to post, in order (2 and 3, after message 1).
    Send(Vec<PairingMessage>),
    /// The initiator's confirmation verified: the code was right; approval is pending.
    Confirmed,
    /// The payload, opened. The session has ended.
    Keys(PairingPayload),
}

enum State {
    AwaitingInitiator { pake: Pake, element: [u8; PAKE_LEN], device: DeviceInfo },
    AwaitingConfirmation { keys: SessionKeys },
    AwaitingKeys { keys: SessionKeys },
    Ended,
}

/// The new device's pairing session (side B).
///
/// Any error ends the session and erases its keys. `Debug` shows the mailbox and the stage.
pub struct Joiner {
    inbox: Inbox,
    state: State,
}

impl Joiner {
    /// Starts a session for a typed `code` at `now`, announcing `device`: draws the SPAKE2
    /// scalar (64 bytes) from `rng`.
    pub fn make(code: &PairingCode, device: DeviceInfo, rng: &mut dyn RandomSource, now: UnixMillis) -> Result<Joiner> {
        let (pake, element) = Pake::start(Role::Joiner, &code.password(), rng)?;
        let state = State::AwaitingInitiator { pake, element, device };
        Ok(Joiner { inbox: Inbox::new(Role::Joiner, code.mailbox(), now), state })
    }

    /// Takes the initiator's next message (1, 4, then 5). A wrong confirmation is
    /// `pairing_failed`; a refusal is `pairing_denied`; a sealed payload or refusal that does
    /// not verify after confirmation is `tampered`.
    pub fn receive(&mut self, message: &[u8], now: UnixMillis) -> Result<JoinerEvent> {
        let state = std::mem::replace(&mut self.state, State::Ended);
        let (next, event) = self.step(state, message, now)?;
        self.state = next;
        Ok(event)
    }

    fn step(&mut self, state: State, message: &[u8], now: UnixMillis) -> Result<(State, JoinerEvent)> {
        let mailbox = self.inbox.mailbox();
        match state {
            State::AwaitingInitiator { pake, element, device } => {
                let Body::Pake { pake: peer, device: None } = self.inbox.admit(message, 1, now)?.body else {
                    return Err(Error::Malformed("pairing message 1"));
                };
                let spake_key = pake.finish(Role::Initiator, &peer)?;
                let m2 = PairingMessage::encode(
                    mailbox,
                    2,
                    Role::Joiner,
                    &Body::Pake { pake: element, device: Some(device) },
                )?;
                let keys = SessionKeys::derive(&spake_key, transcript_hash(mailbox, message, m2.as_bytes()))?;
                let m3 = PairingMessage::encode(
                    mailbox,
                    3,
                    Role::Joiner,
                    &Body::Confirm { mac: keys.confirmation(Role::Joiner)? },
                )?;
                Ok((State::AwaitingConfirmation { keys }, JoinerEvent::Send(vec![m2, m3])))
            }
            State::AwaitingConfirmation { keys } => {
                let Body::Confirm { mac } = self.inbox.admit(message, 4, now)?.body else {
                    return Err(Error::Malformed("pairing message 4"));
                };
                keys.check_confirmation(Role::Initiator, &mac)?;
                Ok((State::AwaitingKeys { keys }, JoinerEvent::Confirmed))
            }
            State::AwaitingKeys { keys } => match self.inbox.admit(message, 5, now)?.body {
                Body::Keys { nonce, sealed } => Ok((State::Ended, JoinerEvent::Keys(keys.open(&nonce, &sealed)?))),
                Body::Deny { mac } => Err(keys.check_deny(&mac)),
                _ => Err(Error::Malformed("pairing message 5")),
            },
            State::Ended => Err(Error::InvalidState("the pairing has ended")),
        }
    }

    /// Where the session is.
    pub fn stage(&self) -> JoinerStage {
        match self.state {
            State::AwaitingInitiator { .. } => JoinerStage::AwaitingInitiator,
            State::AwaitingConfirmation { .. } => JoinerStage::AwaitingConfirmation,
            State::AwaitingKeys { .. } => JoinerStage::AwaitingKeys,
            State::Ended => JoinerStage::Ended,
        }
    }

    /// The mailbox number.
    pub fn mailbox(&self) -> u16 {
        self.inbox.mailbox()
    }
}

impl fmt::Debug for Joiner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Joiner").field("mailbox", &self.mailbox()).field("stage", &self.stage()).finish()
    }
}
