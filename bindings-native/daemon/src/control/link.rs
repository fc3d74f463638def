//! Linking devices from the settings page (docs/FORMAT.md section 12): on an unlocked daemon,
//! "Link a new device" shows a code and its QR code, waits in the background for the device that
//! types it, shows that device's name and OS, and sends the keys when the user approves; on a
//! locked one, "Join with a code" takes the keys from another device (no password) and opens
//! the account as connecting would.
//!
//! One link at a time. The code and the link URI are shown to the page only (never logged); the
//! QR code is an SVG made here with the `qrcode` crate.

use serde::Serialize;
use sync_client::session::{JoinStep, Linking, SyncSession};
use tokio::task::JoinHandle;

use super::account::{AccountPlace, Connected};
use super::{Daemon, lock};
use crate::error::{DaemonError, Result};

/// Where the page's link is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum LinkView {
    /// No link in progress.
    #[default]
    Idle,
    /// The code is shown; waiting for a device to type it.
    Waiting {
        /// The code, `4821-ocean-velvet-tiger`.
        code: String,
        /// The link URI the QR code holds.
        link_uri: String,
        /// The QR code, an SVG document.
        qr_svg: String,
    },
    /// A device typed the code: approve or refuse it.
    Approve {
        /// Its name.
        device_name: String,
        /// Its OS.
        device_os: String,
    },
    /// The keys were sent to this device.
    Sent {
        /// Its name.
        device_name: String,
    },
    /// The device was refused.
    Refused,
    /// The link failed (a wrong code, expiry, ...).
    Failed {
        /// The stable code.
        code: String,
        /// What happened.
        error: String,
    },
}

/// The link in progress: what the page sees, the pairing once a device is waiting for
/// approval, and the task waiting for it.
#[derive(Default)]
pub(crate) struct LinkState {
    view: LinkView,
    pending: Option<Linking>,
    waiter: Option<JoinHandle<()>>,
}

/// The QR code of `text` as an SVG document.
pub fn qr_svg(text: &str) -> Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| DaemonError::BadRequest(format!("cannot make the QR code: {e}")))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build())
}

impl Daemon {
    /// What the page shows of the link.
    pub fn link_view(&self) -> LinkView {
        lock(&self.shared.link).view.clone()
    }

    fn set_link_view(&self, view: LinkView) {
        lock(&self.shared.link).view = view;
        self.notify();
    }

    /// Starts linking a new device (the account must be unlocked); a link in progress is
    /// cancelled first.
    pub async fn link_start(&self) -> Result<LinkView> {
        let session = self.unlocked()?.session();
        self.link_cancel().await;
        let mut linking = session.link_start().await?;
        let link_uri = linking.link_uri()?.to_string();
        let view = LinkView::Waiting { code: linking.code().to_string(), qr_svg: qr_svg(&link_uri)?, link_uri };
        let daemon = self.clone();
        let waiter = tokio::spawn(async move {
            let view = match linking.wait_for_joiner().await {
                Ok(device) => {
                    let view =
                        LinkView::Approve { device_name: device.name().to_owned(), device_os: device.os().to_owned() };
                    lock(&daemon.shared.link).pending = Some(linking);
                    view
                }
                Err(e) => LinkView::Failed { code: e.code(), error: e.to_string() },
            };
            daemon.set_link_view(view);
        });
        {
            let mut state = lock(&self.shared.link);
            state.view = view.clone();
            state.waiter = Some(waiter);
        }
        self.notify();
        Ok(view)
    }

    /// The user's answer about the waiting device: `true` sends it the keys.
    pub async fn link_answer(&self, approve: bool) -> Result<LinkView> {
        let (linking, name) = {
            let mut state = lock(&self.shared.link);
            let LinkView::Approve { device_name, .. } = &state.view else {
                return Err(DaemonError::Conflict("no device is waiting for approval".into()));
            };
            let name = device_name.clone();
            (state.pending.take().ok_or_else(|| DaemonError::Conflict("no device is waiting".into()))?, name)
        };
        let view = match if approve { linking.approve().await } else { linking.deny().await } {
            Ok(()) if approve => {
                tracing::info!(device = %name, "keys sent to a linked device");
                LinkView::Sent { device_name: name }
            }
            Ok(()) => LinkView::Refused,
            Err(e) => LinkView::Failed { code: e.code(), error: e.to_string() },
        };
        self.set_link_view(view.clone());
        Ok(view)
    }

    /// Cancels the link in progress (closing its mailbox), if any.
    pub async fn link_cancel(&self) {
        let (waiter, pending) = {
            let mut state = lock(&self.shared.link);
            state.view = LinkView::Idle;
            (state.waiter.take(), state.pending.take())
        };
        if let Some(waiter) = waiter {
            waiter.abort();
        }
        if let Some(linking) = pending {
            linking.cancel().await;
        }
        self.notify();
    }

    /// Joins the account on this device with a code shown by another device (no password),
    /// saves the server and token, remembers the keys when asked, and opens the account.
    pub async fn join(&self, place: &AccountPlace, code: &str, remember: bool) -> Result<Connected> {
        let _one = self.shared.ops.lock().await;
        if self.service().is_some() {
            return Err(DaemonError::Conflict("already connected: lock or unlink first".into()));
        }
        let config = self.config_with(place);
        let no_steps = |_: JoinStep| {};
        let (session, _) = SyncSession::join(&config, code, &no_steps).await?;
        self.save_place(place)?;
        let remembered = self.remember(&session, remember).unwrap_or_else(|e| {
            tracing::warn!(code = %e.code(), error = %e, "the keys could not be remembered");
            false
        });
        let device_id = session.device_id().to_string();
        self.install(session)?;
        tracing::info!(device = %device_id, "joined with a code");
        Ok(Connected { created: false, recovery_phrase: None, device_id, remembered })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_and_views_serialize_by_stage() {
        let svg = qr_svg("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fx").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("<path"), "{svg}");
        let view = serde_json::to_value(LinkView::Approve { device_name: "phone".into(), device_os: "Android".into() })
            .unwrap();
        assert_eq!(view, serde_json::json!({"stage": "approve", "device_name": "phone", "device_os": "Android"}));
        assert_eq!(serde_json::to_value(LinkView::Idle).unwrap(), serde_json::json!({"stage": "idle"}));
    }
}
