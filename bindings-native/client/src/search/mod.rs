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
//! - [`CloudQuery::query_page`]: the same with screenpipe's filters ([`filter`]) and
//!   pagination: the page and the `total` (see [`SearchPage`]); a cloud that cannot be reached
//!   leaves the local results with a warning.
//!
//! Search builds on an unlocked [`SyncSession`] (its keys, client and settings); the session
//! knows nothing of search. Bundles decrypted for a query may be kept in a [`BundleCache`]
//! (memory only, bounded).

pub mod cache;
pub mod cloud;
pub mod filter;
pub mod items;
pub mod local;

use std::collections::HashSet;

use sync_core::UnixMillis;

pub use cache::BundleCache;
pub use filter::{ContentType, SearchFilter};
pub use items::{AudioContent, Content, MemoryContent, OcrContent, SearchItem, UiContent};
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
    /// screenpipe's filters (content type, app, window, URL, lengths, speaker, device).
    pub filter: SearchFilter,
}

impl Default for SearchOptions {
    fn default() -> SearchOptions {
        SearchOptions {
            start: None,
            end: None,
            limit: 50,
            offset: 0,
            max_cloud_blobs: 200,
            cloud: true,
            local: true,
            filter: SearchFilter::default(),
        }
    }
}

/// One page of results.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchPage {
    /// The items of the page, newest first.
    pub items: Vec<SearchItem>,
    /// Every item that matched, local and cloud, deduplicated. Exact when the local search
    /// found fewer items than it reads at most (`max(limit + offset, 1000)`) and the cloud part
    /// is complete (fewer candidate blobs than `max_cloud_blobs`, and every one opened: a query
    /// stops opening them once its page is certain); otherwise a lower bound
    /// ([`SearchPage::total_exact`]).
    pub total: usize,
    /// False when `total` is a lower bound (more may match).
    pub total_exact: bool,
    /// Why part of the answer is missing (the cloud could not be reached, ...).
    pub warning: Option<String>,
}

/// Merges local and cloud items into a page: filtered, deduplicated by identity (the first
/// wins: pass local items first), newest first, then `offset` and `limit`.
pub fn merge_page(items: Vec<SearchItem>, options: &SearchOptions) -> SearchPage {
    let mut seen = HashSet::new();
    let mut items: Vec<SearchItem> =
        items.into_iter().filter(|i| options.filter.accepts(i) && seen.insert(i.identity())).collect();
    items.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.identity().cmp(&b.identity())));
    let total = items.len();
    let items = items.into_iter().skip(options.offset).take(options.limit).collect();
    SearchPage { items, total, total_exact: true, warning: None }
}

/// The range searched: `[start, end]` of the options (default: the beginning, and a day from
/// now).
fn range(options: &SearchOptions) -> (UnixMillis, UnixMillis) {
    let start = options.start.unwrap_or(UnixMillis(0));
    let end = options.end.unwrap_or_else(|| UnixMillis(crate::os::now_ms().0 + 86_400_000));
    (start, end)
}

/// How many local rows a page needs read.
fn local_max(options: &SearchOptions) -> usize {
    options.limit.saturating_add(options.offset).max(1000)
}

/// A page of local results only, for a daemon without an unlocked account: screenpipe's
/// database at `db_path`, rows of this device named `own_device`.
pub fn local_page(
    db_path: &std::path::Path,
    own_device: &str,
    query: &str,
    options: &SearchOptions,
) -> Result<SearchPage> {
    let (start, end) = range(options);
    let conn = crate::screenpipe::open_read_only(db_path)?;
    let local = search_local(&conn, own_device, query, start, end, local_max(options))?;
    let exact = local.len() < local_max(options);
    Ok(SearchPage { total_exact: exact, ..merge_page(local, options) })
}

/// Search over an unlocked session.
#[derive(Debug)]
pub struct CloudQuery<'a> {
    session: &'a SyncSession,
    cache: Option<&'a BundleCache>,
}

impl<'a> CloudQuery<'a> {
    /// A query helper for `session`.
    pub fn new(session: &'a SyncSession) -> CloudQuery<'a> {
        CloudQuery { session, cache: None }
    }

    /// A query helper that keeps decrypted bundles in `cache` and reads them from it.
    pub fn with_cache(session: &'a SyncSession, cache: &'a BundleCache) -> CloudQuery<'a> {
        CloudQuery { session, cache: Some(cache) }
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
        Ok(self.fetch_cloud(start, end, keywords, SearchOptions::default().max_cloud_blobs, None).await?.0)
    }

    /// Local results from screenpipe's own FTS tables, filtered with the same term rule as the
    /// cloud's.
    pub fn search_local(&self, query: &str, start: UnixMillis, end: UnixMillis, max: usize) -> Result<Vec<SearchItem>> {
        let conn = crate::screenpipe::open_read_only(&self.session.config().db_path)?;
        search_local(&conn, self.session.device_id().as_str(), query, start, end, max)
    }

    /// Local and cloud results merged: filtered, deduplicated by identity (local wins), newest
    /// first, then `offset` and `limit`. A cloud failure is an error.
    pub async fn query_all(&self, query: &str, options: &SearchOptions) -> Result<Vec<SearchItem>> {
        let mut items = self.local_items(query, options).await?;
        items.extend(self.cloud_items(query, options).await?.0);
        Ok(merge_page(items, options).items)
    }

    /// [`CloudQuery::query_all`] as a page with its total; a cloud failure leaves the local
    /// results with a warning.
    pub async fn query_page(&self, query: &str, options: &SearchOptions) -> Result<SearchPage> {
        let mut items = self.local_items(query, options).await?;
        let mut exact = items.len() < local_max(options);
        let warning = match self.cloud_items(query, options).await {
            Ok((cloud, complete)) => {
                items.extend(cloud);
                exact &= complete;
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "cloud search failed: local results only");
                exact = false;
                Some(format!("cloud results missing ({}): {e}", e.code()))
            }
        };
        Ok(SearchPage { warning, total_exact: exact, ..merge_page(items, options) })
    }

    /// The local results, read on a blocking thread (SQLite).
    async fn local_items(&self, query: &str, options: &SearchOptions) -> Result<Vec<SearchItem>> {
        if !options.local || options.filter.content_type.unsupported() {
            return Ok(Vec::new());
        }
        let (start, end) = range(options);
        let db = self.session.config().db_path.clone();
        let own = self.session.device_id().as_str().to_owned();
        let query = query.to_owned();
        let max = local_max(options);
        crate::session::blocking(move || {
            let conn = crate::screenpipe::open_read_only(&db)?;
            search_local(&conn, &own, &query, start, end, max)
        })
        .await
    }

    /// The cloud's items for the page of `options` (and whether they are all of them: opening
    /// candidates stops once `offset + limit` items are certain).
    async fn cloud_items(&self, query: &str, options: &SearchOptions) -> Result<(Vec<SearchItem>, bool)> {
        if !options.cloud || options.filter.content_type.unsupported() {
            return Ok((Vec::new(), true));
        }
        let (start, end) = range(options);
        // Without an explicit start, search the cloud from its oldest data only (the query
        // tokens grow with the months of the range).
        let start = match options.start {
            Some(s) => s,
            None => self.session.client().status().await?.stats.oldest_data.unwrap_or(start).max(start),
        };
        if start > end {
            return Ok((Vec::new(), true));
        }
        let page_end = options.offset.saturating_add(options.limit);
        self.fetch_cloud(start, end, query, options.max_cloud_blobs, Some((page_end, &options.filter))).await
    }
}
