//! The exported API as JavaScript sees it: accounts, keys, blobs, records, tokens, errors.

use super::*;
use js_sys::{Array, Reflect, Uint8Array};
use serde_json::Value;
use sync_core::blob::BlobContext;
use sync_core::encoding::base64url;
use sync_core::hazmat::segment_aead::TAG_LEN;
use sync_core::keys::Subkeys;
use sync_core::keys::master::MasterSecret;
use sync_core::search::{TokenKey, query_tokens};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

// --- accounts and keys -----------------------------------------------------------------------------

#[wasm_bindgen_test]
fn account_unlock_password_change_and_recovery() {
    let (account, keys) = new_account();
    let envelope = get(&account, "envelope");
    assert_eq!(get(&envelope, "v").as_f64(), Some(1.0));
    assert_eq!(get(&get(&envelope, "kdf"), "m_kib").as_f64(), Some(19_456.0));
    let key_id = get(&envelope, "key_id").as_string().unwrap();
    assert_eq!(keys.key_id(), Some(key_id.clone()));
    assert_eq!(keys.key_version(), Some(1));
    // The `keys` field is a handle (an object), not key bytes.
    let created_keys = get(&account, "keys");
    assert!(created_keys.is_object() && !created_keys.is_instance_of::<Uint8Array>());

    assert_eq!(
        code(sync_wasm::unlock(envelope.clone(), "wrong password 123", JsValue::NULL, JsValue::NULL)),
        "wrong_password"
    );
    assert_eq!(code(sync_wasm::unlock(envelope.clone(), "", JsValue::NULL, JsValue::NULL)), "empty_password");
    assert_eq!(code(sync_wasm::create_account("password1", js_json(FAST_KDF))), "weak_password");
    assert_eq!(
        code(sync_wasm::create_account(PASSWORD, js_json(r#"{"m_kib":1024,"t":1,"p":1}"#))),
        "params_out_of_bounds"
    );

    // Password change: a new envelope for the same key.
    let new_password = "violet harbor plum seventeen tangerine";
    let changed = keys.change_password(new_password, js_json(FAST_KDF)).unwrap();
    assert_eq!(get(&changed, "key_id").as_string(), Some(key_id.clone()));
    assert_eq!(code(keys.change_password("abc123", js_json(FAST_KDF))), "weak_password");
    let again = sync_wasm::unlock(changed.clone(), new_password, JsValue::NULL, JsValue::NULL).unwrap();
    assert_eq!(again.key_id(), Some(key_id.clone()));
    assert_eq!(code(sync_wasm::unlock(changed, PASSWORD, JsValue::NULL, JsValue::NULL)), "wrong_password");

    // Recovery phrase: 24 words; normalized input works; a bad word or checksum does not.
    let mnemonic = get(&account, "mnemonic").as_string().unwrap();
    assert_eq!(mnemonic.split(' ').count(), 24);
    let recovery_envelope = get(&account, "recoveryEnvelope");
    let shouted = format!("  {}\t", mnemonic.to_uppercase().replace(' ', "   "));
    let recovered =
        sync_wasm::unlock_with_recovery(recovery_envelope.clone(), &shouted, JsValue::NULL, JsValue::NULL).unwrap();
    assert_eq!(recovered.key_id(), Some(key_id));
    let mut words: Vec<&str> = mnemonic.split(' ').collect();
    words.swap(0, 1);
    let swapped = words.join(" ");
    if swapped != mnemonic {
        assert_eq!(
            code(sync_wasm::unlock_with_recovery(recovery_envelope.clone(), &swapped, JsValue::NULL, JsValue::NULL)),
            "bad_mnemonic"
        );
    }
    let bad_word = format!("{} zzzz", words[1..].join(" "));
    assert_eq!(
        code(sync_wasm::unlock_with_recovery(recovery_envelope, &bad_word, JsValue::NULL, JsValue::NULL)),
        "bad_mnemonic"
    );
}

#[wasm_bindgen_test]
fn rollback_is_refused_before_the_kdf() {
    let (account, keys) = new_account();
    let envelope = get(&account, "envelope");
    let recovery_envelope = get(&account, "recoveryEnvelope");
    let mnemonic = get(&account, "mnemonic").as_string().unwrap();
    // A floor above the envelope's version: refused, even with a wrong password (checked first).
    assert_eq!(code(sync_wasm::unlock(envelope.clone(), PASSWORD, JsValue::NULL, JsValue::from(2))), "rollback");
    assert_eq!(code(sync_wasm::unlock(envelope.clone(), "wrong", JsValue::NULL, JsValue::from(2))), "rollback");
    assert_eq!(
        code(sync_wasm::unlock_with_recovery(recovery_envelope.clone(), &mnemonic, JsValue::NULL, JsValue::from(2))),
        "rollback"
    );
    // The same version under another key id: refused when the page remembers the id.
    let other = js_json(&format!(r#"{{"key_version":1,"key_id":"{}"}}"#, "ab".repeat(16)));
    assert_eq!(code(sync_wasm::unlock(envelope.clone(), PASSWORD, JsValue::NULL, other)), "rollback");
    // Its own version and id pass.
    let same = js_json(&format!(r#"{{"key_version":1,"key_id":"{}"}}"#, keys.key_id().unwrap()));
    sync_wasm::unlock(envelope.clone(), PASSWORD, JsValue::NULL, same).unwrap();
    sync_wasm::unlock(envelope.clone(), PASSWORD, JsValue::NULL, JsValue::from(1)).unwrap();
    assert_eq!(code(sync_wasm::unlock(envelope, PASSWORD, JsValue::NULL, JsValue::from(1.5))), "invalid_input");
}

#[wasm_bindgen_test]
fn rotation_keeps_old_blobs_readable_and_refuses_the_old_envelope() {
    let (account, keys) = new_account();
    let old_envelope = get(&account, "envelope");
    let ctx = context_js("audio", 2);
    let old_blob =
        bytes_of(&keys.encrypt_blob(js_bytes(b"before rotation"), ctx.clone(), JsValue::UNDEFINED).unwrap().into());
    assert_eq!(code(keys.rotate(old_envelope.clone(), "not the password", js_json(FAST_KDF))), "wrong_password");
    let rotation = keys.rotate(old_envelope.clone(), PASSWORD, js_json(FAST_KDF)).unwrap();
    let new_envelope = get(&rotation, "envelope");
    let keyring = get(&rotation, "keyring");
    assert_eq!(get(&new_envelope, "key_version").as_f64(), Some(2.0));
    assert_eq!(Array::from(&keyring).length(), 1);
    // Unlocking the new envelope with the keyring holds both keys and opens the old blob.
    let unlocked = sync_wasm::unlock(new_envelope.clone(), PASSWORD, keyring.clone(), JsValue::from(1)).unwrap();
    assert_eq!(unlocked.key_version(), Some(2));
    assert_eq!(strings(&unlocked.key_ids().into()).len(), 2);
    assert_eq!(unlocked.decrypt_blob(js_bytes(&old_blob), ctx.clone()).unwrap().to_vec(), b"before rotation");
    // New blobs are sealed under the new key: the old keys alone cannot open them.
    let new_blob = unlocked.encrypt_blob(js_bytes(b"after"), ctx.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(code(keys.decrypt_blob(new_blob.into(), ctx)), "unknown_key");
    // The page now remembers version 2 (and its id): the old envelope and phrase are refused.
    let seen = js_json(&format!(r#"{{"key_version":2,"key_id":"{}"}}"#, unlocked.key_id().unwrap()));
    assert_eq!(code(sync_wasm::unlock(old_envelope, PASSWORD, JsValue::NULL, seen.clone())), "rollback");
    let old_phrase = get(&account, "mnemonic").as_string().unwrap();
    assert_eq!(
        code(sync_wasm::unlock_with_recovery(
            get(&account, "recoveryEnvelope"),
            &old_phrase,
            JsValue::NULL,
            seen.clone()
        )),
        "rollback"
    );
    let new_phrase = get(&rotation, "mnemonic").as_string().unwrap();
    sync_wasm::unlock_with_recovery(get(&rotation, "recoveryEnvelope"), &new_phrase, keyring, seen).unwrap();
}

// --- blobs -------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn blobs_round_trip_one_shot_and_streaming() {
    let (_, keys) = new_account();
    let mut rng = Rng(0x5eed_0002);
    let options = [
        ("text", r#"{}"#),
        ("text", r#"{"segmentExp":12,"compress":false}"#),
        ("frames", r#"{}"#),
        ("frames", r#"{"segmentExp":12}"#),
        ("audio", r#"{"segmentExp":13,"pad":true}"#),
        ("audio", r#"{"segmentExp":12,"compress":true,"pad":true}"#),
    ];
    for (i, (blob_type, opts)) in options.iter().enumerate() {
        for len in [0, 1, 4095, 4096, 4097, 8192, 20_000, 70_000] {
            let ctx = context_js(blob_type, i as u8);
            let data = if *blob_type == "text" {
                "words of text ".repeat(len / 14 + 1).into_bytes()[..len].to_vec()
            } else {
                rng.bytes(len)
            };
            let blob = bytes_of(&keys.encrypt_blob(js_bytes(&data), ctx.clone(), js_json(opts)).unwrap().into());
            assert_eq!(
                keys.decrypt_blob(js_bytes(&blob), ctx.clone()).unwrap().to_vec(),
                data,
                "{blob_type} {opts} {len}"
            );
            // An ArrayBuffer works as well as a Uint8Array.
            let buffer = Uint8Array::from(blob.as_slice()).buffer();
            assert_eq!(keys.decrypt_blob(buffer.into(), ctx.clone()).unwrap().to_vec(), data);
            for _ in 0..3 {
                let (released, end) = stream(&keys, &blob, &ctx, &mut rng);
                assert_eq!(end, Ok(()), "{blob_type} {opts} {len}");
                assert_eq!(released, data, "{blob_type} {opts} {len} streamed");
            }
        }
    }
    // Text blobs are always padded.
    let ctx = context_js("text", 9);
    assert_eq!(code(keys.encrypt_blob(js_bytes(b"x"), ctx, js_json(r#"{"pad":false}"#))), "invalid_input");
}

#[wasm_bindgen_test]
fn a_tampered_blob_fails_with_tampered_and_releases_no_plaintext_of_the_bad_segment() {
    let (_, keys) = new_account();
    let mut rng = Rng(0x5eed_0003);
    let ctx = context_js("frames", 3);
    let segment = 4096;
    let data = rng.bytes(10 * segment + 123);
    let blob =
        bytes_of(&keys.encrypt_blob(js_bytes(&data), ctx.clone(), js_json(r#"{"segmentExp":12}"#)).unwrap().into());
    let header = 88;
    let chunk = segment + TAG_LEN;
    for bad_segment in [0, 1, 5, 9, 10] {
        for trial in 0..4 {
            let mut tampered = blob.clone();
            let start = header + bad_segment * chunk;
            let end = (start + chunk).min(tampered.len());
            let at = start + rng.below(end - start);
            tampered[at] ^= 1 << rng.below(8);
            assert_eq!(code(keys.decrypt_blob(js_bytes(&tampered), ctx.clone())), "tampered");
            let (released, result) = stream(&keys, &tampered, &ctx, &mut rng);
            assert_eq!(result, Err("tampered".to_owned()), "segment {bad_segment} trial {trial}");
            // Only plaintext of segments before the bad one, and it is the true plaintext.
            assert!(
                released.len() <= bad_segment * segment,
                "segment {bad_segment}: {} bytes released",
                released.len()
            );
            assert_eq!(released, data[..released.len()], "released bytes differ");
        }
    }
    // After a failure the decryptor is spent.
    let mut decryptor = keys.blob_decryptor(ctx.clone()).unwrap();
    let mut tampered = blob.clone();
    tampered[header + 3] ^= 1;
    assert_eq!(code(decryptor.push(js_bytes(&tampered))), "tampered");
    assert_eq!(code(decryptor.push(js_bytes(&blob))), "invalid_state");
    assert_eq!(code(decryptor.finish()), "invalid_state");
}

#[wasm_bindgen_test]
fn failures_carry_the_format_codes() {
    let (_, keys) = new_account();
    let (_, other_keys) = new_account();
    let ctx = context_js("audio", 4);
    let data = vec![7u8; 9000];
    let blob =
        bytes_of(&keys.encrypt_blob(js_bytes(&data), ctx.clone(), js_json(r#"{"segmentExp":12}"#)).unwrap().into());
    let d = |b: &[u8], c: &JsValue| code(keys.decrypt_blob(js_bytes(b), c.clone()));
    assert_eq!(d(&blob[..blob.len() - 5], &ctx), "tampered");
    assert_eq!(d(&blob[..88 + 4096 + 16], &ctx), "truncated");
    assert_eq!(d(&blob[..88], &ctx), "truncated");
    assert_eq!(d(&blob[..50], &ctx), "malformed");
    assert_eq!(d(&context_moved(&blob), &ctx), "unknown_key");
    for (field, value) in [
        ("device_id", JsValue::from_str("another-device")),
        ("blob_type", JsValue::from_str("frames")),
        ("time_end", JsValue::from(1_767_607_200_000_f64)),
        ("blob_id", JsValue::from_str(&"ee".repeat(16))),
    ] {
        let moved = context_js("audio", 4);
        Reflect::set(&moved, &JsValue::from_str(field), &value).unwrap();
        assert_eq!(d(&blob, &moved), "wrong_key_or_context", "{field}");
    }
    assert_eq!(code(other_keys.decrypt_blob(js_bytes(&blob), ctx.clone())), "unknown_key");
    let mut version2 = blob.clone();
    version2[4] = 2;
    assert_eq!(d(&version2, &ctx), "unsupported");
    // Bad JavaScript inputs.
    assert_eq!(code(keys.decrypt_blob(JsValue::from_str("not bytes"), ctx.clone())), "invalid_input");
    assert_eq!(code(keys.decrypt_blob(js_bytes(&blob), JsValue::from(3))), "invalid_input");
    let no_time = js_json(&format!(r#"{{"blob_id":"{}","blob_type":"audio","device_id":"x"}}"#, "00".repeat(16)));
    assert_eq!(code(keys.decrypt_blob(js_bytes(&blob), no_time)), "invalid_input");
    let bad_id = js_json(r#"{"blob_id":"XYZ","blob_type":"audio","device_id":"x","time_start":0,"time_end":0}"#);
    assert_eq!(code(keys.decrypt_blob(js_bytes(&blob), bad_id)), "malformed");
    assert_eq!(code(sync_wasm::unlock(js_json(r#"{"v":1}"#), PASSWORD, JsValue::NULL, JsValue::NULL)), "malformed");
    assert_eq!(code(sync_wasm::unlock(JsValue::from(5), PASSWORD, JsValue::NULL, JsValue::NULL)), "invalid_input");
    // Times as RFC 3339 text, as the server lists blobs, name the same context.
    let text_times = context_js("audio", 4);
    Reflect::set(&text_times, &"time_start".into(), &"2026-01-05T09:00:00.000Z".into()).unwrap();
    Reflect::set(&text_times, &"time_end".into(), &"2026-01-05T09:59:59.999Z".into()).unwrap();
    assert_eq!(keys.decrypt_blob(js_bytes(&blob), text_times).unwrap().to_vec(), data);
}

/// The blob with its key id replaced (header bytes 8..24).
fn context_moved(blob: &[u8]) -> Vec<u8> {
    let mut out = blob.to_vec();
    out[8..24].copy_from_slice(&[0xab; 16]);
    out
}

#[wasm_bindgen_test]
fn blobs_sealed_natively_open_in_wasm() {
    let doc: Value = serde_json::from_str(include_str!("../fixtures/native_blobs.json")).unwrap();
    assert_eq!(doc["sealed_by"], "ring");
    let envelope = js_json(&doc["envelope"].to_string());
    let keys = sync_wasm::unlock(envelope, doc["password"].as_str().unwrap(), JsValue::NULL, JsValue::NULL).unwrap();
    let mut rng = Rng(0x5eed_0004);
    let blobs = doc["blobs"].as_array().unwrap();
    assert!(blobs.len() >= 10);
    for (i, item) in blobs.iter().enumerate() {
        let ctx = js_json(&item["context"].to_string());
        let blob = base64url::decode(item["blob"].as_str().unwrap()).unwrap();
        let plain = base64url::decode(item["plaintext"].as_str().unwrap()).unwrap();
        assert_eq!(keys.decrypt_blob(js_bytes(&blob), ctx.clone()).unwrap().to_vec(), plain, "blob {i}");
        for _ in 0..4 {
            let (released, end) = stream(&keys, &blob, &ctx, &mut rng);
            assert_eq!(end, Ok(()), "blob {i}");
            assert_eq!(released, plain, "blob {i} streamed");
        }
        // And the other way: wasm seals the same data; the native side of the exchange
        // (test/cross.test.mjs) opens it. Here: wasm opens its own output too.
        let again = keys.encrypt_blob(js_bytes(&plain), ctx.clone(), js_json(&item["options"].to_string())).unwrap();
        assert_eq!(keys.decrypt_blob(again.into(), ctx).unwrap().to_vec(), plain);
    }
}

// --- records, tokens, terms ---------------------------------------------------------------------

#[wasm_bindgen_test]
fn open_records_returns_the_bundle_as_plain_objects() {
    let bundle = r#"{"v":1,"device_id":"laptop-1","time_start":"2026-01-05T09:00:00.000Z","time_end":"2026-01-05T09:05:00.000Z",
        "frames":[{"row_id":7,"video_chunk_row_id":null,"offset_index":3,"timestamp":"2026-01-05T09:01:00.000Z","app_name":"Slack","focused":true}],
        "ocr_text":[{"row_id":9,"frame_row_id":7,"text":"hello wörld","app_name":"Slack"}]}"#;
    // A v1 bundle comes back upgraded to v2: the OCR row's text is on its frame.
    let parsed = sync_core::records::RecordsBundle::from_json(bundle.as_bytes()).unwrap();
    assert_eq!(parsed.record_count(), 1);
    let (_, keys) = new_account();
    let ctx = context_js("text", 5);
    let blob = keys.encrypt_blob(js_bytes(bundle.as_bytes()), ctx.clone(), JsValue::UNDEFINED).unwrap();
    let records = keys.open_records(blob.clone().into(), ctx.clone()).unwrap();
    assert_eq!(get(&records, "device_id").as_string().unwrap(), "laptop-1");
    assert_eq!(get(&records, "time_start").as_string().unwrap(), "2026-01-05T09:00:00.000Z");
    assert_eq!(get(&records, "v").as_f64(), Some(2.0));
    let frame = Array::from(&get(&records, "frames")).get(0);
    assert_eq!(get(&frame, "text").as_string().unwrap(), "hello wörld");
    assert_eq!(get(&frame, "text_source").as_string().unwrap(), "ocr");
    assert_eq!(get(&frame, "row_id").as_f64(), Some(7.0));
    assert!(get(&frame, "window_name").is_null(), "absent values are null");
    assert_eq!(get(&frame, "focused").as_bool(), Some(true));
    assert!(Array::is_array(&get(&records, "audio_transcriptions")));
    // Not a text blob, or not a bundle: refused.
    let media_ctx = context_js("frames", 5);
    let media = keys.encrypt_blob(js_bytes(bundle.as_bytes()), media_ctx.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(code(keys.open_records(media.into(), media_ctx)), "invalid_input");
    let junk = keys.encrypt_blob(js_bytes(b"[1,2]"), ctx.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(code(keys.open_records(junk.into(), ctx)), "malformed");
}

#[wasm_bindgen_test]
fn query_tokens_and_terms_are_the_cores() {
    let master = [0x42u8; 32];
    let key_id = KeyId([0x11; 16]);
    let keys =
        sync_wasm::testing_keys_from_master(&base64url::encode(&master), &key_id.to_hex(), 1, JsValue::NULL).unwrap();
    let sub = Subkeys::derive(&MasterSecret::from_bytes(master)).unwrap();
    let token_key = TokenKey::new(key_id, &sub.search).unwrap();
    let text = "Hello wörld, 你好世界 — ﬁnal ΣΑΣ";
    let (start, end) = (1_764_547_200_000_i64, 1_770_000_000_000_i64); // 2025-12-01 .. 2026-02-02
    let expected = query_tokens(&[token_key], text, UnixMillis(start), UnixMillis(end)).unwrap();
    let got = strings(&keys.query_tokens(text, JsValue::from(start as f64), JsValue::from(end as f64)).unwrap().into());
    assert_eq!(got, expected.iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>());
    assert_eq!(got.len(), sync_core::search::terms(text).len() * 3);
    assert_eq!(strings(&sync_wasm::terms(text).into()), sync_core::search::terms(text));
    assert_eq!(code(keys.query_tokens(text, JsValue::from(end as f64), JsValue::from(start as f64))), "invalid_input");
}

#[wasm_bindgen_test]
fn contexts_bind_like_the_core() {
    // A context object names the same context the core builds from typed values.
    let core = BlobContext {
        blob_id: BlobId([0x05; 16]),
        blob_type: BlobType::Text,
        device_id: DeviceId::new("laptop-5").unwrap(),
        time_start: UnixMillis(1_767_603_600_000),
        time_end: UnixMillis(1_767_607_199_999),
    };
    let (_, keys) = new_account();
    let blob =
        bytes_of(&keys.encrypt_blob(js_bytes(b"bound"), context_js("text", 5), JsValue::UNDEFINED).unwrap().into());
    let as_json = serde_json::json!({
        "blob_id": core.blob_id.to_hex(), "blob_type": core.blob_type.as_str(), "device_id": core.device_id.as_str(),
        "time_start": core.time_start.to_rfc3339().unwrap(), "time_end": core.time_end.to_rfc3339().unwrap(),
        "size_bytes": 123, "download_url": "ignored"
    });
    assert_eq!(keys.decrypt_blob(js_bytes(&blob), js_json(&as_json.to_string())).unwrap().to_vec(), b"bound");
}

#[wasm_bindgen_test]
fn error_codes_are_listed() {
    let codes = strings(&sync_wasm::error_codes().into());
    assert_eq!(codes, sync_core::Error::ALL_CODES);
}
