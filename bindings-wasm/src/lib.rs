//! # sync-wasm
//!
//! screenpipe sync's core ([`sync_core`]) for browsers and Node through wasm-bindgen: account
//! creation and unlock, streaming blob decryption, records, media packs, search tokens, joining
//! an account with a short code (the joiner's side of device linking). Published as an npm
//! package (see `README.md`). The bindings wrap the core; every byte of cryptography is the
//! core's.
//!
//! Keys never reach JavaScript as bytes: JavaScript holds an opaque [`Keys`] handle. Errors
//! thrown to JavaScript are `Error` objects named `SyncError` whose `code` is the core's stable
//! code ([`sync_core::Error::code`]).

mod convert;
mod decryptor;
mod error;
mod keys;
mod pack;
mod pair;
#[cfg(feature = "testing")]
mod testing;

use js_sys::Object;
use wasm_bindgen::prelude::*;

pub use decryptor::BlobDecryptor;
pub use keys::{Keys, create_account, unlock, unlock_with_recovery};
pub use pack::{MediaPack, is_media_pack, pack_header_length, pack_index};
pub use pair::Joiner;
#[cfg(feature = "testing")]
pub use testing::*;

use crate::error::JsResult;

/// The search terms of a text (docs/FORMAT.md, "Search tokens"), in order of first appearance, without repeats.
#[wasm_bindgen]
pub fn terms(text: &str) -> js_sys::Array {
    convert::string_array(sync_core::search::terms(text))
}

/// Every error code a `SyncError` may carry.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> js_sys::Array {
    convert::string_array(sync_core::Error::ALL_CODES.iter())
}

/// What this build is: `{version, simd128, segmentAead, argon2, features}`; `segmentAead` names
/// the ChaCha20-Poly1305 implementation that seals and opens blob segments, `argon2` the
/// Argon2id implementation that unlocks.
#[wasm_bindgen(js_name = buildInfo)]
pub fn build_info() -> JsResult<JsValue> {
    let out = Object::new();
    convert::set(&out, "version", &JsValue::from_str(env!("CARGO_PKG_VERSION")))?;
    convert::set(&out, "simd128", &JsValue::from_bool(cfg!(target_feature = "simd128")))?;
    let info = sync_core::build_info().map_err(|e| error::to_js(&e))?;
    convert::set(&out, "segmentAead", &JsValue::from_str(info.segment_aead))?;
    convert::set(&out, "argon2", &JsValue::from_str(info.argon2))?;
    convert::set(&out, "features", &convert::string_array(cfg!(feature = "testing").then_some("testing")))?;
    Ok(out.into())
}
