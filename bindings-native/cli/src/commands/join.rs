//! `join CODE`: on a new device, take this account's keys from an unlocked device that shows
//! CODE (`screenpipe-sync link` there), without the password (docs/FORMAT.md section 12). The
//! device then registers with the server as `init` would, and the keys are remembered in the
//! OS keychain (as the daemon's "Remember on this device"), so that `pull` and the other
//! commands run without a password.

use clap::Args;
use serde::Serialize;
use sync_client::config::SyncConfig;
use sync_client::session::JoinStep;
use sync_client::{SyncError, SyncSession};

use crate::output::{Out, exit};
use crate::remembered::Remembered;

/// `join`'s arguments.
#[derive(Args, Debug)]
pub(crate) struct JoinArgs {
    /// The code `screenpipe-sync link` shows on the unlocked device (`4821-ocean-velvet-tiger`),
    /// or its link URI.
    code: String,
}

/// What `join` did.
#[derive(Serialize)]
struct JoinOutput<'a> {
    device_id: &'a str,
    key_version: u32,
    /// The keys are in the OS keychain.
    remembered: bool,
}

fn say(out: Out, step: JoinStep) {
    if out.json {
        return;
    }
    match step {
        JoinStep::Joined => eprintln!("Waiting for the other device..."),
        JoinStep::Confirmed => eprintln!("The code is right: approve this device on the other device."),
        JoinStep::KeysReceived => eprintln!("Keys received; registering this device."),
    }
}

/// Runs `join`.
pub(crate) async fn run(args: &JoinArgs, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    // Where the keys will live is checked first: without a keychain this device could not use
    // them after this command, and the code would be spent for nothing.
    let remembered = Remembered::system();
    if let Some(reason) = remembered.unavailable_reason() {
        return Err(SyncError::Config(format!(
            "no OS keychain to keep the keys in ({reason}): link from the daemon's settings page, or sign in with the password (`screenpipe-sync init`)"
        )));
    }
    let on_step = move |step: JoinStep| say(out, step);
    let (session, exported) = SyncSession::join(config, &args.code, &on_step).await?;
    remembered.save(session.device_id(), &exported)?;
    let device = session.device_id().to_string();
    let key_version = session.keys().current_version();
    let output = JoinOutput { device_id: &device, key_version, remembered: true };
    out.emit(&output, || {
        println!("Linked: this device is {device}, with key version {key_version}.");
        println!("The keys are in the OS keychain: `screenpipe-sync pull` works without a password.");
    });
    Ok(exit::OK)
}
