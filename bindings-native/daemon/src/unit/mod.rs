//! Starting the daemon at login (`screenpipe-sync service install|uninstall|status`): the
//! service file of each platform, generated as text ([`systemd`] user unit on Linux,
//! [`launchd`] agent on macOS, a Task Scheduler task on Windows, [`windows`]), and a [`Plan`]
//! of what to write and which commands to run. [`execute`] writes the file and runs the
//! commands whose program is on `PATH`; when it is missing or fails (no systemd user instance,
//! for example), the remaining commands are returned for the person to run.

pub mod launchd;
pub mod systemd;
pub mod windows;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::error::{DaemonError, Result};

/// The platforms with a login service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// systemd user unit.
    Linux,
    /// launchd agent.
    Macos,
    /// Task Scheduler task.
    Windows,
}

impl Platform {
    /// The platform this program runs on (`None` elsewhere: BSDs, ...).
    pub fn current() -> Option<Platform> {
        match std::env::consts::OS {
            "linux" => Some(Platform::Linux),
            "macos" => Some(Platform::Macos),
            "windows" => Some(Platform::Windows),
            _ => None,
        }
    }
}

/// What the service runs: this executable and its arguments (`daemon` and its options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitSpec {
    /// The executable's absolute path.
    pub exe: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// Where the files go and where programs are found.
#[derive(Clone, Debug, Default)]
pub struct HostEnv {
    /// `HOME` (`USERPROFILE` on Windows).
    pub home: Option<PathBuf>,
    /// `XDG_CONFIG_HOME` (Linux).
    pub xdg_config_home: Option<PathBuf>,
    /// `LOCALAPPDATA` (Windows).
    pub local_app_data: Option<PathBuf>,
    /// `PATH`.
    pub path: Option<OsString>,
}

impl HostEnv {
    /// From this process's environment.
    pub fn from_env() -> HostEnv {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        HostEnv {
            home: var("HOME").or_else(|| var("USERPROFILE")).map(PathBuf::from),
            xdg_config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            local_app_data: var("LOCALAPPDATA").map(PathBuf::from),
            path: var("PATH"),
        }
    }

    fn home(&self) -> Result<&Path> {
        self.home.as_deref().ok_or(DaemonError::NoHome("HOME"))
    }

    /// `program` found in `PATH`.
    pub fn find(&self, program: &str) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        std::env::split_paths(path).find_map(|dir| {
            let names = [program.to_owned(), format!("{program}.exe")];
            names.into_iter().map(|n| dir.join(n)).find(|p| p.is_file())
        })
    }
}

/// What installing or uninstalling does, in order: commands before, the file written (or
/// removed), commands after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The platform.
    pub platform: Platform,
    /// The service file.
    pub file: PathBuf,
    /// Its text (install), or `None` (uninstall: removed).
    pub contents: Option<String>,
    /// Commands before the file changes.
    pub before: Vec<Vec<String>>,
    /// Commands after.
    pub after: Vec<Vec<String>>,
}

/// Escapes `&`, `<`, `>`, `"` and `'` for XML text and attributes.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn utf8(path: &Path) -> Result<String> {
    path.to_str().map(str::to_owned).ok_or_else(|| DaemonError::NonUtf8Path(path.to_owned()))
}

/// The service file of `platform`.
pub fn unit_path(platform: Platform, env: &HostEnv) -> Result<PathBuf> {
    Ok(match platform {
        Platform::Linux => {
            let config = match &env.xdg_config_home {
                Some(dir) => dir.clone(),
                None => env.home()?.join(".config"),
            };
            config.join("systemd").join("user").join(systemd::UNIT_NAME)
        }
        Platform::Macos => env.home()?.join("Library").join("LaunchAgents").join(format!("{}.plist", launchd::LABEL)),
        Platform::Windows => {
            let base = match &env.local_app_data {
                Some(dir) => dir.clone(),
                None => env.home()?.join("AppData").join("Local"),
            };
            base.join("screenpipe-sync").join("screenpipe-sync-task.xml")
        }
    })
}

/// The service file's text.
pub fn unit_text(platform: Platform, env: &HostEnv, spec: &UnitSpec) -> Result<String> {
    Ok(match platform {
        Platform::Linux => systemd::unit(spec),
        Platform::Macos => {
            let log = env.home()?.join("Library").join("Logs").join("screenpipe-sync.log");
            launchd::plist(spec, &utf8(&log)?)
        }
        Platform::Windows => windows::task_xml(spec),
    })
}

/// Registers the daemon to start at login.
pub fn install_plan(platform: Platform, env: &HostEnv, spec: &UnitSpec) -> Result<Plan> {
    let file = unit_path(platform, env)?;
    let contents = Some(unit_text(platform, env, spec)?);
    let file_text = utf8(&file)?;
    let after = match platform {
        Platform::Linux => {
            vec![systemd::systemctl(&["daemon-reload"]), systemd::systemctl(&["enable", "--now", systemd::UNIT_NAME])]
        }
        Platform::Macos => vec![vec!["launchctl".into(), "load".into(), "-w".into(), file_text]],
        Platform::Windows => vec![
            windows::schtasks(&["/Create", "/TN", windows::TASK_NAME, "/XML", &file_text, "/F"]),
            windows::schtasks(&["/Run", "/TN", windows::TASK_NAME]),
        ],
    };
    Ok(Plan { platform, file, contents, before: Vec::new(), after })
}

