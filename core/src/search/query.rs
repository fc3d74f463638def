//! Month buckets, the tokens of a blob's records, and the tokens of a query.

use std::collections::BTreeSet;

use super::terms::{app_term, terms};
use super::tokens::{Field, TokenKey};
use crate::encoding::UnixMillis;
use crate::error::{Error, Result};
use crate::wire::limits::MAX_TOKENS_PER_SEARCH;
use crate::wire::values::SearchToken;

/// Most month buckets one query may span (100 years).
pub const MAX_QUERY_MONTHS: usize = 1200;

/// The UTC `YYYY-MM` buckets that `[start, end]` touches, in order.
pub fn month_buckets(start: UnixMillis, end: UnixMillis) -> Result<Vec<String>> {
    if end < start {
        return Err(Error::InvalidInput("the time range ends before it starts"));
    }
    let mut out = Vec::new();
    let mut t = start;
    while t <= end {
        if out.len() >= MAX_QUERY_MONTHS {
            return Err(Error::TooLarge("the time range spans more than 100 years"));
        }
        out.push(t.month_bucket()?);
        t = t.start_of_next_month()?;
    }
    Ok(out)
}

/// The tokens to send for a query: every term of `text` (field `text`) in every month bucket of
/// `[start, end]` under every key, deduplicated and sorted. `too_large` past
/// [`MAX_TOKENS_PER_SEARCH`] (narrow the range or the query).
pub fn query_tokens(keys: &[TokenKey], text: &str, start: UnixMillis, end: UnixMillis) -> Result<Vec<SearchToken>> {
    let terms = terms(text);
    let buckets = month_buckets(start, end)?;
    let count = terms.len().saturating_mul(buckets.len()).saturating_mul(keys.len());
    if count > MAX_TOKENS_PER_SEARCH {
        return Err(Error::TooLarge("the query needs more tokens than a search may carry"));
    }
    let mut out = BTreeSet::new();
    for key in keys {
        for bucket in &buckets {
            for term in &terms {
                out.insert(key.token(Field::Text, bucket, term));
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// The union of the tokens of a blob's records (docs/FORMAT.md, "Search tokens"), each record bucketed by its
/// own timestamp. Sorted, so the upload order reveals nothing about the text order.
#[derive(Debug)]
pub struct RecordTokens<'k> {
    key: &'k TokenKey,
    tokens: BTreeSet<SearchToken>,
}

impl<'k> RecordTokens<'k> {
    /// An empty set under the current key.
    pub fn new(key: &'k TokenKey) -> RecordTokens<'k> {
        RecordTokens { key, tokens: BTreeSet::new() }
    }

    /// Adds the words of a text field (OCR text, a transcription, a window title, a URL, UI
    /// text) of a record at `timestamp`.
    pub fn add_text(&mut self, timestamp: UnixMillis, text: &str) -> Result<()> {
        let bucket = timestamp.month_bucket()?;
        for term in terms(text) {
            self.tokens.insert(self.key.token(Field::Text, &bucket, &term));
        }
        Ok(())
    }

    /// Adds the app term of a record at `timestamp`.
    pub fn add_app(&mut self, timestamp: UnixMillis, app_name: &str) -> Result<()> {
        if let Some(term) = app_term(app_name) {
            let bucket = timestamp.month_bucket()?;
            self.tokens.insert(self.key.token(Field::App, &bucket, &term));
        }
        Ok(())
    }

    /// Tokens so far.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when no token was added.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The sorted tokens.
    pub fn into_tokens(self) -> Vec<SearchToken> {
        self.tokens.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::KeyId;
    use crate::keys::SearchKey;

    fn t(text: &str) -> UnixMillis {
        UnixMillis::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn buckets_cover_the_range() {
        assert_eq!(
            month_buckets(t("2025-11-30T00:00:00.000Z"), t("2026-02-01T00:00:00.000Z")).unwrap(),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(month_buckets(t("2026-01-05T00:00:00.000Z"), t("2026-01-05T00:00:00.000Z")).unwrap(), ["2026-01"]);
        assert!(month_buckets(t("2026-01-05T00:00:00.000Z"), t("2026-01-04T00:00:00.000Z")).is_err());
        assert_eq!(month_buckets(UnixMillis::MIN, UnixMillis::MAX).unwrap_err().code(), "too_large");
    }

    #[test]
    fn query_covers_every_key_and_bucket() {
        let k1 = TokenKey::new(KeyId([1; 16]), &SearchKey::from_bytes([1; 32])).unwrap();
        let k2 = TokenKey::new(KeyId([2; 16]), &SearchKey::from_bytes([2; 32])).unwrap();
        let q = query_tokens(
            &[k1.clone(), k2],
            "hello world",
            t("2026-01-20T00:00:00.000Z"),
            t("2026-02-10T00:00:00.000Z"),
        )
        .unwrap();
        assert_eq!(q.len(), 2 * 2 * 2);
        let mut rec = RecordTokens::new(&k1);
        rec.add_text(t("2026-02-03T00:00:00.000Z"), "Hello there").unwrap();
        rec.add_app(t("2026-02-03T00:00:00.000Z"), "Slack").unwrap();
        let tokens = rec.into_tokens();
        assert_eq!(tokens.len(), 3);
        assert!(tokens.iter().any(|tok| q.contains(tok)));
    }
}
