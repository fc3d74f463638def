//! The wasm SIMD primitives (ChaCha20-Poly1305, Argon2id) against the vectors and the portable implementations.

use super::*;
use serde_json::Value;
use sync_core::hazmat::argon2id::{Backend as Argon2Backend, argon2id_with};
use sync_core::hazmat::segment_aead::{Backend, SegmentAead, TAG_LEN};
use wasm_bindgen_test::wasm_bindgen_test;

// --- the SIMD AEAD -------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn the_wasm_build_uses_simd128() {
    assert!(
        std::hint::black_box(cfg!(target_feature = "simd128")),
        "build with -C target-feature=+simd128 (.cargo/config.toml)"
    );
    let aead = SegmentAead::new(&[0; 32], Backend::Native).unwrap();
    assert_eq!(aead.implementation(), "simd128");
    let info = sync_wasm::build_info().unwrap();
    assert_eq!(get(&info, "segmentAead").as_string().unwrap(), "simd128");
    assert_eq!(get(&info, "argon2").as_string().unwrap(), "simd128");
    assert_eq!(get(&info, "simd128").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn wycheproof_chacha20_poly1305_on_both_wasm_backends() {
    let doc: Value =
        serde_json::from_str(include_str!("../../../tests/vectors/external/wycheproof/chacha20_poly1305_test.json"))
            .unwrap();
    let (mut checked, mut unusable_nonces) = (0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            let id = &t["tcId"];
            let valid = t["result"] == "valid";
            let (key, iv, aad, msg, ct, tag) = (
                hex(t["key"].as_str().unwrap()),
                hex(t["iv"].as_str().unwrap()),
                hex(t["aad"].as_str().unwrap()),
                hex(t["msg"].as_str().unwrap()),
                hex(t["ct"].as_str().unwrap()),
                hex(t["tag"].as_str().unwrap()),
            );
            let Ok(nonce) = <[u8; 12]>::try_from(iv.as_slice()) else {
                // Nonces of other sizes cannot even be passed (the API takes [u8; 12]); Wycheproof
                // lists them as invalid.
                assert!(!valid, "tcId {id}: a valid vector with a {}-byte nonce", iv.len());
                unusable_nonces += 1;
                continue;
            };
            let key: [u8; 32] = key.as_slice().try_into().unwrap();
            for backend in [Backend::Native, Backend::Portable] {
                let mut aead = SegmentAead::new(&key, backend).unwrap();
                let tag16: Option<[u8; TAG_LEN]> = tag.as_slice().try_into().ok();
                let mut buf = ct.clone();
                let opened = tag16.is_some_and(|tag| aead.open_with_aad(&nonce, &aad, &mut buf, &tag));
                assert_eq!(opened, valid, "tcId {id} open, {}", aead.implementation());
                if valid {
                    assert_eq!(buf, msg, "tcId {id} plaintext, {}", aead.implementation());
                    let mut sealed = msg.clone();
                    let out = aead.seal_with_aad(&nonce, &aad, &mut sealed).unwrap();
                    assert_eq!(sealed, ct, "tcId {id} ciphertext, {}", aead.implementation());
                    assert_eq!(out.as_slice(), tag.as_slice(), "tcId {id} tag, {}", aead.implementation());
                } else {
                    assert_eq!(
                        buf,
                        ct,
                        "tcId {id}: a failed open must leave the ciphertext, {}",
                        aead.implementation()
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * 316, "every 96-bit-nonce vector, on both backends");
    assert_eq!(unusable_nonces, 9);
}

#[wasm_bindgen_test]
fn simd128_equals_rustcrypto_on_random_inputs() {
    let seed = 0x5eed_0001_u64;
    let mut rng = Rng(seed);
    let mut lengths: Vec<usize> = (0..=600).collect();
    lengths.extend([1023, 1024, 1025, 4095, 4096, 65_535, 65_536, 65_537, 65_536 + 16, 131_071]);
    lengths.extend((0..40).map(|_| rng.below(200_000)));
    for (case, len) in lengths.into_iter().enumerate() {
        let key: [u8; 32] = rng.bytes(32).try_into().unwrap();
        let nonce: [u8; 12] = rng.bytes(12).try_into().unwrap();
        let aad_len = if case % 3 == 0 { 0 } else { rng.below(100) };
        let aad = rng.bytes(aad_len);
        let msg = rng.bytes(len);
        let mut simd = SegmentAead::new(&key, Backend::Native).unwrap();
        let mut rust = SegmentAead::new(&key, Backend::Portable).unwrap();
        assert_eq!((simd.implementation(), rust.implementation()), ("simd128", "rustcrypto"));
        let mut a = msg.clone();
        let tag_a = simd.seal_with_aad(&nonce, &aad, &mut a).unwrap();
        let mut b = msg.clone();
        let tag_b = rust.seal_with_aad(&nonce, &aad, &mut b).unwrap();
        assert!(a == b && tag_a == tag_b, "seed {seed:#x} case {case} len {len}: seal differs");
        // Each opens the other's output.
        let mut c = a.clone();
        assert!(rust.open_with_aad(&nonce, &aad, &mut c, &tag_a) && c == msg, "case {case}: rustcrypto open");
        let mut d = b.clone();
        assert!(simd.open_with_aad(&nonce, &aad, &mut d, &tag_b) && d == msg, "case {case}: simd128 open");
        // One flipped bit anywhere (ciphertext, tag or AAD) fails on both, leaving the ciphertext.
        if len > 0 {
            let mut e = a.clone();
            let at = rng.below(len);
            e[at] ^= 1 << rng.below(8);
            let flipped = e.clone();
            assert!(!simd.open_with_aad(&nonce, &aad, &mut e, &tag_a), "case {case}: flipped ciphertext opened");
            assert_eq!(e, flipped, "case {case}: a failed open changed the buffer");
            let mut f = flipped.clone();
            assert!(!rust.open_with_aad(&nonce, &aad, &mut f, &tag_a));
        }
        let mut bad_tag = tag_a;
        bad_tag[rng.below(TAG_LEN)] ^= 1 << rng.below(8);
        let mut g = a.clone();
        assert!(!simd.open_with_aad(&nonce, &aad, &mut g, &bad_tag), "case {case}: flipped tag opened");
        assert_eq!(g, a);
        if !aad.is_empty() {
            let mut aad2 = aad.clone();
            aad2[0] ^= 0x80;
            let mut h = a.clone();
            assert!(!simd.open_with_aad(&nonce, &aad2, &mut h, &tag_a), "case {case}: other AAD opened");
        }
    }
}

// --- the SIMD Argon2id ----------------------------------------------------------------------------

#[wasm_bindgen_test]
fn argon2id_vectors_on_both_wasm_backends() {
    // RFC 9106 5.3 (with secret and associated data) and libargon2's outputs, among them the
    // format's default parameters (64 MiB, t = 3, p = 4).
    let doc: Value = serde_json::from_str(include_str!("../../../tests/vectors/external/argon2id.json")).unwrap();
    let tests = doc["tests"].as_array().unwrap();
    assert!(tests[0]["comment"].as_str().unwrap().starts_with("RFC 9106"));
    let mut checked = 0;
    for t in tests {
        let field = |name: &str| hex(t[name].as_str().unwrap());
        let number = |name: &str| u32::try_from(t[name].as_u64().unwrap()).unwrap();
        let tag = field("tag");
        for backend in [Argon2Backend::Native, Argon2Backend::Portable] {
            let mut out = vec![0u8; tag.len()];
            argon2id_with(
                backend,
                &field("password"),
                &field("salt"),
                &field("secret"),
                &field("ad"),
                number("m_kib"),
                number("t"),
                number("p"),
                &mut out,
            )
            .unwrap();
            assert_eq!(out, tag, "{} on {}", t["comment"], backend.implementation());
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 5);
}

#[wasm_bindgen_test]
fn argon2_simd128_equals_rustcrypto_on_random_parameters() {
    assert_eq!(Argon2Backend::Native.implementation(), "simd128");
    assert_eq!(Argon2Backend::Portable.implementation(), "rustcrypto");
    let seed = 0x005e_eda2_u64;
    let mut rng = Rng(seed);
    for case in 0..40 {
        let p = 1 + rng.below(if case % 4 == 0 { 16 } else { 5 }) as u32;
        // From the least memory allowed (8 blocks per lane) to a few hundred KiB, not always a
        // multiple of 4 * p (the remainder is unused).
        let m_kib = 8 * p + rng.below(if case % 5 == 0 { 1200 } else { 100 }) as u32;
        let t = 1 + rng.below(4) as u32;
        let lengths = [rng.below(80), 8 + rng.below(57), 1 + rng.below(32), 1 + rng.below(32)];
        let password = rng.bytes(lengths[0]);
        let salt = rng.bytes(lengths[1]);
        let secret = if case % 3 == 0 { rng.bytes(lengths[2]) } else { Vec::new() };
        let ad = if case % 2 == 0 { rng.bytes(lengths[3]) } else { Vec::new() };
        // Tags of 4 to 64 bytes (one BLAKE2b) and longer (H' chains BLAKE2b-512).
        let out_len = match case % 4 {
            0 => 32,
            1 => 4 + rng.below(61),
            2 => 65 + rng.below(200),
            _ => 1024 + rng.below(3),
        };
        let mut simd = vec![0u8; out_len];
        let mut rust = vec![0u8; out_len];
        let args = (&password[..], &salt[..], &secret[..], &ad[..], m_kib, t, p);
        argon2id_with(Argon2Backend::Native, args.0, args.1, args.2, args.3, m_kib, t, p, &mut simd).unwrap();
        argon2id_with(Argon2Backend::Portable, args.0, args.1, args.2, args.3, m_kib, t, p, &mut rust).unwrap();
        assert_eq!(
            simd,
            rust,
            "seed {seed:#x} case {case}: m_kib {m_kib} t {t} p {p} out {out_len} password {} salt {} secret {} ad {}",
            password.len(),
            salt.len(),
            secret.len(),
            ad.len()
        );
    }
    // What the `argon2` crate refuses, both refuse.
    let refused = |m_kib: u32, t: u32, p: u32, salt_len: usize, out_len: usize, ad_len: usize| {
        let codes: Vec<_> = [Argon2Backend::Native, Argon2Backend::Portable]
            .into_iter()
            .map(|backend| {
                let mut out = vec![0u8; out_len];
                argon2id_with(backend, b"pw", &vec![1; salt_len], &[], &vec![2; ad_len], m_kib, t, p, &mut out)
                    .unwrap_err()
                    .code()
            })
            .collect();
        assert_eq!(codes[0], codes[1], "m_kib {m_kib} t {t} p {p} salt {salt_len} out {out_len} ad {ad_len}");
    };
    refused(15, 1, 2, 16, 32, 0); // m < 8 p
    refused(64, 0, 1, 16, 32, 0); // t = 0
    refused(64, 1, 0, 16, 32, 0); // p = 0
    refused(64, 1, 1, 7, 32, 0); // salt < 8 bytes
    refused(64, 1, 1, 16, 3, 0); // tag < 4 bytes
    refused(64, 1, 1, 16, 32, 33); // associated data > 32 bytes (the crate's limit)
}
