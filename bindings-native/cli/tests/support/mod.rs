//! What the CLI's test files share: the `screenpipe-sync` binary run as one device.

use std::path::Path;
use std::process::{Command, Stdio};

/// `screenpipe-sync ARGS` as the device whose screenpipe database (`db.sqlite`), data folder
/// (`data/`) and sync state (`sync/`) live in `dir`, against `server` with `token`: no config
/// file, no password (neither variable nor file), no fault injection, media settled at once,
/// stdin closed. Each test adds what it needs (the password, a keychain folder, a fault point).
pub fn device_command(dir: &Path, server: &str, token: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_screenpipe-sync"));
    cmd.args(args)
        .env("SCREENPIPE_SYNC_SERVER", server)
        .env("SCREENPIPE_SYNC_TOKEN", token)
        .env("SCREENPIPE_SYNC_DB", dir.join("db.sqlite"))
        .env("SCREENPIPE_SYNC_DATA_DIR", dir.join("data"))
        .env("SCREENPIPE_SYNC_STATE_DIR", dir.join("sync"))
        .env("SCREENPIPE_SYNC_MEDIA_SETTLE_SECS", "0")
        .env_remove("SCREENPIPE_SYNC_PASSWORD")
        .env_remove("SCREENPIPE_SYNC_PASSWORD_FILE")
        .env_remove("SCREENPIPE_SYNC_CONFIG")
        .env_remove("SCREENPIPE_SYNC_FAULT")
        .stdin(Stdio::null());
    cmd
}
