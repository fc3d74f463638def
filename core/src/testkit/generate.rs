//! Writes the vector files: generated cases from a fixed seed, then hand-made edge and must-fail
//! cases. Every case is built with the library and checked by `verify` before it is written.

use crate::blob::{BlobContext, Flags, SealOptions, seal_blob};
use crate::encoding::base64url::encode as b64;
use crate::keys::envelope::seal_envelope_with;
use crate::keys::keyring::seal_entry_with;
use crate::keys::master::{MasterKey, MasterSecret};
use crate::keys::password::{derive_password_key, derive_wrap_key};
use crate::keys::recovery::seal_recovery_envelope_with;
use crate::keys::{DataKey, KdfParams, RecoveryKey, SearchKey, Subkeys};
use crate::primitives::random::{RandomSource, SeededRandom, random_array};
use crate::primitives::segment_aead::Backend;
use crate::search::{Field, TokenKey, terms};
use crate::{BlobId, BlobType, DeviceId, Error, KeyId, UnixMillis};
use serde_json::{Value, json};

type R<T> = Result<T, Error>;

const FAST: KdfParams = KdfParams { m_kib: 19_456, t: 2, p: 1 };

fn ok(comment: &str, mut v: Value) -> Value {
    v["comment"] = json!(comment);
    v
}

fn fail(comment: &str, error: &str, mut v: Value) -> Value {
    v["comment"] = json!(comment);
    v["expect"] = json!("error");
    v["error"] = json!(error);
    v
}

fn master(rng: &mut SeededRandom, version: u32) -> R<MasterKey> {
    MasterKey::make(version, rng)
}

fn kdf_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let cases: [(&str, &str, usize, KdfParams); 7] = [
        ("ascii password, floor parameters", "correct horse battery staple", 16, FAST),
        ("four lanes", "correct horse battery staple", 32, KdfParams { m_kib: 19_456, t: 2, p: 4 }),
        ("longest salt", "tr0ub4dor&3", 64, KdfParams { m_kib: 19_456, t: 3, p: 2 }),
        ("non-ASCII password", "pässwörd ∞ 🔑", 32, FAST),
        ("NFKC folds the ligature: same key as \"file\" with the same salt", "\u{fb01}le", 32, FAST),
        ("the defaults: 64 MiB, t=3, p=4", "correct horse battery staple", 32, KdfParams::DEFAULT),
        ("one byte password", "x", 16, FAST),
    ];
    for (comment, password, salt_len, params) in cases {
        let mut salt = vec![0u8; salt_len];
        rng.fill(&mut salt)?;
        if comment.starts_with("NFKC") {
            // Same salt as a plain "file" vector written right after.
            let pk = derive_password_key("file", &salt, &params)?;
            out.push(ok(
                "plain \"file\": equal to the ligature vector above",
                kdf_json("file", &salt, &params, Some(&pk))?,
            ));
        }
        let pk = derive_password_key(password, &salt, &params)?;
        out.push(ok(comment, kdf_json(password, &salt, &params, Some(&pk))?));
    }
    // "A" + combining ring and "Å" normalize to the same bytes.
    let salt = [9u8; 16];
    let pk = derive_password_key("\u{c5}ngstr\u{f6}m", &salt, &FAST)?;
    out.push(ok("precomposed U+00C5", kdf_json("\u{c5}ngstr\u{f6}m", &salt, &FAST, Some(&pk))?));
    out.push(ok(
        "decomposed A + U+030A gives the same key",
        kdf_json("A\u{30a}ngstro\u{308}m", &salt, &FAST, Some(&pk))?,
    ));
    let bounds = [
        ("m_kib below 19456", KdfParams { m_kib: 19_455, t: 2, p: 1 }, 16),
        ("m_kib above 262144", KdfParams { m_kib: 262_145, t: 2, p: 1 }, 16),
        ("t below 2", KdfParams { m_kib: 65_536, t: 1, p: 4 }, 16),
        ("t above 16", KdfParams { m_kib: 65_536, t: 17, p: 4 }, 16),
        ("p of 0", KdfParams { m_kib: 65_536, t: 3, p: 0 }, 16),
        ("p above 16", KdfParams { m_kib: 65_536, t: 3, p: 17 }, 16),
        ("absurd memory (4 TiB)", KdfParams { m_kib: u32::MAX, t: 3, p: 4 }, 16),
        ("salt of 15 bytes", FAST, 15),
        ("salt of 65 bytes", FAST, 65),
        ("empty salt", FAST, 0),
    ];
    for (comment, params, salt_len) in bounds {
        let salt = vec![7u8; salt_len];
        out.push(fail(
            comment,
            "params_out_of_bounds",
            kdf_json("correct horse battery staple", &salt, &params, None)?,
        ));
    }
    Ok(out)
}

