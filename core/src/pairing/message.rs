//! The pairing messages (docs/FORMAT.md, "Messages"): one strict, bounded JSON object
//! each, with a version, the mailbox, a sequence number and the sender's role.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::code::check_mailbox;
use super::device::{DeviceInfo, DeviceWire};
use super::schedule::MAX_PAYLOAD_LEN;
use crate::encoding::base64url;
use crate::error::{Error, Result};

/// Longest message accepted, in bytes.
pub const MAX_MESSAGE_LEN: usize = crate::wire::limits::MAX_PAIR_MESSAGE_LEN;
/// The message format version.
pub const MESSAGE_VERSION: u32 = 1;
/// Length of a SPAKE2 message: a side byte and a compressed point.
pub(crate) const PAKE_LEN: usize = 33;
/// Length of a confirmation or deny MAC.
pub(crate) const MAC_LEN: usize = 32;
/// Length of the sealing nonce.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the AEAD tag.
pub(crate) const TAG_LEN: usize = 16;

/// Which device sent a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The unlocked device, which shows the code and sends the keys.
    Initiator,
    /// The new device, which types the code and receives the keys.
    Joiner,
}

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// A SPAKE2 message (seq 1 and 2; the joiner's carries its name and OS).
    Pake,
    /// A key confirmation MAC (seq 3 and 4).
    Confirm,
    /// The sealed payload (seq 5).
    Keys,
    /// The initiator's authenticated refusal (seq 5).
    Deny,
}

/// A message's content, by kind.
pub(crate) enum Body {
    /// `pake` (33 bytes) and, from the joiner, its device.
    Pake { pake: [u8; PAKE_LEN], device: Option<DeviceInfo> },
    /// A confirmation MAC.
    Confirm { mac: [u8; MAC_LEN] },
    /// The sealed payload.
    Keys { nonce: [u8; NONCE_LEN], sealed: Vec<u8> },
    /// A deny MAC.
    Deny { mac: [u8; MAC_LEN] },
}

/// A parsed, well-formed message (not yet checked against a session).
pub(crate) struct Parsed {
    pub mailbox: u16,
    pub seq: u32,
    pub role: Role,
    pub body: Body,
}

/// The JSON shape as read. Optional fields may be absent but never `null`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    #[allow(dead_code)]
    v: u32,
    mailbox: u32,
    seq: u32,
    role: Role,
    kind: MessageKind,
    #[serde(default, deserialize_with = "present")]
    pake: Option<String>,
    #[serde(default, deserialize_with = "present")]
    device: Option<DeviceWire>,
    #[serde(default, deserialize_with = "present")]
    mac: Option<String>,
    #[serde(default, deserialize_with = "present")]
    nonce: Option<String>,
    #[serde(default, deserialize_with = "present")]
    sealed: Option<String>,
}

/// The JSON shape as written: the same fields, in the same order.
#[derive(Serialize)]
struct WireOut<'a> {
    v: u32,
    mailbox: u32,
    seq: u32,
    role: Role,
    kind: MessageKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pake: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<&'a DeviceInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
}

/// A field that is present must hold a value (`null` is refused).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Only the version, read first so that another version is `unsupported` whatever its fields.
#[derive(Deserialize)]
struct VersionOnly {
    v: u32,
}

fn fixed<const N: usize>(field: Option<String>, what: &'static str) -> Result<[u8; N]> {
    base64url::decode_array::<N>(&field.ok_or(Error::Malformed(what))?, what)
}

