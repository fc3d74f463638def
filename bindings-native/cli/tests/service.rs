//! `screenpipe-sync service` and `daemon` through the binary: install, status and uninstall of
//! the systemd user unit with a temporary HOME and a fake `systemctl` on PATH; the daemon
//! refusing a non-loopback address and answering on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_screenpipe-sync");

fn cli(home: &Path, path: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", path)
        .env("SCREENPIPE_SYNC_STATE_DIR", home.join("state"))
        .stdin(Stdio::null());
    cmd
}

#[test]
fn service_install_status_uninstall_with_a_fake_systemctl() {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = home.path().join("systemctl.log");
    let script = format!("#!/bin/sh\necho \"$*\" >> '{}'\necho active\n", log.display());
    std::fs::write(bin.join("systemctl"), script).unwrap();
    std::fs::set_permissions(bin.join("systemctl"), std::fs::Permissions::from_mode(0o755)).unwrap();

    let out =
        cli(home.path(), &bin).args(["service", "install", "--listen", "127.0.0.1:3999", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unit_file = home.path().join(".config/systemd/user/screenpipe-sync.service");
    assert_eq!(json["file"], unit_file.display().to_string());
    assert_eq!(json["platform"], "linux");
    let text = std::fs::read_to_string(&unit_file).unwrap();
    let exec = text.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert_eq!(
        exec,
        format!(
            "ExecStart=\"{}\" \"daemon\" \"--listen\" \"127.0.0.1:3999\" \"--state-dir\" \"{}\"",
            std::fs::canonicalize(BIN).unwrap().display(),
            home.path().join("state").display()
        )
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(calls, "--user daemon-reload\n--user enable --now screenpipe-sync.service\n");

    let out = cli(home.path(), &bin).args(["service", "status"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("installed:") && stdout.contains("state: active"), "{stdout}");

    let out = cli(home.path(), &bin).args(["service", "uninstall"]).output().unwrap();
    assert!(out.status.success());
    assert!(!unit_file.exists());
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .ends_with("--user disable --now screenpipe-sync.service\n--user daemon-reload\n")
    );

    // Without systemctl: the unit is written and the commands are printed.
    let empty = home.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = cli(home.path(), &empty).args(["service", "install"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("run these yourself") && stdout.contains("systemctl --user enable --now"), "{stdout}");
    assert!(unit_file.exists());
}

#[test]
fn daemon_listens_on_loopback_only_and_serves_the_page() {
    let home = tempfile::tempdir().unwrap();
    let out = cli(home.path(), home.path()).args(["daemon", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"), "{}", String::from_utf8_lossy(&out.stderr));

    let mut child = cli(home.path(), home.path())
        .args(["daemon", "--listen", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = ready["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));
    assert_eq!(ready["config"], home.path().join("state/config.toml").display().to_string());
    // A plain HTTP/1.1 request: the page with its token slot filled.
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    use std::io::{Read as _, Write as _};
    write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("name=\"csrf-token\"") && !answer.contains("{{CSRF_TOKEN}}"));
    // SIGTERM stops it cleanly.
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    assert!(child.wait().unwrap().success());
}
