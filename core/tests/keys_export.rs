//! Exported keys (docs/FORMAT.md, "Exported keys"): an unlocked set round-trips through its JSON
//! form (every key opens what it opened before, subkeys derived again), the rollback guard
//! applies on import, the parser refuses every malformed form, and `Debug` hides the secrets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use sync_core::blob::{BlobContext, SealOptions, open_blob, seal_blob};
use sync_core::hazmat::random::SeededRandom;
use sync_core::keys::export::{EXPORT_FORMAT, MAX_EXPORT_BYTES};
use sync_core::keys::{ExportedKeys, KdfParams, KeySet, KeyVersionGuard};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};

const FAST: KdfParams = KdfParams { m_kib: 19_456, t: 2, p: 1 };
const PASSWORD: &str = "plum-harbor-violet-7-engine";

fn ctx() -> BlobContext {
    BlobContext {
        blob_id: BlobId([7; 16]),
        blob_type: BlobType::Text,
        device_id: DeviceId::new("laptop").unwrap(),
        time_start: UnixMillis(1_000),
        time_end: UnixMillis(2_000),
    }
}

fn text(json: &[u8]) -> String {
    String::from_utf8(json.to_vec()).unwrap()
}

/// A set at version 3 with two older keys, and a blob sealed under version 1.
fn rotated_twice() -> (KeySet, Vec<u8>) {
    let mut rng = SeededRandom::new(5);
    let account = KeySet::create_account(PASSWORD, &FAST, &mut rng).unwrap();
    let blob = seal_blob(
        account.keys.current_data_key(),
        account.keys.current_key_id(),
        &ctx(),
        b"old words",
        &SealOptions::for_type(BlobType::Text),
        &mut rng,
    )
    .unwrap();
    let r2 = account.keys.rotate(&account.envelope, PASSWORD, &FAST, &mut rng).unwrap();
    let r3 = r2.keys.rotate(&r2.envelope, PASSWORD, &FAST, &mut rng).unwrap();
    (r3.keys, blob)
}

#[test]
fn round_trip_keeps_every_key() {
    let (keys, old_blob) = rotated_twice();
    let exported = keys.export();
    assert_eq!(exported.current_version(), 3);
    assert_eq!(exported.key_ids(), keys.key_ids());
    let json = exported.to_json().unwrap();
    let parsed = ExportedKeys::from_json(&json).unwrap();
    assert_eq!(parsed, exported);

    let mut guard = KeyVersionGuard::new();
    let back = KeySet::from_export(&parsed, &mut guard).unwrap();
    assert_eq!(guard.key_version, Some(3));
    assert_eq!(guard.key_id, Some(keys.current_key_id()));
    assert_eq!(back.key_ids(), keys.key_ids());
    assert_eq!(back.current_version(), 3);
    // Subkeys derived again are the same: blob ids, token keys, old blobs open.
    assert_eq!(back.derive_blob_id(b"material").unwrap(), keys.derive_blob_id(b"material").unwrap());
    assert_eq!(open_blob(&back.data_keys(), &ctx(), &old_blob).unwrap(), b"old words");
    let mut rng = SeededRandom::new(9);
    let new_blob = seal_blob(
        back.current_data_key(),
        back.current_key_id(),
        &ctx(),
        b"new words",
        &SealOptions::for_type(BlobType::Text),
        &mut rng,
    )
    .unwrap();
    assert_eq!(open_blob(&keys.data_keys(), &ctx(), &new_blob).unwrap(), b"new words");
    assert_eq!(back.token_keys().len(), 3);

    // The text form: the format name, the version, hex ids, and nothing else.
    let t = text(&json);
    assert!(
        t.starts_with(&format!("{{\"format\":\"{EXPORT_FORMAT}\",\"version\":1,\"current\":{{\"key_id\":\"")),
        "{t}"
    );
    assert!(t.contains(&keys.current_key_id().to_hex()));
    assert_eq!(t.matches("\"secret\":").count(), 3);
    // Exporting again gives the same bytes (deterministic, no randomness).
    assert_eq!(*back.export().to_json().unwrap(), *json);
}

#[test]
fn import_applies_the_rollback_guard() {
    let (keys, _) = rotated_twice();
    let exported = keys.export();
    // A guard that has seen version 4: version 3 is a rollback, and the guard is unchanged.
    let mut guard = KeyVersionGuard { key_version: Some(4), key_id: Some(KeyId([9; 16])) };
    assert_eq!(KeySet::from_export(&exported, &mut guard).unwrap_err().code(), "rollback");
    assert_eq!(guard.key_version, Some(4));
    // Another key of the version seen: also a rollback.
    let mut guard = KeyVersionGuard { key_version: Some(3), key_id: Some(KeyId([9; 16])) };
    assert_eq!(KeySet::from_export(&exported, &mut guard).unwrap_err().code(), "rollback");
    // The same key, or an older floor: accepted and recorded.
    let mut guard = KeyVersionGuard::at_least(2);
    KeySet::from_export(&exported, &mut guard).unwrap();
    assert_eq!((guard.key_version, guard.key_id), (Some(3), Some(keys.current_key_id())));
}

