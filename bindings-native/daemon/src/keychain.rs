//! [`Keychain`]: "Remember on this device", the unlocked keys of this device kept in the
//! operating system's credential store (macOS Keychain, Windows Credential Manager, the Secret
//! Service on Linux) through the `keyring` crate, never in a plain file.
//!
//! What is stored is the [`ExportedKeys`] text form (docs/FORMAT.md, "Exported keys"), under the
//! service `screenpipe-sync` and the user `device:<device id>`. Where the platform has no such
//! store (a headless Linux without a Secret Service), [`Keychain::system`] is unavailable with
//! the store's reason, and the daemon unlocks with the password at each start. Tests use
//! `keyring_core`'s mock store ([`Keychain::with_store`]).

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};
use sync_core::DeviceId;
use sync_core::keys::ExportedKeys;
use zeroize::Zeroizing;

use crate::error::{DaemonError, Result};

/// The keychain service name of every entry.
pub const KEYCHAIN_SERVICE: &str = "screenpipe-sync";

/// The OS credential store, or why there is none.
#[derive(Clone)]
pub struct Keychain {
    store: std::result::Result<Arc<CredentialStore>, String>,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.store {
            Ok(store) => f.debug_struct("Keychain").field("store", &store.vendor()).finish(),
            Err(reason) => f.debug_struct("Keychain").field("unavailable", reason).finish(),
        }
    }
}

impl Keychain {
    /// The platform's store (connects to it once; may block briefly).
    pub fn system() -> Keychain {
        match keyring::Entry::store_status() {
            Ok(()) => match keyring_core::get_default_store() {
                Some(store) => Keychain { store: Ok(store) },
                None => Keychain::unavailable("the credential store did not start"),
            },
            Err(e) => Keychain::unavailable(e.to_string()),
        }
    }

    /// A given store (tests: `keyring_core::mock::Store::new()`).
    pub fn with_store(store: Arc<CredentialStore>) -> Keychain {
        Keychain { store: Ok(store) }
    }

    /// No store, for this reason.
    pub fn unavailable(reason: impl Into<String>) -> Keychain {
        Keychain { store: Err(reason.into()) }
    }

    /// `None` when keys can be remembered, else why not.
    pub fn unavailable_reason(&self) -> Option<&str> {
        self.store.as_ref().err().map(String::as_str)
    }

    fn entry(&self, device: &DeviceId) -> Result<Entry> {
        let store = self.store.as_ref().map_err(|reason| DaemonError::NoKeychain(reason.clone()))?;
        Entry::new_in_store(store, KEYCHAIN_SERVICE, &format!("device:{}", device.as_str()))
            .map_err(|source| DaemonError::Keychain { what: "open the entry", source })
    }

    /// Remembers `keys` for `device` (replacing what was there).
    pub fn save(&self, device: &DeviceId, keys: &ExportedKeys) -> Result<()> {
        let json = keys.to_json().map_err(|source| DaemonError::KeychainData { source })?;
        self.entry(device)?.set_secret(&json).map_err(|source| DaemonError::Keychain { what: "store the keys", source })
    }

    /// The keys remembered for `device`, if any.
    pub fn load(&self, device: &DeviceId) -> Result<Option<ExportedKeys>> {
        if self.store.is_err() {
            return Ok(None);
        }
        match self.entry(device)?.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                ExportedKeys::from_json(&bytes).map(Some).map_err(|source| DaemonError::KeychainData { source })
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(source) => Err(DaemonError::Keychain { what: "read the keys", source }),
        }
    }

    /// True when keys are remembered for `device`.
    pub fn holds(&self, device: &DeviceId) -> bool {
        matches!(self.load(device), Ok(Some(_)))
    }

    /// Forgets the keys of `device` (nothing there is fine).
    pub fn forget(&self, device: &DeviceId) -> Result<()> {
        if self.store.is_err() {
            return Ok(());
        }
        match self.entry(device)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(source) => Err(DaemonError::Keychain { what: "delete the keys", source }),
        }
    }
}
