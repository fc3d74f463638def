//! A party in the middle (the relay) that rewrites, swaps, replays, reorders, reflects or
//! injects messages.

use super::*;

/// How a run ended.
#[derive(Debug, PartialEq)]
enum End {
    /// The joiner got this payload.
    Delivered(Vec<u8>),
    /// A side failed: which, and with which code.
    Failed(Role, &'static str),
}

/// Runs an honest pair through a relay that may rewrite any message (by its seq). The
/// initiator approves as soon as it is asked.
fn run_through(seed: u64, mut relay: impl FnMut(u32, String) -> String) -> (End, InitiatorStage) {
    let mut p = pair(CODE, CODE, seed);
    let fail_i = |e: crate::Error| End::Failed(Role::Initiator, e.code());
    let fail_j = |e: crate::Error| End::Failed(Role::Joiner, e.code());
    let end = (|| {
        let m1 = relay(1, p.m1.as_str().to_owned());
        let JoinerEvent::Send(sent) = p.joiner.receive(m1.as_bytes(), T0).map_err(fail_j)? else { panic!() };
        let [m2, m3]: [PairingMessage; 2] = sent.try_into().unwrap();
        let m4 = p.initiator.receive(relay(2, m2.into_string()).as_bytes(), T0).map_err(fail_i)?.unwrap();
        p.initiator.receive(relay(3, m3.into_string()).as_bytes(), T0).map_err(fail_i)?;
        // The device shown for approval is the joiner's, or the run failed before this point.
        assert_eq!(p.initiator.joiner_device(), Some(&device()));
        let m5 = p.initiator.approve(PAYLOAD, &mut p.rng, T0).map_err(fail_i)?;
        p.joiner.receive(relay(4, m4.into_string()).as_bytes(), T0).map_err(fail_j)?;
        match p.joiner.receive(relay(5, m5.into_string()).as_bytes(), T0).map_err(fail_j)? {
            JoinerEvent::Keys(payload) => Ok(End::Delivered(payload.expose().to_vec())),
            other => panic!("{other:?}"),
        }
    })();
    (end.unwrap_or_else(|e| e), p.initiator.stage())
}

/// Replaces the value of a base64url field by the same length of other bytes.
fn rewrite_field(message: &str, field: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(message).unwrap();
    let old = crate::encoding::base64url::decode(v[field].as_str().unwrap()).unwrap();
    let mut new = old.clone();
    let last = new.len() - 1;
    new[last] ^= 0x01;
    v[field] = serde_json::json!(crate::encoding::base64url::encode(&new));
    serde_json::to_string(&v).unwrap()
}

#[test]
fn an_untouched_relay_delivers() {
    assert_eq!(run_through(20, |_, m| m), (End::Delivered(PAYLOAD.to_vec()), InitiatorStage::Ended));
}

#[test]
fn a_rewritten_message_is_detected_and_no_key_reaches_the_attacker() {
    // (seq, field) rewritten, and where the run must stop.
    let cases: [(u32, &str, End); 6] = [
        // An altered pake point no longer matches the transcript or the password: the joiner's
        // confirmation fails on the initiator, before any approval.
        (1, "pake", End::Failed(Role::Initiator, "pairing_failed")),
        (2, "pake", End::Failed(Role::Initiator, "pairing_failed")),
        (3, "mac", End::Failed(Role::Initiator, "pairing_failed")),
        (4, "mac", End::Failed(Role::Joiner, "pairing_failed")),
        (5, "sealed", End::Failed(Role::Joiner, "tampered")),
        (5, "nonce", End::Failed(Role::Joiner, "tampered")),
    ];
    for (target, field, want) in cases {
        let (end, _) = run_through(21, |seq, m| if seq == target { rewrite_field(&m, field) } else { m });
        // A point that no longer decodes is refused as malformed before SPAKE2 runs.
        let malformed_point = matches!(&end, End::Failed(_, "malformed")) && field == "pake";
        assert!(end == want || malformed_point, "seq {target} {field}: {end:?}");
    }
}

#[test]
fn the_device_shown_is_the_one_the_joiner_sent() {
    // The relay renames the joiner: the transcripts differ, so the joiner's confirmation fails
    // and the initiator never shows "Evil laptop" for approval.
    let (end, stage) = run_through(22, |seq, m| if seq == 2 { m.replace("Pixel 9", "Evil laptop") } else { m });
    assert_eq!((end, stage), (End::Failed(Role::Initiator, "pairing_failed"), InitiatorStage::Ended));
    // Same bytes re-encoded (white space, field order): the transcript is over exact bytes.
    for seq_target in [1, 2] {
        let reencode = |m: String| {
            let v: serde_json::Value = serde_json::from_str(&m).unwrap();
            serde_json::to_string_pretty(&v).unwrap()
        };
        let (end, _) = run_through(22, |seq, m| if seq == seq_target { reencode(m) } else { m });
        assert_eq!(end, End::Failed(Role::Initiator, "pairing_failed"), "seq {seq_target}");
    }
}

#[test]
fn a_man_in_the_middle_without_the_code_fails_both_ways() {
    // The relay runs its own joiner against the initiator and its own initiator against the
    // joiner, with a guessed code. Each honest side fails with pairing_failed; nothing is sealed.
    let guess = PairingCode::parse("4821-acid-wolf-table").unwrap();
    let mut rng = SeededRandom::new(23);
    let mut p = pair(CODE, CODE, 24);
    let mut fake_joiner = Joiner::make(&guess, device(), &mut rng, T0).unwrap();
    let (fm2, fm3) = joiner_answers(&mut fake_joiner, p.m1.as_bytes());
    p.initiator.receive(fm2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(p.initiator.receive(fm3.as_bytes(), T0)), "pairing_failed");
    assert_eq!(code_of(p.initiator.approve(PAYLOAD, &mut rng, T0)), "invalid_state");
    let (mut fake_initiator, fm1) = Initiator::make(&guess, &mut rng, T0).unwrap();
    let (m2, _) = joiner_answers(&mut p.joiner, fm1.as_bytes());
    let fm4 = fake_initiator.receive(m2.as_bytes(), T0).unwrap().unwrap();
    assert_eq!(code_of(p.joiner.receive(fm4.as_bytes(), T0)), "pairing_failed");
}

#[test]
fn messages_swapped_between_two_pairings_are_refused() {
    // Two accounts pairing at once on the same mailbox number with different codes.
    let other_code = "4821-coffee-answer-kitten";
    let mut a = pair(CODE, CODE, 25);
    let mut b = pair(other_code, other_code, 26);
    let (a2, a3) = joiner_answers(&mut a.joiner, a.m1.as_bytes());
    let (b2, _) = joiner_answers(&mut b.joiner, b.m1.as_bytes());
    // The relay hands A's initiator B's joiner message 2 and then A's message 3.
    a.initiator.receive(b2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(a.initiator.receive(a3.as_bytes(), T0)), "pairing_failed");
    // Message 1 of another pairing reaches a joiner: its confirmation cannot match.
    let mut c = pair(CODE, CODE, 27);
    let (c2, c3) = joiner_answers(&mut c.joiner, b.m1.as_bytes());
    let mut d = pair(CODE, CODE, 27);
    d.initiator.receive(c2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(d.initiator.receive(c3.as_bytes(), T0)), "pairing_failed");
    // Messages 2 and 3 swapped in order.
    let mut e = pair(CODE, CODE, 28);
    assert_eq!(code_of(e.initiator.receive(a3.as_bytes(), T0)), "pairing_out_of_order");
    let _ = a2;
}

#[test]
fn replays_are_refused_with_their_own_code() {
    let mut p = pair(CODE, CODE, 30);
    let (m2, _) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    assert_eq!(code_of(p.joiner.receive(p.m1.as_bytes(), T0)), "pairing_replayed");
    assert_eq!(code_of(p.joiner.receive(p.m1.as_bytes(), T0)), "invalid_state", "the session ended");
    p.initiator.receive(m2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(p.initiator.receive(m2.as_bytes(), T0)), "pairing_replayed");
    // While awaiting approval, and while awaiting the keys.
    let mut p = pair(CODE, CODE, 31);
    let (m2, m3, m4) = to_approval(&mut p);
    assert_eq!(code_of(p.initiator.receive(m3.as_bytes(), T0)), "pairing_replayed");
    assert_eq!(p.initiator.stage(), InitiatorStage::Ended);
    let _ = m2;
    p.joiner.receive(m4.as_bytes(), T0).unwrap();
    assert_eq!(code_of(p.joiner.receive(m4.as_bytes(), T0)), "pairing_replayed");
}

#[test]
fn reordered_messages_are_refused_with_their_own_code() {
    let mut p = pair(CODE, CODE, 32);
    let (m2, m3, m4) = to_approval(&mut p);
    let m5 = p.initiator.approve(PAYLOAD, &mut p.rng, T0).unwrap();
    // Message 5 before message 4.
    let mut q = pair(CODE, CODE, 32);
    joiner_answers(&mut q.joiner, q.m1.as_bytes());
    assert_eq!(code_of(q.joiner.receive(m5.as_bytes(), T0)), "pairing_out_of_order");
    // Message 4 before message 1.
    let mut q = pair(CODE, CODE, 32);
    assert_eq!(code_of(q.joiner.receive(m4.as_bytes(), T0)), "pairing_out_of_order");
    // Message 3 before message 2.
    let mut q = pair(CODE, CODE, 32);
    assert_eq!(code_of(q.initiator.receive(m3.as_bytes(), T0)), "pairing_out_of_order");
    let _ = m2;
}

#[test]
fn third_parties_and_reflections_are_foreign() {
    // A side's own message reflected back to it.
    let mut p = pair(CODE, CODE, 33);
    assert_eq!(code_of(p.initiator.receive(p.m1.as_bytes(), T0)), "pairing_foreign");
    let mut p = pair(CODE, CODE, 33);
    let (m2, _) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    assert_eq!(code_of(p.joiner.receive(m2.as_bytes(), T0)), "pairing_foreign");
    // A second joiner after the first took the place (different bytes for seq 2).
    let mut p = pair(CODE, CODE, 34);
    let (m2, _) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    let mut second =
        Joiner::make(&PairingCode::parse(CODE).unwrap(), device(), &mut SeededRandom::new(99), T0).unwrap();
    let (other_m2, _) = joiner_answers(&mut second, p.m1.as_bytes());
    p.initiator.receive(m2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(p.initiator.receive(other_m2.as_bytes(), T0)), "pairing_foreign");
    // A message of another mailbox.
    let mut p = pair(CODE, CODE, 35);
    let mut other = pair("17-ocean-velvet-tiger", "17-ocean-velvet-tiger", 35);
    let (other_m2, _) = joiner_answers(&mut other.joiner, other.m1.as_bytes());
    assert_eq!(code_of(p.initiator.receive(other_m2.as_bytes(), T0)), "pairing_foreign");
    // A third party that speaks first takes the place; the real joiner is then foreign, and the
    // third party's confirmation fails.
    let mut p = pair(CODE, CODE, 36);
    let guess = PairingCode::parse("4821-acid-wolf-table").unwrap();
    let mut intruder = Joiner::make(&guess, device(), &mut SeededRandom::new(98), T0).unwrap();
    let (i2, i3) = joiner_answers(&mut intruder, p.m1.as_bytes());
    let (m2, _) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    p.initiator.receive(i2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(p.initiator.receive(m2.as_bytes(), T0)), "pairing_foreign");
    let mut p = pair(CODE, CODE, 36);
    p.initiator.receive(i2.as_bytes(), T0).unwrap();
    assert_eq!(code_of(p.initiator.receive(i3.as_bytes(), T0)), "pairing_failed");
}

#[test]
fn a_forged_refusal_is_tampered() {
    let mut p = pair(CODE, CODE, 37);
    let (_, _, m4) = to_approval(&mut p);
    p.joiner.receive(m4.as_bytes(), T0).unwrap();
    let deny = p.initiator.deny(T0).unwrap();
    let forged = rewrite_field(deny.as_str(), "mac");
    assert_eq!(code_of(p.joiner.receive(forged.as_bytes(), T0)), "tampered");
}