fn kdf_json(
    password: &str,
    salt: &[u8],
    params: &KdfParams,
    pk: Option<&crate::keys::password::PasswordKey>,
) -> R<Value> {
    let mut v =
        json!({"password": password, "salt": b64(salt), "kdf": {"m_kib": params.m_kib, "t": params.t, "p": params.p}});
    if let Some(pk) = pk {
        v["password_key"] = json!(b64(pk.expose()));
        v["wrap_key"] = json!(b64(derive_wrap_key(pk)?.expose()));
    }
    Ok(v)
}

fn envelope_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let password = "plum harbor violet 7";
    let m = master(rng, 1)?;
    let make =
        |m: &MasterKey, version: u32, password: &str, params: &KdfParams, salt: &[u8], nonce: &[u8; 24]| -> R<Value> {
            let wk = derive_wrap_key(&derive_password_key(password, salt, params)?)?;
            Ok(serde_json::to_value(seal_envelope_with(m, version, &wk, params, salt, nonce)?).unwrap_or_default())
        };
    let salt: [u8; 32] = random_array(rng)?;
    let nonce: [u8; 24] = random_array(rng)?;
    let env = make(&m, 1, password, &FAST, &salt, &nonce)?;
    out.push(ok(
        "first master key",
        json!({"password": password, "envelope": env, "master_key": b64(m.secret.expose())}),
    ));
    let m7 = master(rng, 7)?;
    let salt16: [u8; 16] = random_array(rng)?;
    let env7 = make(&m7, 7, "Ünïcödé and spaces  ", &KdfParams { m_kib: 20_000, t: 3, p: 2 }, &salt16, &nonce)?;
    out.push(ok(
        "key version 7, 16-byte salt, unicode password",
        json!({"password": "Ünïcödé and spaces  ", "envelope": env7, "master_key": b64(m7.secret.expose())}),
    ));
    let env_def = make(&m, 1, password, &KdfParams::DEFAULT, &salt, &nonce)?;
    out.push(ok(
        "default parameters",
        json!({"password": password, "envelope": env_def, "master_key": b64(m.secret.expose())}),
    ));

    let base = json!({"password": password, "envelope": env});
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        f(&mut v);
        v
    };
    out.push(fail("wrong password", "wrong_password", with(&|v| v["password"] = json!("plum harbor violet 8"))));
    out.push(fail(
        "password differs only in case",
        "wrong_password",
        with(&|v| v["password"] = json!("Plum harbor violet 7")),
    ));
    out.push(fail(
        "wrapped_key tampered",
        "wrong_password",
        with(&|v| {
            let mut w = crate::encoding::base64url::decode(v["envelope"]["wrapped_key"].as_str().unwrap_or(""))
                .unwrap_or_default();
            if let Some(b) = w.get_mut(0) {
                *b ^= 1;
            }
            v["envelope"]["wrapped_key"] = json!(b64(&w));
        }),
    ));
    out.push(fail(
        "key_version changed (bound in the AAD)",
        "wrong_password",
        with(&|v| v["envelope"]["key_version"] = json!(2)),
    ));
    out.push(fail(
        "key_id changed (bound in the AAD)",
        "wrong_password",
        with(&|v| v["envelope"]["key_id"] = json!("00".repeat(16))),
    ));
    out.push(fail(
        "t raised by the server (bound in the AAD)",
        "wrong_password",
        with(&|v| v["envelope"]["kdf"]["t"] = json!(3)),
    ));
    out.push(fail(
        "m_kib lowered below the floor by the server",
        "params_out_of_bounds",
        with(&|v| v["envelope"]["kdf"]["m_kib"] = json!(8)),
    ));
    out.push(fail(
        "absurd t from the server",
        "params_out_of_bounds",
        with(&|v| v["envelope"]["kdf"]["t"] = json!(4_000_000_000u32)),
    ));
    out.push(fail("envelope version 2", "unsupported", with(&|v| v["envelope"]["v"] = json!(2))));
    out.push(fail("another KDF", "unsupported", with(&|v| v["envelope"]["kdf"]["alg"] = json!("argon2i"))));
    out.push(fail("Argon2 version 0x10", "unsupported", with(&|v| v["envelope"]["kdf"]["version"] = json!(16))));
    out.push(fail("nonce of 23 bytes", "malformed", with(&|v| v["envelope"]["nonce"] = json!(b64(&[1u8; 23])))));
    out.push(fail(
        "wrapped_key of 47 bytes",
        "malformed",
        with(&|v| v["envelope"]["wrapped_key"] = json!(b64(&[1u8; 47]))),
    ));
    out.push(fail(
        "base64 with padding",
        "malformed",
        with(&|v| {
            let s = format!("{}=", v["envelope"]["salt"].as_str().unwrap_or(""));
            v["envelope"]["salt"] = json!(s);
        }),
    ));
    out.push(fail(
        "standard base64 alphabet",
        "malformed",
        with(&|v| v["envelope"]["nonce"] = json!(b64(&[0xfb; 24]).replace('-', "+").replace('_', "/"))),
    ));
    out.push(fail(
        "uppercase key_id",
        "malformed",
        with(&|v| {
            let s = v["envelope"]["key_id"].as_str().unwrap_or("").to_uppercase();
            v["envelope"]["key_id"] = json!(s);
        }),
    ));
    Ok(out)
}

