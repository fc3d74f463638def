//! The Stripe webhook: the first line of the input is the `Stripe-Signature` header, the rest
//! the body. Checked as the route does (signature, then the event); the same body signed
//! properly reaches the event decoding, which must refuse or decode it without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::wire::SyncTier;
use sync_server::config::StripeConfig;
use sync_server::http::webhooks;

const SECRET: &str = "whsec_fuzz";
const NOW: i64 = 1_767_603_600;

fuzz_target!(|input: &[u8]| {
    let split = input.iter().position(|b| *b == b'\n').unwrap_or(input.len());
    let (header, body) = input.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let config = StripeConfig {
        webhook_secret: Some(SECRET.into()),
        prices: [("price_pro".to_owned(), SyncTier::Pro)].into(),
    };
    let header = std::str::from_utf8(header).ok();
    let _ = webhooks::check_request(&config, SECRET, header, body, NOW);
    let signed = sync_server::stripe::sign_payload(SECRET, body, NOW);
    match webhooks::check_request(&config, SECRET, Some(&signed), body, NOW) {
        Ok(_) => assert!(webhooks::parse_event(body).is_ok()),
        Err(err) => assert_ne!(err.code(), "BAD_SIGNATURE", "a proper signature was refused"),
    }
});
