//! `Debug` of every type that holds a secret prints none of it (snapshots).

use super::super::pake::Pake;
use super::super::schedule::SessionKeys;
use super::*;

#[test]
fn debug_snapshots_show_no_secret() {
    let mut p = pair(CODE, CODE, 60);
    let code = PairingCode::parse(CODE).unwrap();
    let mut seen = vec![
        (format!("{code:?}"), "PairingCode { mailbox: 4821, words: <redacted> }".to_owned()),
        (format!("{:?}", p.initiator), "Initiator { mailbox: 4821, stage: AwaitingJoiner }".to_owned()),
        (format!("{:?}", p.joiner), "Joiner { mailbox: 4821, stage: AwaitingInitiator }".to_owned()),
        (
            format!("{:?}", p.m1),
            format!("PairingMessage {{ seq: 1, role: Initiator, kind: Pake, len: {} }}", p.m1.as_str().len()),
        ),
    ];
    let (m2, _, m4) = to_approval(&mut p);
    seen.push((format!("{:?}", p.initiator), "Initiator { mailbox: 4821, stage: AwaitingApproval }".into()));
    seen.push((format!("{:?}", p.joiner), "Joiner { mailbox: 4821, stage: AwaitingConfirmation }".into()));
    p.joiner.receive(m4.as_bytes(), T0).unwrap();
    seen.push((format!("{:?}", p.joiner), "Joiner { mailbox: 4821, stage: AwaitingKeys }".into()));
    let m5 = p.initiator.approve(PAYLOAD, &mut p.rng, T0).unwrap();
    let event = p.joiner.receive(m5.as_bytes(), T0).unwrap();
    seen.push((format!("{event:?}"), format!("Keys(PairingPayload(<redacted, {} bytes>))", PAYLOAD.len())));
    seen.push((format!("{:?}", p.initiator), "Initiator { mailbox: 4821, stage: Ended }".into()));
    let link = LinkUri::new(code.clone(), "https://sync.example.com").unwrap();
    seen.push((
        format!("{link:?}"),
        "LinkUri { code: PairingCode { mailbox: 4821, words: <redacted> }, server: \"https://sync.example.com\" }"
            .into(),
    ));
    let (pake, _) = Pake::start(Role::Initiator, &code.password(), &mut SeededRandom::new(61)).unwrap();
    seen.push((format!("{pake:?}"), "Pake(<redacted>)".into()));
    let keys = SessionKeys::derive(&[7; 32], [8; 32]).unwrap();
    seen.push((format!("{keys:?}"), "SessionKeys(<redacted>)".into()));
    for (got, want) in &seen {
        assert_eq!(got, want);
        for word in ["ocean", "velvet", "tiger", "keyring"] {
            assert!(!got.contains(word), "{got}");
        }
    }
    let _ = m2;
}
