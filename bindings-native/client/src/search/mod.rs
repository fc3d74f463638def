//! [`CloudQuery`]: search that spans the local screenpipe database and the cloud, in
//! screenpipe's `/search` result shape ([`items`]).
//!
//! - [`CloudQuery::needs_cloud_data`]: whether the local database lacks part of a time range
//!   (it starts before the oldest local record, or holds nothing at all).
//! - [`CloudQuery::fetch_cloud_data`]: the cloud's records ([`cloud`]): the server's search
//!   gives candidate blobs, which are downloaded, decrypted and checked record by record.
//! - [`CloudQuery::query_all`]: the local FTS search ([`local`]) merged with the cloud's,
//!   deduplicated by record identity (origin device, table, origin row id: a row imported from
//!   the cloud and the same record found in the cloud are one), newest first.
//!
//! Search builds on an unlocked [`SyncSession`] (its keys, client and settings); the session
//! knows nothing of search.

pub mod cloud;
pub mod items;
pub mod local;

use std::collections::HashSet;

use sync_core::UnixMillis;

pub use items::{AudioContent, Content, OcrContent, SearchItem};
pub use local::search_local;

use crate::error::Result;
use crate::screenpipe::local_search::oldest_record;
use crate::session::SyncSession;

/// Search options.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// First instant (default: the beginning).
    pub start: Option<UnixMillis>,
    /// Last instant (default: now).
    pub end: Option<UnixMillis>,
    /// Most items returned.
    pub limit: usize,
    /// Items skipped first.
    pub offset: usize,
    /// Most cloud blobs downloaded for one query.
    pub max_cloud_blobs: usize,
    /// Include the cloud (else only the local database).
    pub cloud: bool,
    /// Include the local database.
    pub local: bool,
}

impl Default for SearchOptions {
    fn default() -> SearchOptions {
        SearchOptions { start: None, end: None, limit: 50, offset: 0, max_cloud_blobs: 200, cloud: true, local: true }
    }
}

/// Search over an unlocked session.
#[derive(Debug)]
pub struct CloudQuery<'a> {
    session: &'a SyncSession,
}

impl<'a> CloudQuery<'a> {
    /// A query helper for `session`.
    pub fn new(session: &'a SyncSession) -> CloudQuery<'a> {
        CloudQuery { session }
    }

    /// True when the local database does not cover `[start, end]`: it holds nothing, or its
    /// oldest record is after `start`.
    pub fn needs_cloud_data(&self, start: UnixMillis, _end: UnixMillis) -> Result<bool> {
        let conn = crate::screenpipe::open_read_only(&self.session.config().db_path)?;
        Ok(match oldest_record(&conn)? {
            None => true,
            Some(oldest) => start < oldest,
        })
    }

    /// Cloud records in `[start, end]` holding every word of `keywords` (all records of the
    /// range when `keywords` is empty), newest first.
    pub async fn fetch_cloud_data(
        &self,
        start: UnixMillis,
        end: UnixMillis,
        keywords: &str,
    ) -> Result<Vec<SearchItem>> {
        self.fetch_cloud(start, end, keywords, SearchOptions::default().max_cloud_blobs).await
    }

    /// Local results from screenpipe's own FTS tables, filtered with the same term rule as the
    /// cloud's.
    pub fn search_local(&self, query: &str, start: UnixMillis, end: UnixMillis, max: usize) -> Result<Vec<SearchItem>> {
        let conn = crate::screenpipe::open_read_only(&self.session.config().db_path)?;
        search_local(&conn, self.session.device_id().as_str(), query, start, end, max)
    }

    /// Local and cloud results merged: deduplicated by identity (local wins), newest first,
    /// then `offset` and `limit`.
    pub async fn query_all(&self, query: &str, options: &SearchOptions) -> Result<Vec<SearchItem>> {
        let start = options.start.unwrap_or(UnixMillis(0));
        let end = options.end.unwrap_or_else(|| UnixMillis(crate::os::now_ms().0 + 86_400_000));
        let want = options.limit.saturating_add(options.offset).max(1);
        let mut items = Vec::new();
        if options.local {
            items.extend(self.search_local(query, start, end, want.max(1000))?);
        }
        if options.cloud {
            // Without an explicit start, search the cloud from its oldest data only (the query
            // tokens grow with the months of the range).
            let start = match options.start {
                Some(s) => s,
                None => self.session.client().status().await?.stats.oldest_data.unwrap_or(start).max(start),
            };
            if start <= end {
                items.extend(self.fetch_cloud(start, end, query, options.max_cloud_blobs).await?);
            }
        }
        let mut seen = HashSet::new();
        items.retain(|i| seen.insert(i.identity()));
        items.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.identity().cmp(&b.identity())));
        Ok(items.into_iter().skip(options.offset).take(options.limit).collect())
    }
}
