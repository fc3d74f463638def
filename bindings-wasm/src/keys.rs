//! Account operations and the opaque [`Keys`] handle.
//!
//! JavaScript never sees a key: it holds a `Keys` object whose secrets live in wasm memory and
//! are zeroized when the handle is freed (`keys.free()`), and passes it to the operations that
//! need them.

use js_sys::{Object, Uint8Array};
use serde::Serialize;
use sync_core::blob::{BlobContext, BlobOpener, open_blob, seal_blob};
use sync_core::keys::{DataKey, DataKeys, KeySet};
use sync_core::records::RecordsBundle;
use sync_core::search::{TokenKey, query_tokens};
use sync_core::{BlobType, KeyId, OsRandom};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::decryptor::BlobDecryptor;
use crate::error::{IntoJs, JsResult, invalid_input, to_js};
use crate::pack::MediaPack;

/// Every unlocked key of an account, as an opaque handle.
///
/// Made by `createAccount`, `unlock` and `unlockWithRecovery`. Call `free()` when done: the
/// keys are zeroized then (a `FinalizationRegistry` frees a forgotten handle eventually).
#[wasm_bindgen]
pub struct Keys {
    /// The whole key set; `None` only for handles made from a bare data or search key by the
    /// test-vector exports of the `testing` feature.
    set: Option<KeySet>,
    data: DataKeys,
    sealing: Option<(KeyId, DataKey)>,
    tokens: Vec<TokenKey>,
}

impl Keys {
    pub(crate) fn from_set(set: KeySet) -> Keys {
        Keys {
            data: set.data_keys(),
            sealing: Some((set.current_key_id(), set.current_data_key().clone())),
            tokens: set.token_keys().to_vec(),
            set: Some(set),
        }
    }

    /// A handle holding only data keys and token keys (test vectors).
    #[cfg(feature = "testing")]
    pub(crate) fn from_parts(data: DataKeys, sealing: Option<(KeyId, DataKey)>, tokens: Vec<TokenKey>) -> Keys {
        Keys { set: None, data, sealing, tokens }
    }

    fn set(&self) -> JsResult<&KeySet> {
        self.set.as_ref().ok_or_else(|| to_js(&sync_core::Error::InvalidState("these keys hold no master key")))
    }

    fn open(&self, blob: &JsValue, context: &JsValue) -> JsResult<(Vec<u8>, BlobContext)> {
        let context = convert::context(context)?;
        let blob = convert::bytes(blob)?;
        let plain = open_blob(&self.data, &context, &blob).js()?;
        Ok((plain, context))
    }
}

