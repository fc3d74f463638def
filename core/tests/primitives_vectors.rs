//! The public vectors (RFC 9106 / libargon2 and Project Wycheproof) through the primitives
//! exactly as the core uses them: every ChaCha20-Poly1305 backend built (OpenSSL with the
//! `openssl-aead` feature, `ring`, RustCrypto), XChaCha20-Poly1305, HKDF,
//! HMAC, Argon2id. Copies of `../shared/vectors/` live in `tests/vectors/external/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use serde_json::Value;
use sync_core::hazmat::segment_aead::{Backend, SegmentAead};
use sync_core::hazmat::{argon2id::argon2id, hkdf, xchacha};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/external").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Iterates `(group, test)` pairs of a Wycheproof file.
fn tests(file: &Value) -> Vec<(&Value, &Value)> {
    file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter().map(move |t| (g, t)))
        .collect()
}

#[test]
fn chacha20_poly1305_every_backend() {
    let file = load("wycheproof/chacha20_poly1305_test.json");
    let mut checked = 0;
    let mut unrepresentable = 0;
    for (group, t) in tests(&file) {
        let valid = t["result"] == "valid";
        let (key, iv, aad, msg, ct, tag) =
            (hex(&t["key"]), hex(&t["iv"]), hex(&t["aad"]), hex(&t["msg"]), hex(&t["ct"]), hex(&t["tag"]));
        if key.len() != 32 || iv.len() != 12 || tag.len() != 16 {
            // The format only ever uses 32-byte keys, 12-byte nonces and 16-byte tags; our types
            // cannot express anything else. Such cases must all be invalid ones.
            assert!(!valid, "tcId {} group {}: a valid case we cannot express", t["tcId"], group["ivSize"]);
            unrepresentable += 1;
            continue;
        }
        let key: [u8; 32] = key.try_into().unwrap();
        let iv: [u8; 12] = iv.try_into().unwrap();
        let tag: [u8; 16] = tag.try_into().unwrap();
        for backend in [Backend::Native, Backend::Ring, Backend::Portable] {
            // One keyed instance for every step: a failed open must not disturb the next call.
            let mut aead = SegmentAead::new(&key, backend).unwrap();
            let mut wrong_tag = tag;
            wrong_tag[0] ^= 0x80;
            if valid {
                let mut buf = ct.clone();
                assert!(
                    !aead.open_with_aad(&iv, &aad, &mut buf, &wrong_tag),
                    "tcId {} {}",
                    t["tcId"],
                    aead.implementation()
                );
                // A failed open leaves no plaintext: the ciphertext, or zeros.
                assert!(buf == ct || buf.iter().all(|&b| b == 0), "tcId {} {}", t["tcId"], aead.implementation());
            }
            let mut buf = ct.clone();
            let opened = aead.open_with_aad(&iv, &aad, &mut buf, &tag);
            assert_eq!(opened, valid, "tcId {} {}", t["tcId"], aead.implementation());
            if valid {
                assert_eq!(buf, msg, "tcId {}", t["tcId"]);
                let mut sealed = msg.clone();
                let new_tag = aead.seal_with_aad(&iv, &aad, &mut sealed).unwrap();
                assert_eq!(sealed, ct, "tcId {} {}", t["tcId"], aead.implementation());
                assert_eq!(new_tag, tag);
                let mut again = ct.clone();
                assert!(aead.open_with_aad(&iv, &aad, &mut again, &tag) && again == msg);
            }
        }
        checked += 1;
    }
    assert!(checked > 250, "only {checked} cases checked");
    assert!(unrepresentable < 100);
}

#[test]
fn each_backend_is_the_implementation_it_names() {
    let native = SegmentAead::new(&[1; 32], Backend::Native).unwrap();
    let expected = if cfg!(feature = "openssl-aead") { "openssl" } else { "ring" };
    assert_eq!(native.implementation(), expected);
    assert_eq!(native.backend(), if expected == "ring" { Backend::Ring } else { Backend::Native });
    assert_eq!(SegmentAead::new(&[1; 32], Backend::Ring).unwrap().implementation(), "ring");
    assert_eq!(SegmentAead::new(&[1; 32], Backend::Portable).unwrap().implementation(), "rustcrypto");
}

