//! A server holding every ciphertext and every search token learns no plaintext of what a
//! client pushes: a realistic fixture (screen text, transcriptions, window titles, media) is
//! pushed by the real `screenpipe-sync` binary to the real `sync-server` binary (debug logs on),
//! then every byte the server stored (its SQLite files, its objects) and every line it logged
//! is searched for the fixture's words and for pieces of its media files.
//!
//! The client binary is built by this test with the same cargo and target directory (a package
//! cannot name another package's binary); the first run pays for that build.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple 42";

/// Builds `screenpipe-sync` and returns its path.
fn client_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "-p", "screenpipe-sync", "--bin", "screenpipe-sync", "--message-format=json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "building screenpipe-sync failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "screenpipe-sync")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("no screenpipe-sync executable in cargo's output")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn server_command(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sync-server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SYNC_SERVER_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("--data-dir").arg(data);
    cmd
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every distinct word of at least 5 letters in the fixture's recorded text, from the text
/// columns of either screenpipe generation that the database has.
fn fixture_words(db: &Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut words = BTreeSet::new();
    let mut columns_read = 0;
    for (table, column) in [
        ("ocr_text", "text"),
        ("frames", "full_text"),
        ("elements", "text"),
        ("audio_transcriptions", "transcription"),
        ("accessibility", "text_content"),
        ("frames", "window_name"),
        ("frames", "browser_url"),
        ("memories", "content"),
        ("meetings", "title"),
    ] {
        let present: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2", [table, column], |r| r.get(0))
            .unwrap();
        if present == 0 {
            continue;
        }
        columns_read += 1;
        let mut stmt = conn.prepare(&format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL")).unwrap();
        let texts = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        for text in texts {
            for word in text.unwrap().split(|c: char| !c.is_ascii_alphabetic()) {
                if word.len() >= 5 {
                    words.insert(word.to_owned());
                }
            }
        }
    }
    assert!(columns_read >= 5, "the fixture has too few of the known text columns ({columns_read})");
    words
}

/// Words of at least 5 letters in `bytes` (ASCII runs).
fn ascii_words(bytes: &[u8]) -> BTreeSet<String> {
    bytes
        .split(|b| !b.is_ascii_alphabetic())
        .filter(|w| w.len() >= 5)
        .map(|w| String::from_utf8_lossy(w).to_lowercase())
        .collect()
}

/// Pieces of 48 bytes of every media file, taken where the bytes vary (never a run of zeros,
/// which any file may hold).
fn media_pieces(dir: &Path) -> Vec<Vec<u8>> {
    let mut pieces = Vec::new();
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap();
        for start in (0..bytes.len().saturating_sub(48)).step_by(4096) {
            let piece = &bytes[start..start + 48];
            if piece.iter().collect::<BTreeSet<_>>().len() >= 24 {
                pieces.push(piece.to_vec());
            }
        }
    }
    pieces
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").unwrap_or_default()
}

/// Whether `haystack` holds any of `pieces` (48 bytes each), in one pass: pieces are looked up
/// by their first 8 bytes.
fn contains_any(haystack: &[u8], pieces: &[Vec<u8>]) -> bool {
    let mut by_prefix: HashMap<[u8; 8], Vec<&[u8]>> = HashMap::new();
    for piece in pieces {
        by_prefix.entry(piece[..8].try_into().unwrap()).or_default().push(piece);
    }
    haystack.windows(48).any(|w| {
        by_prefix.get(&<[u8; 8]>::try_from(&w[..8]).unwrap()).is_some_and(|candidates| candidates.contains(&w))
    })
}

#[test]
fn the_server_learns_no_plaintext_of_a_pushed_fixture() {
    let client = client_binary();
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("server");
    let fixture = root.path().join("fixture");
    let state = root.path().join("client-state");
    let log_path = root.path().join("server.log");

    // The server, logging everything it logs at debug level.
    let port = free_port();
    let log = std::fs::File::create(&log_path).unwrap();
    let child = server_command(&data)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "debug")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let added = server_command(&data).args(["user", "add", "plain@example.com", "--tier", "pro"]).output().unwrap();
    assert!(added.status.success(), "{added:?}");
    let token = String::from_utf8(added.stdout).unwrap().lines().last().unwrap().to_owned();

    // The fixture, pushed by the client.
    let client_cmd = |args: &[&str]| {
        let out = Command::new(&client)
            .args(args)
            .env("SCREENPIPE_SYNC_SERVER", format!("http://127.0.0.1:{port}"))
            .env("SCREENPIPE_SYNC_TOKEN", &token)
            .env("SCREENPIPE_SYNC_DB", fixture.join("db.sqlite"))
            .env("SCREENPIPE_SYNC_DATA_DIR", fixture.join("data"))
            .env("SCREENPIPE_SYNC_STATE_DIR", &state)
            .env("SCREENPIPE_SYNC_PASSWORD", PASSWORD)
            .env("SCREENPIPE_SYNC_MEDIA_SETTLE_SECS", "0")
            .env_remove("SCREENPIPE_SYNC_CONFIG")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "screenpipe-sync {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let fixture_arg = fixture.to_str().unwrap();
    client_cmd(&[
        "dev",
        "fixture",
        "--out",
        fixture_arg,
        "--days",
        "1",
        "--hours-per-day",
        "1",
        "--frame-interval",
        "30",
        "--video-kib",
        "16",
        "--audio-kib",
        "8",
        "--json",
    ]);
    client_cmd(&["init"]);
    let pushed: serde_json::Value = serde_json::from_slice(&client_cmd(&["push", "--json"]).stdout).unwrap();
    // And searched, so the logs see queries too.
    client_cmd(&["search", "budget", "--json"]);
    drop(server);

    // Words the server may store or log without learning anything: its own vocabulary (every
    // word in its executable: table and column names, blob types, log messages) and what the
    // client tells it in clear by design (its device's name, OS and version; the account).
    let mut known = ascii_words(&std::fs::read(env!("CARGO_BIN_EXE_sync-server")).unwrap());
    let devices = Command::new(&client)
        .args(["devices", "--json"])
        .env("SCREENPIPE_SYNC_SERVER", "http://127.0.0.1:1")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    known.extend(ascii_words(&devices));
    known.extend(ascii_words(hostname().as_bytes()));
    known.extend(["plain", "example", "linux"].map(str::to_owned));
    let words: BTreeSet<String> =
        fixture_words(&fixture.join("db.sqlite")).into_iter().filter(|w| !known.contains(&w.to_lowercase())).collect();
    assert!(words.len() >= 30, "the fixture holds too few words to test with: {words:?}");
    let pieces = media_pieces(&fixture.join("data"));
    assert!(pieces.len() >= 10, "the fixture's media are too small to test with");

    // What the server kept and said: the database with its WAL, the objects, the log.
    let mut stored: Vec<(PathBuf, Vec<u8>)> =
        files_under(&data).into_iter().map(|f| (f.clone(), std::fs::read(&f).unwrap())).collect();
    let mut log_text = String::new();
    std::fs::File::open(&log_path).unwrap().read_to_string(&mut log_text).unwrap();
    assert!(log_text.lines().count() > 20, "the server logged almost nothing: {log_text}");
    stored.push((log_path.clone(), log_text.into_bytes()));
    let objects = stored.iter().filter(|(p, _)| p.components().any(|c| c.as_os_str() == "objects")).count();
    assert!(objects as u64 >= pushed["blobs"].as_u64().unwrap_or(1), "objects stored: {objects}, push: {pushed}");

    // Words are compared whole (a letter on either side makes another word), case aside.
    let words: BTreeSet<String> = words.iter().map(|w| w.to_lowercase()).collect();
    // The search itself finds plaintext where there is some: in the fixture's own files.
    let own = std::fs::read(fixture.join("db.sqlite")).unwrap();
    assert!(ascii_words(&own).intersection(&words).count() >= 30);
    let media = files_under(&fixture.join("data"));
    assert!(media.iter().any(|f| contains_any(&std::fs::read(f).unwrap(), &pieces)));
    for (path, bytes) in &stored {
        let found: Vec<String> = ascii_words(bytes).intersection(&words).cloned().collect();
        assert!(found.is_empty(), "{} holds the fixture's words {found:?}", path.display());
        assert!(!contains_any(bytes, &pieces), "{} holds bytes of a fixture media file", path.display());
    }
}