#[wasm_bindgen]
impl Keys {
    /// Id (32 hex characters) of the current master key, the one that seals new blobs.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> Option<String> {
        self.set.as_ref().map(|s| s.current_key_id().to_hex())
    }

    /// Version of the current master key. A page stores the highest it has seen and passes it
    /// to the next unlock as the minimum.
    #[wasm_bindgen(getter, js_name = keyVersion)]
    pub fn key_version(&self) -> Option<u32> {
        self.set.as_ref().map(KeySet::current_version)
    }

    /// Ids of every key held, current first.
    #[wasm_bindgen(getter, js_name = keyIds)]
    pub fn key_ids(&self) -> js_sys::Array {
        match &self.set {
            Some(set) => convert::string_array(set.key_ids().iter().map(KeyId::to_hex)),
            None => convert::string_array(self.data.key_ids().map(KeyId::to_hex)),
        }
    }

    /// A new password envelope for `newPassword` (new salt and nonce, same master key and
    /// version), to send to `POST /keys`. Refuses a weak password (`weak_password`). `params`
    /// defaults to `{m_kib: 65536, t: 3, p: 4}`.
    #[wasm_bindgen(js_name = changePassword)]
    pub fn change_password(&self, new_password: &str, params: JsValue) -> JsResult<JsValue> {
        let params = convert::kdf_params(&params)?;
        let envelope = self.set()?.change_password(new_password, &params, &mut OsRandom).js()?;
        convert::parse_json(&envelope.to_json())
    }

    /// Rotates to a new master key: `currentEnvelope` is the envelope of the current key and
    /// `password` must open it. Returns `{envelope, recoveryEnvelope, keyring, mnemonic, keys}`:
    /// send the first three to `POST /keys`, show the new phrase once, use the new keys (this
    /// handle stays valid for the old ones).
    pub fn rotate(&self, current_envelope: JsValue, password: &str, params: JsValue) -> JsResult<JsValue> {
        let envelope = convert::envelope(&current_envelope)?;
        let params = convert::kdf_params(&params)?;
        let rotation = self.set()?.rotate(&envelope, password, &params, &mut OsRandom).js()?;
        let out = Object::new();
        convert::set(&out, "envelope", &convert::parse_json(&rotation.envelope.to_json())?)?;
        convert::set(&out, "recoveryEnvelope", &convert::parse_json(&rotation.recovery_envelope.to_json())?)?;
        let keyring = sync_core::wire::envelopes::KeyringEntry::list_to_json(&rotation.keyring);
        convert::set(&out, "keyring", &convert::parse_json(&keyring)?)?;
        convert::set(&out, "mnemonic", &JsValue::from_str(rotation.recovery_phrase.expose()))?;
        convert::set(&out, "keys", &Keys::from_set(rotation.keys).into())?;
        Ok(out.into())
    }

    /// Decrypts a whole blob (`Uint8Array` or `ArrayBuffer`) bound to `context`; returns the
    /// data with the padding and zstd layers undone.
    #[wasm_bindgen(js_name = decryptBlob)]
    pub fn decrypt_blob(&self, blob: JsValue, context: JsValue) -> JsResult<Uint8Array> {
        let (plain, _) = self.open(&blob, &context)?;
        Ok(Uint8Array::from(&plain[..]))
    }

    /// Decrypts a `text` blob and returns its records bundle as plain objects (the JSON of
    /// `docs/FORMAT.md`: times as RFC 3339 text, `null` for absent values).
    #[wasm_bindgen(js_name = openRecords)]
    pub fn open_records(&self, blob: JsValue, context: JsValue) -> JsResult<JsValue> {
        let (plain, context) = self.open(&blob, &context)?;
        if context.blob_type != BlobType::Text {
            return Err(invalid_input("records are in text blobs"));
        }
        let bundle = RecordsBundle::from_json(&plain).js()?;
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        bundle.serialize(&serializer).map_err(|_| invalid_input("the bundle cannot be converted"))
    }

    /// Decrypts a `frames` blob holding a media pack (docs/FORMAT.md, "Media blobs and the
    /// media pack") and opens it: a record's `snapshot` names the pack's blob and the entry.
    /// `invalid_input` for another blob type; `malformed`, `truncated` or `unsupported` when the
    /// payload is not a pack (a video chunk is not one).
    #[wasm_bindgen(js_name = openPack)]
    pub fn open_pack(&self, blob: JsValue, context: JsValue) -> JsResult<MediaPack> {
        let (plain, context) = self.open(&blob, &context)?;
        if context.blob_type != BlobType::Frames {
            return Err(invalid_input("media packs are in frames blobs"));
        }
        MediaPack::open(plain).js()
    }

    /// A streaming decryptor for the blob of `context`: feed it the ciphertext in chunks of
    /// any size (`push`), then `finish()`. Memory stays bounded by one segment.
    #[wasm_bindgen(js_name = blobDecryptor)]
    pub fn blob_decryptor(&self, context: JsValue) -> JsResult<BlobDecryptor> {
        let context = convert::context(&context)?;
        Ok(BlobDecryptor::new(BlobOpener::new(self.data.clone(), context)))
    }

    /// Seals `data` as a blob bound to `context` under the current key. `options`:
    /// `{segmentExp (12..24, default 16), compress, pad}`, defaulting by type (`text` is
    /// compressed and always padded; media is neither).
    #[wasm_bindgen(js_name = encryptBlob)]
    pub fn encrypt_blob(&self, data: JsValue, context: JsValue, options: JsValue) -> JsResult<Uint8Array> {
        let context = convert::context(&context)?;
        let options = convert::seal_options(&options, context.blob_type)?;
        let data = convert::bytes(&data)?;
        let (key_id, data_key) =
            self.sealing.as_ref().ok_or_else(|| to_js(&sync_core::Error::InvalidState("these keys cannot seal")))?;
        let sealed = seal_blob(data_key, *key_id, &context, &data, &options, &mut OsRandom).js()?;
        Ok(Uint8Array::from(&sealed[..]))
    }

    /// The search tokens to send for a query: every term of `text` in every UTC month of
    /// `[startMs, endMs]` under every key held, sorted and without repeats.
    #[wasm_bindgen(js_name = queryTokens)]
    pub fn query_tokens(&self, text: &str, start_ms: JsValue, end_ms: JsValue) -> JsResult<js_sys::Array> {
        let start = convert::millis(&start_ms, "startMs must be whole milliseconds")?;
        let end = convert::millis(&end_ms, "endMs must be whole milliseconds")?;
        let tokens = query_tokens(&self.tokens, text, start, end).js()?;
        Ok(convert::string_array(tokens.iter().map(|t| t.as_str())))
    }
}

