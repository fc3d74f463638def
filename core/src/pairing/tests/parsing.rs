//! The message parser: every rule of docs/FORMAT.md, "Messages", and a property test
//! that no input makes it (or a session) panic or answer with a code outside the expected set.

use proptest::prelude::*;

use super::super::message::parse;
use super::*;

fn parse_code(text: &str) -> &'static str {
    match parse(text.as_bytes()) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// A valid message of each seq, as written.
fn valid_texts() -> Vec<String> {
    let mut p = pair(CODE, CODE, 40);
    let (m2, m3, m4) = to_approval(&mut p);
    let m5 = p.initiator.approve(PAYLOAD, &mut p.rng, T0).unwrap();
    [p.m1, m2, m3, m4, m5].into_iter().map(PairingMessage::into_string).collect()
}

/// The same, as JSON values to alter.
fn valid_messages() -> Vec<serde_json::Value> {
    valid_texts().iter().map(|m| serde_json::from_str(m).unwrap()).collect()
}

#[test]
fn valid_messages_parse() {
    for (text, v) in valid_texts().iter().zip(valid_messages()) {
        assert_eq!(parse_code(text), "ok", "{text}");
        // Another field order is the same message (and another transcript).
        assert_eq!(parse_code(&v.to_string()), "ok", "{v}");
    }
}

#[test]
fn every_deviation_has_its_code() {
    let m = valid_messages();
    let with = |i: usize, f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = m[i].clone();
        f(&mut v);
        v.to_string()
    };
    let m1 = valid_texts().swap_remove(0);
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "malformed"),
        ("[]".into(), "malformed"),
        ("{\"v\":1}".into(), "malformed"),
        (with(0, &|v| v["extra"] = 1.into()), "malformed"),
        (with(0, &|v| v["mac"] = serde_json::Value::Null), "malformed"),
        (with(0, &|v| v["mac"] = m[2]["mac"].clone()), "malformed"),
        (with(1, &|v| v.as_object_mut().unwrap().remove("device").map(|_| ()).unwrap()), "malformed"),
        (with(1, &|v| v["device"]["name"] = "a\u{7}b".into()), "malformed"),
        (with(1, &|v| v["device"]["name"] = "\u{202e}kcatta".into()), "malformed"),
        (with(1, &|v| v["device"]["os"] = "".into()), "malformed"),
        (with(1, &|v| v["device"]["os"] = "x".repeat(129).into()), "malformed"),
        (with(1, &|v| v["device"]["extra"] = 1.into()), "malformed"),
        (with(0, &|v| v["seq"] = 2.into()), "malformed"),
        (with(0, &|v| v["seq"] = 6.into()), "malformed"),
        (with(0, &|v| v["seq"] = (-1).into()), "malformed"),
        (with(0, &|v| v["seq"] = "1".into()), "malformed"),
        (with(0, &|v| v["role"] = "joiner".into()), "malformed"),
        (with(0, &|v| v["role"] = "server".into()), "malformed"),
        (with(0, &|v| v["kind"] = "confirm".into()), "malformed"),
        (with(0, &|v| v["mailbox"] = 0.into()), "malformed"),
        (with(0, &|v| v["mailbox"] = 10_000.into()), "malformed"),
        (with(0, &|v| v["mailbox"] = "4821".into()), "malformed"),
        (with(0, &|v| v["pake"] = "AAAA".into()), "malformed"),
        (with(0, &|v| v["pake"] = format!("{}=", v["pake"].as_str().unwrap()).into()), "malformed"),
        (with(2, &|v| v["mac"] = crate::encoding::base64url::encode(&[0; 31]).into()), "malformed"),
        (with(4, &|v| v["sealed"] = crate::encoding::base64url::encode(&[0; 16]).into()), "malformed"),
        (
            with(4, &|v| v["sealed"] = crate::encoding::base64url::encode(&vec![0; MAX_PAYLOAD_LEN + 17]).into()),
            "too_large",
        ),
        (with(4, &|v| v["kind"] = "deny".into()), "malformed"),
        (with(0, &|v| v["v"] = 2.into()), "unsupported"),
        (with(0, &|v| v["v"] = 0.into()), "unsupported"),
        // A later version with fields this one does not know is still recognized as one.
        (with(0, &|v| v["v"] = 2.into()).replacen('{', "{\"future\":true,", 1), "unsupported"),
        (m1.replacen("\"v\":1,", "\"v\":1,\"v\":1,", 1), "malformed"),
        (m1.replacen("\"v\":1,", "\"v\":2,\"v\":1,", 1), "malformed"),
        (m1.replacen("\"seq\":1,", "\"seq\":1,\"seq\":1,", 1), "malformed"),
        (format!("{m1} {m1}"), "malformed"),
        (format!("{m1}{}", " ".repeat(MAX_MESSAGE_LEN)), "too_large"),
    ];
    for (text, want) in cases {
        assert_ne!(valid_texts().iter().find(|m| **m == text), Some(&text), "a case that changes nothing");
        assert_eq!(parse_code(&text), want, "{}", text.chars().take(200).collect::<String>());
    }
    // White space is allowed by JSON (the transcript then differs, which confirmation catches).
    assert_eq!(parse_code(&serde_json::to_string_pretty(&m[0]).unwrap()), "ok");
    assert_eq!(parse_code("\u{fffd}"), "malformed");
    assert!(matches!(parse(&[0xff, 0xfe]), Err(crate::Error::Malformed(_))));
}

