//! Writes the vector files: generated cases from a fixed seed, then hand-made edge and must-fail
//! cases. Every case is built with the library and checked by `verify` before it is written.
//!
//! - [`keys`]: `kdf`, `envelope`, `recovery`, `subkeys`, `keyring`.
//! - [`blob`]: `blob` (with the crafted must-fail payloads).
//! - [`search`]: `token`, `terms`.
//! - [`pairing`]: `pairing` (honest runs and must-fail deliveries).

mod blob;
mod keys;
mod pairing;
mod search;

use crate::Error;
use crate::keys::KdfParams;
use crate::primitives::random::SeededRandom;
use serde_json::{Value, json};

pub(super) type R<T> = Result<T, Error>;

pub(super) const FAST: KdfParams = KdfParams { m_kib: 19_456, t: 2, p: 1 };

pub(super) fn ok(comment: &str, mut v: Value) -> Value {
    v["comment"] = json!(comment);
    v
}

pub(super) fn fail(comment: &str, error: &str, mut v: Value) -> Value {
    v["comment"] = json!(comment);
    v["expect"] = json!("error");
    v["error"] = json!(error);
    v
}

fn document(kind: &str, vectors: Vec<Value>) -> Result<(String, String), String> {
    for (i, v) in vectors.iter().enumerate() {
        super::verify::check(kind, v).map_err(|e| format!("{kind} #{i}: generated vector does not verify: {e}"))?;
    }
    let doc = json!({"kind": kind, "vectors": vectors});
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    Ok((kind.to_owned(), text + "\n"))
}

/// Generates every vector file: `(kind, file text)` pairs, each checked by the verifier before
/// it is returned. Deterministic: the same code gives the same bytes.
pub fn generate_all() -> Result<Vec<(String, String)>, String> {
    let e = |e: Error| e.to_string();
    let mut rng = SeededRandom::new(0x5350_5359_4e43); // "SPSYNC"
    Ok(vec![
        document("kdf", keys::kdf_vectors(&mut rng).map_err(e)?)?,
        document("envelope", keys::envelope_vectors(&mut rng).map_err(e)?)?,
        document("recovery", keys::recovery_vectors(&mut rng).map_err(e)?)?,
        document("subkeys", keys::subkey_vectors(&mut rng).map_err(e)?)?,
        document("keyring", keys::keyring_vectors(&mut rng).map_err(e)?)?,
        document("blob", blob::blob_vectors(&mut rng).map_err(e)?)?,
        document("token", search::token_vectors(&mut rng).map_err(e)?)?,
        document("terms", search::terms_vectors())?,
        // Its own seed, so that the files above keep their bytes.
        document("pairing", pairing::pairing_vectors(&mut SeededRandom::new(0x5041_4952)).map_err(e)?)?, // "PAIR"
    ])
}
