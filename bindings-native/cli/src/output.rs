//! What the CLI prints: with `--json`, one JSON object on stdout (the typed result,
//! serialized; its shape is a contract); otherwise lines for people. Errors and exit codes.

use serde::Serialize;
use sync_client::SyncError;

/// Exit codes (documented in the README).
pub(crate) mod exit {
    /// Success.
    pub(crate) const OK: u8 = 0;
    /// Any other error.
    pub(crate) const ERROR: u8 = 1;
    /// Wrong password, bad phrase, weak password, bad token.
    pub(crate) const AUTH: u8 = 3;
    /// `QUOTA_EXCEEDED`.
    pub(crate) const QUOTA: u8 = 4;
    /// `DEVICE_LIMIT_EXCEEDED`.
    pub(crate) const DEVICE_LIMIT: u8 = 5;
    /// The server could not be reached.
    pub(crate) const NETWORK: u8 = 6;
    /// A pull finished but some blobs were rejected.
    pub(crate) const PARTIAL: u8 = 7;
    /// `verify` found a blob missing or different from what was sealed.
    pub(crate) const MISMATCH: u8 = 8;
}

/// The exit code of an error.
pub(crate) fn exit_code(e: &SyncError) -> u8 {
    match e.code().as_str() {
        "wrong_password" | "bad_mnemonic" | "weak_password" | "empty_password" | "UNAUTHORIZED" => exit::AUTH,
        "QUOTA_EXCEEDED" => exit::QUOTA,
        "DEVICE_LIMIT_EXCEEDED" => exit::DEVICE_LIMIT,
        "network" => exit::NETWORK,
        _ => exit::ERROR,
    }
}

/// JSON or human output.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Out {
    /// One JSON object on stdout.
    pub(crate) json: bool,
}

impl Out {
    /// Prints `value` as JSON with `--json`, else runs `human`.
    pub(crate) fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce()) {
        if self.json {
            println!("{}", serde_json::to_value(value).unwrap_or_default());
        } else {
            human();
        }
    }

    /// Reports an error: `{"error", "code", "hint"}` on stdout with `--json`, else `error:` and
    /// `hint:` lines on stderr.
    pub(crate) fn error(&self, e: &SyncError) {
        if self.json {
            let code = e.code();
            let body = ErrorOutput { error: e.to_string(), code: &code, hint: e.hint() };
            println!("{}", serde_json::to_value(&body).unwrap_or_default());
        } else {
            eprintln!("error: {e}");
            if let Some(h) = e.hint() {
                eprintln!("hint: {h}");
            }
        }
    }
}

/// The JSON of an error.
#[derive(Serialize)]
struct ErrorOutput<'a> {
    error: String,
    code: &'a str,
    hint: Option<&'static str>,
}

/// A byte count for people (`1.5 MB`; K = 1000).
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[i]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1500), "1.5 KB");
        assert_eq!(human_bytes(2_000_000_000), "2.0 GB");
    }
}
