//! `POST /download` bodies: parsed and checked as the route does; an accepted one asks for at
//! most the allowed ids, or a page of an allowed size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::DownloadRequest;
use sync_core::wire::limits::{MAX_IDS_PER_DOWNLOAD, MAX_PAGE_LIMIT};
use sync_server::http::download::{self, DownloadQuery};
use sync_server::http::extract;

fuzz_target!(|body: &[u8]| {
    let Ok(req) = extract::parse_json::<DownloadRequest>(body) else { return };
    match download::check_request(req) {
        Ok(DownloadQuery::ByIds(ids)) => assert!(ids.len() <= MAX_IDS_PER_DOWNLOAD),
        Ok(DownloadQuery::ByRange { filter, limit, .. }) => {
            assert!((1..=MAX_PAGE_LIMIT).contains(&limit));
            assert!(filter.time_range.is_some_and(|(start, end)| start <= end));
        }
        Err(_) => {}
    }
});