fn recovery_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    for (i, version) in [1u32, 2, 9].into_iter().enumerate() {
        let m = master(rng, version)?;
        let rk = if i == 0 { RecoveryKey::from_bytes([0; 32]) } else { RecoveryKey::make(rng)? };
        let nonce: [u8; 24] = random_array(rng)?;
        let env = seal_recovery_envelope_with(&m, version, &rk, &nonce)?;
        let phrase = rk.to_phrase()?;
        let v = json!({"mnemonic": phrase.expose(), "recovery_key": b64(rk.expose()),
            "recovery_envelope": serde_json::to_value(&env).unwrap_or_default(), "master_key": b64(m.secret.expose())});
        out.push(ok(&format!("key version {version}"), v.clone()));
        if i == 1 {
            let messy = format!("  {}\n", phrase.expose().to_uppercase().replace(' ', " \t "));
            let mut m2 = v.clone();
            m2["mnemonic"] = json!(messy);
            out.push(ok("uppercase, tabs and extra spaces are normalized", m2));
            let mut key_only = v.clone();
            key_only["mnemonic"] = json!("");
            out.push(ok("key only (empty mnemonic)", key_only));
            let words: Vec<&str> = phrase.expose().split(' ').collect();
            let mut bad_word = v.clone();
            bad_word["mnemonic"] = json!(format!("{} zzzz", words[..23].join(" ")));
            bad_word.as_object_mut().map(|o| o.remove("recovery_key"));
            out.push(fail("a word not in the English list", "bad_mnemonic", bad_word));
            let mut swapped = words.clone();
            swapped.swap(0, 1);
            if swapped != words {
                let mut bad_sum = v.clone();
                bad_sum["mnemonic"] = json!(swapped.join(" "));
                bad_sum.as_object_mut().map(|o| o.remove("recovery_key"));
                out.push(fail("two words swapped: checksum fails", "bad_mnemonic", bad_sum));
            }
            let mut short = v.clone();
            short["mnemonic"] = json!(words[..12].join(" "));
            short.as_object_mut().map(|o| o.remove("recovery_key"));
            out.push(fail("12 words", "bad_mnemonic", short));
            let mut v2 = v.clone();
            v2["recovery_envelope"]["v"] = json!(2);
            out.push(fail("recovery envelope version 2", "unsupported", v2));
            let mut aad = v.clone();
            aad["recovery_envelope"]["key_version"] = json!(version + 1);
            // A valid recovery key that does not open the envelope: same code as a wrong password.
            out.push(fail("key_version changed (bound in the AAD)", "wrong_password", aad));
        }
    }
    Ok(out)
}