#[test]
fn debug_hides_the_secrets() {
    let (keys, _) = rotated_twice();
    let exported = keys.export();
    let json = text(&exported.to_json().unwrap());
    let debug = format!("{exported:?}");
    let ids = keys.key_ids();
    assert_eq!(
        debug,
        format!("ExportedKeys {{ current: {:?}, version: 3, older: [{:?}, {:?}], .. }}", ids[0], ids[1], ids[2])
    );
    // No secret of the text form appears in the Debug output.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut secrets = vec![v["current"]["secret"].as_str().unwrap().to_owned()];
    for k in v["older"].as_array().unwrap() {
        secrets.push(k["secret"].as_str().unwrap().to_owned());
    }
    assert_eq!(secrets.len(), 3);
    for s in &secrets {
        assert_eq!(s.len(), 43);
        assert!(!debug.contains(s.as_str()));
        assert!(!debug.contains(&s[..8]));
    }
}

#[test]
fn strict_parsing() {
    let (keys, _) = rotated_twice();
    let good = text(&keys.export().to_json().unwrap());
    let v: serde_json::Value = serde_json::from_str(&good).unwrap();
    let code = |json: &str| ExportedKeys::from_json(json.as_bytes()).unwrap_err().code();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut w = v.clone();
        f(&mut w);
        serde_json::to_string(&w).unwrap()
    };

    assert_eq!(code("not json"), "malformed");
    assert_eq!(code(&edit(&|w| w["format"] = "spsync-keys".into())), "malformed");
    assert_eq!(code(&edit(&|w| w["version"] = 2.into())), "unsupported");
    assert_eq!(code(&edit(&|w| w["extra"] = 1.into())), "malformed");
    assert_eq!(code(&edit(&|w| w["current"]["extra"] = 1.into())), "malformed");
    assert_eq!(code(&edit(&|w| w["current"]["key_version"] = 0.into())), "malformed");
    assert_eq!(
        code(&edit(&|w| w["current"].as_object_mut().unwrap().remove("key_version").map(drop).unwrap())),
        "malformed"
    );
    assert_eq!(code(&edit(&|w| w["older"][0]["key_version"] = 2.into())), "malformed");
    // Ids: 16 bytes of lowercase hex.
    assert_eq!(code(&edit(&|w| w["current"]["key_id"] = "00".into())), "malformed");
    let upper = v["current"]["key_id"].as_str().unwrap().to_uppercase();
    if upper != v["current"]["key_id"].as_str().unwrap() {
        assert_eq!(code(&edit(&|w| w["current"]["key_id"] = upper.clone().into())), "malformed");
    }
    // Secrets: 32 bytes of canonical base64url.
    assert_eq!(code(&edit(&|w| w["current"]["secret"] = "AAAA".into())), "malformed");
    assert_eq!(code(&edit(&|w| w["current"]["secret"] = format!("{}=", "A".repeat(43)).into())), "malformed");
    assert_eq!(code(&edit(&|w| w["current"]["secret"] = format!("{}B", "A".repeat(42)).into())), "malformed");
    // No key twice (an older key equal to the current one, or two equal older keys).
    let current_id = v["current"]["key_id"].clone();
    assert_eq!(code(&edit(&|w| w["older"][0]["key_id"] = current_id.clone())), "malformed");
    let first_old = v["older"][0]["key_id"].clone();
    assert_eq!(code(&edit(&|w| w["older"][1]["key_id"] = first_old.clone())), "malformed");
    // Escapes in a string are refused (the secret text is borrowed, never copied).
    let escaped = good.replacen("spsync-exported-keys", "spsync-exported-key\\u0073", 1);
    assert_ne!(escaped, good);
    assert_eq!(code(&escaped), "malformed");
    let secret = v["current"]["secret"].as_str().unwrap();
    let escaped = good.replacen(secret, &format!("\\u00{:02x}{}", secret.as_bytes()[0], &secret[1..]), 1);
    assert_eq!(code(&escaped), "malformed");
    // Bounds.
    let big = format!("{}{}", good, " ".repeat(MAX_EXPORT_BYTES));
    assert_eq!(code(&big), "too_large");
    let many = edit(&|w| {
        let one = w["older"][0].clone();
        let list: Vec<serde_json::Value> = (0..1001u32)
            .map(|i| {
                let mut k = one.clone();
                k["key_id"] = format!("{i:032x}").into();
                k
            })
            .collect();
        w["older"] = list.into();
    });
    assert_eq!(code(&many), "too_large");
    // The untouched form still parses.
    ExportedKeys::from_json(good.as_bytes()).unwrap();
}
