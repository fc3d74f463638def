//! Login services: the generated systemd unit, launchd plist and Task Scheduler XML against
//! golden files (`UPDATE_GOLDEN=1` rewrites them), and install / uninstall / status with a
//! temporary HOME and fake `systemctl`, `launchctl` and `schtasks` on PATH.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

use sync_daemon::unit::{self, HostEnv, Platform, UnitSpec};

fn spec() -> UnitSpec {
    UnitSpec {
        exe: "/opt/screenpipe sync/bin/screenpipe-sync".into(),
        args: vec![
            "daemon".into(),
            "--listen".into(),
            "127.0.0.1:3031".into(),
            "--config".into(),
            "/home/ada/100% \"sync\"/config.toml".into(),
        ],
    }
}

fn windows_spec() -> UnitSpec {
    UnitSpec {
        exe: "C:\\Program Files\\screenpipe\\screenpipe-sync.exe".into(),
        args: vec!["daemon".into(), "--config".into(), "C:\\Users\\Ada Lovelace\\sync & more\\config.toml".into()],
    }
}

fn golden(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(text, expected, "{name} differs from its golden file");
}

fn env_at(home: &Path, bin: Option<&Path>) -> HostEnv {
    HostEnv {
        home: Some(home.to_owned()),
        xdg_config_home: None,
        local_app_data: None,
        path: bin.map(|b| b.as_os_str().to_owned()),
    }
}

/// A fake program that logs its arguments to `LOG` and prints `out`, exiting with `code`.
fn fake(bin: &Path, name: &str, log: &Path, out: &str, code: i32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(bin).unwrap();
    let script = format!("#!/bin/sh\necho \"{name} $*\" >> '{}'\necho '{out}'\nexit {code}\n", log.display());
    let path = bin.join(name);
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_owned).collect()
}

#[test]
fn generated_files_match_the_golden_files() {
    let env = env_at(Path::new("/home/ada"), None);
    golden("screenpipe-sync.service", &unit::unit_text(Platform::Linux, &env, &spec()).unwrap());
    golden("com.screenpipe.sync.plist", &unit::unit_text(Platform::Macos, &env, &spec()).unwrap());
    golden("screenpipe-sync-task.xml", &unit::unit_text(Platform::Windows, &env, &windows_spec()).unwrap());
    assert_eq!(
        unit::unit_path(Platform::Linux, &env).unwrap(),
        PathBuf::from("/home/ada/.config/systemd/user/screenpipe-sync.service")
    );
    let xdg = HostEnv { xdg_config_home: Some("/x/cfg".into()), ..env.clone() };
    assert_eq!(
        unit::unit_path(Platform::Linux, &xdg).unwrap(),
        PathBuf::from("/x/cfg/systemd/user/screenpipe-sync.service")
    );
    assert_eq!(
        unit::unit_path(Platform::Macos, &env).unwrap(),
        PathBuf::from("/home/ada/Library/LaunchAgents/com.screenpipe.sync.plist")
    );
    assert_eq!(unit::unit_path(Platform::Linux, &HostEnv::default()).unwrap_err().code(), "config");
}

#[test]
fn linux_install_status_uninstall_with_a_fake_systemctl() {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    let log = home.path().join("calls.log");
    fake(&bin, "systemctl", &log, "active", 0);
    let env = env_at(home.path(), Some(&bin));

    let plan = unit::install_plan(Platform::Linux, &env, &spec()).unwrap();
    let outcome = unit::execute(&plan, &env).unwrap();
    let file = home.path().join(".config/systemd/user/screenpipe-sync.service");
    assert_eq!(outcome.file, file);
    assert!(outcome.changed);
    assert!(outcome.manual.is_empty(), "{outcome:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), unit::unit_text(Platform::Linux, &env, &spec()).unwrap());
    assert_eq!(
        log_lines(&log),
        ["systemctl --user daemon-reload", "systemctl --user enable --now screenpipe-sync.service"]
    );

    let state = unit::status(Platform::Linux, &env).unwrap();
    assert!(state.installed);
    assert_eq!(state.state, "active");

    let outcome = unit::execute(&unit::uninstall_plan(Platform::Linux, &env).unwrap(), &env).unwrap();
    assert!(outcome.changed);
    assert!(!file.exists());
    assert_eq!(
        log_lines(&log)[3..],
        ["systemctl --user disable --now screenpipe-sync.service", "systemctl --user daemon-reload"]
    );
    assert!(!unit::status(Platform::Linux, &env).unwrap().installed);
}

#[test]
fn without_a_usable_systemctl_the_commands_are_left_to_the_person() {
    // Not on PATH: the unit is written, both commands are printed.
    let home = tempfile::tempdir().unwrap();
    let empty = home.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let env = env_at(home.path(), Some(&empty));
    let outcome = unit::execute(&unit::install_plan(Platform::Linux, &env, &spec()).unwrap(), &env).unwrap();
    assert!(outcome.changed);
    assert!(outcome.ran.is_empty());
    assert_eq!(
        outcome.manual,
        ["systemctl --user daemon-reload", "systemctl --user enable --now screenpipe-sync.service"]
    );
    assert!(outcome.manual_reason.as_deref().unwrap().contains("systemctl is not on PATH"));

    // Present but failing (no user instance of systemd): the failure is said, the rest printed.
    let bin = home.path().join("bin");
    let log = home.path().join("calls.log");
    fake(&bin, "systemctl", &log, "", 1);
    let env = env_at(home.path(), Some(&bin));
    let outcome = unit::execute(&unit::install_plan(Platform::Linux, &env, &spec()).unwrap(), &env).unwrap();
    assert_eq!(outcome.manual.len(), 2);
    assert!(outcome.manual_reason.as_deref().unwrap().contains("daemon-reload` failed"), "{outcome:?}");
    assert_eq!(log_lines(&log), ["systemctl --user daemon-reload"]);
}

#[test]
fn macos_and_windows_plans_run_their_tools() {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    let log = home.path().join("calls.log");
    fake(&bin, "launchctl", &log, "", 0);
    fake(&bin, "schtasks", &log, "", 0);
    let env = env_at(home.path(), Some(&bin));

    let outcome = unit::execute(&unit::install_plan(Platform::Macos, &env, &spec()).unwrap(), &env).unwrap();
    let plist = home.path().join("Library/LaunchAgents/com.screenpipe.sync.plist");
    assert_eq!(outcome.file, plist);
    assert!(std::fs::read_to_string(&plist).unwrap().contains("<string>com.screenpipe.sync</string>"));
    unit::execute(&unit::uninstall_plan(Platform::Macos, &env).unwrap(), &env).unwrap();
    assert!(!plist.exists());

    let outcome = unit::execute(&unit::install_plan(Platform::Windows, &env, &windows_spec()).unwrap(), &env).unwrap();
    let xml = home.path().join("AppData/Local/screenpipe-sync/screenpipe-sync-task.xml");
    assert_eq!(outcome.file, xml);
    assert!(xml.exists());
    unit::execute(&unit::uninstall_plan(Platform::Windows, &env).unwrap(), &env).unwrap();
    assert!(!xml.exists());

    let p = plist.display();
    let x = xml.display();
    assert_eq!(
        log_lines(&log),
        [
            format!("launchctl load -w {p}"),
            format!("launchctl unload -w {p}"),
            format!("schtasks /Create /TN screenpipe sync /XML {x} /F"),
            "schtasks /Run /TN screenpipe sync".to_owned(),
            "schtasks /Delete /TN screenpipe sync /F".to_owned(),
        ]
    );
}