fn subkey_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let mut masters = vec![[0u8; 32], [0xff; 32]];
    for _ in 0..3 {
        masters.push(random_array(rng)?);
    }
    for m in masters {
        let s = Subkeys::derive(&MasterSecret::from_bytes(m))?;
        out.push(ok(
            "",
            json!({"master_key": b64(&m), "data_key": b64(s.data.expose()), "search_key": b64(s.search.expose()),
            "id_key": b64(s.id.expose()), "keyring_key": b64(s.keyring.expose())}),
        ));
    }
    Ok(out)
}

fn keyring_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let mut olds: Vec<MasterKey> = Vec::new();
    for version in 1..=4u32 {
        let current = master(rng, version)?;
        let kk = Subkeys::derive(&current.secret)?.keyring;
        let mut entries = Vec::new();
        for old in &olds {
            let nonce: [u8; 24] = random_array(rng)?;
            entries.push(seal_entry_with(&kk, &current.key_id, version, old, &nonce)?);
        }
        let opened: Vec<Value> =
            olds.iter().map(|o| json!({"key_id": o.key_id.to_hex(), "master_key": b64(o.secret.expose())})).collect();
        let v = json!({"master_key": b64(current.secret.expose()), "key_id": current.key_id.to_hex(), "key_version": version,
            "entries": serde_json::to_value(&entries).unwrap_or_default(), "opened": opened});
        out.push(ok(&format!("version {version} with {} older keys", olds.len()), v.clone()));
        if version == 3 {
            let mut tampered = v.clone();
            tampered["entries"][1]["nonce"] = json!(b64(&[0u8; 24]));
            out.push(fail("an entry's nonce replaced", "tampered", tampered));
            let mut other_version = v.clone();
            other_version["key_version"] = json!(4);
            out.push(fail("entries sealed for version 3, opened as version 4", "tampered", other_version));
            let mut other_id = v.clone();
            other_id["entries"][0]["key_id"] = json!("ab".repeat(16));
            out.push(fail("an entry's key_id changed (bound in the AAD)", "tampered", other_id));
            let mut bad = v.clone();
            bad["entries"][0]["wrapped_key"] = json!("AAAA");
            out.push(fail("wrapped_key of 3 bytes", "malformed", bad));
        }
        olds.insert(0, current);
    }
    Ok(out)
}

fn ctx(blob_type: BlobType, seed: u8) -> BlobContext {
    BlobContext {
        blob_id: BlobId([seed; 16]),
        blob_type,
        device_id: DeviceId::new("6f9619ff-8b86-d011-b42d-00c04fc964ff").unwrap_or_else(|_| unreachable_device()),
        time_start: UnixMillis(1_767_603_600_000),
        time_end: UnixMillis(1_767_603_900_000 + i64::from(seed)),
    }
}

fn unreachable_device() -> DeviceId {
    // The literal above is a valid device id; this branch exists only to avoid a panic path.
    DeviceId::new("device").unwrap_or_else(|_| unreachable_device())
}

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 11) as u8 ^ seed).collect()
}

fn blob_json(data_key: &DataKey, key_id: &KeyId, c: &BlobContext, blob: &[u8], plaintext: Option<&[u8]>) -> Value {
    let mut v = json!({"data_key": b64(data_key.expose()), "key_id": key_id.to_hex(),
        "context": serde_json::to_value(c).unwrap_or_default(), "blob": b64(blob)});
    if let Some(p) = plaintext {
        v["plaintext"] = json!(b64(p));
    }
    v
}

