//! The records bundle decoder on arbitrary bytes; whatever decodes must re-encode and decode to
//! the same bundle, and its tokens and hits must compute without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::keys::SearchKey;
use sync_core::records::{RecordsBundle, bundle_tokens, find_hits};
use sync_core::search::TokenKey;
use sync_core::{KeyId, UnixMillis};

fuzz_target!(|input: &[u8]| {
    if let Ok(bundle) = RecordsBundle::from_json(input) {
        if let Ok(bytes) = bundle.to_json() {
            assert_eq!(RecordsBundle::from_json(&bytes).unwrap(), bundle);
        }
        let tk = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes([1; 32])).unwrap();
        let _ = bundle_tokens(&bundle, &tk);
        let _ = find_hits(&bundle, "hello world", UnixMillis::MIN, UnixMillis::MAX);
    }
    if let Ok(text) = std::str::from_utf8(input) {
        let _ = sync_core::search::terms(text);
        let _ = sync_core::search::app_term(text);
        let _ = sync_core::records::parse_timestamp(text);
    }
});
