//! Honest runs, a wrong code, refusal, expiry and API misuse.

use super::*;

#[test]
fn a_full_run_hands_the_payload_over() {
    let mut p = pair(CODE, CODE, 1);
    assert_eq!(p.initiator.stage(), InitiatorStage::AwaitingJoiner);
    assert_eq!(p.joiner.stage(), JoinerStage::AwaitingInitiator);
    let (m2, m3) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    assert_eq!(p.joiner.stage(), JoinerStage::AwaitingConfirmation);
    assert_eq!([m2.seq(), m3.seq()], [2, 3]);
    let m4 = p.initiator.receive(m2.as_bytes(), T0).unwrap().unwrap();
    assert_eq!((m4.seq(), m4.role(), m4.kind()), (4, Role::Initiator, MessageKind::Confirm));
    // Not authenticated yet: nothing to show, nothing to approve.
    assert_eq!(p.initiator.stage(), InitiatorStage::AwaitingConfirmation);
    assert!(p.initiator.joiner_device().is_none());
    assert!(p.initiator.receive(m3.as_bytes(), T0).unwrap().is_none());
    assert_eq!(p.initiator.stage(), InitiatorStage::AwaitingApproval);
    assert_eq!(p.initiator.joiner_device(), Some(&device()));
    assert!(matches!(p.joiner.receive(m4.as_bytes(), T0).unwrap(), JoinerEvent::Confirmed));
    assert_eq!(p.joiner.stage(), JoinerStage::AwaitingKeys);
    let m5 = p.initiator.approve(PAYLOAD, &mut p.rng, T0).unwrap();
    assert_eq!((m5.seq(), m5.kind()), (5, MessageKind::Keys));
    assert_eq!(p.initiator.stage(), InitiatorStage::Ended);
    let JoinerEvent::Keys(payload) = p.joiner.receive(m5.as_bytes(), T0).unwrap() else { panic!("no keys") };
    assert_eq!(payload.expose(), PAYLOAD);
    assert_eq!(p.joiner.stage(), JoinerStage::Ended);
    // Both sessions are over.
    assert_eq!(code_of(p.joiner.receive(m5.as_bytes(), T0)), "invalid_state");
    assert_eq!(code_of(p.initiator.approve(PAYLOAD, &mut p.rng, T0)), "invalid_state");
    assert_eq!(code_of(p.initiator.receive(m3.as_bytes(), T0)), "invalid_state");
}

#[test]
fn messages_have_the_shape_of_the_spec() {
    let mut p = pair(CODE, CODE, 2);
    let (m2, m3, m4) = to_approval(&mut p);
    let m5 = p.initiator.approve(PAYLOAD, &mut p.rng, T0).unwrap();
    let prefix = |seq: u32, role: &str, kind: &str| {
        format!("{{\"v\":1,\"mailbox\":4821,\"seq\":{seq},\"role\":\"{role}\",\"kind\":\"{kind}\",")
    };
    assert!(p.m1.as_str().starts_with(&(prefix(1, "initiator", "pake") + "\"pake\":\"Q")));
    assert!(m2.as_str().starts_with(&(prefix(2, "joiner", "pake") + "\"pake\":\"Q")));
    assert!(m2.as_str().ends_with(",\"device\":{\"name\":\"Pixel 9\",\"os\":\"Android 16\"}}"));
    assert!(m3.as_str().starts_with(&(prefix(3, "joiner", "confirm") + "\"mac\":\"")));
    assert!(m4.as_str().starts_with(&(prefix(4, "initiator", "confirm") + "\"mac\":\"")));
    assert!(m5.as_str().starts_with(&(prefix(5, "initiator", "keys") + "\"nonce\":\"")));
    assert!(m5.as_str().contains("\",\"sealed\":\""));
    // pake: 33 bytes (44 base64url characters), mac 32 (43), nonce 24 (32); sealed = payload + 16.
    let field = |m: &PairingMessage, name: &str| -> usize {
        let v: serde_json::Value = serde_json::from_str(m.as_str()).unwrap();
        crate::encoding::base64url::decode(v[name].as_str().unwrap()).unwrap().len()
    };
    assert_eq!((field(&p.m1, "pake"), field(&m2, "pake"), field(&m3, "mac")), (33, 33, 32));
    assert_eq!((field(&m5, "nonce"), field(&m5, "sealed")), (24, PAYLOAD.len() + 16));
    // The payload does not appear in clear.
    assert!(!m5.as_str().contains("keyring"));
}

#[test]
fn a_wrong_code_fails_both_sides_and_nothing_sealed_leaves() {
    let mut p = pair(CODE, "4821-ocean-velvet-ticket", 3);
    let (m2, m3) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    let m4 = p.initiator.receive(m2.as_bytes(), T0).unwrap().unwrap();
    assert_eq!(code_of(p.initiator.receive(m3.as_bytes(), T0)), "pairing_failed");
    assert_eq!(p.initiator.stage(), InitiatorStage::Ended);
    assert!(p.initiator.joiner_device().is_none());
    assert_eq!(code_of(p.initiator.approve(PAYLOAD, &mut p.rng, T0)), "invalid_state");
    assert_eq!(code_of(p.initiator.deny(T0)), "invalid_state");
    assert_eq!(code_of(p.joiner.receive(m4.as_bytes(), T0)), "pairing_failed");
    assert_eq!(p.joiner.stage(), JoinerStage::Ended);
}

