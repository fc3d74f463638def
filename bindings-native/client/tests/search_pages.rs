//! Cloud search opens candidate bundles newest first in waves and stops once the page is
//! certain: the first pages are the same items as a query that opens every candidate, and the
//! total is then marked a lower bound.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::Duration;

use common::*;
use sync_client::config::DataTypes;
use sync_client::search::BundleCache;
use sync_client::{CloudQuery, SearchOptions, SyncSession};
use sync_fixture::{FixtureOptions, write_fixture};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_pages_stop_early_and_match_the_whole_answer() {
    let server = TestServer::start().await;
    let token = server.add_user("pages@example.com", "pro").await;

    // Device A: six hours of text in one-minute bundles (well over a first wave of candidates).
    let a_dir = tempfile::tempdir().unwrap();
    let options = FixtureOptions {
        days: 1,
        hours_per_day: 6,
        monitors: 1,
        frame_interval_secs: 20,
        chunk_secs: 300,
        video_kib: 1,
        snapshot_kib: 1,
        audio_kib: 1,
        seed: 5,
        ..FixtureOptions::default()
    };
    write_fixture(a_dir.path(), &options, false).unwrap();
    let mut a_config = device_config(a_dir.path(), &server.url, &token, "A");
    a_config.data_types = DataTypes { frames: false, audio: false, text: true };
    a_config.window = Duration::from_secs(60);
    let (a, _) = SyncSession::init(&a_config, PASSWORD).await.unwrap();
    let pushed = a.push(no_progress()).await.unwrap();
    assert!(pushed.text_bundles > 40, "{pushed:?}");

    let b_dir = tempfile::tempdir().unwrap();
    empty_fixture(b_dir.path());
    let (b, _) = SyncSession::init(&device_config(b_dir.path(), &server.url, &token, "B"), PASSWORD).await.unwrap();

    // Every candidate opened (a page as large as everything).
    let all_options = SearchOptions { local: false, limit: 100_000, ..Default::default() };
    let all = CloudQuery::new(&b).query_page("budget", &all_options).await.unwrap();
    assert!(all.total_exact, "fewer candidates than max_cloud_blobs, all opened");
    assert!(all.total > 30, "the word is in many bundles: {}", all.total);
    assert_eq!(all.items.len(), all.total);

    // First pages: the same items, in order; fewer bundles opened, so the total is a lower bound.
    for (offset, limit) in [(0, 5), (3, 5), (0, 20)] {
        let cache = BundleCache::new(4096, 256 << 20);
        let options = SearchOptions { local: false, limit, offset, ..Default::default() };
        let page = CloudQuery::with_cache(&b, &cache).query_page("budget", &options).await.unwrap();
        assert_eq!(page.items, all.items[offset..offset + limit], "offset {offset} limit {limit}");
        assert!(!page.total_exact && page.total < all.total, "{} of {}", page.total, all.total);
        let (opened, _) = cache.usage();
        assert!(opened < pushed.text_bundles as usize, "{opened} bundles opened of {}", pushed.text_bundles);
        // The same page again from the cache: the same answer.
        let again = CloudQuery::with_cache(&b, &cache).query_page("budget", &options).await.unwrap();
        assert_eq!(again.items, page.items);
    }

    // A page past what the first waves hold still comes out right (more waves opened).
    let deep = SearchOptions { local: false, limit: 10, offset: all.total - 10, ..Default::default() };
    let page = CloudQuery::new(&b).query_page("budget", &deep).await.unwrap();
    assert_eq!(page.items, all.items[all.total - 10..]);
    assert_eq!(page.total, all.total);
}