fn new_account_object(account: sync_core::keys::NewAccount) -> JsResult<JsValue> {
    let out = Object::new();
    convert::set(&out, "envelope", &convert::parse_json(&account.envelope.to_json())?)?;
    convert::set(&out, "recoveryEnvelope", &convert::parse_json(&account.recovery_envelope.to_json())?)?;
    convert::set(&out, "mnemonic", &JsValue::from_str(account.recovery_phrase.expose()))?;
    convert::set(&out, "keys", &Keys::from_set(account.keys).into())?;
    Ok(out.into())
}

/// Creates an account: refuses a weak password, makes the master key, the recovery key and
/// both envelopes. Returns `{envelope, recoveryEnvelope, mnemonic, keys}`: send the envelopes
/// to `POST /init`, show the 24-word mnemonic once and ask the user to confirm it.
#[wasm_bindgen(js_name = createAccount)]
pub fn create_account(password: &str, params: JsValue) -> JsResult<JsValue> {
    let params = convert::kdf_params(&params)?;
    let account = KeySet::create_account(password, &params, &mut OsRandom).js()?;
    new_account_object(account)
}

/// Unlocks with the password (Argon2id: about a third of a second; run it in the worker).
/// `keyring` is the account's keyring (`[]` or `undefined` before any rotation);
/// `minimum` is the newest key this page has seen (a version number, or
/// `{key_version, key_id}`): anything older is refused with `code === 'rollback'` before the
/// slow key derivation.
#[wasm_bindgen]
pub fn unlock(envelope: JsValue, password: &str, keyring: JsValue, minimum: JsValue) -> JsResult<Keys> {
    let envelope = convert::envelope(&envelope)?;
    let keyring = convert::keyring(&keyring)?;
    let mut guard = convert::guard(&minimum)?;
    let set = KeySet::unlock(&envelope, password, &keyring, &mut guard).js()?;
    Ok(Keys::from_set(set))
}

/// Unlocks with the 24-word recovery phrase (then set a new password with
/// `keys.changePassword`). `keyring` and `minimum` as for `unlock`.
#[wasm_bindgen(js_name = unlockWithRecovery)]
pub fn unlock_with_recovery(
    recovery_envelope: JsValue,
    mnemonic: &str,
    keyring: JsValue,
    minimum: JsValue,
) -> JsResult<Keys> {
    let recovery_envelope = convert::recovery_envelope(&recovery_envelope)?;
    let keyring = convert::keyring(&keyring)?;
    let mut guard = convert::guard(&minimum)?;
    let set = KeySet::unlock_with_recovery(&recovery_envelope, mnemonic, &keyring, &mut guard).js()?;
    Ok(Keys::from_set(set))
}
