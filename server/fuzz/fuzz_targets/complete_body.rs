//! `POST /upload/complete` bodies, parsed as the route parses them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::CompleteRequest;
use sync_server::http::extract;

fuzz_target!(|body: &[u8]| {
    if let Ok(req) = extract::parse_json::<CompleteRequest>(body) {
        let back = serde_json::to_vec(&req).unwrap();
        assert_eq!(extract::parse_json::<CompleteRequest>(&back).unwrap(), req);
    }
});
