//! [`BlobDecryptor`]: streaming blob decryption for `fetch()` bodies.

use js_sys::Uint8Array;
use sync_core::blob::BlobOpener;
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::{IntoJs, JsResult};

/// On failure, drops whatever plaintext the failed call produced, so none of it is released.
fn release_nothing_on_error(result: sync_core::Result<()>, output: &mut Vec<u8>) -> JsResult<()> {
    if result.is_err() {
        output.clear();
    }
    result.js()
}

/// Streaming decryption of one blob, made by `keys.blobDecryptor(context)`.
///
/// `push(chunk)` takes ciphertext of any size and returns the plaintext of every segment known
/// not to be the last (possibly empty); `finish()` verifies the final segment and returns the
/// rest. Plaintext returned before `finish()` succeeds is provisional: show or store nothing as
/// complete until it does. A call that throws returns nothing, and every later call throws
/// `invalid_state`. Memory: one segment, whatever the blob size (for a compressed `text` blob,
/// the compressed frame up to its bound).
#[wasm_bindgen]
pub struct BlobDecryptor {
    opener: BlobOpener,
    input: Vec<u8>,
    output: Vec<u8>,
    bytes_in: f64,
    bytes_out: f64,
}

impl BlobDecryptor {
    pub(crate) fn new(opener: BlobOpener) -> BlobDecryptor {
        BlobDecryptor { opener, input: Vec::new(), output: Vec::new(), bytes_in: 0.0, bytes_out: 0.0 }
    }
}

#[wasm_bindgen]
impl BlobDecryptor {
    /// Feeds a chunk of ciphertext (`Uint8Array` or `ArrayBuffer`); returns the plaintext
    /// released by it.
    pub fn push(&mut self, chunk: JsValue) -> JsResult<Uint8Array> {
        convert::bytes_into(&chunk, &mut self.input)?;
        self.output.clear();
        let pushed = self.opener.push(&self.input, &mut self.output);
        release_nothing_on_error(pushed, &mut self.output)?;
        self.bytes_in += self.input.len() as f64;
        self.bytes_out += self.output.len() as f64;
        Ok(Uint8Array::from(&self.output[..]))
    }

    /// Ends the stream: verifies the final segment (and the padding and zstd layers) and
    /// returns the rest of the plaintext. Only now is the plaintext complete.
    pub fn finish(&mut self) -> JsResult<Uint8Array> {
        self.output.clear();
        let finished = self.opener.finish(&mut self.output);
        release_nothing_on_error(finished, &mut self.output)?;
        self.bytes_out += self.output.len() as f64;
        Ok(Uint8Array::from(&self.output[..]))
    }

    /// Ciphertext bytes pushed so far (for progress).
    #[wasm_bindgen(getter, js_name = bytesIn)]
    pub fn bytes_in(&self) -> f64 {
        self.bytes_in
    }

    /// Plaintext bytes released so far.
    #[wasm_bindgen(getter, js_name = bytesOut)]
    pub fn bytes_out(&self) -> f64 {
        self.bytes_out
    }
}
