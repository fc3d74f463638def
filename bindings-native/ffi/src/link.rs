//! Linking devices with a short code (docs/FORMAT.md section 12): [`SyncManager::link_start`]
//! on an unlocked device gives a [`LinkSession`] (show its code or QR link, wait for the new
//! device, then `link_approve`), and [`SyncManager::join`] on the new device takes the keys
//! with the code, no password. [`SyncManager::resume`] unlocks later with the keys `join`
//! returned, which the app keeps in the platform's keystore.

use std::sync::{Arc, Mutex};

use sync_client::session::{JoinStep, Linking, SyncSession};
use sync_core::keys::ExportedKeys;

use crate::error::{FfiResult, SyncFfiError};
use crate::listener::lock;
use crate::manager::SyncManager;

/// The new device, as it announced itself (authenticated by the code): show it for approval.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LinkedDevice {
    /// Its name.
    pub name: String,
    /// Its operating system.
    pub os: String,
}

/// What `join` did.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct JoinResult {
    /// This device's id.
    pub device_id: String,
    /// The version of the account's current key.
    pub key_version: u32,
    /// The keys received (docs/FORMAT.md 2.6): keep them in the platform's keystore (Android
    /// Keystore, iOS Keychain) and pass them to `resume` at the next start; never log or write
    /// them to a plain file. A secret as strong as the password.
    pub exported_keys: String,
}

impl std::fmt::Debug for JoinResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinResult")
            .field("device_id", &self.device_id)
            .field("key_version", &self.key_version)
            .field("exported_keys", &"<redacted>")
            .finish()
    }
}

/// A pairing in progress on the unlocked device. `Debug` shows the mailbox only.
#[derive(uniffi::Object)]
pub struct LinkSession {
    linking: Mutex<Option<Linking>>,
    code: String,
    link_uri: String,
    mailbox: u16,
}

impl std::fmt::Debug for LinkSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSession").field("mailbox", &self.mailbox).finish_non_exhaustive()
    }
}

fn ended() -> SyncFfiError {
    SyncFfiError::new("invalid_state", "this link has ended (or another call on it is running)")
}

impl LinkSession {
    fn take(&self) -> FfiResult<Linking> {
        lock(&self.linking).take().ok_or_else(ended)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl LinkSession {
    /// The code to show, `4821-ocean-velvet-tiger` (valid 10 minutes).
    pub fn code(&self) -> String {
        self.code.clone()
    }

    /// The link URI to show as a QR code.
    pub fn link_uri(&self) -> String {
        self.link_uri.clone()
    }

    /// Waits until a device proved it knows the code; its name and OS, to show for approval.
    /// A wrong code is `pairing_failed`; an altered, replayed or reordered message its own
    /// code; late `pairing_expired` or `PAIR_EXPIRED`. Any failure ends the link.
    pub async fn wait_for_joiner(&self) -> FfiResult<LinkedDevice> {
        let mut linking = self.take()?;
        let device = linking.wait_for_joiner().await?;
        *lock(&self.linking) = Some(linking);
        Ok(LinkedDevice { name: device.name().to_owned(), os: device.os().to_owned() })
    }

    /// The user's answer about the device `wait_for_joiner` returned: `true` sends it the
    /// account's keys, `false` refuses (the new device fails with `pairing_denied`). Ends the
    /// link.
    pub async fn link_approve(&self, approved: bool) -> FfiResult<()> {
        let linking = self.take()?;
        if approved {
            linking.approve().await?
        } else {
            linking.deny().await?
        }
        Ok(())
    }

    /// Gives up: closes the mailbox. Ends the link.
    pub async fn cancel(&self) {
        if let Ok(linking) = self.take() {
            linking.cancel().await;
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncManager {
    /// Starts linking a new device from this unlocked one (`locked` otherwise): show
    /// `code()` or `link_uri()`, call `wait_for_joiner`, then `link_approve`.
    pub async fn link_start(&self) -> FfiResult<Arc<LinkSession>> {
        let session = self.unlocked_session()?;
        let linking = session.link_start().await?;
        let code = linking.code().to_string();
        let link_uri = linking.link_uri()?.to_string();
        let mailbox = linking.mailbox();
        Ok(Arc::new(LinkSession { linking: Mutex::new(Some(linking)), code, link_uri, mailbox }))
    }

    /// Joins the account on this new device with the code (or link URI) an unlocked device
    /// shows: no password; the device registers as `init` would and the manager is unlocked.
    /// Keep `exported_keys` of the answer in the platform's keystore for `resume`.
    pub async fn join(&self, code: String) -> FfiResult<JoinResult> {
        let code = zeroize::Zeroizing::new(code);
        let config = self.sync_config()?;
        let no_steps = |_: JoinStep| {};
        let (session, exported) = SyncSession::join(&config, &code, &no_steps).await?;
        let json = exported.to_json()?;
        let exported_keys = String::from_utf8(json.to_vec())
            .map_err(|_| SyncFfiError::new("malformed", "the exported keys are not UTF-8"))?;
        let result = JoinResult {
            device_id: session.device_id().to_string(),
            key_version: session.keys().current_version(),
            exported_keys,
        };
        self.install_session(session).await;
        Ok(result)
    }

    /// Unlocks with keys `join` returned (or exported before): no password. `keys_outdated`
    /// when the account's key was rotated since (link again, or unlock with the password).
    pub async fn resume(&self, exported_keys: String) -> FfiResult<()> {
        let text = zeroize::Zeroizing::new(exported_keys);
        let exported = ExportedKeys::from_json(text.as_bytes())?;
        let config = self.sync_config()?;
        let session = SyncSession::resume(&config, &exported).await?;
        self.install_session(session).await;
        Ok(())
    }
}
