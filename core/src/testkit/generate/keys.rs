//! Vectors of the key hierarchy: `kdf`, `envelope`, `recovery`, `subkeys`, `keyring`.

use super::{FAST, R, fail, ok};
use crate::encoding::base64url::encode as b64;
use crate::keys::envelope::seal_envelope_with;
use crate::keys::keyring::seal_entry_with;
use crate::keys::master::{MasterKey, MasterSecret};
use crate::keys::password::{derive_password_key, derive_wrap_key};
use crate::keys::recovery::seal_recovery_envelope_with;
use crate::keys::{KdfParams, RecoveryKey, Subkeys};
use crate::primitives::random::{RandomSource, SeededRandom, random_array};
use serde_json::{Value, json};

pub(super) fn master(rng: &mut SeededRandom, version: u32) -> R<MasterKey> {
    MasterKey::make(version, rng)
}

pub(super) fn kdf_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
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

pub(super) fn envelope_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
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

pub(super) fn recovery_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
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

pub(super) fn subkey_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
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

pub(super) fn keyring_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
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
