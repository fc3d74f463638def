//! [`ApiKey`]: the key of the search API (`Authorization: Bearer KEY`, as screenpipe's local API
//! asks), generated at the daemon's first start and kept in `STATE_DIR/search-api-key` (mode
//! 0600 on Unix), shown on the settings page.

use std::path::{Path, PathBuf};

use subtle::ConstantTimeEq;

use crate::error::{DaemonError, Result};

/// The key file's name in the state folder.
pub const KEY_FILE: &str = "search-api-key";

/// The search API's key. `Debug` hides it.
#[derive(Clone)]
pub struct ApiKey {
    key: String,
    path: PathBuf,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey").field("key", &"<redacted>").field("path", &self.path).finish()
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> DaemonError {
    move |source| DaemonError::Io { context, source }
}

impl ApiKey {
    /// The key in `state_dir`, created (32 random bytes, hex; mode 0600) when there is none.
    pub fn load_or_create(state_dir: &Path) -> Result<ApiKey> {
        let path = state_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => return Ok(ApiKey { key: text.trim().to_owned(), path }),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(format!("read {}", path.display()))(e)),
        }
        std::fs::create_dir_all(state_dir).map_err(io(format!("create {}", state_dir.display())))?;
        let key = crate::control::random_token()?;
        write_private(&path, &key)?;
        tracing::info!(path = %path.display(), "search API key created");
        Ok(ApiKey { key, path })
    }

    /// The key, for the settings page.
    pub fn reveal(&self) -> &str {
        &self.key
    }

    /// Where it is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when an `Authorization` header value is `Bearer KEY` (compared in constant time).
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(given) = authorization.and_then(|v| v.trim().strip_prefix("Bearer ")) else { return false };
        let given = given.trim();
        given.len() == self.key.len() && bool::from(given.as_bytes().ct_eq(self.key.as_bytes()))
    }
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        open.mode(0o600);
    }
    let mut file = open.open(path).map_err(io(format!("create {}", path.display())))?;
    file.write_all(text.as_bytes()).map_err(io(format!("write {}", path.display())))?;
    file.sync_all().map_err(io(format!("write {}", path.display())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn created_once_private_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let key = ApiKey::load_or_create(&dir.path().join("state")).unwrap();
        assert_eq!(key.reveal().len(), 64);
        let again = ApiKey::load_or_create(&dir.path().join("state")).unwrap();
        assert_eq!(again.reveal(), key.reveal(), "kept across starts");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(key.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(key.accepts(Some(&format!("Bearer {}", key.reveal()))));
        assert!(!key.accepts(Some("Bearer wrong")));
        assert!(!key.accepts(Some(key.reveal())));
        assert!(!key.accepts(None));
        assert!(!format!("{key:?}").contains(key.reveal()));
    }
}
