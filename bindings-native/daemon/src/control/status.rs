//! The status the page shows ([`StatusView`], `GET /api/status` and every live event) and the
//! [`Notifier`] that turns the service's events into change signals.
//!
//! The health line is decided here, once: `Locked`, `Sync is off`, `Syncing` with the stage and
//! progress, `Connected`, or the error with what to do.

use std::sync::Weak;

use serde::Serialize;
use sync_client::service::{ServiceListener, ServiceState, ServiceStatus};
use sync_client::{Stage, SyncError};

use super::{Daemon, Phase, Shared, lock};

/// The health line: what is happening, in one line for people, with its kind for styling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `locked`, `unlocking`, `off`, `syncing`, `connected` or `error`.
    pub kind: &'static str,
    /// The line.
    pub text: String,
    /// The error's stable code, if any.
    pub code: Option<String>,
    /// What to do, if known.
    pub hint: Option<String>,
    /// True when the daemon retries on its own.
    pub retrying: bool,
}

/// Progress of the cycle in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProgressView {
    /// `packaging`, `uploading`, `downloading` or `importing`.
    pub stage: &'static str,
    /// Units done (bytes for transfers).
    pub done: u64,
    /// Units known so far.
    pub total: u64,
}

/// Storage used of the account's limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StorageView {
    /// Bytes stored.
    pub used: u64,
    /// Bytes allowed.
    pub limit: u64,
    /// The tier (`starter`, `pro`, ...), when known.
    pub tier: Option<String>,
}

/// Media and text offloaded from this device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OffloadedView {
    /// Files.
    pub files: u64,
    /// Bytes freed on this disk.
    pub bytes: u64,
    /// Records whose text was dropped (in the cloud only) and not restored: a frame (its
    /// screen text, its elements) once, a transcription once.
    pub text_records: u64,
    /// The last offload's failure, if it failed.
    pub error: Option<String>,
}

/// The keychain option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeychainView {
    /// Keys can be remembered on this machine.
    pub available: bool,
    /// Why not, when unavailable.
    pub reason: Option<String>,
    /// This device's keys are remembered.
    pub remembered: bool,
}

/// What the page shows.
#[derive(Clone, Debug, Serialize)]
pub struct StatusView {
    /// No keys in memory.
    pub locked: bool,
    /// The server and the token are set.
    pub configured: bool,
    /// Background sync on.
    pub enabled: bool,
    /// The health line.
    pub health: Health,
    /// The cycle in progress.
    pub progress: Option<ProgressView>,
    /// When the last successful cycle ended (Unix ms).
    pub last_sync: Option<i64>,
    /// When the next cycle is due (Unix ms).
    pub next_sync: Option<i64>,
    /// Storage used and allowed.
    pub storage: Option<StorageView>,
    /// Devices on the account.
    pub device_count: Option<u32>,
    /// Blobs sealed and waiting for upload.
    pub pending_uploads: Option<u64>,
    /// Media files missing on disk (skipped).
    pub missing_media: Option<u64>,
    /// Cycles completed since the account was opened.
    pub completed_cycles: u64,
    /// Media files offloaded from this device ("Keep on this device", `archive`) and not
    /// restored: count and bytes freed; records whose text was dropped.
    pub offloaded: Option<OffloadedView>,
    /// This device's id, once it has one.
    pub device_id: Option<String>,
    /// The keychain option.
    pub keychain: KeychainView,
}

/// The health line of an open account.
fn service_health(status: &ServiceStatus, enabled: bool) -> Health {
    let plain = |kind, text: String| Health { kind, text, code: None, hint: None, retrying: false };
    match &status.state {
        ServiceState::Syncing { stage: Some(stage), done, total } => {
            plain("syncing", format!("Syncing: {} {done} of {total}", stage.as_str()))
        }
        ServiceState::Syncing { stage: None, .. } => plain("syncing", "Syncing".into()),
        ServiceState::Error { code, message, retrying } => Health {
            kind: "error",
            text: if *retrying { format!("{message} (retrying on its own)") } else { message.clone() },
            code: Some(code.clone()),
            hint: hint_of(code),
            retrying: *retrying,
        },
        ServiceState::Idle if !enabled => plain("off", "Sync is off".into()),
        ServiceState::Idle => plain("connected", "Connected".into()),
    }
}

/// What to do about an error code (the library's hints, for people using the page).
fn hint_of(code: &str) -> Option<String> {
    let hint = match code {
        "network" => "the server cannot be reached: check the connection; the daemon keeps trying",
        "wrong_password" => "check the password, or use the recovery phrase",
        "UNAUTHORIZED" => "the token is wrong or was replaced: enter the new token and connect again",
        "UNKNOWN_DEVICE" => "this device was removed from the account: unlink it, then connect again",
        "keys_outdated" => "the key was rotated on another device: enter the password",
        // The library's hints, written once there, by code.
        _ => {
            let as_error = SyncError::Api { status: 0, code: code.to_owned(), message: String::new() };
            return as_error.hint().map(str::to_owned);
        }
    };
    Some(hint.to_owned())
}

