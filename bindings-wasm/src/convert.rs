//! JavaScript values to core types and back.
//!
//! Format objects (envelopes, recovery envelopes, keyrings) go through `JSON.stringify` and the
//! core's own strict parsers, so that a page sees exactly the checks and error codes of every
//! other client (`malformed`, `unsupported`, ...). They come back as `JSON.parse` of the core's
//! JSON, i.e. exactly the objects the server stores and returns.

use js_sys::{Array, JSON, Object, Reflect, Uint8Array};
use sync_core::blob::{BlobContext, SealOptions};
use sync_core::keys::{KdfParams, KeyVersionGuard};
use sync_core::wire::envelopes::{Envelope, KeyringEntry, RecoveryEnvelope};
use sync_core::{BlobId, BlobType, DeviceId, KeyId, UnixMillis};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{IntoJs, JsResult, invalid_input};

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// True for `undefined` and `null`.
pub fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// `obj[name]`.
pub fn field(obj: &JsValue, name: &str) -> JsResult<JsValue> {
    Reflect::get(obj, &JsValue::from_str(name)).map_err(|_| invalid_input("not an object"))
}

/// Sets `obj[name] = value` on a plain object made here.
pub fn set(obj: &Object, name: &str, value: &JsValue) -> JsResult<()> {
    Reflect::set(obj, &JsValue::from_str(name), value).map(|_| ()).map_err(|_| invalid_input("cannot set a field"))
}

/// The bytes of a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer`, or any typed array
/// or `DataView` (its bytes, not its elements), copied into `dst`.
pub fn bytes_into(value: &JsValue, dst: &mut Vec<u8>) -> JsResult<()> {
    let array = if let Some(array) = value.dyn_ref::<Uint8Array>() {
        array.clone()
    } else if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        Uint8Array::new(buffer)
    } else if js_sys::ArrayBuffer::is_view(value) {
        let buffer = field(value, "buffer")?;
        let offset = field(value, "byteOffset")?.as_f64().unwrap_or(0.0);
        let length = field(value, "byteLength")?.as_f64().unwrap_or(0.0);
        Uint8Array::new_with_byte_offset_and_length(&buffer, offset as u32, length as u32)
    } else {
        return Err(invalid_input("expected a Uint8Array or an ArrayBuffer"));
    };
    dst.clear();
    dst.resize(array.length() as usize, 0);
    array.copy_to(dst);
    Ok(())
}

/// The bytes of a `Uint8Array` or `ArrayBuffer`, as a new vector.
pub fn bytes(value: &JsValue) -> JsResult<Vec<u8>> {
    let mut out = Vec::new();
    bytes_into(value, &mut out)?;
    Ok(out)
}

/// The JSON text of a format object given as a plain object (or already as JSON text).
fn json_text(value: &JsValue, what: &'static str) -> JsResult<String> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if !value.is_object() {
        return Err(invalid_input(what));
    }
    JSON::stringify(value).ok().and_then(|s| s.as_string()).ok_or_else(|| invalid_input(what))
}

/// An envelope (docs/FORMAT.md, "Envelope"), strictly checked by the core.
pub fn envelope(value: &JsValue) -> JsResult<Envelope> {
    Envelope::from_json(&json_text(value, "the envelope must be an object")?).js()
}

/// A recovery envelope (docs/FORMAT.md, "Recovery"), strictly checked by the core.
pub fn recovery_envelope(value: &JsValue) -> JsResult<RecoveryEnvelope> {
    RecoveryEnvelope::from_json(&json_text(value, "the recovery envelope must be an object")?).js()
}

/// A keyring (docs/FORMAT.md, "Rotation, keyring, rollback"): a list of entries; `undefined` or `null` is the empty keyring.
pub fn keyring(value: &JsValue) -> JsResult<Vec<KeyringEntry>> {
    if is_absent(value) {
        return Ok(Vec::new());
    }
    KeyringEntry::list_from_json(&json_text(value, "the keyring must be an array")?).js()
}

/// `JSON.parse` of the core's JSON text of a format object.
pub fn parse_json(text: &str) -> JsResult<JsValue> {
    JSON::parse(text).map_err(|_| invalid_input("JSON"))
}

