//! The recovery key and its envelope (docs/FORMAT.md, "Recovery").
//!
//! The recovery key is 32 random bytes shown once as a 24-word BIP-39 English mnemonic, never
//! stored. Input is normalized (NFKD, lowercase, split on white space); a bad word, word count or
//! checksum is `bad_mnemonic`.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::master::{MasterKey, MasterSecret};
use crate::encoding::Tuple;
use crate::error::{Error, Result};
use crate::ids::KeyId;
use crate::primitives::hkdf::hkdf_sha256;
use crate::primitives::random::{RandomSource, random_array};
use crate::primitives::secret::secret_bytes;
use crate::primitives::xchacha;
use crate::wire::envelopes::RecoveryEnvelope;

secret_bytes!(
    /// The 32-byte recovery key.
    RecoveryKey
);

/// Words in a recovery phrase.
pub const PHRASE_WORDS: usize = 24;
/// Longest phrase input accepted, in bytes (24 words of at most 8 letters, with generous
/// white space).
pub const MAX_PHRASE_INPUT: usize = 1024;

/// A recovery phrase: 24 English BIP-39 words separated by single spaces.
///
/// Zeroized on drop; `Debug` prints no word.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryPhrase(String);

impl RecoveryPhrase {
    /// The phrase, to show to the user once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryPhrase(<redacted>)")
    }
}

impl RecoveryKey {
    /// Makes a new random recovery key.
    pub fn make(rng: &mut dyn RandomSource) -> Result<RecoveryKey> {
        let bytes = Zeroizing::new(random_array::<32>(rng)?);
        Ok(RecoveryKey::from_bytes(*bytes))
    }

    /// The 24-word mnemonic of this key.
    pub fn to_phrase(&self) -> Result<RecoveryPhrase> {
        let mnemonic = bip39::Mnemonic::from_entropy_in(bip39::Language::English, self.expose())
            .map_err(|_| Error::InvalidState("BIP-39 encoding"))?;
        let mut words = String::with_capacity(24 * 9);
        for (i, word) in mnemonic.words().enumerate() {
            if i > 0 {
                words.push(' ');
            }
            words.push_str(word);
        }
        Ok(RecoveryPhrase(words))
    }

    /// Parses a phrase typed by a user: NFKD, lowercase, any white space between words.
    pub fn from_phrase(input: &str) -> Result<RecoveryKey> {
        if input.len() > MAX_PHRASE_INPUT {
            return Err(Error::BadMnemonic("the phrase is too long"));
        }
        let normalized: Zeroizing<String> = Zeroizing::new(input.nfkd().collect::<String>().to_lowercase());
        let words: Vec<&str> = normalized.split_whitespace().collect();
        if words.len() != PHRASE_WORDS {
            return Err(Error::BadMnemonic("a recovery phrase has 24 words"));
        }
        let joined = Zeroizing::new(words.join(" "));
        let mnemonic =
            bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &joined).map_err(|e| match e {
                bip39::Error::UnknownWord(_) => Error::BadMnemonic("a word is not in the BIP-39 English list"),
                bip39::Error::InvalidChecksum => Error::BadMnemonic("the checksum does not match"),
                _ => Error::BadMnemonic("not a valid phrase"),
            })?;
        let (entropy, len) = mnemonic.to_entropy_array();
        let entropy = Zeroizing::new(entropy);
        let bytes = entropy.get(..len).ok_or(Error::BadMnemonic("not a valid phrase"))?;
        RecoveryKey::from_slice(bytes).map_err(|_| Error::BadMnemonic("not a 256-bit phrase"))
    }

    /// `HKDF(recovery_key, info = "spsync/v1/recovery-wrap", 32)`.
    fn derive_wrap_key(&self) -> Result<Zeroizing<[u8; 32]>> {
        Ok(Zeroizing::new(hkdf_sha256::<32>(self.expose(), None, b"spsync/v1/recovery-wrap")?))
    }
}