#[test]
fn every_word_and_the_mailbox_count() {
    for typed in ["4821-kitten-velvet-tiger", "4821-ocean-kitten-tiger", "4821-tiger-velvet-ocean"] {
        let mut p = pair(CODE, typed, 4);
        let (m2, m3) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
        p.initiator.receive(m2.as_bytes(), T0).unwrap();
        assert_eq!(code_of(p.initiator.receive(m3.as_bytes(), T0)), "pairing_failed", "{typed}");
    }
    // Another mailbox number: the joiner is on another mailbox, so message 1 is not for it.
    let mut p = pair(CODE, "4822-ocean-velvet-tiger", 4);
    assert_eq!(code_of(p.joiner.receive(p.m1.as_bytes(), T0)), "pairing_foreign");
}

#[test]
fn a_refusal_reaches_the_joiner_authenticated() {
    let mut p = pair(CODE, CODE, 5);
    let (_, _, m4) = to_approval(&mut p);
    p.joiner.receive(m4.as_bytes(), T0).unwrap();
    let m5 = p.initiator.deny(T0).unwrap();
    assert_eq!((m5.seq(), m5.kind()), (5, MessageKind::Deny));
    assert_eq!(p.initiator.stage(), InitiatorStage::Ended);
    assert_eq!(code_of(p.joiner.receive(m5.as_bytes(), T0)), "pairing_denied");
    assert_eq!(p.joiner.stage(), JoinerStage::Ended);
}

#[test]
fn sessions_expire_after_ten_minutes_on_each_side() {
    let deadline = UnixMillis(T0.0 + SESSION_TTL_MS);
    let late = UnixMillis(deadline.0 + 1);
    // The initiator, at every step.
    let mut p = pair(CODE, CODE, 6);
    let (m2, m3) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    assert_eq!(code_of(p.initiator.receive(m2.as_bytes(), late)), "pairing_expired");
    assert_eq!(code_of(p.initiator.receive(m2.as_bytes(), T0)), "invalid_state");
    let mut p = pair(CODE, CODE, 6);
    let (m2, m3b) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    assert_eq!(m3.as_str(), m3b.as_str(), "same seed, same messages");
    p.initiator.receive(m2.as_bytes(), deadline).unwrap();
    p.initiator.receive(m3b.as_bytes(), deadline).unwrap();
    assert_eq!(code_of(p.initiator.approve(PAYLOAD, &mut p.rng, late)), "pairing_expired");
    assert_eq!(p.initiator.stage(), InitiatorStage::Ended);
    // The joiner.
    let mut p = pair(CODE, CODE, 7);
    assert_eq!(code_of(p.joiner.receive(p.m1.as_bytes(), late)), "pairing_expired");
    let mut p = pair(CODE, CODE, 7);
    let (_, _, m4) = to_approval(&mut p);
    p.joiner.receive(m4.as_bytes(), T0).unwrap();
    let m5 = p.initiator.approve(PAYLOAD, &mut p.rng, deadline).unwrap();
    assert_eq!(code_of(p.joiner.receive(m5.as_bytes(), late)), "pairing_expired");
}

#[test]
fn payload_bounds() {
    for (len, ok) in [(0, false), (1, true), (MAX_PAYLOAD_LEN, true), (MAX_PAYLOAD_LEN + 1, false)] {
        let mut p = pair(CODE, CODE, 8);
        let (_, _, m4) = to_approval(&mut p);
        p.joiner.receive(m4.as_bytes(), T0).unwrap();
        let payload = vec![0xa5; len];
        match p.initiator.approve(&payload, &mut p.rng, T0) {
            Ok(m5) => {
                assert!(ok, "{len}");
                assert!(m5.as_bytes().len() <= MAX_MESSAGE_LEN);
                let JoinerEvent::Keys(got) = p.joiner.receive(m5.as_bytes(), T0).unwrap() else { panic!() };
                assert_eq!(got.expose(), payload.as_slice());
            }
            Err(e) => {
                assert!(!ok, "{len}");
                assert_eq!(e.code(), "invalid_input");
                assert_eq!(p.initiator.stage(), InitiatorStage::Ended);
            }
        }
    }
}

#[test]
fn operations_out_of_turn_are_invalid_state_and_end_the_session() {
    let mut p = pair(CODE, CODE, 9);
    assert_eq!(code_of(p.initiator.approve(PAYLOAD, &mut p.rng, T0)), "invalid_state");
    let (m2, _) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    assert_eq!(code_of(p.initiator.receive(m2.as_bytes(), T0)), "invalid_state");
    // Approving after message 2 but before the joiner's confirmation.
    let mut p = pair(CODE, CODE, 9);
    let (m2, m3) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    p.initiator.receive(m2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(p.initiator.deny(T0)), "invalid_state");
    assert_eq!(code_of(p.initiator.receive(m3.as_bytes(), T0)), "invalid_state");
}

#[test]
fn randomness_failure_is_reported() {
    struct Broken;
    impl crate::RandomSource for Broken {
        fn fill(&mut self, _: &mut [u8]) -> crate::Result<()> {
            Err(crate::Error::Random)
        }
    }
    assert_eq!(code_of(PairingCode::make(1, &mut Broken)), "random_failure");
    let code = PairingCode::parse(CODE).unwrap();
    assert_eq!(code_of(Initiator::make(&code, &mut Broken, T0)), "random_failure");
    assert_eq!(code_of(Joiner::make(&code, device(), &mut Broken, T0)), "random_failure");
    let mut p = pair(CODE, CODE, 10);
    to_approval(&mut p);
    assert_eq!(code_of(p.initiator.approve(PAYLOAD, &mut Broken, T0)), "random_failure");
}
