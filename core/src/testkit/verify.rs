//! Checks vector files against this implementation.

use crate::blob::{BlobContext, open_blob, open_blob_with};
use crate::encoding::base64url;
use crate::keys::keyring::open_keyring;
use crate::keys::master::MasterSecret;
use crate::keys::password::{derive_password_key, derive_wrap_key};
use crate::keys::recovery::open_recovery_envelope;
use crate::keys::{DataKey, DataKeys, KdfParams, KeyringKey, RecoveryKey, SearchKey, Subkeys};
use crate::primitives::segment_aead::Backend;
use crate::search::{Field, TokenKey, terms};
use crate::wire::{Envelope, KeyringEntry, RecoveryEnvelope};
use crate::{Error, KeyId, UnixMillis};
use serde_json::Value;

/// Why a vector disagrees.
type Outcome = Result<(), String>;

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("missing field {name:?}"))
}

fn text<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    field(v, name)?.as_str().ok_or_else(|| format!("field {name:?} is not a string"))
}

fn bytes(v: &Value, name: &str) -> Result<Vec<u8>, String> {
    base64url::decode(text(v, name)?).map_err(|e| format!("field {name:?}: {e}"))
}

fn key32(v: &Value, name: &str) -> Result<[u8; 32], String> {
    bytes(v, name)?.try_into().map_err(|_| format!("field {name:?} is not 32 bytes"))
}

fn u32_of(v: &Value, name: &str) -> Result<u32, String> {
    field(v, name)?.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| format!("field {name:?} is not a u32"))
}

/// Parses a JSON value with the library's own strict decoding (a decode failure is `malformed`).
fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, Error> {
    serde_json::from_value(v.clone()).map_err(|_| Error::Malformed("JSON"))
}

/// Compares a claimed output when the vector carries it.
fn claim(v: &Value, name: &str, got: &[u8]) -> Outcome {
    match v.get(name) {
        None => Ok(()),
        Some(_) if bytes(v, name)? == got => Ok(()),
        Some(_) => Err(format!("{name} differs")),
    }
}

/// The context of a blob vector; times may be RFC 3339 strings or milliseconds.
fn context(v: &Value) -> Result<BlobContext, Error> {
    let mut c = v.clone();
    for t in ["time_start", "time_end"] {
        if let Some(ms) = c.get(t).and_then(Value::as_i64) {
            c[t] = Value::String(UnixMillis(ms).to_rfc3339().map_err(|_| Error::Malformed("time"))?);
        }
    }
    parse(&c)
}

