//! Secrets (the password, the new password, the recovery phrase): from an environment
//! variable, a file (its first line), or the terminal without echo. Never stored, never
//! printed; held in `Zeroizing` strings.

use std::io::IsTerminal;
use std::path::Path;

use sync_client::SyncError;
use zeroize::Zeroizing;

/// Largest secret file read.
const MAX_SECRET_FILE: u64 = 8192;

/// The first line of a secret file.
fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, SyncError> {
    let meta = std::fs::metadata(path).map_err(|e| SyncError::io(format!("{}", path.display()), e))?;
    if meta.len() > MAX_SECRET_FILE {
        return Err(SyncError::Config(format!("{} is too large for a secret", path.display())));
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| SyncError::io(format!("read {}", path.display()), e))?,
    );
    Ok(Zeroizing::new(text.lines().next().unwrap_or("").to_owned()))
}

/// Reads a secret from the terminal without echo.
fn prompt(text: &str) -> Result<Zeroizing<String>, SyncError> {
    Ok(Zeroizing::new(rpassword::prompt_password(text).map_err(|e| SyncError::io("read from the terminal", e))?))
}

/// A secret from the environment variable `env` or the file `file`, never asked for (the
/// daemon starts locked without one).
pub(crate) fn secret_if_given(env: &str, file: Option<&Path>) -> Result<Option<Zeroizing<String>>, SyncError> {
    if let Ok(v) = std::env::var(env) {
        return Ok(Some(Zeroizing::new(v)));
    }
    file.map(read_secret_file).transpose()
}

/// A secret from the environment variable `env`, the file `file`, or the terminal (never
/// echoed; asked twice with `confirm`).
pub(crate) fn secret(
    env: &str,
    file: Option<&Path>,
    prompt_text: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, SyncError> {
    if let Ok(v) = std::env::var(env) {
        return Ok(Zeroizing::new(v));
    }
    if let Some(path) = file {
        return read_secret_file(path);
    }
    if !std::io::stdin().is_terminal() {
        return Err(SyncError::Config(format!(
            "no terminal to ask for it: set {env} or pass the matching --…-file option"
        )));
    }
    let first = prompt(prompt_text)?;
    if confirm {
        let again = prompt("Again: ")?;
        if *again != *first {
            return Err(SyncError::Config("the two entries differ".into()));
        }
    }
    Ok(first)
}
