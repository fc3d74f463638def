//! `service install|uninstall|status`: start the daemon at login (systemd user unit on Linux,
//! launchd agent on macOS, a Task Scheduler task on Windows; `sync-daemon`'s `unit` module).
//! `install` writes the file and runs the platform's tool when it is usable, else prints the
//! commands to run.

use clap::{Args, Subcommand};
use serde::Serialize;
use sync_client::SyncError;
use sync_daemon::unit::{self, HostEnv, Outcome, Platform, UnitSpec};

use crate::global::Global;
use crate::output::{Out, exit};

/// `service` and its action.
#[derive(Args, Debug)]
pub(crate) struct ServiceArgs {
    #[command(subcommand)]
    action: ServiceAction,
}

/// What to do with the login service.
#[derive(Subcommand, Debug)]
enum ServiceAction {
    /// Start the daemon at login (and now).
    Install {
        /// The daemon's address (passed to `daemon --listen`).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Stop the daemon and remove it from the login items.
    Uninstall,
    /// Whether the service is installed and running.
    Status,
}

fn platform() -> Result<Platform, SyncError> {
    Platform::current().ok_or_else(|| SyncError::Config(format!("no login service on {}", std::env::consts::OS)))
}

fn err(e: sync_daemon::DaemonError) -> SyncError {
    SyncError::Config(e.to_string())
}

/// The command line the service runs: this executable, `daemon`, and the paths given here.
fn spec(g: &Global, listen: Option<&str>) -> Result<UnitSpec, SyncError> {
    let exe = std::env::current_exe().map_err(|e| SyncError::io("find this executable", e))?;
    let path_arg = |p: &std::path::Path| {
        std::path::absolute(p)
            .ok()
            .and_then(|a| a.to_str().map(str::to_owned))
            .ok_or_else(|| SyncError::Config(format!("{} is not a UTF-8 path", p.display())))
    };
    let mut args = vec!["daemon".to_owned()];
    if let Some(listen) = listen {
        args.extend(["--listen".to_owned(), listen.to_owned()]);
    }
    let paths = [
        ("--config", &g.config),
        ("--state-dir", &g.state_dir),
        ("--db", &g.db),
        ("--data-dir", &g.data_dir),
        ("--password-file", &g.password_file),
    ];
    for (flag, value) in paths {
        if let Some(p) = value {
            args.extend([flag.to_owned(), path_arg(p)?]);
        }
    }
    Ok(UnitSpec { exe: path_arg(&exe)?, args })
}

fn render(outcome: &Outcome, done: &str) {
    println!("{done} {}", outcome.file.display());
    for cmd in &outcome.ran {
        println!("ran: {cmd}");
    }
    if let Some(reason) = &outcome.manual_reason {
        println!("{reason}; run these yourself:");
        for cmd in &outcome.manual {
            println!("  {cmd}");
        }
    }
}

/// The JSON of install and uninstall.
#[derive(Serialize)]
struct ServiceOutput<'a> {
    platform: Platform,
    #[serde(flatten)]
    outcome: &'a Outcome,
}

/// Runs `service ...`.
pub(crate) async fn run(args: &ServiceArgs, g: &Global, out: Out) -> Result<u8, SyncError> {
    let platform = platform()?;
    let env = HostEnv::from_env();
    match &args.action {
        ServiceAction::Install { listen } => {
            let plan = unit::install_plan(platform, &env, &spec(g, listen.as_deref())?).map_err(err)?;
            let outcome = unit::execute(&plan, &env).map_err(err)?;
            out.emit(&ServiceOutput { platform, outcome: &outcome }, || render(&outcome, "installed"));
        }
        ServiceAction::Uninstall => {
            let plan = unit::uninstall_plan(platform, &env).map_err(err)?;
            let outcome = unit::execute(&plan, &env).map_err(err)?;
            out.emit(&ServiceOutput { platform, outcome: &outcome }, || render(&outcome, "removed"));
        }
        ServiceAction::Status => {
            let state = unit::status(platform, &env).map_err(err)?;
            out.emit(&state, || {
                let installed = if state.installed { "installed" } else { "not installed" };
                println!("{installed}: {}", state.file.display());
                println!("state: {}", state.state);
            });
        }
    }
    Ok(exit::OK)
}
