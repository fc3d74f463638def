//! The link URI shown as a QR code (docs/FORMAT.md, "The code"):
//! `screenpipe-sync://link?v=1&code=…&server=…`.

use std::fmt;

use zeroize::Zeroizing;

use super::code::PairingCode;
use crate::error::{Error, Result};

/// Everything before the parameters.
pub const LINK_URI_PREFIX: &str = "screenpipe-sync://link?";
/// Longest link URI accepted, in bytes.
pub const MAX_LINK_URI_LEN: usize = 4096;
/// Longest server URL, in bytes.
pub const MAX_SERVER_URL_LEN: usize = 2048;

/// A code and the server that holds its mailbox, as a QR code carries them. No credential.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkUri {
    code: PairingCode,
    server: String,
}

fn check_server(server: &str) -> bool {
    (1..=MAX_SERVER_URL_LEN).contains(&server.len())
        && (server.starts_with("https://") || server.starts_with("http://"))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes every byte outside the unreserved set, with uppercase hex.
fn encode_component(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Decodes unreserved characters and `%XX` (either case) into UTF-8; anything else is
/// `malformed`.
fn decode_component(text: &str) -> Result<Zeroizing<String>> {
    let bad = || Error::Malformed("link URI: bad percent-encoding");
    let mut bytes = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let (hex, tail) = tail.split_at_checked(2).ok_or_else(bad)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            bytes.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            rest = tail;
        } else if is_unreserved(b) {
            bytes.push(b);
            rest = tail;
        } else {
            return Err(bad());
        }
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| Error::Malformed("link URI: not UTF-8"))?;
    Ok(Zeroizing::new(text))
}

impl LinkUri {
    /// A link for `code` on `server` (an `https://` or `http://` URL of 1 to 2048 bytes;
    /// `invalid_input` otherwise).
    pub fn new(code: PairingCode, server: impl Into<String>) -> Result<LinkUri> {
        let server = server.into();
        if !check_server(&server) {
            return Err(Error::InvalidInput("the server is an http(s) URL of at most 2048 bytes"));
        }
        Ok(LinkUri { code, server })
    }

    /// The code.
    pub fn code(&self) -> &PairingCode {
        &self.code
    }

    /// The server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The URI text: `screenpipe-sync://link?v=1&code=…&server=…`.
    pub fn to_uri(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(LINK_URI_PREFIX.len() + 64 + 3 * self.server.len()));
        out.push_str(LINK_URI_PREFIX);
        out.push_str("v=1&code=");
        encode_component(&self.code.to_text(), &mut out);
        out.push_str("&server=");
        encode_component(&self.server, &mut out);
        out
    }

    /// Reads a link URI strictly: the prefix, then exactly `v`, `code`, `server` once each in
    /// any order. `v` other than 1 is `unsupported`; a bad code is `invalid_input`; anything
    /// else is `malformed`.
    pub fn parse(text: &str) -> Result<LinkUri> {
        if text.len() > MAX_LINK_URI_LEN {
            return Err(Error::Malformed("a link URI is at most 4096 bytes"));
        }
        let query = text.strip_prefix(LINK_URI_PREFIX).ok_or(Error::Malformed("not a screenpipe-sync link URI"))?;
        let (mut v, mut code, mut server) = (None, None, None);
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').ok_or(Error::Malformed("link URI: a parameter without a value"))?;
            let slot = match key {
                "v" => &mut v,
                "code" => &mut code,
                "server" => &mut server,
                _ => return Err(Error::Malformed("link URI: unknown parameter")),
            };
            if slot.replace(decode_component(value)?).is_some() {
                return Err(Error::Malformed("link URI: a parameter given twice"));
            }
        }
        let (Some(v), Some(code), Some(server)) = (v, code, server) else {
            return Err(Error::Malformed("link URI: v, code and server are required"));
        };
        if v.as_str() != "1" {
            return Err(Error::Unsupported("link URI version"));
        }
        let code = PairingCode::parse(&code)?;
        if !check_server(&server) {
            return Err(Error::Malformed("link URI: the server is not an http(s) URL of at most 2048 bytes"));
        }
        Ok(LinkUri { code, server: server.to_string() })
    }
}

impl fmt::Debug for LinkUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkUri").field("code", &self.code).field("server", &self.server).finish()
    }
}
