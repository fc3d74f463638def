//! Limits on what one account or one client may hold or ask of the server: pending uploads per
//! account. Each setting is a flag, a `SYNC_SERVER_*` variable and a key of the TOML file's
//! `[limits]` table ([`LimitSettings`], all optional), resolved over the defaults into
//! [`Limits`]. None of them is a secret.

use clap::Args;
use serde::Deserialize;
use sync_core::wire::SyncTier;

use super::ConfigError;
use crate::domain::model::UploadLimits;
use crate::domain::quota;

/// Default [`Limits::max_pending_uploads`].
pub const DEFAULT_MAX_PENDING_UPLOADS: u64 = 4_096;
/// Default [`Limits::max_pending_bytes`]: 16 GiB.
pub const DEFAULT_MAX_PENDING_BYTES: u64 = 16 << 30;

/// The limits as given (flags and environment, or the file's `[limits]` table).
#[derive(Clone, Debug, Default, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Declared but not yet completed uploads one account may have at once. Default: 4096.
    #[arg(long, env = "SYNC_SERVER_MAX_PENDING_UPLOADS")]
    pub max_pending_uploads: Option<u64>,
    /// Bytes of declared but not yet completed uploads one account may have at once.
    /// Default: 17179869184 (16 GiB).
    #[arg(long, env = "SYNC_SERVER_MAX_PENDING_BYTES")]
    pub max_pending_bytes: Option<u64>,
}

/// The resolved limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Pending (declared, not completed) uploads per account; more is `409 PENDING_LIMIT`.
    pub max_pending_uploads: u64,
    /// Bytes of pending uploads per account; more is `409 PENDING_LIMIT`.
    pub max_pending_bytes: u64,
}

impl Limits {
    /// What a declaration of an account of `tier` is checked against.
    pub fn upload_limits(&self, tier: SyncTier) -> UploadLimits {
        quota::upload_limits(tier, self.max_pending_uploads, self.max_pending_bytes)
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_pending_uploads: DEFAULT_MAX_PENDING_UPLOADS, max_pending_bytes: DEFAULT_MAX_PENDING_BYTES }
    }
}

fn at_least_one(name: &'static str, value: Option<u64>, default: u64) -> Result<u64, ConfigError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ConfigError::Invalid { name, message: "must be at least 1".into() }),
        Some(n) => Ok(n),
    }
}

/// `over` (flags, environment) wins over `file`, which wins over the defaults.
pub fn resolve(over: LimitSettings, file: LimitSettings) -> Result<Limits, ConfigError> {
    let defaults = Limits::default();
    Ok(Limits {
        max_pending_uploads: at_least_one(
            "max_pending_uploads",
            over.max_pending_uploads.or(file.max_pending_uploads),
            defaults.max_pending_uploads,
        )?,
        max_pending_bytes: at_least_one(
            "max_pending_bytes",
            over.max_pending_bytes.or(file.max_pending_bytes),
            defaults.max_pending_bytes,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_over_file_over_defaults() {
        let file: LimitSettings = toml::from_str("max_pending_uploads = 10\nmax_pending_bytes = 20").unwrap();
        let over = LimitSettings { max_pending_uploads: Some(5), ..LimitSettings::default() };
        let limits = resolve(over, file).unwrap();
        assert_eq!((limits.max_pending_uploads, limits.max_pending_bytes), (5, 20));
        assert_eq!(resolve(LimitSettings::default(), LimitSettings::default()).unwrap(), Limits::default());
        let zero = LimitSettings { max_pending_bytes: Some(0), ..LimitSettings::default() };
        assert!(resolve(zero, LimitSettings::default()).is_err());
        assert!(toml::from_str::<LimitSettings>("max_pending = 1").is_err());
    }
}
