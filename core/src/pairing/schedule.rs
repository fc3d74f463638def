//! The transcript and the keys derived from it: confirmation MACs both ways, the deny MAC, and
//! the sealing of the payload (docs/FORMAT.md, "Transcript, keys, confirmation, sealing").

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::message::{MAC_LEN, NONCE_LEN, Role};
use crate::encoding::Tuple;
use crate::error::{Error, Result};
use crate::primitives::hkdf::{hkdf_sha256, hmac_sha256};
use crate::primitives::xchacha;

/// Largest payload (the serialized keyring), in bytes.
pub const MAX_PAYLOAD_LEN: usize = 262_144;

/// The protocol label, first element of the transcript.
const LABEL: &str = "spsync/v1/pair";
/// The protocol version in the transcript.
const VERSION: u8 = 1;

/// A key of one pairing session (confirmation or sealing), zeroized on drop.
type PairKey = Zeroizing<[u8; 32]>;

/// `th = SHA-256(tuple("spsync/v1/pair", u8(1), mailbox, "initiator", "joiner", m1, m2))`.
pub(crate) fn transcript_hash(mailbox: u16, m1: &[u8], m2: &[u8]) -> [u8; 32] {
    let tt = Tuple::new()
        .str(LABEL)
        .u8(VERSION)
        .str(&mailbox.to_string())
        .str("initiator")
        .str("joiner")
        .bytes(m1)
        .bytes(m2);
    Sha256::digest(tt.as_bytes()).into()
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Initiator => "initiator",
        Role::Joiner => "joiner",
    }
}

/// The session keys: `HKDF(spake_key, salt = th, info = "spsync/v1/pair/" || x, 32)`.
pub(crate) struct SessionKeys {
    th: [u8; 32],
    confirm_initiator: PairKey,
    confirm_joiner: PairKey,
    seal: PairKey,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

impl SessionKeys {
    /// Derives the keys from SPAKE2's key and the transcript hash.
    pub(crate) fn derive(spake_key: &[u8; 32], th: [u8; 32]) -> Result<SessionKeys> {
        let key = |name: &str| -> Result<PairKey> {
            let info = format!("{LABEL}/{name}");
            Ok(Zeroizing::new(hkdf_sha256::<32>(spake_key, Some(&th), info.as_bytes())?))
        };
        Ok(SessionKeys {
            th,
            confirm_initiator: key("confirm-initiator")?,
            confirm_joiner: key("confirm-joiner")?,
            seal: key("seal")?,
        })
    }

    fn confirm_key(&self, role: Role) -> &PairKey {
        match role {
            Role::Initiator => &self.confirm_initiator,
            Role::Joiner => &self.confirm_joiner,
        }
    }

    /// `HMAC(k_confirm-role, tuple("spsync/v1/pair/confirm", role, th))`.
    pub(crate) fn confirmation(&self, role: Role) -> Result<[u8; MAC_LEN]> {
        let input = Tuple::new().str("spsync/v1/pair/confirm").str(role_name(role)).bytes(&self.th);
        hmac_sha256(&**self.confirm_key(role), input.as_bytes())
    }

    /// Checks `role`'s confirmation in constant time; a difference is `pairing_failed`.
    pub(crate) fn check_confirmation(&self, role: Role, mac: &[u8; MAC_LEN]) -> Result<()> {
        let expected = self.confirmation(role)?;
        if bool::from(expected.ct_eq(mac)) { Ok(()) } else { Err(Error::PairingFailed) }
    }

    /// `HMAC(k_confirm-initiator, tuple("spsync/v1/pair/deny", th))`.
    pub(crate) fn deny_mac(&self) -> Result<[u8; MAC_LEN]> {
        let input = Tuple::new().str("spsync/v1/pair/deny").bytes(&self.th);
        hmac_sha256(&*self.confirm_initiator, input.as_bytes())
    }

    /// Checks a deny MAC: `pairing_denied` when it verifies, `tampered` otherwise.
    pub(crate) fn check_deny(&self, mac: &[u8; MAC_LEN]) -> Error {
        match self.deny_mac() {
            Ok(expected) if bool::from(expected.ct_eq(mac)) => Error::PairingDenied,
            Ok(_) => Error::Tampered("pairing deny message"),
            Err(e) => e,
        }
    }

    fn keys_aad(&self) -> Vec<u8> {
        Tuple::new().str("spsync/v1/pair/keys").bytes(&self.th).into_bytes()
    }

    /// Seals the payload: `XChaCha.seal(k_seal, nonce, payload, tuple("spsync/v1/pair/keys", th))`.
    pub(crate) fn seal(&self, nonce: &[u8; NONCE_LEN], payload: &[u8]) -> Result<Vec<u8>> {
        if payload.is_empty() || payload.len() > MAX_PAYLOAD_LEN {
            return Err(Error::InvalidInput("a pairing payload is 1 to 262144 bytes"));
        }
        xchacha::seal(&self.seal, nonce, payload, &self.keys_aad())
    }

    /// Opens the sealed payload; a failure is `tampered`.
    pub(crate) fn open(&self, nonce: &[u8; NONCE_LEN], sealed: &[u8]) -> Result<PairingPayload> {
        xchacha::open(&self.seal, nonce, sealed, &self.keys_aad())
            .map(PairingPayload)
            .ok_or(Error::Tampered("pairing sealed payload"))
    }
}

/// The payload the joiner received (the serialized keyring). Zeroized on drop; `Debug` prints
/// its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingPayload(Zeroizing<Vec<u8>>);

impl PairingPayload {
    /// The payload bytes. Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The payload, by value (still zeroized on drop).
    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl fmt::Debug for PairingPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairingPayload(<redacted, {} bytes>)", self.0.len())
    }
}