/// Runs a vector's operation: `Ok(Ok(()))` when it succeeded and its claims hold,
/// `Ok(Err(..))` when it succeeded but a claim differs, `Err(e)` when the operation failed.
fn run_vector(kind: &str, v: &Value) -> Result<Outcome, Error> {
    let bad_input = |e: String| Ok(Err(format!("unusable vector: {e}")));
    match kind {
        "kdf" => {
            let (Ok(password), Ok(salt), Ok(kdf)) = (text(v, "password"), bytes(v, "salt"), field(v, "kdf")) else {
                return bad_input("needs password, salt, kdf".into());
            };
            let params: KdfParams = parse(kdf)?;
            let pk = derive_password_key(password, &salt, &params)?;
            let wk = derive_wrap_key(&pk)?;
            Ok(claim(v, "password_key", pk.expose()).and_then(|()| claim(v, "wrap_key", wk.expose())))
        }
        "envelope" => {
            let (Ok(password), Ok(env)) = (text(v, "password"), field(v, "envelope")) else {
                return bad_input("needs password, envelope".into());
            };
            let env: Envelope = parse(env)?;
            let master = crate::keys::envelope::open_envelope(&env, password)?;
            Ok(claim(v, "master_key", master.secret.expose()))
        }
        "recovery" => {
            let phrase = v.get("mnemonic").and_then(Value::as_str).unwrap_or("");
            let key = if phrase.is_empty() {
                match key32(v, "recovery_key") {
                    Ok(k) => RecoveryKey::from_bytes(k),
                    Err(e) => return bad_input(e),
                }
            } else {
                let key = RecoveryKey::from_phrase(phrase)?;
                if let Err(e) = claim(v, "recovery_key", key.expose()) {
                    return Ok(Err(e));
                }
                key
            };
            let Ok(env) = field(v, "recovery_envelope") else { return bad_input("needs recovery_envelope".into()) };
            let env: RecoveryEnvelope = parse(env)?;
            let master = open_recovery_envelope(&env, &key)?;
            Ok(claim(v, "master_key", master.secret.expose()))
        }
        "subkeys" => {
            let master = match key32(v, "master_key") {
                Ok(k) => MasterSecret::from_bytes(k),
                Err(e) => return bad_input(e),
            };
            let s = Subkeys::derive(&master)?;
            Ok(claim(v, "data_key", s.data.expose())
                .and_then(|()| claim(v, "search_key", s.search.expose()))
                .and_then(|()| claim(v, "id_key", s.id.expose()))
                .and_then(|()| claim(v, "keyring_key", s.keyring.expose())))
        }
        "keyring" => {
            let (Ok(master), Ok(key_id), Ok(version), Ok(entries)) =
                (key32(v, "master_key"), text(v, "key_id"), u32_of(v, "key_version"), field(v, "entries"))
            else {
                return bad_input("needs master_key, key_id, key_version, entries".into());
            };
            let key_id = KeyId::from_hex(key_id)?;
            let entries: Vec<KeyringEntry> = parse(entries)?;
            let keyring_key: KeyringKey = Subkeys::derive(&MasterSecret::from_bytes(master))?.keyring;
            let opened = open_keyring(&keyring_key, &key_id, version, &entries)?;
            let Some(claimed) = v.get("opened") else { return Ok(Ok(())) };
            let claimed = claimed.as_array().cloned().unwrap_or_default();
            if claimed.len() != opened.len() {
                return Ok(Err(format!("opened {} keys, the vector claims {}", opened.len(), claimed.len())));
            }
            for (got, want) in opened.iter().zip(&claimed) {
                if text(want, "key_id").ok() != Some(got.key_id.to_hex().as_str()) {
                    return Ok(Err("opened key ids differ".into()));
                }
                if let Err(e) = claim(want, "master_key", got.secret.expose()) {
                    return Ok(Err(e));
                }
            }
            Ok(Ok(()))
        }
        "blob" => {
            let (Ok(data_key), Ok(key_id), Ok(ctx), Ok(blob)) =
                (key32(v, "data_key"), text(v, "key_id"), field(v, "context"), bytes(v, "blob"))
            else {
                return bad_input("needs data_key, key_id, context, blob".into());
            };
            let keys = DataKeys::single(KeyId::from_hex(key_id)?, DataKey::from_bytes(data_key));
            let ctx = context(ctx)?;
            // Every segment AEAD backend this build has must reach the same answer.
            let answer = open_blob(&keys, &ctx, &blob);
            for backend in [Backend::Ring, Backend::Portable] {
                if open_blob_with(&keys, &ctx, &blob, backend) != answer {
                    return Ok(Err(format!("the {backend:?} backend disagrees with the native one")));
                }
            }
            Ok(claim(v, "plaintext", &answer?))
        }
        "token" => {
            let (Ok(key), Ok(f), Ok(bucket), Ok(term)) =
                (key32(v, "search_key"), text(v, "field"), text(v, "bucket"), text(v, "term"))
            else {
                return bad_input("needs search_key, field, bucket, term".into());
            };
            let tk = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes(key))?;
            let token = tk.token(f.parse::<Field>()?, bucket, term);
            Ok(match v.get("token").and_then(Value::as_str) {
                Some(want) if want != token.as_str() => Err(format!("token {token} differs from {want}")),
                _ => Ok(()),
            })
        }
        "terms" => {
            let Ok(input) = text(v, "text") else { return bad_input("needs text".into()) };
            let got = terms(input);
            Ok(match v.get("terms") {
                Some(want) if *want != serde_json::json!(got) => Err(format!("terms {got:?} differ from {want}")),
                _ => Ok(()),
            })
        }
        "pairing" => super::pairing::run_vector(v),
        other => Ok(Err(format!("unknown kind {other:?}"))),
    }
}

/// Checks one vector against its expectation.
pub fn check(kind: &str, v: &Value) -> Outcome {
    let expect_error = v.get("expect").and_then(Value::as_str) == Some("error");
    match (run_vector(kind, v), expect_error) {
        (Ok(outcome), false) => outcome,
        (Ok(Ok(())), true) => Err(format!("expected error {}, but it succeeded", v["error"])),
        (Ok(Err(e)), true) => Err(format!("expected error {}, but it succeeded with: {e}", v["error"])),
        (Err(e), false) => Err(format!("failed with {} ({e})", e.code())),
        (Err(e), true) => match v.get("error").and_then(Value::as_str) {
            Some(want) if want == e.code() => Ok(()),
            Some(want) => Err(format!("expected error {want}, got {} ({e})", e.code())),
            None => Err("a must-fail vector names no error".into()),
        },
    }
}

/// Checks every vector of one vector file's text; returns the number of vectors and one line
/// per failure (`#index (comment): why`).
pub fn verify_document(json_text: &str) -> (usize, Vec<String>) {
    let doc: Value = match serde_json::from_str(json_text) {
        Ok(doc) => doc,
        Err(e) => return (0, vec![format!("not JSON: {e}")]),
    };
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    let vectors = doc.get("vectors").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut failures = Vec::new();
    if vectors.is_empty() {
        failures.push("no vectors".to_owned());
    }
    for (i, v) in vectors.iter().enumerate() {
        if let Err(why) = check(kind, v) {
            let comment = v.get("comment").and_then(Value::as_str).unwrap_or("");
            failures.push(format!("#{i} ({comment}): {why}"));
        }
    }
    (vectors.len(), failures)
}
