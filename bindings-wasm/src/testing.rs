//! Exports for the test-vector runner only (feature `testing`, built into `dist/testing/`,
//! never shipped): they take or return raw key bytes, which the real API never does.
//!
//! Each one calls the same core function a client's operation runs; the vector runner uses
//! them only where a vector names a key the public API keeps inside (`password_key`,
//! `master_key`, `data_key`, ...), and uses the public API (`unlock`, `unlockWithRecovery`,
//! `decryptBlob`, `blobDecryptor`, `terms`) everywhere else.

use js_sys::{Array, Object};
use sync_core::KeyId;
use sync_core::encoding::base64url;
use sync_core::keys::envelope::open_envelope;
use sync_core::keys::keyring::open_keyring;
use sync_core::keys::master::MasterSecret;
use sync_core::keys::password::{derive_password_key, derive_wrap_key};
use sync_core::keys::recovery::open_recovery_envelope;
use sync_core::keys::{DataKey, DataKeys, MasterKey, RecoveryKey, SearchKey, Subkeys};
use sync_core::pack::{PackEntry, PackIndex};
use sync_core::search::{Field, TokenKey};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::{IntoJs, JsResult};
use crate::keys::Keys;

fn key32(text: &str) -> JsResult<[u8; 32]> {
    base64url::decode_array::<32>(text, "a key is 32 bytes of base64url").js()
}

fn b64(bytes: &[u8]) -> JsValue {
    JsValue::from_str(&base64url::encode(bytes))
}

/// `{password_key, wrap_key}` of a password, salt and `{m_kib, t, p}` (docs/FORMAT.md, "Password to wrap key").
#[wasm_bindgen(js_name = testingKdf)]
pub fn testing_kdf(password: &str, salt: &str, kdf: JsValue) -> JsResult<JsValue> {
    let salt = base64url::decode(salt).js()?;
    let params = convert::kdf_params(&kdf)?;
    let password_key = derive_password_key(password, &salt, &params).js()?;
    let wrap_key = derive_wrap_key(&password_key).js()?;
    let out = Object::new();
    convert::set(&out, "password_key", &b64(password_key.expose()))?;
    convert::set(&out, "wrap_key", &b64(wrap_key.expose()))?;
    Ok(out.into())
}

/// The master key inside an envelope, opened with the password.
#[wasm_bindgen(js_name = testingOpenEnvelope)]
pub fn testing_open_envelope(envelope: JsValue, password: &str) -> JsResult<String> {
    let envelope = convert::envelope(&envelope)?;
    let master = open_envelope(&envelope, password).js()?;
    Ok(base64url::encode(master.secret.expose()))
}

/// The recovery key of a mnemonic.
#[wasm_bindgen(js_name = testingRecoveryKey)]
pub fn testing_recovery_key(mnemonic: &str) -> JsResult<String> {
    Ok(base64url::encode(RecoveryKey::from_phrase(mnemonic).js()?.expose()))
}

/// The master key inside a recovery envelope, opened with a raw recovery key.
#[wasm_bindgen(js_name = testingOpenRecoveryEnvelope)]
pub fn testing_open_recovery_envelope(recovery_envelope: JsValue, recovery_key: &str) -> JsResult<String> {
    let envelope = convert::recovery_envelope(&recovery_envelope)?;
    let key = RecoveryKey::from_bytes(key32(recovery_key)?);
    let master = open_recovery_envelope(&envelope, &key).js()?;
    Ok(base64url::encode(master.secret.expose()))
}

/// `{data_key, search_key, id_key, keyring_key}` of a master key.
#[wasm_bindgen(js_name = testingSubkeys)]
pub fn testing_subkeys(master_key: &str) -> JsResult<JsValue> {
    let sub = Subkeys::derive(&MasterSecret::from_bytes(key32(master_key)?)).js()?;
    let out = Object::new();
    convert::set(&out, "data_key", &b64(sub.data.expose()))?;
    convert::set(&out, "search_key", &b64(sub.search.expose()))?;
    convert::set(&out, "id_key", &b64(sub.id.expose()))?;
    convert::set(&out, "keyring_key", &b64(sub.keyring.expose()))?;
    Ok(out.into())
}

/// `[{key_id, master_key}]` of the keyring entries sealed under a master key.
#[wasm_bindgen(js_name = testingOpenKeyring)]
pub fn testing_open_keyring(master_key: &str, key_id: &str, key_version: u32, entries: JsValue) -> JsResult<Array> {
    let key_id = KeyId::from_hex(key_id).js()?;
    let entries = convert::keyring(&entries)?;
    let sub = Subkeys::derive(&MasterSecret::from_bytes(key32(master_key)?)).js()?;
    let opened = open_keyring(&sub.keyring, &key_id, key_version, &entries).js()?;
    let out = Array::new();
    for key in &opened {
        let item = Object::new();
        convert::set(&item, "key_id", &JsValue::from_str(&key.key_id.to_hex()))?;
        convert::set(&item, "master_key", &b64(key.secret.expose()))?;
        out.push(&item);
    }
    Ok(out)
}

