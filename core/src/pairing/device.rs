//! The joiner's name and OS, as shown on the initiator for approval (docs/FORMAT.md, "Linking a new device",
//! "Messages").

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::wire::limits::MAX_DEVICE_NAME_LEN;

/// The new device's name and OS, authenticated by both key confirmations.
///
/// Each is 1 to 128 bytes of UTF-8 with no control character and no bidirectional formatting
/// character, so that an approval prompt shows exactly what was sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    name: String,
    os: String,
}

/// The JSON shape, checked by [`DeviceInfo::new`] after parsing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceWire {
    name: String,
    os: String,
}

impl DeviceWire {
    /// Checks the fields; a violation is `malformed` (it came from outside).
    pub(crate) fn check(self) -> Result<DeviceInfo> {
        DeviceInfo::new(self.name, self.os).map_err(|_| Error::Malformed("pairing device name or OS"))
    }
}

/// Characters that reorder text on screen (Unicode `Bidi_Control`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn check_text(text: &str) -> Result<()> {
    if text.is_empty() || text.len() > MAX_DEVICE_NAME_LEN {
        return Err(Error::InvalidInput("a device name or OS is 1 to 128 bytes"));
    }
    if text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(Error::InvalidInput("a device name or OS has no control or bidirectional characters"));
    }
    Ok(())
}

impl DeviceInfo {
    /// A device name and OS; `invalid_input` outside the bounds above.
    pub fn new(name: impl Into<String>, os: impl Into<String>) -> Result<DeviceInfo> {
        let (name, os) = (name.into(), os.into());
        check_text(&name)?;
        check_text(&os)?;
        Ok(DeviceInfo { name, os })
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's OS.
    pub fn os(&self) -> &str {
        &self.os
    }
}
