//! The short code (docs/FORMAT.md, "The code"): `mailbox-word-word-word`.
//!
//! The mailbox (1 to 9999) is public and routes to the server's mailbox; the three BIP-39 English
//! words (33 bits) are the secret that SPAKE2 runs over.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding::Tuple;
use crate::error::{Error, Result};
use crate::primitives::random::{RandomSource, random_array};

/// Highest mailbox number.
pub const MAX_MAILBOX: u16 = 9999;
/// Words in a code.
pub const CODE_WORDS: usize = 3;
/// Longest typed code accepted, in bytes.
pub const MAX_CODE_INPUT: usize = 128;

/// The label that starts the SPAKE2 password.
const PASSWORD_LABEL: &str = "spsync/v1/pair/code";

/// A pairing code: the public mailbox number and three secret words.
///
/// Zeroized on drop; `Debug` shows the mailbox only.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct PairingCode {
    mailbox: u16,
    /// Indices into the BIP-39 English list, each below 2048.
    words: [u16; CODE_WORDS],
}

/// Checks a mailbox number (1 to 9999).
pub(crate) fn check_mailbox(mailbox: u32) -> Option<u16> {
    u16::try_from(mailbox).ok().filter(|m| (1..=MAX_MAILBOX).contains(m))
}

fn word(index: u16) -> &'static str {
    let list = bip39::Language::English.word_list();
    list.get(usize::from(index)).copied().unwrap_or_default()
}

impl PairingCode {
    /// Makes a code for `mailbox` (allocated by the server) with three random words: 6 bytes from
    /// `rng`, each word `list[u16be & 0x07ff]`.
    pub fn make(mailbox: u16, rng: &mut dyn RandomSource) -> Result<PairingCode> {
        if check_mailbox(u32::from(mailbox)).is_none() {
            return Err(Error::InvalidInput("a mailbox is a number from 1 to 9999"));
        }
        let random = Zeroizing::new(random_array::<{ 2 * CODE_WORDS }>(rng)?);
        let mut words = [0u16; CODE_WORDS];
        for (slot, pair) in words.iter_mut().zip(random.chunks_exact(2)) {
            *slot = u16::from_be_bytes([pair[0], pair[1]]) & 0x07ff;
        }
        Ok(PairingCode { mailbox, words })
    }

    /// Reads a code as a user typed it: ASCII, any case, parts separated by runs of `-` or white
    /// space. Anything else is `invalid_input`.
    pub fn parse(input: &str) -> Result<PairingCode> {
        if input.len() > MAX_CODE_INPUT {
            return Err(Error::InvalidInput("a pairing code is at most 128 bytes"));
        }
        if !input.is_ascii() {
            return Err(Error::InvalidInput("a pairing code is ASCII letters, digits and dashes"));
        }
        let lower = Zeroizing::new(input.to_ascii_lowercase());
        let mut parts = lower.split(['-', ' ', '\t', '\r', '\n']).filter(|p| !p.is_empty());
        let mailbox = parts
            .next()
            .and_then(parse_mailbox)
            .ok_or(Error::InvalidInput("a pairing code starts with its mailbox number (1 to 9999, no leading zero)"))?;
        let mut words = [0u16; CODE_WORDS];
        for slot in &mut words {
            let part = parts.next().ok_or(Error::InvalidInput("a pairing code has a number and three words"))?;
            *slot = bip39::Language::English
                .find_word(part)
                .ok_or(Error::InvalidInput("a word of the pairing code is not in the word list"))?;
        }
        if parts.next().is_some() {
            return Err(Error::InvalidInput("a pairing code has a number and three words"));
        }
        Ok(PairingCode { mailbox, words })
    }

    /// The mailbox number (public).
    pub fn mailbox(&self) -> u16 {
        self.mailbox
    }

    /// The canonical text, `4821-ocean-velvet-tiger`, to show to the user.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(4 + CODE_WORDS * 9));
        text.push_str(&self.mailbox.to_string());
        for &index in &self.words {
            text.push('-');
            text.push_str(word(index));
        }
        text
    }

    /// SPAKE2's password: `tuple("spsync/v1/pair/code", mailbox, word1, word2, word3)`.
    pub(crate) fn password(&self) -> Zeroizing<Vec<u8>> {
        let mut tuple = Tuple::new().str(PASSWORD_LABEL).str(&self.mailbox.to_string());
        for &index in &self.words {
            tuple = tuple.str(word(index));
        }
        Zeroizing::new(tuple.into_bytes())
    }
}

/// The canonical decimal 1..=9999, no sign and no leading zero.
fn parse_mailbox(part: &str) -> Option<u16> {
    if part.is_empty() || part.len() > 4 || part.starts_with('0') || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse::<u32>().ok().and_then(check_mailbox)
}

impl fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairingCode {{ mailbox: {}, words: <redacted> }}", self.mailbox)
    }
}
