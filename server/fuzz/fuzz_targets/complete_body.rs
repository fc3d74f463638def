//! `POST /upload/complete` bodies, single or batched, parsed as the route parses them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::limits::MAX_BLOBS_PER_BATCH;
use sync_server::http::complete::{self, CompleteBody};

fuzz_target!(|body: &[u8]| {
    match complete::parse_body(body) {
        Ok(CompleteBody::Single(req)) => {
            let back = serde_json::to_vec(&req).unwrap();
            assert_eq!(complete::parse_body(&back).unwrap(), CompleteBody::Single(req));
        }
        Ok(CompleteBody::Batch(batch)) => assert!(batch.blob_ids.len() <= MAX_BLOBS_PER_BATCH),
        Err(_) => {}
    }
});