/// A `Keys` handle of a raw master key (current, with its version) and its keyring.
#[wasm_bindgen(js_name = testingKeysFromMaster)]
pub fn testing_keys_from_master(master_key: &str, key_id: &str, key_version: u32, keyring: JsValue) -> JsResult<Keys> {
    let master = MasterKey {
        key_id: KeyId::from_hex(key_id).js()?,
        key_version: Some(key_version),
        secret: MasterSecret::from_bytes(key32(master_key)?),
    };
    let set = sync_core::keys::KeySet::from_master(master, &convert::keyring(&keyring)?).js()?;
    Ok(Keys::from_set(set))
}

/// A `Keys` handle holding one raw data key (blob vectors name only the data key).
#[wasm_bindgen(js_name = testingKeysFromDataKey)]
pub fn testing_keys_from_data_key(key_id: &str, data_key: &str) -> JsResult<Keys> {
    let key_id = KeyId::from_hex(key_id).js()?;
    let key = DataKey::from_bytes(key32(data_key)?);
    Ok(Keys::from_parts(DataKeys::single(key_id, key.clone()), Some((key_id, key)), Vec::new()))
}

/// The token of `(field, bucket, term)` under a raw search key.
#[wasm_bindgen(js_name = testingToken)]
pub fn testing_token(search_key: &str, field: &str, bucket: &str, term: &str) -> JsResult<String> {
    let field: Field = field.parse().js()?;
    let key = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes(key32(search_key)?)).js()?;
    Ok(key.token(field, bucket, term).as_str().to_owned())
}

/// A media pack payload built by the core (docs/FORMAT.md, "Media blobs and the media pack")
/// from `[{name, time, type, bytes}]` (`time` in milliseconds or RFC 3339 text): what a client's
/// packager writes, for tests of the pack readers.
#[wasm_bindgen(js_name = testingMediaPack)]
pub fn testing_media_pack(entries: JsValue) -> JsResult<js_sys::Uint8Array> {
    let list: Array = entries.dyn_into().map_err(|_| crate::error::invalid_input("entries must be an array"))?;
    let mut index_entries = Vec::new();
    let mut data = Vec::new();
    for item in list.iter() {
        let bytes = convert::bytes(&convert::field(&item, "bytes")?)?;
        let text = |name: &str| -> JsResult<String> {
            convert::field(&item, name)?
                .as_string()
                .ok_or_else(|| crate::error::invalid_input("name and type are strings"))
        };
        index_entries.push(PackEntry {
            name: text("name")?,
            size: bytes.len() as u64,
            time: convert::millis(&convert::field(&item, "time")?, "time must be whole milliseconds")?,
            content_type: text("type")?,
        });
        data.extend_from_slice(&bytes);
    }
    let mut payload = PackIndex::new(index_entries).js()?.encode_header().js()?;
    payload.extend_from_slice(&data);
    Ok(js_sys::Uint8Array::from(&payload[..]))
}

/// Randomness that replays fixed bytes (a vector's `joiner_random`), failing once spent.
struct Replay {
    bytes: Vec<u8>,
    used: usize,
}

impl sync_core::RandomSource for Replay {
    fn fill(&mut self, dest: &mut [u8]) -> sync_core::Result<()> {
        let end = self.used + dest.len();
        let src = self.bytes.get(self.used..end).ok_or(sync_core::Error::Random)?;
        dest.copy_from_slice(src);
        self.used = end;
        Ok(())
    }
}

/// A [`crate::pair::Joiner`] drawing `random` (base64url, a vector's `joiner_random`) instead of
/// the system's randomness.
#[wasm_bindgen(js_name = testingJoiner)]
pub fn testing_joiner(
    code: &str,
    device_name: &str,
    device_os: &str,
    now_ms: f64,
    random: &str,
) -> JsResult<crate::pair::Joiner> {
    let bytes = base64url::decode(random).js()?;
    crate::pair::Joiner::make(code, device_name, device_os, now_ms, &mut Replay { bytes, used: 0 })
}

/// [`crate::pair::Joiner::receive`] with the payload as base64url bytes (`{payload}`) instead of
/// keys, for the vectors' opaque payloads.
#[wasm_bindgen(js_name = testingJoinerReceive)]
pub fn testing_joiner_receive(joiner: &mut crate::pair::Joiner, message: &str, now_ms: f64) -> JsResult<JsValue> {
    let out = Object::new();
    match joiner.step(message, now_ms)? {
        sync_core::pairing::JoinerEvent::Send(messages) => {
            let list = Array::new();
            for m in messages {
                list.push(&JsValue::from_str(&m.into_string()));
            }
            convert::set(&out, "send", &list)?;
        }
        sync_core::pairing::JoinerEvent::Confirmed => convert::set(&out, "confirmed", &JsValue::TRUE)?,
        sync_core::pairing::JoinerEvent::Keys(payload) => convert::set(&out, "payload", &b64(payload.expose()))?,
    }
    Ok(out.into())
}
