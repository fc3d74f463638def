//! `POST /init` bodies: parsed as the route parses them, then checked as the route checks them
//! (device, text fields, envelope pair), under the body's own device id and another one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::DeviceId;
use sync_core::wire::InitRequest;
use sync_server::http::{extract, init};

fuzz_target!(|body: &[u8]| {
    let Ok(req) = extract::parse_json::<InitRequest>(body) else { return };
    let own = req.device_id.clone();
    let _ = init::check_request(req.clone(), &DeviceId::new("other-device").unwrap());
    if let Ok((device, keys)) = init::check_request(req, &own) {
        assert_eq!(device.device_id, own);
        assert!(device.device_name.len() <= sync_core::wire::limits::MAX_DEVICE_NAME_LEN);
        if let Some((envelope, recovery)) = keys {
            assert_eq!((envelope.key_id, envelope.key_version), (recovery.key_id, recovery.key_version));
        }
    }
});
