//! The native side of the cross-implementation tests: seals blobs with the native client's
//! backend (`ring`) for the wasm build to open, and opens blobs the wasm build sealed.
//!
//! ```text
//! native_cross seal OUT.json [SEED]   # an account (envelope + password) and blobs sealed natively
//! native_cross open IN.json           # opens every blob of IN.json natively, checks the plaintext
//! ```
//!
//! The JSON: `{"password", "envelope", "keyring", "blobs": [{"context": {blob_id, blob_type,
//! device_id, time_start, time_end (ms)}, "options", "blob" (base64url), "plaintext"
//! (base64url)}]}`. `SEED` makes the whole file reproducible (`testkit` randomness; the
//! committed fixture `tests/fixtures/native_blobs.json` is `seal` with seed 1).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

/// The native tool (the example builds on wasm32 only as an empty program, for `cargo test`).
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::process::ExitCode;

    use serde_json::{Value, json};
    use sync_core::blob::{BlobContext, SealOptions, open_blob, seal_blob};
    use sync_core::encoding::base64url;
    use sync_core::hazmat::random::{RandomSource, SeededRandom};
    use sync_core::hazmat::segment_aead::{Backend, SegmentAead};
    use sync_core::keys::{KdfParams, KeySet, KeyVersionGuard};
    use sync_core::wire::envelopes::{Envelope, KeyringEntry};
    use sync_core::{BlobId, BlobType, DeviceId, OsRandom, UnixMillis};

    const PASSWORD: &str = "correct horse battery staple 1987!";

    fn context_json(c: &BlobContext) -> Value {
        json!({
            "blob_id": c.blob_id.to_hex(),
            "blob_type": c.blob_type.as_str(),
            "device_id": c.device_id.as_str(),
            "time_start": c.time_start.0,
            "time_end": c.time_end.0,
        })
    }

    fn context_of(v: &Value) -> Result<BlobContext, String> {
        let s = |k: &str| v[k].as_str().ok_or(format!("context.{k}")).map(str::to_owned);
        let t = |k: &str| v[k].as_i64().ok_or(format!("context.{k}"));
        Ok(BlobContext {
            blob_id: BlobId::from_hex(&s("blob_id")?).map_err(|e| e.to_string())?,
            blob_type: s("blob_type")?.parse::<BlobType>().map_err(|e| e.to_string())?,
            device_id: DeviceId::new(s("device_id")?).map_err(|e| e.to_string())?,
            time_start: UnixMillis(t("time_start")?),
            time_end: UnixMillis(t("time_end")?),
        })
    }

    /// Payloads that cover the segment edge cases for a segment size of `2^k`.
    fn cases() -> Vec<(BlobType, SealOptions, usize)> {
        let opts =
            |k: u8, compress: bool, pad: bool| SealOptions { segment_exp: k, compress, pad, backend: Backend::Native };
        vec![
            (BlobType::Text, opts(16, true, true), 20_000),
            (BlobType::Text, opts(12, true, true), 0),
            (BlobType::Text, opts(12, false, true), 9_000),
            (BlobType::Frames, opts(12, false, false), 0),
            (BlobType::Frames, opts(12, false, false), 1),
            (BlobType::Frames, opts(12, false, false), 4096),
            (BlobType::Frames, opts(12, false, false), 3 * 4096),
            (BlobType::Frames, opts(12, false, false), 3 * 4096 + 17),
            (BlobType::Audio, opts(12, false, true), 10_001),
            (BlobType::Audio, opts(13, true, false), 30_000),
            (BlobType::Frames, opts(16, false, false), 70_000),
        ]
    }

    /// Text-like bytes for compressible payloads, noise otherwise.
    fn payload(rng: &mut dyn RandomSource, blob_type: BlobType, len: usize) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; len];
        rng.fill(&mut out).map_err(|e| e.to_string())?;
        if blob_type == BlobType::Text {
            let words = ["screen ", "pipe ", "sync ", "frame ", "ocr ", "text ", "hello ", "wörld "];
            let mut text = Vec::with_capacity(len);
            for b in &out {
                text.extend_from_slice(words[usize::from(*b) % words.len()].as_bytes());
                if text.len() >= len {
                    break;
                }
            }
            text.truncate(len);
            return Ok(text);
        }
        Ok(out)
    }

    pub fn seal(out_path: &str, seed: Option<u64>) -> Result<(), String> {
        let mut seeded = seed.map(SeededRandom::new);
        let mut os = OsRandom;
        let rng: &mut dyn RandomSource = match &mut seeded {
            Some(s) => s,
            None => &mut os,
        };
        let params = KdfParams { m_kib: 19_456, t: 2, p: 1 };
        let account = KeySet::create_account(PASSWORD, &params, rng).map_err(|e| e.to_string())?;
        let keys = &account.keys;
        let device = DeviceId::new("native-device-1").map_err(|e| e.to_string())?;
        let mut blobs = Vec::new();
        for (i, (blob_type, options, len)) in cases().into_iter().enumerate() {
            let mut id = [0u8; 16];
            rng.fill(&mut id).map_err(|e| e.to_string())?;
            let start = 1_767_600_000_000 + i64::try_from(i).map_err(|e| e.to_string())? * 60_000;
            let context = BlobContext {
                blob_id: BlobId(id),
                blob_type,
                device_id: device.clone(),
                time_start: UnixMillis(start),
                time_end: UnixMillis(start + 59_999),
            };
            let data = payload(rng, blob_type, len)?;
            let blob = seal_blob(keys.current_data_key(), keys.current_key_id(), &context, &data, &options, rng)
                .map_err(|e| e.to_string())?;
            blobs.push(json!({
                "context": context_json(&context),
                "options": {"segmentExp": options.segment_exp, "compress": options.compress, "pad": options.pad},
                "blob": base64url::encode(&blob),
                "plaintext": base64url::encode(&data),
            }));
        }
        let aead = SegmentAead::new(&[0; 32], Backend::Native).map_err(|e| e.to_string())?;
        let doc = json!({
            "comment": "Blobs sealed by the native core (sync-core with ring); generated by `cargo run -p sync-wasm --example native_cross -- seal`.",
            "sealed_by": aead.implementation(),
            "password": PASSWORD,
            "envelope": serde_json::from_str::<Value>(&account.envelope.to_json()).map_err(|e| e.to_string())?,
            "keyring": [],
            "blobs": blobs,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(out_path, text + "\n").map_err(|e| format!("{out_path}: {e}"))
    }

    pub fn open(in_path: &str) -> Result<usize, String> {
        let text = std::fs::read_to_string(in_path).map_err(|e| format!("{in_path}: {e}"))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let envelope = Envelope::from_json(&doc["envelope"].to_string()).map_err(|e| e.to_string())?;
        let keyring = KeyringEntry::list_from_json(&doc["keyring"].to_string()).map_err(|e| e.to_string())?;
        let password = doc["password"].as_str().ok_or("password")?;
        let keys =
            KeySet::unlock(&envelope, password, &keyring, &mut KeyVersionGuard::new()).map_err(|e| e.to_string())?;
        let blobs = doc["blobs"].as_array().ok_or("blobs")?;
        for (i, item) in blobs.iter().enumerate() {
            let context = context_of(&item["context"])?;
            let blob = base64url::decode(item["blob"].as_str().ok_or("blob")?).map_err(|e| e.to_string())?;
            let expected =
                base64url::decode(item["plaintext"].as_str().ok_or("plaintext")?).map_err(|e| e.to_string())?;
            let plain = open_blob(&keys.data_keys(), &context, &blob).map_err(|e| format!("blob {i}: {e}"))?;
            if plain != expected {
                return Err(format!("blob {i}: the plaintext differs"));
            }
        }
        Ok(blobs.len())
    }

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["seal", out] => seal(out, None).map(|()| format!("sealed natively into {out}")),
            ["seal", out, seed] => match seed.parse::<u64>() {
                Ok(seed) => seal(out, Some(seed)).map(|()| format!("sealed natively into {out} (seed {seed})")),
                Err(_) => Err("SEED must be a number".to_owned()),
            },
            ["open", path] => open(path).map(|n| format!("opened natively: {n} blobs, every plaintext equal")),
            _ => Err("usage: native_cross seal OUT.json [SEED] | native_cross open IN.json".to_owned()),
        };
        match result {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("native_cross: {message}");
                ExitCode::FAILURE
            }
        }
    }
}
