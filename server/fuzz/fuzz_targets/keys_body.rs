//! `POST /keys` bodies: parsed and checked as the route does, then the change's rules against a
//! current key (a password change keeps it, a rotation raises its version).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::{Envelope, KeysRequest};
use sync_core::wire::limits::MAX_KEYRING_ENTRIES;
use sync_server::domain::keys;
use sync_server::http::{extract, keys as route};

const CURRENT: &str = r#"{"v":1,"kdf":{"alg":"argon2id","version":19,"m_kib":65536,"t":3,"p":4},
 "salt":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","key_id":"01010101010101010101010101010101","key_version":1,
 "nonce":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB","wrapped_key":"VFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRU"}"#;

fuzz_target!(|body: &[u8]| {
    let Ok(req) = extract::parse_json::<KeysRequest>(body) else { return };
    let Ok(update) = route::check_request(req) else { return };
    if let Some((keyring, _)) = &update.rotation {
        assert!(keyring.len() <= MAX_KEYRING_ENTRIES);
    }
    let current: Envelope = serde_json::from_str(CURRENT).unwrap();
    let recovery = update.rotation.as_ref().map(|(_, recovery)| recovery);
    if keys::check_change(&current, &update.envelope, recovery).is_ok() && recovery.is_some() {
        assert!(update.envelope.key_version > current.key_version);
    }
});
