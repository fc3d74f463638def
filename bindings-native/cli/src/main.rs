//! `screenpipe-sync`: the command line of screenpipe's end-to-end encrypted sync, a thin layer
//! over the `sync-client` library. `main` parses the command line and dispatches to one file
//! per subcommand under `commands/`; see `bindings-native/cli/README.md` for every command,
//! setting and exit code.

mod commands;
mod global;
mod output;
mod progress_bars;
mod remembered;
mod secrets;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sync_client::SyncError;

use commands::{
    archive, change_password, daemon, dev, devices, init, join, link, pull, push, recover, restore, retention,
    rotate_key, search, service, status, verify,
};
use global::Global;
use output::{Out, exit, exit_code};

/// screenpipe sync: end-to-end encrypted cloud sync of screenpipe's recordings.
#[derive(Parser, Debug)]
#[command(name = "screenpipe-sync", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
enum Command {
    /// Register this device; create the account's keys (prints the recovery phrase once) or
    /// unlock the existing ones.
    Init,
    /// Package and upload everything new (resumes an interrupted push).
    Push,
    /// Download, decrypt and import other devices' data.
    Pull(pull::PullArgs),
    /// Free the disk: delete local media files older than a cutoff once proven in the cloud
    /// (marked offloaded in screenpipe's database where it can say so).
    Archive(archive::ArchiveArgs),
    /// Download, decrypt and put back this device's offloaded media files of a time range, and
    /// the other devices' rows and files of it (where `pull` puts them).
    Restore(restore::RestoreArgs),
    /// Check that every uploaded blob is in the cloud as sealed (`--read-data`: decrypt it).
    Verify(verify::VerifyArgs),
    /// Show or set the cloud retention per data type (within the tier's; no password).
    Retention(retention::RetentionArgs),
    /// Search local and cloud data (screenpipe's /search result shape).
    Search(search::SearchArgs),
    /// Quota, usage, devices and the local sync state.
    Status,
    /// List the account's devices, or remove one.
    Devices(devices::DevicesArgs),
    /// Set a new password (same keys).
    ChangePassword(change_password::ChangePasswordArgs),
    /// Set a new password with the recovery phrase.
    Recover(recover::RecoverArgs),
    /// Rotate the master key (prints the new recovery phrase once).
    RotateKey,
    /// Link a new device: show a short code (`code: …`), wait for the device that types it,
    /// approve it, send it the keys.
    Link(link::LinkArgs),
    /// Join the account on this new device with the code shown by `link` (no password); the
    /// keys go to the OS keychain.
    Join(join::JoinArgs),
    /// Run background sync with the settings page on 127.0.0.1 (until SIGINT or SIGTERM).
    Daemon(daemon::DaemonArgs),
    /// Start the daemon at login: install, uninstall, status.
    Service(service::ServiceArgs),
    /// Developer tools.
    Dev(dev::DevArgs),
}

/// Runs the command; its exit code. Every command but `dev` reads the configuration first.
async fn run(cli: &Cli, out: Out) -> Result<u8, SyncError> {
    let g = &cli.global;
    let config = || g.config();
    match &cli.command {
        Command::Init => init::run(g, &config()?, out).await,
        Command::Push => push::run(g, &config()?, out).await,
        Command::Pull(args) => pull::run(args, g, &config()?, out).await,
        Command::Archive(args) => archive::run(args, g, &config()?, out).await,
        Command::Restore(args) => restore::run(args, g, &config()?, out).await,
        Command::Verify(args) => verify::run(args, g, &config()?, out).await,
        Command::Retention(args) => retention::run(args, &config()?, out).await,
        Command::Search(args) => search::run(args, g, &config()?, out).await,
        Command::Status => status::run(&config()?, out).await,
        Command::Devices(args) => devices::run(args, &config()?, out).await,
        Command::ChangePassword(args) => change_password::run(args, g, &config()?, out).await,
        Command::Recover(args) => recover::run(args, &config()?, out).await,
        Command::RotateKey => rotate_key::run(g, &config()?, out).await,
        Command::Link(args) => link::run(args, g, &config()?, out).await,
        Command::Join(args) => join::run(args, &config()?, out).await,
        Command::Daemon(args) => daemon::run(args, g, out).await,
        Command::Service(args) => service::run(args, g, out).await,
        Command::Dev(args) => dev::run(args, out).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
    let out = Out { json: cli.global.json };
    // At most 8 blocking threads (file reads and writes, SQLite, sealing): glibc's malloc gives
    // each thread an arena of its own and keeps what is freed there, so tokio's default (up to
    // 512) let a push of a day of snapshots whose live heap peaked at 68 MB hold 530 MB
    // resident (docs/PERFORMANCE.md, issue 15).
    let runtime = match tokio::runtime::Builder::new_multi_thread().max_blocking_threads(8).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(run(&cli, out)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            out.error(&e);
            ExitCode::from(exit_code(&e))
        }
    }
}
