//! `init`: register this device; create the account's keys (the recovery phrase is printed
//! once) or unlock the existing ones.

use serde::Serialize;
use sync_client::config::SyncConfig;
use sync_client::{InitOutcome, SyncError, SyncSession};

use crate::global::Global;
use crate::output::{Out, exit};

/// What `init` did.
#[derive(Serialize)]
struct InitOutput<'a> {
    /// True when this call created the account's keys.
    created: bool,
    device_id: &'a str,
    key_version: u32,
    /// Only for a new account.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_phrase: Option<&'a str>,
}

/// Runs `init`.
pub(crate) async fn run(g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let (session, outcome) = SyncSession::init(config, &g.password()?).await?;
    let device = session.device_id().to_string();
    let key_version = session.keys().current_version();
    match outcome {
        InitOutcome::Created { recovery_phrase } => {
            let phrase = recovery_phrase.expose();
            let output = InitOutput { created: true, device_id: &device, key_version, recovery_phrase: Some(phrase) };
            out.emit(&output, || {
                println!("Account created; this device is {device}.");
                println!();
                println!("Recovery phrase (shown once; write it down and keep it safe):");
                println!();
                println!("    {phrase}");
                println!();
                println!("Anyone with it can read your data; without it and the password, nobody can.");
            });
        }
        InitOutcome::Unlocked => {
            let output = InitOutput { created: false, device_id: &device, key_version, recovery_phrase: None };
            out.emit(&output, || println!("Unlocked key version {key_version}; this device is {device}."));
        }
    }
    Ok(exit::OK)
}
