//! `rotate-key`: a new master key (the new recovery phrase is printed once).

use serde::Serialize;
use sync_client::config::SyncConfig;
use sync_client::{SyncError, SyncSession};

use crate::global::Global;
use crate::output::{Out, exit};

/// What `rotate-key` did.
#[derive(Serialize)]
struct RotatedOutput<'a> {
    key_version: u32,
    recovery_phrase: &'a str,
}

/// Runs `rotate-key`.
pub(crate) async fn run(g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let password = g.password()?;
    let mut session = SyncSession::unlock(config, &password).await?;
    let phrase = session.rotate_key(&password).await?;
    let key_version = session.keys().current_version();
    out.emit(&RotatedOutput { key_version, recovery_phrase: phrase.expose() }, || {
        println!("Rotated to key version {key_version}. New recovery phrase (the old one no longer works):");
        println!();
        println!("    {}", phrase.expose());
    });
    Ok(exit::OK)
}