/// Seals a crafted payload under the given flags (see [`super::craft::seal_payload_as_is`]).
fn seal_raw_payload(
    dk: &DataKey,
    key_id: KeyId,
    c: &BlobContext,
    k: u8,
    flags: Flags,
    payload: &[u8],
    rng: &mut SeededRandom,
) -> R<Vec<u8>> {
    super::craft::seal_payload_as_is(dk, key_id, c, k, flags, random_array(rng)?, payload)
}

fn blob_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let dk = DataKey::from_bytes(random_array(rng)?);
    let key_id = KeyId(random_array(rng)?);
    let raw = |k: u8| SealOptions { segment_exp: k, compress: false, pad: false, backend: Backend::Portable };
    let s12 = 4096usize;
    for (comment, len, k, blob_type) in [
        ("empty payload: one empty segment", 0usize, 12u8, BlobType::Frames),
        ("one byte", 1, 12, BlobType::Audio),
        ("S - 1 bytes", s12 - 1, 12, BlobType::Frames),
        ("exactly S bytes: one full final segment", s12, 12, BlobType::Frames),
        ("S + 1 bytes: a 1-byte final segment", s12 + 1, 12, BlobType::Audio),
        ("exactly 2S bytes: two segments, no empty third", 2 * s12, 12, BlobType::Frames),
        ("default 64 KiB segments", 70_000, 16, BlobType::Audio),
        ("largest exponent, 16 MiB segments", 100, 24, BlobType::Frames),
    ] {
        let c = ctx(blob_type, len as u8);
        let p = payload(len, 3);
        let blob = seal_blob(&dk, key_id, &c, &p, &raw(k), rng)?;
        out.push(ok(comment, blob_json(&dk, &key_id, &c, &blob, Some(&p))));
    }
    let text = "09:00 Slack #general: deploy at noon. 東京 meeting. ".repeat(200);
    let c = ctx(BlobType::Text, 40);
    let blob = seal_blob(
        &dk,
        key_id,
        &c,
        text.as_bytes(),
        &SealOptions { backend: Backend::Portable, ..SealOptions::for_type(BlobType::Text) },
        rng,
    )?;
    out.push(ok("text: zstd frame, padded", blob_json(&dk, &key_id, &c, &blob, Some(text.as_bytes()))));
    let c = ctx(BlobType::Text, 41);
    let opts = SealOptions { segment_exp: 12, compress: false, pad: true, backend: Backend::Portable };
    let p = payload(5000, 9);
    let blob = seal_blob(&dk, key_id, &c, &p, &opts, rng)?;
    out.push(ok(
        "text: padded, not compressed, padding spills into a second segment",
        blob_json(&dk, &key_id, &c, &blob, Some(&p)),
    ));
    let c = ctx(BlobType::Frames, 42);
    let opts = SealOptions { segment_exp: 12, compress: true, pad: false, backend: Backend::Portable };
    let p = payload(9000, 1);
    let blob = seal_blob(&dk, key_id, &c, &p, &opts, rng)?;
    out.push(ok("media with a zstd frame, not padded", blob_json(&dk, &key_id, &c, &blob, Some(&p))));

    // Must-fail cases from one three-segment blob.
    let c = ctx(BlobType::Frames, 50);
    let p = payload(2 * s12 + 100, 5);
    let good = seal_blob(&dk, key_id, &c, &p, &raw(12), rng)?;
    let chunk = s12 + 16;
    let v = |blob: &[u8]| blob_json(&dk, &key_id, &c, blob, None);
    let flip = |at: usize| {
        let mut b = good.clone();
        b[at] ^= 0x01;
        b
    };
    out.push(fail("bit flip in the first segment", "tampered", v(&flip(88 + 10))));
    out.push(fail("bit flip in a tag", "tampered", v(&flip(88 + chunk - 1))));
    out.push(fail("bit flip in the final segment", "tampered", v(&flip(good.len() - 20))));
    out.push(fail("bit flip in the salt", "wrong_key_or_context", v(&flip(30))));
    out.push(fail("bit flip in the commitment", "wrong_key_or_context", v(&flip(60))));
    out.push(fail(
        "flags changed to padded (bound in the key)",
        "wrong_key_or_context",
        v(&{
            let mut b = good.clone();
            b[7] = 2;
            b
        }),
    ));
    out.push(fail(
        "segment exponent changed to 13 (bound in the key)",
        "wrong_key_or_context",
        v(&{
            let mut b = good.clone();
            b[6] = 13;
            b
        }),
    ));
    out.push(fail("key_id of another key", "unknown_key", v(&flip(8))));
    out.push(fail("bad magic", "malformed", v(&flip(0))));
    out.push(fail(
        "format version 2",
        "unsupported",
        v(&{
            let mut b = good.clone();
            b[4] = 2;
            b
        }),
    ));
    out.push(fail(
        "algorithm 2",
        "unsupported",
        v(&{
            let mut b = good.clone();
            b[5] = 2;
            b
        }),
    ));
    out.push(fail(
        "segment exponent 11",
        "malformed",
        v(&{
            let mut b = good.clone();
            b[6] = 11;
            b
        }),
    ));
    out.push(fail(
        "segment exponent 25",
        "malformed",
        v(&{
            let mut b = good.clone();
            b[6] = 25;
            b
        }),
    ));
    out.push(fail(
        "unknown flag bit 2",
        "malformed",
        v(&{
            let mut b = good.clone();
            b[7] = 4;
            b
        }),
    ));
    out.push(fail("short header (87 bytes)", "malformed", v(&good[..87])));
    out.push(fail("empty blob", "malformed", v(&[])));
    out.push(fail("header only", "truncated", v(&good[..88])));
    out.push(fail("final chunk of 15 bytes", "truncated", v(&good[..88 + chunk + 15])));
    out.push(fail("cut after the first segment", "truncated", v(&good[..88 + chunk])));
    out.push(fail("cut after the second segment", "truncated", v(&good[..88 + 2 * chunk])));
    out.push(fail("cut inside the final segment", "tampered", v(&good[..good.len() - 1])));
    out.push(fail("cut inside a middle segment (16 bytes or more left)", "tampered", v(&good[..88 + chunk + 100])));
    out.push(fail("one byte appended", "tampered", v(&[&good[..], &[0]].concat())));
    out.push(fail(
        "a copy of the final segment appended",
        "tampered",
        v(&[&good[..], &good[88 + 2 * chunk..]].concat()),
    ));
    let mut swapped = good.clone();
    swapped[88..88 + chunk].copy_from_slice(&good[88 + chunk..88 + 2 * chunk]);
    swapped[88 + chunk..88 + 2 * chunk].copy_from_slice(&good[88..88 + chunk]);
    out.push(fail("segments 0 and 1 swapped", "tampered", v(&swapped)));
    let mut dropped = good[..88 + chunk].to_vec();
    dropped.extend_from_slice(&good[88 + 2 * chunk..]);
    out.push(fail("segment 1 removed", "tampered", v(&dropped)));
    let mut wrong_ctx = v(&good);
    wrong_ctx["context"]["device_id"] = json!("another-device");
    out.push(fail("moved to another device", "wrong_key_or_context", wrong_ctx));
    let mut wrong_type = v(&good);
    wrong_type["context"]["blob_type"] = json!("audio");
    out.push(fail("moved to another type", "wrong_key_or_context", wrong_type));
    let mut wrong_time = v(&good);
    wrong_time["context"]["time_end"] = json!("2026-01-05T09:05:00.051Z");
    out.push(fail("moved to another time range", "wrong_key_or_context", wrong_time));
    let mut wrong_id = v(&good);
    wrong_id["context"]["blob_id"] = json!("33".repeat(16));
    out.push(fail("served under another blob id", "wrong_key_or_context", wrong_id));
    let mut other_key = v(&good);
    other_key["data_key"] = json!(b64(&[0x5a; 32]));
    out.push(fail("another data key with the same id", "wrong_key_or_context", other_key));

    // An empty final segment after segment 0.
    let full = payload(s12, 2);
    let blob = super::craft::seal_segments(
        &dk,
        key_id,
        &c,
        12,
        Flags::default(),
        random_array(rng)?,
        &[(&full, false), (&[], true)],
    )?;
    out.push(fail("an empty final segment after segment 0", "malformed", v(&blob)));

    // Payload layers that break the rules (the crypto around them is valid).
    let zc = ctx(BlobType::Frames, 60);
    let zv = |blob: &[u8]| blob_json(&dk, &key_id, &zc, blob, None);
    let zflags = Flags { zstd: true, padded: false };
    let frame = crate::blob::zstd::compress(b"hello zstd hello zstd")?;
    let mut two = frame.clone();
    two.extend_from_slice(&frame);
    out.push(fail("two zstd frames", "malformed", zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &two, rng)?)));
    let mut trailing = frame.clone();
    trailing.push(0);
    out.push(fail(
        "a byte after the zstd frame",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &trailing, rng)?),
    ));
    let mut skippable = vec![0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0];
    skippable.extend_from_slice(&frame);
    out.push(fail(
        "a skippable frame first",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &skippable, rng)?),
    ));
    let no_fcs = ruzstd_raw(b"abc");
    out.push(fail(
        "zstd frame without Frame_Content_Size",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &no_fcs, rng)?),
    ));
    let mut big_window = frame.clone();
    big_window[5] = 14 << 3; // 16 MiB
    out.push(fail(
        "zstd window of 16 MiB",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &big_window, rng)?),
    ));
    let mut dict = frame.clone();
    dict[4] |= 1;
    dict.insert(6, 7);
    out.push(fail(
        "zstd frame naming a dictionary",
        "malformed",
        zv(&seal_raw_payload(&dk, key_id, &zc, 12, zflags, &dict, rng)?),
    ));
    let tc = ctx(BlobType::Text, 61);
    let mut huge = frame.clone();
    huge[4] = (huge[4] & 0x3f) | (3 << 6);
    huge.splice(6..10, ((1u64 << 28) + 1).to_le_bytes());
    let padded = crate::blob::padding::pad(&huge)?;
    let huge_blob = seal_raw_payload(&dk, key_id, &tc, 12, Flags { zstd: true, padded: true }, &padded, rng)?;
    out.push(fail(
        "text zstd frame declaring 2^28 + 1 bytes",
        "malformed",
        blob_json(&dk, &key_id, &tc, &huge_blob, None),
    ));
    let not_zstd = seal_raw_payload(&dk, key_id, &zc, 12, zflags, b"plain bytes, not a frame", rng)?;
    out.push(fail("flagged zstd but not a zstd frame", "malformed", zv(&not_zstd)));
    let pc = ctx(BlobType::Audio, 62);
    let pflags = Flags { zstd: false, padded: true };
    let pv = |blob: &[u8]| blob_json(&dk, &key_id, &pc, blob, None);
    let mut bad_pad = crate::blob::padding::pad(&payload(100, 1))?;
    bad_pad.push(0);
    out.push(fail(
        "one zero of padding too many",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &bad_pad, rng)?),
    ));
    let short_pad = crate::blob::padding::pad(&payload(100, 1))?;
    out.push(fail(
        "one zero of padding short",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &short_pad[..short_pad.len() - 1], rng)?),
    ));
    let mut no_marker = payload(104, 1);
    no_marker.iter_mut().for_each(|b| {
        if *b == 0 {
            *b = 1
        }
    });
    out.push(fail(
        "padded flag but no 0x80 marker",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &no_marker, rng)?),
    ));
    out.push(fail(
        "padded flag, empty payload",
        "malformed",
        pv(&seal_raw_payload(&dk, key_id, &pc, 12, pflags, &[], rng)?),
    ));
    let good_pad = crate::blob::padding::pad(&payload(100, 1))?;
    let ok_blob = seal_raw_payload(&dk, key_id, &pc, 12, pflags, &good_pad, rng)?;
    out.push(ok(
        "hand-padded payload (the reference for the two padding cases above)",
        blob_json(&dk, &key_id, &pc, &ok_blob, Some(&payload(100, 1))),
    ));
    Ok(out)
}