const CODES: [&str; 10] = [
    "malformed",
    "unsupported",
    "too_large",
    "pairing_foreign",
    "pairing_replayed",
    "pairing_out_of_order",
    "pairing_failed",
    "pairing_expired",
    "tampered",
    "invalid_state",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Err(e) = parse(&bytes) {
            prop_assert!(CODES[..3].contains(&e.code()), "{}", e.code());
        }
    }

    #[test]
    fn arbitrary_json_objects_never_panic(
        v in prop_oneof![Just(1u64), any::<u64>()],
        mailbox in prop_oneof![Just(4821u64), any::<u64>()],
        seq in 0u64..8,
        role in prop_oneof![Just("initiator"), Just("joiner"), Just("x")],
        kind in prop_oneof![Just("pake"), Just("confirm"), Just("keys"), Just("deny"), Just("")],
        fields in proptest::collection::btree_map(
            prop_oneof![Just("pake"), Just("mac"), Just("nonce"), Just("sealed"), Just("device"), Just("zz")],
            prop_oneof![
                "[A-Za-z0-9_-]{0,64}".prop_map(serde_json::Value::from),
                Just(serde_json::json!({"name": "n", "os": "o"})),
                any::<i64>().prop_map(serde_json::Value::from),
            ],
            0..4,
        ),
    ) {
        let mut o = serde_json::json!({"v": v, "mailbox": mailbox, "seq": seq, "role": role, "kind": kind});
        for (k, val) in fields {
            o[k] = val;
        }
        let text = o.to_string();
        if let Err(e) = parse(text.as_bytes()) {
            prop_assert!(CODES[..3].contains(&e.code()), "{}", e.code());
        }
        // Fed to a live session, the answer is one of the protocol's codes, never a panic.
        let mut p = pair(CODE, CODE, 41);
        if let Err(e) = p.initiator.receive(text.as_bytes(), T0) {
            prop_assert!(CODES.contains(&e.code()), "{}", e.code());
        }
        if let Err(e) = p.joiner.receive(text.as_bytes(), T0) {
            prop_assert!(CODES.contains(&e.code()), "{}", e.code());
        }
    }

    #[test]
    fn a_mutated_message_is_refused_or_fails_confirmation(index in 0usize..2000, byte in any::<u8>()) {
        // Message 2 with one byte replaced: parse may fail, or the session goes on and the
        // joiner's confirmation fails; it is never accepted as the joiner.
        let mut p = pair(CODE, CODE, 42);
        let (m2, m3) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
        let mut bytes = m2.as_bytes().to_vec();
        let at = index % bytes.len();
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let outcome = p.initiator.receive(&bytes, T0).and_then(|_| p.initiator.receive(m3.as_bytes(), T0));
        let code = outcome.unwrap_err().code();
        prop_assert!(CODES.contains(&code), "{}", code);
        prop_assert!(p.initiator.joiner_device().is_none());
    }
}