/// Stops the daemon and removes it from the login items.
pub fn uninstall_plan(platform: Platform, env: &HostEnv) -> Result<Plan> {
    let file = unit_path(platform, env)?;
    let file_text = utf8(&file)?;
    let (before, after) = match platform {
        Platform::Linux => (
            vec![systemd::systemctl(&["disable", "--now", systemd::UNIT_NAME])],
            vec![systemd::systemctl(&["daemon-reload"])],
        ),
        Platform::Macos => (vec![vec!["launchctl".into(), "unload".into(), "-w".into(), file_text]], Vec::new()),
        Platform::Windows => (vec![windows::schtasks(&["/Delete", "/TN", windows::TASK_NAME, "/F"])], Vec::new()),
    };
    Ok(Plan { platform, file, contents: None, before, after })
}

/// The command that tells whether the service runs.
pub fn status_command(platform: Platform) -> Vec<String> {
    match platform {
        Platform::Linux => systemd::systemctl(&["is-active", systemd::UNIT_NAME]),
        Platform::Macos => vec!["launchctl".into(), "list".into(), launchd::LABEL.into()],
        Platform::Windows => windows::schtasks(&["/Query", "/TN", windows::TASK_NAME]),
    }
}

/// What [`execute`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The service file.
    pub file: PathBuf,
    /// True when it was written (install) or removed (uninstall).
    pub changed: bool,
    /// Commands run, as command lines.
    pub ran: Vec<String>,
    /// Commands left for the person to run (their program is missing, or one failed).
    pub manual: Vec<String>,
    /// Why they were left: the missing program, or the failure.
    pub manual_reason: Option<String>,
}

/// A command line for people (arguments with spaces quoted).
pub fn command_line(cmd: &[String]) -> String {
    cmd.iter().map(|a| if a.contains(' ') { format!("\"{a}\"") } else { a.clone() }).collect::<Vec<_>>().join(" ")
}

/// Runs one command: its stdout, or its failure as text (with `lenient`, a failed command that
/// printed something answers with that: `systemctl is-active` says `inactive` with exit code 3).
fn run_command(env: &HostEnv, cmd: &[String], lenient: bool) -> std::result::Result<String, String> {
    let (program, args) = cmd.split_first().ok_or_else(|| "empty command".to_owned())?;
    let found = env.find(program).ok_or_else(|| format!("{program} is not on PATH"))?;
    let mut command = Command::new(found);
    command.args(args);
    if let Some(path) = &env.path {
        command.env("PATH", path);
    }
    let output = command.output().map_err(|e| format!("{program} could not run: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() || (lenient && !stdout.is_empty()) {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(format!("`{}` failed ({}): {stderr}", command_line(cmd), output.status))
    }
}

/// Runs `commands` in order; from the first that cannot run, the rest are left to the person.
fn run_all(env: &HostEnv, commands: &[Vec<String>], outcome: &mut Outcome) {
    for (i, cmd) in commands.iter().enumerate() {
        if outcome.manual_reason.is_some() {
            outcome.manual.push(command_line(cmd));
            continue;
        }
        match run_command(env, cmd, false) {
            Ok(_) => outcome.ran.push(command_line(cmd)),
            Err(reason) => {
                outcome.manual_reason = Some(reason);
                outcome.manual.extend(commands[i..].iter().map(|c| command_line(c)));
                break;
            }
        }
    }
}

/// Carries out a plan: the commands before, the file, the commands after.
pub fn execute(plan: &Plan, env: &HostEnv) -> Result<Outcome> {
    let mut outcome = Outcome { file: plan.file.clone(), ..Outcome::default() };
    run_all(env, &plan.before, &mut outcome);
    match &plan.contents {
        Some(text) => {
            if let Some(dir) = plan.file.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|source| DaemonError::Io { context: format!("create {}", dir.display()), source })?;
            }
            std::fs::write(&plan.file, text)
                .map_err(|source| DaemonError::Io { context: format!("write {}", plan.file.display()), source })?;
            outcome.changed = true;
        }
        None => match std::fs::remove_file(&plan.file) {
            Ok(()) => outcome.changed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(DaemonError::Io { context: format!("remove {}", plan.file.display()), source });
            }
        },
    }
    run_all(env, &plan.after, &mut outcome);
    Ok(outcome)
}

/// Whether the service is installed and what the platform says about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    /// The platform.
    pub platform: Platform,
    /// The service file.
    pub file: PathBuf,
    /// True when the file exists.
    pub installed: bool,
    /// The status command's answer (`active`, `inactive`, ...), or why there is none.
    pub state: String,
}

/// The service's state.
pub fn status(platform: Platform, env: &HostEnv) -> Result<ServiceState> {
    let file = unit_path(platform, env)?;
    let installed = file.is_file();
    let cmd = status_command(platform);
    let state = match run_command(env, &cmd, true) {
        Ok(out) => out,
        Err(reason) => reason,
    };
    Ok(ServiceState { platform, file, installed, state })
}