#[test]
fn xchacha20_poly1305() {
    let file = load("wycheproof/xchacha20_poly1305_test.json");
    let mut checked = 0;
    for (_, t) in tests(&file) {
        let valid = t["result"] == "valid";
        let (key, iv, aad, msg, ct, tag) =
            (hex(&t["key"]), hex(&t["iv"]), hex(&t["aad"]), hex(&t["msg"]), hex(&t["ct"]), hex(&t["tag"]));
        if key.len() != 32 || iv.len() != 24 || tag.len() != 16 {
            assert!(!valid, "tcId {}: a valid case we cannot express", t["tcId"]);
            continue;
        }
        let key: [u8; 32] = key.try_into().unwrap();
        let iv: [u8; 24] = iv.try_into().unwrap();
        let mut sealed_input = ct.clone();
        sealed_input.extend_from_slice(&tag);
        let opened = xchacha::open(&key, &iv, &sealed_input, &aad);
        assert_eq!(opened.is_some(), valid, "tcId {}", t["tcId"]);
        if valid {
            assert_eq!(opened.unwrap().as_slice(), &msg[..]);
            assert_eq!(xchacha::seal(&key, &iv, &msg, &aad).unwrap(), sealed_input);
        }
        checked += 1;
    }
    assert!(checked > 250);
}

#[test]
fn hkdf_sha256() {
    let file = load("wycheproof/hkdf_sha256_test.json");
    let mut checked = 0;
    for (_, t) in tests(&file) {
        let (ikm, salt, info, okm) = (hex(&t["ikm"]), hex(&t["salt"]), hex(&t["info"]), hex(&t["okm"]));
        let size = t["size"].as_u64().unwrap() as usize;
        let mut out = vec![0u8; size];
        // An empty salt is the same as no salt (RFC 5869: HashLen zeros); the format uses both.
        let result = hkdf::hkdf_sha256_into(&ikm, Some(&salt), &info, &mut out);
        match t["result"].as_str().unwrap() {
            "valid" => {
                result.unwrap();
                assert_eq!(out, okm, "tcId {}", t["tcId"]);
                if salt.is_empty() {
                    let mut none = vec![0u8; size];
                    hkdf::hkdf_sha256_into(&ikm, None, &info, &mut none).unwrap();
                    assert_eq!(none, okm);
                }
            }
            _ => assert!(result.is_err() || out != okm, "tcId {}", t["tcId"]),
        }
        checked += 1;
    }
    assert!(checked > 80);
}

#[test]
fn hmac_sha256() {
    let file = load("wycheproof/hmac_sha256_test.json");
    let mut checked = 0;
    for (group, t) in tests(&file) {
        let (key, msg, tag) = (hex(&t["key"]), hex(&t["msg"]), hex(&t["tag"]));
        let tag_bytes = group["tagSize"].as_u64().unwrap() as usize / 8;
        let mac = hkdf::hmac_sha256(&key, &msg).unwrap();
        let matches = mac[..tag_bytes.min(32)] == tag[..];
        assert_eq!(matches, t["result"] == "valid", "tcId {}", t["tcId"]);
        checked += 1;
    }
    assert!(checked > 150);
}

#[test]
fn argon2id_rfc9106_and_libargon2() {
    let file = load("argon2id.json");
    let cases = file["tests"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for t in cases {
        let tag = hex(&t["tag"]);
        let mut out = vec![0u8; tag.len()];
        let m = t["m_kib"].as_u64().unwrap() as u32;
        let tt = t["t"].as_u64().unwrap() as u32;
        let p = t["p"].as_u64().unwrap() as u32;
        argon2id(&hex(&t["password"]), &hex(&t["salt"]), &hex(&t["secret"]), &hex(&t["ad"]), m, tt, p, &mut out)
            .unwrap();
        assert_eq!(out, tag, "{}", t["comment"]);
    }
}
