//! Media packs (docs/FORMAT.md, "Media blobs and the media pack"): the index of a pack and the
//! bytes of one entry, read by the core's parser ([`sync_core::pack`]).
//!
//! A viewer decrypts a `frames` blob, sees the pack magic (`isMediaPack`), and opens it
//! (`new MediaPack(payload)` or `keys.openPack(blob, context)`); a reader that seeks reads the
//! header length from the first 12 bytes (`packHeaderLength`), then the index from that many
//! first bytes (`packIndex`), and fetches only the segments of the entry it wants.

use js_sys::{Array, Object, Uint8Array};
use sync_core::pack::{PACK_PREFIX_LEN, PackEntry, PackIndex, index_len, is_pack};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::{IntoJs, JsResult};

/// `{name, size, time, type, offset}`: `time` as the format's RFC 3339 text, `offset` where the
/// entry starts in the payload.
fn entry_object(entry: &PackEntry, offset: u64) -> JsResult<JsValue> {
    let out = Object::new();
    convert::set(&out, "name", &JsValue::from_str(&entry.name))?;
    convert::set(&out, "size", &JsValue::from_f64(entry.size as f64))?;
    convert::set(&out, "time", &JsValue::from_str(&entry.time.to_rfc3339().js()?))?;
    convert::set(&out, "type", &JsValue::from_str(&entry.content_type))?;
    convert::set(&out, "offset", &JsValue::from_f64(offset as f64))?;
    Ok(out.into())
}

fn entries_array(index: &PackIndex) -> JsResult<Array> {
    let out = Array::new();
    for (i, entry) in index.entries().iter().enumerate() {
        let offset = index.range(i).map_or(0, |r| r.start);
        out.push(&entry_object(entry, offset)?);
    }
    Ok(out)
}

/// `{headerLength, payloadLength, entries}` of a checked index.
fn index_object(index: &PackIndex) -> JsResult<JsValue> {
    let out = Object::new();
    convert::set(&out, "headerLength", &JsValue::from_f64(index.header_len() as f64))?;
    convert::set(&out, "payloadLength", &JsValue::from_f64(index.payload_len() as f64))?;
    convert::set(&out, "entries", &entries_array(index)?.into())?;
    Ok(out.into())
}

/// True when the bytes (a decrypted `frames` payload, or its first bytes) start with the pack
/// magic `SPMP`; a video chunk does not. Says nothing of the rest: open it to check it.
#[wasm_bindgen(js_name = isMediaPack)]
pub fn is_media_pack(bytes: JsValue) -> JsResult<bool> {
    Ok(is_pack(&convert::bytes(&bytes)?))
}

/// How many first bytes of a pack hold its header (prefix and index), from its first 12 bytes:
/// read that many, then `packIndex`. `malformed` for a bad magic or bounds, `unsupported` for
/// another version.
#[wasm_bindgen(js_name = packHeaderLength)]
pub fn pack_header_length(prefix: JsValue) -> JsResult<f64> {
    let n = index_len(&convert::bytes(&prefix)?).js()?;
    Ok((PACK_PREFIX_LEN + n) as f64)
}

/// The index of a pack from its first bytes (at least its header; more are ignored):
/// `{headerLength, payloadLength, entries: [{name, size, time, type, offset}]}`. Entry bytes
/// are `payload[offset, offset + size)`. `truncated` when the bytes end inside the index.
#[wasm_bindgen(js_name = packIndex)]
pub fn pack_index(header: JsValue) -> JsResult<JsValue> {
    let index = PackIndex::decode(&convert::bytes(&header)?).js()?;
    index_object(&index)
}

/// A media pack opened from its whole decrypted payload: every check of the format passed
/// (header, index, and a length of exactly the header and the entries). Holds a copy of the
/// payload in wasm memory until `free()`.
#[wasm_bindgen]
pub struct MediaPack {
    index: PackIndex,
    payload: Vec<u8>,
}

impl MediaPack {
    /// Checks `payload` as a whole pack.
    pub(crate) fn open(payload: Vec<u8>) -> sync_core::Result<MediaPack> {
        let index = PackIndex::decode_payload(&payload)?;
        Ok(MediaPack { index, payload })
    }
}

#[wasm_bindgen]
impl MediaPack {
    /// Opens a whole payload (`Uint8Array` or `ArrayBuffer`). `malformed`, `truncated` or
    /// `unsupported` when it is not a pack of this format.
    #[wasm_bindgen(constructor)]
    pub fn new(payload: JsValue) -> JsResult<MediaPack> {
        MediaPack::open(convert::bytes(&payload)?).js()
    }

    /// The entries, in payload order: `[{name, size, time, type, offset}]`.
    #[wasm_bindgen(getter)]
    pub fn entries(&self) -> JsResult<Array> {
        entries_array(&self.index)
    }

    /// Length of the header (prefix and index): where the first entry starts.
    #[wasm_bindgen(getter, js_name = headerLength)]
    pub fn header_length(&self) -> f64 {
        self.index.header_len() as f64
    }

    /// Length of the whole payload.
    #[wasm_bindgen(getter, js_name = payloadLength)]
    pub fn payload_length(&self) -> f64 {
        self.index.payload_len() as f64
    }

    /// The bytes of the entry named `name` (a record's `snapshot.entry`), or `undefined` when
    /// the pack has no such entry.
    pub fn entry(&self, name: &str) -> JsResult<Option<Uint8Array>> {
        let Some((i, _)) = self.index.find(name) else {
            return Ok(None);
        };
        let bytes = self.index.slice(&self.payload, i).js()?;
        Ok(Some(Uint8Array::from(bytes)))
    }

    /// The media type of the entry named `name` (`image/jpeg`, ...), or `undefined`.
    #[wasm_bindgen(js_name = entryType)]
    pub fn entry_type(&self, name: &str) -> Option<String> {
        self.index.find(name).map(|(_, e)| e.content_type.clone())
    }
}