/// `tuple("spsync/v1/recovery-envelope", u8(1), key_id, u32be(key_version))`.
pub fn recovery_aad(key_id: &KeyId, key_version: u32) -> Vec<u8> {
    Tuple::new().str("spsync/v1/recovery-envelope").u8(1).bytes(key_id.as_bytes()).u32(key_version).into_bytes()
}

/// Seals `master` under the recovery key with a fresh nonce.
pub fn seal_recovery_envelope(
    master: &MasterKey,
    key_version: u32,
    recovery: &RecoveryKey,
    rng: &mut dyn RandomSource,
) -> Result<RecoveryEnvelope> {
    let nonce: [u8; 24] = random_array(rng)?;
    seal_recovery_envelope_with(master, key_version, recovery, &nonce)
}

/// Seals with a given nonce (deterministic; for vectors and tests).
pub fn seal_recovery_envelope_with(
    master: &MasterKey,
    key_version: u32,
    recovery: &RecoveryKey,
    nonce: &[u8; 24],
) -> Result<RecoveryEnvelope> {
    let wrap = recovery.derive_wrap_key()?;
    let aad = recovery_aad(&master.key_id, key_version);
    let wrapped_key = xchacha::wrap_key(&wrap, nonce, master.secret.expose(), &aad)?;
    Ok(RecoveryEnvelope { v: 1, key_id: master.key_id, key_version, nonce: *nonce, wrapped_key })
}

/// Opens a recovery envelope. A key that does not open it is `wrong_password` (the same
/// meaning as for the password envelope: this secret does not unlock this account).
pub fn open_recovery_envelope(env: &RecoveryEnvelope, recovery: &RecoveryKey) -> Result<MasterKey> {
    env.check_version()?;
    let wrap = recovery.derive_wrap_key()?;
    let aad = recovery_aad(&env.key_id, env.key_version);
    let secret = xchacha::unwrap_key(&wrap, &env.nonce, &env.wrapped_key, &aad).ok_or(Error::WrongPassword)?;
    Ok(MasterKey { key_id: env.key_id, key_version: Some(env.key_version), secret: MasterSecret::from_bytes(secret) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::SeededRandom;

    #[test]
    fn phrase_round_trip_and_normalization() {
        let key = RecoveryKey::make(&mut SeededRandom::new(1)).unwrap();
        let phrase = key.to_phrase().unwrap();
        assert_eq!(phrase.expose().split(' ').count(), 24);
        assert_eq!(RecoveryKey::from_phrase(phrase.expose()).unwrap(), key);
        let messy = format!("  {}\n", phrase.expose().to_uppercase().replace(' ', " \t "));
        assert_eq!(RecoveryKey::from_phrase(&messy).unwrap(), key);
        assert!(!format!("{phrase:?}").contains(phrase.expose().split(' ').next().unwrap()));
    }

    #[test]
    fn bad_phrases() {
        let key = RecoveryKey::from_bytes([0; 32]);
        let phrase = key.to_phrase().unwrap();
        // 32 zero bytes: "abandon" x 23 then "art".
        assert!(phrase.expose().starts_with("abandon abandon"));
        assert!(phrase.expose().ends_with(" art"));
        let wrong_checksum = phrase.expose().replace(" art", " abandon");
        assert_eq!(RecoveryKey::from_phrase(&wrong_checksum).unwrap_err().code(), "bad_mnemonic");
        let unknown = phrase.expose().replacen("abandon", "abandonx", 1);
        assert_eq!(RecoveryKey::from_phrase(&unknown).unwrap_err().code(), "bad_mnemonic");
        let short = phrase.expose().split(' ').take(12).collect::<Vec<_>>().join(" ");
        assert_eq!(RecoveryKey::from_phrase(&short).unwrap_err().code(), "bad_mnemonic");
        assert_eq!(RecoveryKey::from_phrase("").unwrap_err().code(), "bad_mnemonic");
        assert_eq!(RecoveryKey::from_phrase(&"a ".repeat(1000)).unwrap_err().code(), "bad_mnemonic");
    }
}
