//! Keys remembered on this device: the OS keychain entry the daemon's "Remember on this
//! device" uses ([`Keychain`]: service `screenpipe-sync`, user `device:<id>`, the exported keys
//! of docs/FORMAT.md 2.6), so that a device linked with `join` (it never saw the password) runs
//! `pull` and the other commands without one, and its daemon starts unlocked.
//!
//! Tests only: a debug build honours `SCREENPIPE_SYNC_TEST_KEYS_DIR`, a folder that stands in
//! for the keychain (one file per device), because a CI machine has no Secret Service. A release
//! build ignores the variable: keys never go to a plain file.

use sync_client::config::SyncConfig;
use sync_client::{StateDb, SyncError, SyncSession};
use sync_core::DeviceId;
use sync_core::keys::ExportedKeys;
use sync_daemon::Keychain;

/// Where keys are remembered.
pub(crate) enum Remembered {
    /// The OS keychain.
    Keychain(Keychain),
    /// A test folder (debug builds only).
    #[cfg(debug_assertions)]
    TestDir(std::path::PathBuf),
}

/// The test folder's variable (debug builds only).
#[cfg(debug_assertions)]
const TEST_DIR_ENV: &str = "SCREENPIPE_SYNC_TEST_KEYS_DIR";

fn keychain_error(e: sync_daemon::DaemonError) -> SyncError {
    match e {
        sync_daemon::DaemonError::Sync(e) => e,
        other => SyncError::Config(other.to_string()),
    }
}

impl Remembered {
    /// The OS keychain (or, in a debug build, the test folder when its variable is set).
    pub(crate) fn system() -> Remembered {
        #[cfg(debug_assertions)]
        if let Some(dir) = std::env::var_os(TEST_DIR_ENV) {
            return Remembered::TestDir(dir.into());
        }
        Remembered::Keychain(Keychain::system())
    }

    /// `None` when keys can be remembered, else why not.
    pub(crate) fn unavailable_reason(&self) -> Option<String> {
        match self {
            Remembered::Keychain(k) => k.unavailable_reason().map(str::to_owned),
            #[cfg(debug_assertions)]
            Remembered::TestDir(_) => None,
        }
    }

    /// Remembers `keys` for `device`.
    pub(crate) fn save(&self, device: &DeviceId, keys: &ExportedKeys) -> Result<(), SyncError> {
        match self {
            Remembered::Keychain(k) => k.save(device, keys).map_err(keychain_error),
            #[cfg(debug_assertions)]
            Remembered::TestDir(dir) => {
                let path = dir.join(device.as_str());
                std::fs::create_dir_all(dir).map_err(|e| SyncError::io(format!("create {}", dir.display()), e))?;
                std::fs::write(&path, keys.to_json()?)
                    .map_err(|e| SyncError::io(format!("write {}", path.display()), e))
            }
        }
    }

    /// The keys remembered for `device`, if any.
    pub(crate) fn load(&self, device: &DeviceId) -> Result<Option<ExportedKeys>, SyncError> {
        match self {
            Remembered::Keychain(k) => k.load(device).map_err(keychain_error),
            #[cfg(debug_assertions)]
            Remembered::TestDir(dir) => match std::fs::read(dir.join(device.as_str())) {
                Ok(bytes) => Ok(Some(ExportedKeys::from_json(&zeroize::Zeroizing::new(bytes))?)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(SyncError::io("read the remembered keys", e)),
            },
        }
    }
}

/// The account opened with the keys remembered for this device, if it is initialised and some
/// are remembered.
pub(crate) async fn resume(config: &SyncConfig) -> Result<Option<SyncSession>, SyncError> {
    if !config.state_path().exists() {
        return Ok(None);
    }
    let Some(device) = StateDb::open(&config.state_path())?.device_id()? else { return Ok(None) };
    let remembered = Remembered::system();
    if remembered.unavailable_reason().is_some() {
        return Ok(None);
    }
    match remembered.load(&device)? {
        Some(keys) => SyncSession::resume(config, &keys).await.map(Some),
        None => Ok(None),
    }
}