/// A zstd frame as ruzstd writes it (no Frame_Content_Size).
fn ruzstd_raw(data: &[u8]) -> Vec<u8> {
    // Rewrite our own frame back to "no content size": descriptor 0x04 (checksum only), window
    // descriptor kept, content size field removed.
    let framed = crate::blob::zstd::compress(data).unwrap_or_default();
    let mut out = framed[..4].to_vec();
    out.push(framed[4] & 0x04);
    out.push(framed[5]);
    out.extend_from_slice(&framed[10..]);
    out
}

fn token_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let key: [u8; 32] = random_array(rng)?;
    let tk = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes(key))?;
    for (field, bucket, term) in [
        (Field::Text, "2026-01", "hello"),
        (Field::Text, "2026-02", "hello"),
        (Field::App, "2026-01", "hello"),
        (Field::App, "2026-01", "google chrome"),
        (Field::Text, "1999-12", "東京"),
        (Field::Text, "2026-01", "οδος"),
        (Field::Text, "2026-01", "e"),
        (Field::Text, "2026-01", ""),
    ] {
        out.push(ok(
            "",
            json!({"search_key": b64(&key), "field": field.as_str(), "bucket": bucket, "term": term,
            "token": tk.token(field, bucket, term).as_str()}),
        ));
    }
    let zero = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes([0; 32]))?;
    out.push(ok(
        "all-zero key",
        json!({"search_key": b64(&[0; 32]), "field": "text", "bucket": "2026-11", "term": "screenpipe",
        "token": zero.token(Field::Text, "2026-11", "screenpipe").as_str()}),
    ));
    Ok(out)
}

