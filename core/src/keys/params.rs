//! Argon2id parameters and their bounds (docs/FORMAT.md, "Password to wrap key").
//!
//! A client refuses parameters outside the bounds, so that a server can neither weaken the key
//! nor make a phone or a browser allocate without bound.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Argon2id cost parameters (version 0x13 always).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

/// Smallest memory accepted, KiB.
pub const MIN_M_KIB: u32 = 19_456;
/// Largest memory accepted, KiB.
pub const MAX_M_KIB: u32 = 262_144;
/// Fewest passes accepted.
pub const MIN_T: u32 = 2;
/// Most passes accepted.
pub const MAX_T: u32 = 16;
/// Fewest lanes accepted.
pub const MIN_P: u32 = 1;
/// Most lanes accepted.
pub const MAX_P: u32 = 16;
/// Shortest salt accepted, bytes.
pub const MIN_SALT_LEN: usize = 16;
/// Longest salt accepted, bytes.
pub const MAX_SALT_LEN: usize = 64;
/// Salt length used for new envelopes, bytes.
pub const DEFAULT_SALT_LEN: usize = 32;

impl KdfParams {
    /// The defaults for new envelopes: 64 MiB, 3 passes, 4 lanes.
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 65_536, t: 3, p: 4 };

    /// `params_out_of_bounds` unless every parameter is within the bounds of docs/FORMAT.md, "Password to wrap key".
    pub fn check(&self) -> Result<()> {
        if !(MIN_M_KIB..=MAX_M_KIB).contains(&self.m_kib) {
            return Err(Error::ParamsOutOfBounds("m_kib must be 19456 to 262144"));
        }
        if !(MIN_T..=MAX_T).contains(&self.t) {
            return Err(Error::ParamsOutOfBounds("t must be 2 to 16"));
        }
        if !(MIN_P..=MAX_P).contains(&self.p) {
            return Err(Error::ParamsOutOfBounds("p must be 1 to 16"));
        }
        if self.m_kib < 8 * self.p {
            return Err(Error::ParamsOutOfBounds("m_kib must be at least 8 * p"));
        }
        Ok(())
    }

    /// True when these parameters are weaker than the defaults in some dimension, so that a
    /// client may re-wrap with the defaults after a successful unlock.
    pub fn below_default(&self) -> bool {
        self.m_kib < Self::DEFAULT.m_kib || self.t < Self::DEFAULT.t
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// `params_out_of_bounds` unless `16 <= len <= 64`.
pub fn check_salt_len(len: usize) -> Result<()> {
    if (MIN_SALT_LEN..=MAX_SALT_LEN).contains(&len) {
        Ok(())
    } else {
        Err(Error::ParamsOutOfBounds("salt must be 16 to 64 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_within_bounds() {
        KdfParams::DEFAULT.check().unwrap();
        assert!(!KdfParams::DEFAULT.below_default());
    }

    #[test]
    fn floors_and_ceilings_are_enforced() {
        let ok = |m, t, p| KdfParams { m_kib: m, t, p }.check().is_ok();
        assert!(ok(19_456, 2, 1));
        assert!(ok(262_144, 16, 16));
        assert!(!ok(19_455, 2, 1));
        assert!(!ok(262_145, 2, 1));
        assert!(!ok(65_536, 1, 1));
        assert!(!ok(65_536, 17, 1));
        assert!(!ok(65_536, 3, 0));
        assert!(!ok(65_536, 3, 17));
        assert!(!ok(0, 0, 0));
        assert!(!ok(u32::MAX, u32::MAX, u32::MAX));
        for p in 1..=16 {
            // m_kib >= 8 * p always holds above the floor; the rule still is checked.
            assert!(ok(19_456, 2, p));
        }
        assert!(check_salt_len(16).is_ok() && check_salt_len(64).is_ok());
        assert!(check_salt_len(15).is_err() && check_salt_len(65).is_err() && check_salt_len(0).is_err());
        assert_eq!(check_salt_len(8).unwrap_err().code(), "params_out_of_bounds");
    }
}
