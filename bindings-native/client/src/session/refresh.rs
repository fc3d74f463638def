//! The account's keys fetched again (`POST /init`) while a session runs: when a push starts and
//! when the server answers `409 KEY_ROTATED`. A key rotated on another device (the documented
//! answer to a stolen device) must stop this device from sealing under the old key, which the
//! thief holds:
//! - the server's envelope passes the rollback guard first (an older key is `rollback`);
//! - a `key_version` above the unlocked one is [`SyncError::KeysOutdated`] (`keys_outdated`:
//!   unlock with the password, which opens the new key);
//! - the same key under a new envelope (a password changed elsewhere) becomes the session's
//!   envelope and revision, so that a later `change_password` or `rotate_key` names the
//!   current revision.

use sync_core::wire::InitResponse;

use super::{SyncSession, init_request, lock_state};
use crate::error::{Result, SyncError};

impl SyncSession {
    /// Fetches the account's keys again and applies the rules above.
    pub async fn refresh_keys(&self) -> Result<()> {
        let answer = self.client.init(&init_request(&self.config, &self.device_id)).await?;
        self.apply_refresh(answer)
    }

    fn apply_refresh(&self, answer: InitResponse) -> Result<()> {
        let Some(envelope) = answer.envelope else {
            return Err(SyncError::Core(sync_core::Error::Rollback(
                "the server says the account has no keys while this device has unlocked them",
            )));
        };
        let state = lock_state(&self.state);
        state.key_guard()?.check(envelope.key_version, &envelope.key_id)?;
        if envelope.key_version > self.keys.current_version() {
            tracing::warn!(
                unlocked = self.keys.current_version(),
                account = envelope.key_version,
                "the account's key was rotated elsewhere: unlock with the password"
            );
            return Err(SyncError::KeysOutdated);
        }
        if envelope.key_id != self.keys.current_key_id() {
            return Err(SyncError::Core(sync_core::Error::Rollback(
                "the server's envelope is not of the unlocked current key",
            )));
        }
        let mut revision = self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if *revision != answer.revision {
            state.set_meta("revision", &answer.revision.to_string())?;
            *revision = answer.revision;
            *self.envelope.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = envelope;
        }
        Ok(())
    }
}
