//! `POST /upload` bodies: parsed and checked as the route does; an accepted one is within every
//! bound (size, tokens by size, time order) and its tokens are distinct.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::UploadRequest;
use sync_core::wire::limits::{MAX_BLOB_SIZE, max_tokens_for_size};
use sync_server::http::{extract, upload};

fuzz_target!(|body: &[u8]| {
    let Ok(req) = extract::parse_json::<UploadRequest>(body) else { return };
    let device = req.device_id.clone();
    if let Ok((meta, tokens)) = upload::check_request(&req, &device) {
        assert!(meta.size_bytes >= 1 && meta.size_bytes <= MAX_BLOB_SIZE);
        assert!(meta.time_start <= meta.time_end);
        assert!(tokens.len() <= max_tokens_for_size(meta.size_bytes));
        assert!(tokens.windows(2).all(|w| w[0] < w[1]));
    }
});
