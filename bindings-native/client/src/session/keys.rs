//! Keys: `init` (register this device; create the account's keys or unlock them), `unlock`,
//! `recover` (the recovery phrase sets a new password), `change_password` and `rotate_key`.
//! The password and the recovery phrase pass through `Zeroizing` strings and are never
//! written anywhere; the rollback guard (the highest key version unlocked here) is checked
//! before the slow KDF and persisted after.

use sync_core::DeviceId;
use sync_core::OsRandom;
use sync_core::keys::{ExportedKeys, KdfParams, KeySet, RecoveryPhrase};
use sync_core::wire::{InitResponse, KeysRequest, codes};

use super::{LOCK_WAIT, SyncSession, blocking, init_request, lock_state, open_device};
use crate::api::SyncClient;
use crate::config::SyncConfig;
use crate::error::{Result, SyncError};
use crate::state::{StateDb, StateLock};

/// What `init` did.
#[derive(Debug)]
pub enum InitOutcome {
    /// A new account was created: show the recovery phrase once.
    Created {
        /// The 24-word recovery phrase.
        recovery_phrase: RecoveryPhrase,
    },
    /// The account existed and the password unlocked it.
    Unlocked,
}

impl SyncSession {
    /// Registers this device; creates the account's keys when it has none (the recovery phrase
    /// is returned once), else unlocks them with `password`.
    pub async fn init(config: &SyncConfig, password: &str) -> Result<(SyncSession, InitOutcome)> {
        let (state, client, device_id) = open_device(config, true)?;
        let _lock = StateLock::acquire(&config.state_dir, LOCK_WAIT)?;
        state.set_meta("device_name", &config.device_name)?;
        let answer = client.init(&init_request(config, &device_id)).await?;
        if answer.envelope.is_some() {
            let session = Self::unlock_with_answer(config, state, client, device_id, answer, password).await?;
            return Ok((session, InitOutcome::Unlocked));
        }
        let mut guard = state.key_guard()?;
        guard.check_new_user()?;
        let password_owned = zeroize::Zeroizing::new(password.to_owned());
        let account =
            blocking(move || Ok(KeySet::create_account(password_owned.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?))
                .await?;
        let mut req = init_request(config, &device_id);
        req.envelope = Some(account.envelope.clone());
        req.recovery_envelope = Some(account.recovery_envelope.clone());
        let created = match client.init(&req).await {
            Ok(a) => a,
            Err(e) if e.is_api(codes::ACCOUNT_EXISTS) => {
                // Another device created the account meanwhile: unlock that one.
                let answer = client.init(&init_request(config, &device_id)).await?;
                let session = Self::unlock_with_answer(config, state, client, device_id, answer, password).await?;
                return Ok((session, InitOutcome::Unlocked));
            }
            Err(e) => return Err(e),
        };
        if created.envelope.as_ref() != Some(&account.envelope) {
            return Err(SyncError::InvalidResponse("the server did not store the new account's envelope".into()));
        }
        guard.observe(account.keys.current_version(), &account.keys.current_key_id());
        state.save_key_guard(&guard)?;
        state.set_meta("revision", &created.revision.to_string())?;
        let session =
            Self::from_parts(config, client, state, account.keys, device_id, account.envelope, created.revision);
        Ok((session, InitOutcome::Created { recovery_phrase: account.recovery_phrase }))
    }

    /// Unlocks the account on an initialised device.
    pub async fn unlock(config: &SyncConfig, password: &str) -> Result<SyncSession> {
        let (state, client, device_id) = open_device(config, false)?;
        let answer = client.init(&init_request(config, &device_id)).await?;
        Self::unlock_with_answer(config, state, client, device_id, answer, password).await
    }

    /// Opens the account with keys remembered on this device (an [`ExportedKeys`], from the
    /// OS keychain) instead of the password: `POST /init` for the envelope and revision, the
    /// rollback rule applied to the server's envelope and to the remembered keys, and
    /// [`SyncError::KeysOutdated`] when the account's current key is newer than the remembered
    /// one (it was rotated on another device).
    pub async fn resume(config: &SyncConfig, exported: &ExportedKeys) -> Result<SyncSession> {
        let (state, client, device_id) = open_device(config, false)?;
        let answer = client.init(&init_request(config, &device_id)).await?;
        let mut guard = state.key_guard()?;
        let Some(envelope) = answer.envelope.clone() else {
            guard.check_new_user()?;
            return Err(SyncError::Config("the account has no keys yet: connect with the password".into()));
        };
        guard.check(envelope.key_version, &envelope.key_id)?;
        if envelope.key_version > exported.current_version() {
            return Err(SyncError::KeysOutdated);
        }
        let keys = KeySet::from_export(exported, &mut guard)?;
        if envelope.key_id != keys.current_key_id() {
            return Err(SyncError::Core(sync_core::Error::Rollback(
                "the server's envelope is not of the remembered current key",
            )));
        }
        state.save_key_guard(&guard)?;
        state.set_meta("revision", &answer.revision.to_string())?;
        Ok(Self::from_parts(config, client, state, keys, device_id, envelope, answer.revision))
    }

    async fn unlock_with_answer(
        config: &SyncConfig,
        state: StateDb,
        client: SyncClient,
        device_id: DeviceId,
        answer: InitResponse,
        password: &str,
    ) -> Result<SyncSession> {
        let mut guard = state.key_guard()?;
        let Some(envelope) = answer.envelope.clone() else {
            guard.check_new_user()?;
            return Err(SyncError::Config("the account has no keys yet: run `screenpipe-sync init`".into()));
        };
        // The rollback check runs before the slow KDF.
        guard.check(envelope.key_version, &envelope.key_id)?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        let keyring = answer.keyring.clone();
        let env = envelope.clone();
        let (keys, guard) = blocking(move || {
            let keys = KeySet::unlock(&env, password.as_str(), &keyring, &mut guard)?;
            Ok((keys, guard))
        })
        .await?;
        state.save_key_guard(&guard)?;
        state.set_meta("revision", &answer.revision.to_string())?;
        Ok(Self::from_parts(config, client, state, keys, device_id, envelope, answer.revision))
    }

    /// Unlocks with the recovery phrase and sets `new_password` (a new envelope for the same
    /// master key).
    pub async fn recover(config: &SyncConfig, phrase: &str, new_password: &str) -> Result<SyncSession> {
        let (state, client, device_id) = open_device(config, true)?;
        let _lock = StateLock::acquire(&config.state_dir, LOCK_WAIT)?;
        let answer = client.init(&init_request(config, &device_id)).await?;
        let recovery = answer
            .recovery_envelope
            .clone()
            .ok_or_else(|| SyncError::Config("the account has no recovery envelope".into()))?;
        let mut guard = state.key_guard()?;
        let phrase = zeroize::Zeroizing::new(phrase.to_owned());
        let new_password = zeroize::Zeroizing::new(new_password.to_owned());
        let keyring = answer.keyring.clone();
        let (keys, guard, envelope) = blocking(move || {
            let keys = KeySet::unlock_with_recovery(&recovery, phrase.as_str(), &keyring, &mut guard)?;
            let envelope = keys.change_password(new_password.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?;
            Ok((keys, guard, envelope))
        })
        .await?;
        state.save_key_guard(&guard)?;
        let revision = client
            .keys(&KeysRequest {
                expected_revision: answer.revision,
                envelope: envelope.clone(),
                keyring: None,
                recovery_envelope: None,
            })
            .await?
            .revision;
        state.set_meta("revision", &revision.to_string())?;
        Ok(Self::from_parts(config, client, state, keys, device_id, envelope, revision))
    }

    /// A new password for the same keys (`POST /keys` with the revision last seen).
    pub async fn change_password(&mut self, new_password: &str) -> Result<()> {
        let keys = self.keys.clone();
        let new_password = zeroize::Zeroizing::new(new_password.to_owned());
        let envelope =
            blocking(move || Ok(keys.change_password(new_password.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?))
                .await?;
        let expected = *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let revision = self
            .client
            .keys(&KeysRequest {
                expected_revision: expected,
                envelope: envelope.clone(),
                keyring: None,
                recovery_envelope: None,
            })
            .await?
            .revision;
        *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = revision;
        lock_state(&self.state).set_meta("revision", &revision.to_string())?;
        *self.envelope.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = envelope;
        Ok(())
    }

    /// Rotates the master key (docs/FORMAT.md, Rotation, keyring, rollback): new key, new envelope under the same password,
    /// new recovery phrase (returned once), keyring of every older key. New blobs use the new
    /// key; the guard moves to the new version.
    pub async fn rotate_key(&mut self, password: &str) -> Result<RecoveryPhrase> {
        let keys = self.keys.clone();
        let envelope = self.envelope.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        let rotation =
            blocking(move || Ok(keys.rotate(&envelope, password.as_str(), &KdfParams::DEFAULT, &mut OsRandom)?))
                .await?;
        let expected = *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let revision = self
            .client
            .keys(&KeysRequest {
                expected_revision: expected,
                envelope: rotation.envelope.clone(),
                keyring: Some(rotation.keyring.clone()),
                recovery_envelope: Some(rotation.recovery_envelope.clone()),
            })
            .await?
            .revision;
        {
            let state = lock_state(&self.state);
            let mut guard = state.key_guard()?;
            guard.observe(rotation.keys.current_version(), &rotation.keys.current_key_id());
            state.save_key_guard(&guard)?;
            state.set_meta("revision", &revision.to_string())?;
        }
        *self.revision.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = revision;
        self.keys = rotation.keys;
        *self.envelope.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = rotation.envelope;
        Ok(rotation.recovery_phrase)
    }
}