/// Parses a message strictly (docs/FORMAT.md, "Messages", parsing order).
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(Error::TooLarge("a pairing message is at most 393216 bytes"));
    }
    let version: VersionOnly =
        serde_json::from_slice(bytes).map_err(|_| Error::Malformed("a pairing message is a JSON object with v"))?;
    if version.v != MESSAGE_VERSION {
        return Err(Error::Unsupported("pairing message version"));
    }
    let wire: WireIn = serde_json::from_slice(bytes).map_err(|_| Error::Malformed("pairing message"))?;
    let mailbox = check_mailbox(wire.mailbox).ok_or(Error::Malformed("pairing message mailbox"))?;
    let WireIn { seq, role, kind, pake, device, mac, nonce, sealed, .. } = wire;
    let absent = |fields: &[bool]| fields.iter().all(|present| !present);
    let body = match (seq, role, kind) {
        (1, Role::Initiator, MessageKind::Pake)
            if absent(&[device.is_some(), mac.is_some(), nonce.is_some(), sealed.is_some()]) =>
        {
            Body::Pake { pake: fixed(pake, "pairing pake")?, device: None }
        }
        (2, Role::Joiner, MessageKind::Pake) if absent(&[mac.is_some(), nonce.is_some(), sealed.is_some()]) => {
            let device = device.ok_or(Error::Malformed("the joiner's pake message names its device"))?.check()?;
            Body::Pake { pake: fixed(pake, "pairing pake")?, device: Some(device) }
        }
        (3, Role::Joiner, MessageKind::Confirm) | (4, Role::Initiator, MessageKind::Confirm)
            if absent(&[pake.is_some(), device.is_some(), nonce.is_some(), sealed.is_some()]) =>
        {
            Body::Confirm { mac: fixed(mac, "pairing mac")? }
        }
        (5, Role::Initiator, MessageKind::Deny)
            if absent(&[pake.is_some(), device.is_some(), nonce.is_some(), sealed.is_some()]) =>
        {
            Body::Deny { mac: fixed(mac, "pairing mac")? }
        }
        (5, Role::Initiator, MessageKind::Keys) if absent(&[pake.is_some(), device.is_some(), mac.is_some()]) => {
            let nonce = fixed(nonce, "pairing nonce")?;
            let sealed = base64url::decode(&sealed.ok_or(Error::Malformed("pairing sealed"))?)?;
            if sealed.len() > MAX_PAYLOAD_LEN + TAG_LEN {
                return Err(Error::TooLarge("a pairing payload is at most 262144 bytes"));
            }
            if sealed.len() <= TAG_LEN {
                return Err(Error::Malformed("pairing sealed payload is empty"));
            }
            Body::Keys { nonce, sealed }
        }
        _ => return Err(Error::Malformed("pairing message: seq, role, kind and fields do not match")),
    };
    Ok(Parsed { mailbox, seq, role, body })
}

/// A message to post to the mailbox: its exact bytes (compact JSON) and what it is.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingMessage {
    text: String,
    seq: u32,
    role: Role,
    kind: MessageKind,
}

impl PairingMessage {
    /// Writes a message: the fields in the order of the spec, no white space.
    pub(crate) fn encode(mailbox: u16, seq: u32, role: Role, body: &Body) -> Result<PairingMessage> {
        let b64 = |bytes: &[u8]| Some(base64url::encode(bytes));
        let mut wire = WireOut {
            v: MESSAGE_VERSION,
            mailbox: u32::from(mailbox),
            seq,
            role,
            kind: MessageKind::Pake,
            pake: None,
            device: None,
            mac: None,
            nonce: None,
            sealed: None,
        };
        match body {
            Body::Pake { pake, device } => {
                wire.pake = b64(pake);
                wire.device = device.as_ref();
            }
            Body::Confirm { mac } => {
                wire.kind = MessageKind::Confirm;
                wire.mac = b64(mac);
            }
            Body::Keys { nonce, sealed } => {
                wire.kind = MessageKind::Keys;
                wire.nonce = b64(nonce);
                wire.sealed = b64(sealed);
            }
            Body::Deny { mac } => {
                wire.kind = MessageKind::Deny;
                wire.mac = b64(mac);
            }
        }
        let text = serde_json::to_string(&wire).map_err(|_| Error::InvalidState("pairing message encoding"))?;
        Ok(PairingMessage { text, seq, role, kind: wire.kind })
    }

    /// The exact bytes to post.
    pub fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// The exact text to post (JSON, UTF-8).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, by value.
    pub fn into_string(self) -> String {
        self.text
    }

    /// Its sequence number (1 to 5).
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// Who sends it.
    pub fn role(&self) -> Role {
        self.role
    }

    /// What it carries.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }
}

impl fmt::Debug for PairingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairingMessage")
            .field("seq", &self.seq)
            .field("role", &self.role)
            .field("kind", &self.kind)
            .field("len", &self.text.len())
            .finish()
    }
}