/// The rollback floor: `undefined`/`null` (nothing seen yet), a number (the highest key
/// version seen), or `{key_version, key_id}` (the highest key seen: the same version under
/// another id is refused too).
pub fn guard(value: &JsValue) -> JsResult<KeyVersionGuard> {
    if is_absent(value) {
        return Ok(KeyVersionGuard::new());
    }
    if let Some(n) = value.as_f64() {
        return Ok(KeyVersionGuard::at_least(u32_of(n, "the minimum key version must be a whole number")?));
    }
    if value.is_object() {
        let version = field(value, "key_version")?
            .as_f64()
            .ok_or_else(|| invalid_input("minimum.key_version must be a number"))?;
        let key_version = Some(u32_of(version, "minimum.key_version must be a whole number")?);
        let id = field(value, "key_id")?;
        let key_id = if is_absent(&id) {
            None
        } else {
            Some(
                KeyId::from_hex(&id.as_string().ok_or_else(|| invalid_input("minimum.key_id must be a string"))?)
                    .js()?,
            )
        };
        return Ok(KeyVersionGuard { key_version, key_id });
    }
    Err(invalid_input("the minimum key version must be a number or {key_version, key_id}"))
}

fn u32_of(n: f64, what: &'static str) -> JsResult<u32> {
    if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) { Ok(n as u32) } else { Err(invalid_input(what)) }
}

/// A time in milliseconds: a whole JavaScript number, or the RFC 3339 text of the format
/// (`2026-01-05T09:00:00.000Z`), as the server's blob listings carry it.
pub fn millis(value: &JsValue, what: &'static str) -> JsResult<UnixMillis> {
    if let Some(n) = value.as_f64() {
        if n.fract() != 0.0 || n.abs() > MAX_SAFE_INTEGER {
            return Err(invalid_input(what));
        }
        return Ok(UnixMillis(n as i64));
    }
    if let Some(text) = value.as_string() {
        return UnixMillis::parse_rfc3339(&text).js();
    }
    Err(invalid_input(what))
}

fn string_field(obj: &JsValue, name: &str, what: &'static str) -> JsResult<String> {
    field(obj, name)?.as_string().ok_or_else(|| invalid_input(what))
}

/// A blob context: `{blob_id (32 lowercase hex), blob_type, device_id, time_start, time_end}`
/// with times in milliseconds (numbers) or RFC 3339 text. Other fields are ignored, so a blob
/// entry of the server's `/download` or `/search` answer can be passed as it is.
pub fn context(value: &JsValue) -> JsResult<BlobContext> {
    if !value.is_object() {
        return Err(invalid_input("the context must be an object"));
    }
    let blob_id = BlobId::from_hex(&string_field(value, "blob_id", "context.blob_id must be a string")?).js()?;
    let blob_type: BlobType =
        string_field(value, "blob_type", "context.blob_type must be a string")?.parse::<BlobType>().js()?;
    let device_id = DeviceId::new(string_field(value, "device_id", "context.device_id must be a string")?).js()?;
    let time_start = millis(&field(value, "time_start")?, "context.time_start must be whole milliseconds")?;
    let time_end = millis(&field(value, "time_end")?, "context.time_end must be whole milliseconds")?;
    Ok(BlobContext { blob_id, blob_type, device_id, time_start, time_end })
}

/// Argon2id parameters `{m_kib, t, p}`; `undefined`/`null` is the default (64 MiB, 3, 4).
pub fn kdf_params(value: &JsValue) -> JsResult<KdfParams> {
    if is_absent(value) {
        return Ok(KdfParams::DEFAULT);
    }
    if !value.is_object() {
        return Err(invalid_input("params must be {m_kib, t, p}"));
    }
    let get = |name: &str| -> JsResult<u32> {
        let n = field(value, name)?.as_f64().ok_or_else(|| invalid_input("params must be {m_kib, t, p}"))?;
        u32_of(n, "params must be whole numbers")
    };
    Ok(KdfParams { m_kib: get("m_kib")?, t: get("t")?, p: get("p")? })
}

/// Seal options `{segmentExp?, compress?, pad?}` over the defaults of the blob type.
pub fn seal_options(value: &JsValue, blob_type: BlobType) -> JsResult<SealOptions> {
    let mut options = SealOptions::for_type(blob_type);
    if is_absent(value) {
        return Ok(options);
    }
    if !value.is_object() {
        return Err(invalid_input("options must be an object"));
    }
    let exp = field(value, "segmentExp")?;
    if !is_absent(&exp) {
        let n = exp.as_f64().ok_or_else(|| invalid_input("options.segmentExp must be a number"))?;
        let n = u32_of(n, "options.segmentExp must be a whole number")?;
        options.segment_exp = u8::try_from(n).map_err(|_| invalid_input("options.segmentExp is out of range"))?;
    }
    for (name, slot) in [("compress", &mut options.compress), ("pad", &mut options.pad)] {
        let v = field(value, name)?;
        if !is_absent(&v) {
            *slot = v.as_bool().ok_or_else(|| invalid_input("options.compress and options.pad must be booleans"))?;
        }
    }
    Ok(options)
}

/// A JavaScript array of strings.
pub fn string_array<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Array {
    items.into_iter().map(|s| JsValue::from_str(s.as_ref())).collect()
}
