//! Paging through `POST /download`: [`Cursors`] follows `next_cursor` and stops with an error
//! when the server hands out a cursor it handed out before (a cycle would loop for ever).

use std::collections::HashSet;

use crate::error::{Result, SyncError};

/// The cursors of one listing seen so far.
#[derive(Debug, Default)]
pub struct Cursors {
    seen: HashSet<String>,
}

impl Cursors {
    /// The cursor to ask for next from a page's `next_cursor`: `None` at the end, an error
    /// ([`SyncError::InvalidResponse`]) when the server repeats a cursor of this listing.
    pub fn follow(&mut self, next: Option<String>) -> Result<Option<String>> {
        match next {
            None => Ok(None),
            Some(cursor) if self.seen.contains(&cursor) => Err(SyncError::InvalidResponse(format!(
                "/download repeated the page cursor {:?}: the listing was stopped (it would never end)",
                cursor.chars().take(64).collect::<String>()
            ))),
            Some(cursor) => {
                self.seen.insert(cursor.clone());
                Ok(Some(cursor))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_cursor_is_an_error() {
        let mut cursors = Cursors::default();
        assert_eq!(cursors.follow(Some("a".into())).unwrap(), Some("a".into()));
        assert_eq!(cursors.follow(Some("b".into())).unwrap(), Some("b".into()));
        // A cycle (a, b, a) as well as the same cursor twice in a row.
        let err = cursors.follow(Some("a".into())).unwrap_err();
        assert_eq!(err.code(), "invalid_response");
        assert!(err.to_string().contains("repeated the page cursor"), "{err}");
        assert_eq!(cursors.follow(None).unwrap(), None);
    }
}
