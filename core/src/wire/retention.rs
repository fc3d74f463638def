//! Cloud retention chosen by the person, per data type (`GET`/`PUT /account/retention`):
//! days a completed blob of that type is kept after its `time_end`, within the tier's own
//! retention (docs/FORMAT.md, section 11.1).

use serde::{Deserialize, Serialize};

use crate::BlobType;

/// Days each blob type is kept in the cloud after its `time_end`; `None` (`null` or absent):
/// as long as the tier keeps data (forever on Pro and Team).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Records bundles (screen text, transcriptions, ...).
    #[serde(default)]
    pub text: Option<u32>,
    /// Video chunks and snapshot packs.
    #[serde(default)]
    pub frames: Option<u32>,
    /// Audio chunks.
    #[serde(default)]
    pub audio: Option<u32>,
}

impl RetentionPolicy {
    /// The days chosen for `blob_type`.
    pub fn days(&self, blob_type: BlobType) -> Option<u32> {
        match blob_type {
            BlobType::Text => self.text,
            BlobType::Frames => self.frames,
            BlobType::Audio => self.audio,
        }
    }

    /// Chooses `days` for `blob_type`.
    pub fn set(&mut self, blob_type: BlobType, days: Option<u32>) {
        match blob_type {
            BlobType::Text => self.text = days,
            BlobType::Frames => self.frames = days,
            BlobType::Audio => self.audio = days,
        }
    }

    /// Every type with a chosen number of days.
    pub fn chosen(&self) -> Vec<(BlobType, u32)> {
        BlobType::ALL.into_iter().filter_map(|t| self.days(t).map(|d| (t, d))).collect()
    }
}

/// Answer to `GET` and `PUT /account/retention`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionResponse {
    /// The account's choice.
    pub policy: RetentionPolicy,
    /// The tier's own retention in days (`null`: forever); no choice may exceed it.
    pub tier_retention_days: Option<u32>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn policy_json() {
        let p: RetentionPolicy = serde_json::from_str(r#"{"text": null, "frames": 90, "audio": 365}"#).unwrap();
        assert_eq!(p, RetentionPolicy { text: None, frames: Some(90), audio: Some(365) });
        assert_eq!(p.chosen(), vec![(BlobType::Frames, 90), (BlobType::Audio, 365)]);
        assert_eq!(serde_json::from_str::<RetentionPolicy>("{}").unwrap(), RetentionPolicy::default());
        assert!(serde_json::from_str::<RetentionPolicy>(r#"{"screen": 90}"#).is_err());
        assert!(serde_json::from_str::<RetentionPolicy>(r#"{"audio": -1}"#).is_err());
        let mut q = RetentionPolicy::default();
        q.set(BlobType::Text, Some(7));
        assert_eq!(q.days(BlobType::Text), Some(7));
        assert_eq!(serde_json::to_string(&q).unwrap(), r#"{"text":7,"frames":null,"audio":null}"#);
    }
}
