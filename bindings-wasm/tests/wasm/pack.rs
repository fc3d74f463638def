//! Media packs as JavaScript sees them: packs built by the core, opened whole or from their
//! first bytes, one entry by name, and refusals with their stable codes.

use super::*;
use js_sys::Array;
use sync_core::UnixMillis;
use sync_core::pack::{PackEntry, PackIndex};
use sync_wasm::MediaPack;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const JPEG_A: &[u8] = b"\xff\xd8\xff\xe0 snapshot a \xff\xd9";
const JPEG_B: &[u8] = b"\xff\xd8\xff\xe0 snapshot b, a little longer \xff\xd9";

/// A pack as a client's packager writes it: the core's header, then the files.
fn core_pack(files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| PackEntry {
            name: (*name).into(),
            size: bytes.len() as u64,
            time: UnixMillis(1_796_477_777_811 + i as i64 * 1000),
            content_type: "image/jpeg".into(),
        })
        .collect();
    let mut payload = PackIndex::new(entries).unwrap().encode_header().unwrap();
    for (_, bytes) in files {
        payload.extend_from_slice(bytes);
    }
    payload
}

#[wasm_bindgen_test]
fn a_pack_opens_whole_and_gives_its_entries_by_name() {
    let payload = core_pack(&[("1796477777811_m60.jpg", JPEG_A), ("1796477778811_m60.jpg", JPEG_B)]);
    assert!(sync_wasm::is_media_pack(js_bytes(&payload)).unwrap());
    assert!(!sync_wasm::is_media_pack(js_bytes(b"\0\0\0\x18ftypisom")).unwrap());
    let pack = MediaPack::new(js_bytes(&payload)).unwrap();
    assert_eq!(pack.payload_length(), payload.len() as f64);
    let entries = pack.entries().unwrap();
    assert_eq!(entries.length(), 2);
    let second = entries.get(1);
    assert_eq!(get(&second, "name").as_string().unwrap(), "1796477778811_m60.jpg");
    assert_eq!(get(&second, "size").as_f64(), Some(JPEG_B.len() as f64));
    assert_eq!(get(&second, "type").as_string().unwrap(), "image/jpeg");
    assert_eq!(get(&second, "time").as_string().unwrap(), "2026-12-05T13:36:18.811Z");
    let offset = get(&second, "offset").as_f64().unwrap() as usize;
    assert_eq!(&payload[offset..offset + JPEG_B.len()], JPEG_B);
    assert_eq!(get(&entries.get(0), "offset").as_f64(), Some(pack.header_length()));
    assert_eq!(pack.entry("1796477777811_m60.jpg").unwrap().unwrap().to_vec(), JPEG_A);
    assert_eq!(pack.entry("1796477778811_m60.jpg").unwrap().unwrap().to_vec(), JPEG_B);
    assert!(pack.entry("missing.jpg").unwrap().is_none());
    assert_eq!(pack.entry_type("1796477777811_m60.jpg").as_deref(), Some("image/jpeg"));
}

#[wasm_bindgen_test]
fn the_index_reads_from_the_first_bytes() {
    let payload = core_pack(&[("a.jpg", JPEG_A), ("b.jpg", JPEG_B)]);
    let header_len = sync_wasm::pack_header_length(js_bytes(&payload[..12])).unwrap() as usize;
    let whole = MediaPack::new(js_bytes(&payload)).unwrap();
    assert_eq!(header_len as f64, whole.header_length());
    let index = sync_wasm::pack_index(js_bytes(&payload[..header_len])).unwrap();
    assert_eq!(get(&index, "payloadLength").as_f64(), Some(payload.len() as f64));
    let names: Vec<String> =
        Array::from(&get(&index, "entries")).iter().map(|e| get(&e, "name").as_string().unwrap()).collect();
    assert_eq!(names, ["a.jpg", "b.jpg"]);
    assert_eq!(code(sync_wasm::pack_index(js_bytes(&payload[..header_len - 1]))), "truncated");
    assert_eq!(code(sync_wasm::pack_header_length(js_bytes(&payload[..11]))), "malformed");
}

#[wasm_bindgen_test]
fn malformed_packs_are_refused_with_their_codes() {
    let payload = core_pack(&[("a.jpg", JPEG_A)]);
    let open = |bytes: &[u8]| MediaPack::new(js_bytes(bytes));
    assert_eq!(code(open(&payload[..payload.len() - 1])), "truncated");
    assert_eq!(code(open(&[payload.as_slice(), b"x"].concat())), "malformed");
    let mut bad = payload.clone();
    bad[0] = b'X';
    assert_eq!(code(open(&bad)), "malformed");
    let mut bad = payload.clone();
    bad[4] = 2;
    assert_eq!(code(open(&bad)), "unsupported");
    // A byte of the index changed: not the canonical JSON (or not JSON at all).
    let mut bad = payload.clone();
    bad[13] = b' ';
    assert_eq!(code(open(&bad)), "malformed");
    assert_eq!(code(MediaPack::new(JsValue::from_str("SPMP"))), "invalid_input");
}

#[wasm_bindgen_test]
fn keys_open_a_pack_blob() {
    let payload = core_pack(&[("a.jpg", JPEG_A)]);
    let (_, keys) = new_account();
    let ctx = context_js("frames", 9);
    let blob = keys.encrypt_blob(js_bytes(&payload), ctx.clone(), JsValue::UNDEFINED).unwrap();
    let pack = keys.open_pack(blob.clone().into(), ctx.clone()).unwrap();
    assert_eq!(pack.entry("a.jpg").unwrap().unwrap().to_vec(), JPEG_A);
    // A video chunk is not a pack; a text blob is not where packs are.
    let video = keys.encrypt_blob(js_bytes(b"\0\0\0\x18ftypisom...."), ctx.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(code(keys.open_pack(video.into(), ctx.clone())), "malformed");
    let text_ctx = context_js("text", 9);
    let text = keys.encrypt_blob(js_bytes(&payload), text_ctx.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(code(keys.open_pack(text.into(), text_ctx)), "invalid_input");
    // Bound to its context: another blob id does not open it.
    assert_eq!(code(keys.open_pack(blob.into(), context_js("frames", 10))), "wrong_key_or_context");
}
