//! `devices`: list the account's devices; `devices remove ID`: unregister one (its data
//! stays). No password needed.

use clap::{Args, Subcommand};
use serde::Serialize;
use sync_client::SyncError;
use sync_client::config::SyncConfig;
use sync_client::session;
use sync_core::DeviceId;
use sync_core::wire::DeviceInfo;

use crate::output::{Out, exit};

/// `devices` and its action.
#[derive(Args, Debug)]
pub(crate) struct DevicesArgs {
    #[command(subcommand)]
    action: Option<DevicesAction>,
}

/// What to do with a device.
#[derive(Subcommand, Debug)]
enum DevicesAction {
    /// Unregister a device (its data stays).
    Remove {
        /// The device id (see `devices`).
        id: String,
    },
}

/// The device list.
#[derive(Serialize)]
struct DevicesOutput<'a> {
    devices: &'a [DeviceInfo],
}

/// What `devices remove` did.
#[derive(Serialize)]
struct RemoveOutput<'a> {
    removed: bool,
    device_id: &'a str,
}

/// Runs `devices` or `devices remove`: exit code 1 when there is no such device.
pub(crate) async fn run(args: &DevicesArgs, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    match &args.action {
        None => {
            let devices = session::devices(config).await?;
            out.emit(&DevicesOutput { devices: &devices }, || {
                for d in &devices {
                    println!(
                        "{}  {}  ({})  last sync {}",
                        d.device_id,
                        d.device_name,
                        d.device_os,
                        d.last_sync_at.and_then(|t| t.to_rfc3339().ok()).unwrap_or_else(|| "never".into())
                    );
                }
            });
            Ok(exit::OK)
        }
        Some(DevicesAction::Remove { id }) => {
            let device = DeviceId::new(id.clone())?;
            let removed = session::remove_device(config, &device).await?;
            out.emit(&RemoveOutput { removed, device_id: id }, || {
                println!("{}", if removed { format!("removed {id}") } else { format!("no device {id}") });
            });
            Ok(if removed { exit::OK } else { exit::ERROR })
        }
    }
}
