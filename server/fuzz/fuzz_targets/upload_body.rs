//! `POST /upload` bodies, single or batched: parsed and checked as the route does; an accepted
//! declaration is within every bound (size, tokens by size, time order), its tokens distinct.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::limits::{MAX_BLOB_SIZE, MAX_BLOBS_PER_BATCH, max_tokens_for_size};
use sync_server::http::upload::{self, UploadBody};

fuzz_target!(|body: &[u8]| {
    let requests = match upload::parse_body(body) {
        Ok(UploadBody::Single(req)) => vec![req],
        Ok(UploadBody::Batch(batch)) => {
            assert!(batch.blobs.len() <= MAX_BLOBS_PER_BATCH);
            batch.blobs
        }
        Err(_) => return,
    };
    for req in requests {
        let device = req.device_id.clone();
        if let Ok((meta, tokens)) = upload::check_request(&req, &device) {
            assert!(meta.size_bytes >= 1 && meta.size_bytes <= MAX_BLOB_SIZE);
            assert!(meta.time_start <= meta.time_end);
            assert!(tokens.len() <= max_tokens_for_size(meta.size_bytes));
            assert!(tokens.windows(2).all(|w| w[0] < w[1]));
        }
    }
});
