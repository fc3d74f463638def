//! `change-password`: a new password for the same keys.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use sync_client::SyncError;
use sync_client::config::SyncConfig;

use crate::global::Global;
use crate::output::{Out, exit};
use crate::secrets::secret;

/// Where the new password comes from.
#[derive(Args, Debug)]
pub(crate) struct ChangePasswordArgs {
    /// Read the new password from this file.
    #[arg(long, env = "SCREENPIPE_SYNC_NEW_PASSWORD_FILE")]
    new_password_file: Option<PathBuf>,
}

/// What `change-password` did.
#[derive(Serialize)]
struct ChangedOutput {
    changed: bool,
}

/// Runs `change-password`.
pub(crate) async fn run(args: &ChangePasswordArgs, g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let mut session = g.unlock(config).await?;
    let new = secret("SCREENPIPE_SYNC_NEW_PASSWORD", args.new_password_file.as_deref(), "New password: ", true)?;
    session.change_password(&new).await?;
    out.emit(&ChangedOutput { changed: true }, || println!("password changed"));
    Ok(exit::OK)
}
