//! `recover`: a new password set with the recovery phrase.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use sync_client::config::SyncConfig;
use sync_client::{SyncError, SyncSession};

use crate::output::{Out, exit};
use crate::secrets::secret;

/// Where the phrase and the new password come from.
#[derive(Args, Debug)]
pub(crate) struct RecoverArgs {
    /// Read the recovery phrase from this file.
    #[arg(long, env = "SCREENPIPE_SYNC_RECOVERY_PHRASE_FILE")]
    phrase_file: Option<PathBuf>,
    /// Read the new password from this file.
    #[arg(long, env = "SCREENPIPE_SYNC_NEW_PASSWORD_FILE")]
    new_password_file: Option<PathBuf>,
}

/// What `recover` did.
#[derive(Serialize)]
struct RecoveredOutput {
    recovered: bool,
    key_version: u32,
}

/// Runs `recover`.
pub(crate) async fn run(args: &RecoverArgs, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let phrase = secret("SCREENPIPE_SYNC_RECOVERY_PHRASE", args.phrase_file.as_deref(), "Recovery phrase: ", false)?;
    let new = secret("SCREENPIPE_SYNC_NEW_PASSWORD", args.new_password_file.as_deref(), "New password: ", true)?;
    let session = SyncSession::recover(config, &phrase, &new).await?;
    let output = RecoveredOutput { recovered: true, key_version: session.keys().current_version() };
    out.emit(&output, || println!("password reset with the recovery phrase"));
    Ok(exit::OK)
}
