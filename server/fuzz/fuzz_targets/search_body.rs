//! `POST /search` bodies: parsed and checked as the route does; an accepted one has at most the
//! allowed distinct tokens and a page of an allowed size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::SearchRequest;
use sync_core::wire::limits::{MAX_PAGE_LIMIT, MAX_TOKENS_PER_SEARCH};
use sync_server::http::{extract, search};

fuzz_target!(|body: &[u8]| {
    let Ok(req) = extract::parse_json::<SearchRequest>(body) else { return };
    if let Ok((tokens, filter, limit)) = search::check_request(req) {
        assert!(tokens.len() <= MAX_TOKENS_PER_SEARCH);
        assert!(tokens.windows(2).all(|w| w[0] < w[1]));
        assert!((1..=MAX_PAGE_LIMIT).contains(&limit));
        if let Some((start, end)) = filter.time_range {
            assert!(start <= end);
        }
    }
});
