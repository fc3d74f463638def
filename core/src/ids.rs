//! Identifiers of the format: key ids, blob ids, device ids and blob types.
//!
//! In JSON, ids are exactly 32 lowercase hex characters; in every AAD and HKDF input they are
//! 16 raw bytes. A `device_id` is 1 to 64 bytes of `[a-z0-9-]`, raw ASCII in every AAD.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

use crate::encoding::hex;
use crate::error::{Error, Result};

macro_rules! id16 {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// The 16 raw bytes, as they enter AADs and HKDF inputs.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// The 32-character lowercase hex form.
            pub fn to_hex(&self) -> String {
                hex::encode(&self.0)
            }

            /// Parses exactly 32 lowercase hex characters.
            pub fn from_hex(text: &str) -> Result<Self> {
                hex::decode_array::<16>(text, $what).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self> {
                Self::from_hex(text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::from_hex(&text).map_err(D::Error::custom)
            }
        }
    };
}

id16!(
    /// Names a master key (16 random bytes, chosen when the key is made).
    KeyId,
    "key_id is not 32 lowercase hex characters"
);
id16!(
    /// Names a blob (16 bytes: random, or derived from `id_key` for packaged data).
    BlobId,
    "blob_id is not 32 lowercase hex characters"
);

/// A device id: 1 to 64 bytes of `[a-z0-9-]` (a UUID fits).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// Longest device id, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Checks and wraps a device id.
    pub fn new(text: impl Into<String>) -> Result<DeviceId> {
        let text = text.into();
        let ok = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok { Ok(DeviceId(text)) } else { Err(Error::Malformed("device_id is not 1 to 64 of [a-z0-9-]")) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({})", self.0)
    }
}

impl FromStr for DeviceId {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        DeviceId::new(text)
    }
}

impl Serialize for DeviceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DeviceId::new(text.into_owned()).map_err(D::Error::custom)
    }
}

/// What a blob holds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobType {
    /// A records bundle (frames, OCR text, transcriptions, accessibility and UI text).
    Text,
    /// One video chunk file, byte for byte.
    Frames,
    /// One audio chunk file, byte for byte.
    Audio,
}

impl BlobType {
    /// Every blob type.
    pub const ALL: [BlobType; 3] = [BlobType::Text, BlobType::Frames, BlobType::Audio];

    /// The ASCII name, as it enters the blob context.
    pub fn as_str(self) -> &'static str {
        match self {
            BlobType::Text => "text",
            BlobType::Frames => "frames",
            BlobType::Audio => "audio",
        }
    }

    /// Largest decompressed payload allowed for this type (docs/FORMAT.md, "Payload layers": 2^28 for `text`,
    /// 2^30 otherwise).
    pub fn max_decompressed_len(self) -> u64 {
        match self {
            BlobType::Text => 1 << 28,
            BlobType::Frames | BlobType::Audio => 1 << 30,
        }
    }
}

impl fmt::Display for BlobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BlobType {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "text" => Ok(BlobType::Text),
            "frames" => Ok(BlobType::Frames),
            "audio" => Ok(BlobType::Audio),
            _ => Err(Error::Malformed("blob_type is not text, frames or audio")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids() {
        assert!(DeviceId::new("laptop-1").is_ok());
        assert!(DeviceId::new("6f9619ff-8b86-d011-b42d-00c04fc964ff").is_ok());
        assert!(DeviceId::new("a".repeat(64)).is_ok());
        for bad in ["", "Laptop", "a b", "a_b", "é"] {
            assert!(DeviceId::new(bad).is_err(), "{bad:?}");
        }
        assert!(DeviceId::new("a".repeat(65)).is_err());
    }

    #[test]
    fn ids_in_json() {
        let id = BlobId([0x0f; 16]);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", "0f".repeat(16)));
        assert_eq!(serde_json::from_str::<BlobId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<BlobId>(&json.to_uppercase()).is_err());
        assert!(serde_json::from_str::<BlobType>("\"Text\"").is_err());
        assert_eq!(serde_json::from_str::<BlobType>("\"audio\"").unwrap(), BlobType::Audio);
    }
}