fn terms_vectors() -> Vec<Value> {
    let texts = [
        ("Latin words, repeats dropped, single letters dropped", "Hello, World! hello again: a I 42 x1"),
        (
            "apostrophes and dots inside words (UAX #29 MidLetter/MidNum)",
            "can't won't e.g. 3.14 1,000 user@example.com",
        ),
        ("URL", "https://github.com/mediar-ai/screenpipe?tab=readme#install"),
        ("Final_Sigma", "ΟΔΟΣ ΟΔΟΣ."),
        ("NFKC: ligature and fullwidth", "ﬁle ＡＢＣ①"),
        ("full lowercase: U+0130 becomes two code points", "İstanbul"),
        ("German sharp s and capital", "STRASSE Straße ẞ"),
        ("Han run: bigrams", "東京都庁"),
        ("a Han run of one code point", "東 x"),
        ("Hiragana run", "こんにちは"),
        ("Thai run (script Thai, vowel signs included)", "สวัสดีครับ"),
        ("Katakana is a UAX #29 word, not bigrams", "カタカナ"),
        ("mixed scripts, text order", "Meeting 東京 at 10am カタカナ ok こんにちは"),
        ("Korean Hangul is a word", "안녕하세요 세계"),
        ("emoji and symbols are not words", "🔥🔥 -- ... $$ ++ ok"),
        (
            "longest word (64 bytes) kept, 65 dropped",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        ),
        (
            "two-byte letters: 32 kept (64 bytes), 33 dropped",
            "éééééééééééééééééééééééééééééééé êêêêêêêêêêêêêêêêêêêêêêêêêêêêêêêêê",
        ),
        ("numbers are words", "2026 15:30 v1.2.3"),
        ("underscores join words (ExtendNumLet)", "snake_case_name __init__"),
        ("empty text", ""),
        ("white space only", " \t\n "),
        ("combining marks stay with their letter", "cafe\u{301} naïve"),
        ("Arabic", "مرحبا بالعالم"),
        ("Cyrillic", "Привет МИР"),
    ];
    texts.iter().map(|(comment, text)| ok(comment, json!({"text": text, "terms": terms(text)}))).collect()
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
        document("kdf", kdf_vectors(&mut rng).map_err(e)?)?,
        document("envelope", envelope_vectors(&mut rng).map_err(e)?)?,
        document("recovery", recovery_vectors(&mut rng).map_err(e)?)?,
        document("subkeys", subkey_vectors(&mut rng).map_err(e)?)?,
        document("keyring", keyring_vectors(&mut rng).map_err(e)?)?,
        document("blob", blob_vectors(&mut rng).map_err(e)?)?,
        document("token", token_vectors(&mut rng).map_err(e)?)?,
        document("terms", terms_vectors())?,
    ])
}