impl Daemon {
    /// What the page shows now.
    pub fn status(&self) -> StatusView {
        let config = self.config();
        let configured = config.server().is_ok() && config.token().is_ok();
        let enabled = self.read_file().map(|f| Daemon::enabled(&f)).unwrap_or(true);
        let keychain = &self.shared.options.keychain;
        let service = self.service();
        let device_id = service
            .as_ref()
            .map(|s| s.session().device_id().clone())
            .or_else(|| super::account::device_of(&config))
            .map(|d| d.to_string());
        let remembered = *lock(&self.shared.remembered);
        let keychain = KeychainView {
            available: keychain.unavailable_reason().is_none(),
            reason: keychain.unavailable_reason().map(str::to_owned),
            remembered,
        };
        let account = lock(&self.shared.account).clone();
        let locked_health = |kind, text: String, code: Option<String>| Health {
            kind,
            hint: code.as_deref().and_then(hint_of),
            text,
            code,
            retrying: kind == "unlocking",
        };
        let (health, status) = match (self.phase(), &service) {
            (Phase::Unlocked, Some(service)) => {
                let status = service.status();
                (service_health(&status, enabled), Some(status))
            }
            (Phase::Unlocking { error }, _) => (
                locked_health(
                    "unlocking",
                    error.map(|e| format!("Unlocking: {e} (retrying)")).unwrap_or_else(|| "Unlocking".into()),
                    None,
                ),
                None,
            ),
            (Phase::Locked { reason, code }, _) => {
                let text = match (&reason, configured) {
                    (Some(r), _) => format!("Locked: {r}"),
                    (None, true) => "Locked: enter the password and press Connect".into(),
                    (None, false) => "Not connected: enter the server, the token and the password".into(),
                };
                (locked_health("locked", text, code), None)
            }
            (Phase::Unlocked, None) => (locked_health("locked", "Locked".into(), None), None),
        };
        let summary = service.as_ref().and_then(|s| s.session().with_state(|st| st.summary()).ok());
        let offloaded = service
            .as_ref()
            .and_then(|s| s.session().with_state(|st| Ok((st.offloaded_totals()?, st.text_drops_count()?))).ok())
            .map(|((files, bytes), text_records)| OffloadedView {
                files,
                bytes,
                text_records,
                error: status.as_ref().and_then(|s| s.archive_error.clone()),
            });
        let progress = status.as_ref().and_then(|s| match s.state {
            ServiceState::Syncing { stage: Some(stage), done, total } => {
                Some(ProgressView { stage: stage.as_str(), done, total })
            }
            _ => None,
        });
        let storage = match (&account, &status) {
            (Some(a), _) => Some(StorageView {
                used: a.quota.storage_used,
                limit: a.quota.storage_limit,
                tier: Some(a.quota.sync_tier.as_str().to_owned()),
            }),
            (None, Some(s)) => match (s.storage_used, s.storage_limit) {
                (Some(used), Some(limit)) => Some(StorageView { used, limit, tier: None }),
                _ => None,
            },
            _ => None,
        };
        StatusView {
            locked: service.is_none(),
            configured,
            enabled,
            health,
            progress,
            last_sync: status.as_ref().and_then(|s| s.last_sync).map(|t| t.0),
            next_sync: status.as_ref().and_then(|s| s.next_sync).map(|t| t.0),
            device_count: account
                .as_ref()
                .map(|a| a.quota.device_count)
                .or(status.as_ref().and_then(|s| s.device_count)),
            storage,
            pending_uploads: summary.as_ref().map(|s| s.pending_uploads),
            missing_media: summary.as_ref().map(|s| s.missing_media),
            completed_cycles: status.as_ref().map(|s| s.completed_cycles).unwrap_or(0),
            offloaded,
            device_id,
            keychain,
        }
    }
}

/// The service's listener: signals every change to the live pages, and fetches the account's
/// status again after each completed cycle.
pub(crate) struct Notifier {
    shared: Weak<Shared>,
}

impl Notifier {
    pub(crate) fn new(daemon: &Daemon) -> Notifier {
        Notifier { shared: std::sync::Arc::downgrade(&daemon.shared) }
    }

    fn daemon(&self) -> Option<Daemon> {
        self.shared.upgrade().map(|shared| Daemon { shared })
    }
}

impl ServiceListener for Notifier {
    fn status_changed(&self, status: &ServiceStatus) {
        let Some(daemon) = self.daemon() else { return };
        let refresh = {
            let mut seen = lock(&daemon.shared.account_cycles);
            let new = status.completed_cycles > *seen;
            *seen = status.completed_cycles;
            new
        };
        if refresh {
            daemon.refresh_account();
        }
        daemon.notify();
    }

    fn progress(&self, _stage: Stage, _done: u64, _total: u64) {
        if let Some(daemon) = self.daemon() {
            daemon.notify();
        }
    }

    fn warning(&self, message: &str) {
        tracing::warn!(warning = %message, "sync");
    }
}
