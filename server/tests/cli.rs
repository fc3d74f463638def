//! The `sync-server` binary: `user` subcommands and their output, `serve` configured by
//! environment variables and a TOML file, answering over loopback and stopping on SIGTERM.
//! With `SYNC_TEST_BACKEND=postgres-s3` the same tests run on a fresh PostgreSQL database and S3
//! prefix, named by flags (user commands) and by environment variables (`serve`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sync-server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SYNC_SERVER_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// The storage settings of the backend under test, as `(flag, environment variable, value)`.
fn backend_settings() -> Vec<(&'static str, &'static str, String)> {
    if !common::scale_backend() {
        return Vec::new();
    }
    let database_url = tokio::runtime::Runtime::new().unwrap().block_on(common::fresh_database());
    let s3 = common::fresh_s3();
    vec![
        ("--database-url", "SYNC_SERVER_DATABASE_URL", database_url),
        ("--s3-endpoint", "SYNC_SERVER_S3_ENDPOINT", s3.endpoint.unwrap()),
        ("--s3-bucket", "SYNC_SERVER_S3_BUCKET", s3.bucket),
        ("--s3-region", "SYNC_SERVER_S3_REGION", s3.region.unwrap()),
        ("--s3-access-key-id", "SYNC_SERVER_S3_ACCESS_KEY_ID", s3.access_key_id.unwrap()),
        ("--s3-secret-access-key", "SYNC_SERVER_S3_SECRET_ACCESS_KEY", s3.secret_access_key.unwrap()),
        ("--s3-prefix", "SYNC_SERVER_S3_PREFIX", s3.prefix.unwrap()),
    ]
}

fn run_with(args: &[&str], dir: &Path, backend: &[(&str, &str, String)]) -> Output {
    let mut cmd = bin();
    cmd.args(args).arg("--data-dir").arg(dir);
    for (flag, _, value) in backend {
        cmd.arg(format!("{flag}={value}"));
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn user_commands() {
    let dir = tempfile::tempdir().unwrap();
    let backend = backend_settings();
    let run = |args: &[&str], dir: &Path| run_with(args, dir, &backend);
    let added = run(&["user", "add", "Alice@Example.com"], dir.path());
    assert!(added.status.success(), "{added:?}");
    let text = stdout(&added);
    let token = text.lines().last().unwrap();
    assert!(token.starts_with("sps_") && token.len() == 68, "{text}");
    assert!(text.contains("tier starter"));
    let again = run(&["user", "add", "alice@example.com"], dir.path());
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    let team = run(&["user", "add", "bob@example.com", "--tier", "team"], dir.path());
    assert!(team.status.success());
    assert!(!run(&["user", "add", "carol@example.com", "--tier", "gold"], dir.path()).status.success());
    assert!(!run(&["user", "add", "not-an-email"], dir.path()).status.success());

    let listed = stdout(&run(&["user", "list"], dir.path()));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "email\ttier\tdevices\tblobs\tstorage_used\tcreated_at");
    assert!(lines[1].starts_with("alice@example.com\tstarter\t0\t0\t0\t"));
    assert!(lines[2].starts_with("bob@example.com\tteam\t"));

    assert!(run(&["user", "set-tier", "alice@example.com", "pro"], dir.path()).status.success());
    assert!(stdout(&run(&["user", "list"], dir.path())).contains("alice@example.com\tpro"));
    assert!(!run(&["user", "set-tier", "nobody@example.com", "pro"], dir.path()).status.success());
    assert!(run(&["user", "remove", "bob@example.com"], dir.path()).status.success());
    assert!(!stdout(&run(&["user", "list"], dir.path())).contains("bob@"));

    // A new token on the last line, different from the old one; unknown accounts fail.
    let rotated = run(&["user", "rotate-token", "ALICE@example.com"], dir.path());
    assert!(rotated.status.success(), "{rotated:?}");
    let text = stdout(&rotated);
    let new_token = text.lines().last().unwrap();
    assert!(new_token.starts_with("sps_") && new_token.len() == 68, "{text}");
    assert_ne!(new_token, token);
    assert!(text.contains("old one no longer works"));
    let missing = run(&["user", "rotate-token", "nobody@example.com"], dir.path());
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no user"));
    // With another backend, nothing was written to the data directory.
    if !backend.is_empty() {
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A raw HTTP/1.1 request; `None` while nothing listens.
fn http(port: u16, request: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

fn wait_until_listening(port: u16) {
    for _ in 0..600 {
        if http(port, "GET /openapi.yaml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the server never answered");
}

#[test]
fn serve_from_environment_and_config_file_then_stop_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let backend = backend_settings();
    let token =
        stdout(&run_with(&["user", "add", "dee@example.com"], dir.path(), &backend)).lines().last().unwrap().to_owned();
    let port = free_port();
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        "bind = \"127.0.0.1:1\"\npublic_url = \"https://sync.example.com/\"\nlog_format = \"json\"\n[stripe]\nprices = { price_x = \"pro\" }\n",
    )
    .unwrap();
    // The environment's bind wins over the file's; the file's public URL is used.
    let mut cmd = bin();
    for (_, var, value) in &backend {
        cmd.env(var, value);
    }
    let mut child = cmd
        .arg("serve")
        .env("SYNC_SERVER_CONFIG", &config)
        .env("SYNC_SERVER_DATA_DIR", dir.path())
        .env("SYNC_SERVER_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_listening(port);
    let body = r#"{"device_id":"dev-1","device_name":"n","device_os":"o"}"#;
    let init = http(
        port,
        &format!(
            "POST /api/sync/init HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nX-Device-Id: dev-1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .unwrap();
    assert!(init.starts_with("HTTP/1.1 200"), "{init}");
    assert!(init.contains("\"is_new_user\":true"));
    let blob = r#"{"blob_id":"000102030405060708090a0b0c0d0e0f","blob_type":"text","device_id":"dev-1","time_start":"2026-01-05T09:00:00.000Z","time_end":"2026-01-05T09:05:00.000Z","size_bytes":10,"checksum":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","key_id":"0f0e0d0c0b0a09080706050403020100"}"#;
    let upload = http(
        port,
        &format!(
            "POST /api/sync/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nX-Device-Id: dev-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{blob}",
            blob.len()
        ),
    )
    .unwrap();
    match backend.iter().find(|(flag, _, _)| *flag == "--s3-endpoint") {
        // A presigned URL straight to the store.
        Some((_, _, endpoint)) => assert!(upload.contains(&format!("\"upload_url\":\"{endpoint}/")), "{upload}"),
        None => assert!(upload.contains("\"upload_url\":\"https://sync.example.com/api/sync/objects/"), "{upload}"),
    }

    let status = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    let first = logs.lines().next().unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(first).is_ok(), "JSON logs: {first}");
    assert!(logs.contains("request_id"));
    assert!(logs.contains("stopped"));
    // Stopped: nothing listens any more.
    assert!(http(port, "GET /openapi.yaml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").is_none());
}

#[test]
fn bad_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin().args(["serve", "--bind", "nowhere"]).arg("--data-dir").arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bind"));
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "unknown_setting = 1\n").unwrap();
    let out = bin().arg("serve").arg("--config").arg(&config).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid config file"));
}
