//! Envelope, recovery envelope and keyring parsing on arbitrary JSON, then opening with cheap
//! parameters refused before any work (the bounds are checked before Argon2 runs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::keys::keyring::open_keyring;
use sync_core::keys::KeyringKey;
use sync_core::wire::{Envelope, KeyringEntry, RecoveryEnvelope};
use sync_core::KeyId;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    if let Ok(env) = Envelope::from_json(text) {
        let back = Envelope::from_json(&env.to_json()).unwrap();
        assert_eq!(back, env);
        // Only attempt an open when it is cheap or refused: never let the fuzzer pick 256 MiB.
        if env.kdf.m_kib < 19_456 || env.salt.len() < 16 || env.salt.len() > 64 {
            assert!(sync_core::keys::envelope::open_envelope(&env, "pw").is_err());
        }
    }
    if let Ok(env) = RecoveryEnvelope::from_json(text) {
        assert_eq!(RecoveryEnvelope::from_json(&env.to_json()).unwrap(), env);
    }
    if let Ok(list) = KeyringEntry::list_from_json(text) {
        let _ = open_keyring(&KeyringKey::from_bytes([1; 32]), &KeyId([2; 16]), 2, &list);
    }
    let _ = sync_core::keys::RecoveryKey::from_phrase(text);
});
