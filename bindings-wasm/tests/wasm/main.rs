//! wasm-bindgen-test suite, run in Node and in headless Chromium (see `test.sh`):
//!
//! - the wasm SIMD Argon2id (`sync_core::hazmat::argon2_simd128`, the KDF's wasm backend)
//!   against the RFC 9106 and libargon2 vectors and against the `argon2` crate on random
//!   parameters;
//! - the wasm SIMD ChaCha20-Poly1305 (`sync_core::hazmat::chacha_simd128`, the segment AEAD's
//!   wasm backend) against the Wycheproof vectors and against RustCrypto on random inputs;
//! - the exported API as JavaScript sees it (`JsValue`s in and out): accounts, unlock, rollback,
//!   recovery, rotation, blobs one-shot and streaming, records, tokens, errors with `code`;
//! - blobs sealed natively (`ring`, `tests/fixtures/native_blobs.json`) opening in wasm.
//!
//! Built with `--features testing` (raw-key constructors for the token and records checks).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod api;
mod pack;
mod primitives;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

pub(crate) const PASSWORD: &str = "correct horse battery staple 1987!";
/// The floor of docs/FORMAT.md, "Password to wrap key": keeps Argon2 short in tests.
pub(crate) const FAST_KDF: &str = r#"{"m_kib":19456,"t":2,"p":1}"#;

// --- helpers -------------------------------------------------------------------------------------

/// xorshift64*: reproducible "random" inputs (the seed is in every failure message).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

pub(crate) fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

pub(crate) fn js_json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

pub(crate) fn get(obj: &JsValue, name: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(name)).unwrap()
}

pub(crate) fn bytes_of(value: &JsValue) -> Vec<u8> {
    value.dyn_ref::<Uint8Array>().expect("a Uint8Array").to_vec()
}

pub(crate) fn js_bytes(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

pub(crate) fn strings(value: &JsValue) -> Vec<String> {
    Array::from(value).iter().map(|v| v.as_string().unwrap()).collect()
}

/// The `code` of a thrown SyncError, checking that it is an `Error` named `SyncError` with a
/// readable message.
pub(crate) fn code<T>(result: Result<T, JsValue>) -> String {
    let Err(error) = result else { panic!("expected an error, it succeeded") };
    let as_error = error.dyn_ref::<js_sys::Error>().expect("an Error object");
    assert_eq!(as_error.name(), "SyncError");
    assert!(!String::from(as_error.message()).is_empty());
    get(&error, "code").as_string().expect("a code")
}

pub(crate) fn context_js(blob_type: &str, seed: u8) -> JsValue {
    js_json(&format!(
        r#"{{"blob_id":"{}","blob_type":"{blob_type}","device_id":"laptop-{seed}","time_start":1767603600000,"time_end":1767607199999}}"#,
        format!("{seed:02x}").repeat(16)
    ))
}

pub(crate) fn new_account() -> (JsValue, sync_wasm::Keys) {
    let account = sync_wasm::create_account(PASSWORD, js_json(FAST_KDF)).unwrap();
    let keys = sync_wasm::unlock(get(&account, "envelope"), PASSWORD, JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap();
    (account, keys)
}

/// Pushes `blob` into a decryptor in random chunks; returns what each push released and the
/// result of `finish` (or the first error's code).
pub(crate) fn stream(
    keys: &sync_wasm::Keys,
    blob: &[u8],
    context: &JsValue,
    rng: &mut Rng,
) -> (Vec<u8>, Result<(), String>) {
    let mut decryptor = keys.blob_decryptor(context.clone()).unwrap();
    let mut released = Vec::new();
    let mut offset = 0;
    while offset < blob.len() {
        let cap = if rng.below(4) == 0 { 70_000 } else { 300 };
        let n = (1 + rng.below(cap)).min(blob.len() - offset);
        match decryptor.push(js_bytes(&blob[offset..offset + n])) {
            Ok(out) => released.extend(out.to_vec()),
            Err(e) => return (released, Err(code::<()>(Err(e)))),
        }
        offset += n;
    }
    match decryptor.finish() {
        Ok(out) => {
            released.extend(out.to_vec());
            (released, Ok(()))
        }
        Err(e) => (released, Err(code::<()>(Err(e)))),
    }
}
