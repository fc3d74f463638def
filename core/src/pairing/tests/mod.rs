//! The pairing protocol's tests: full runs, a wrong code, a party in the middle, replay and
//! order, expiry, the parser (with a property test), the code and link URI, and the `Debug`
//! snapshots of every type that holds a secret.

mod attacks;
mod code;
mod debug;
mod flow;
mod parsing;

use super::*;
use crate::UnixMillis;
use crate::primitives::random::SeededRandom;

/// The start of every session in these tests.
const T0: UnixMillis = UnixMillis(1_767_600_000_000);
/// The code the initiator shows.
const CODE: &str = "4821-ocean-velvet-tiger";
/// A payload standing in for the serialized keyring.
const PAYLOAD: &[u8] = b"{\"keyring\":\"opaque in phase 1\"}";

fn device() -> DeviceInfo {
    DeviceInfo::new("Pixel 9", "Android 16").unwrap()
}

/// An initiator showing `initiator_code` and a joiner that typed `joiner_code`, with message 1.
struct Pair {
    initiator: Initiator,
    joiner: Joiner,
    m1: PairingMessage,
    rng: SeededRandom,
}

fn pair(initiator_code: &str, joiner_code: &str, seed: u64) -> Pair {
    let mut rng = SeededRandom::new(seed);
    let (initiator, m1) = Initiator::make(&PairingCode::parse(initiator_code).unwrap(), &mut rng, T0).unwrap();
    let joiner = Joiner::make(&PairingCode::parse(joiner_code).unwrap(), device(), &mut rng, T0).unwrap();
    Pair { initiator, joiner, m1, rng }
}

/// The joiner's answer to message 1: messages 2 and 3.
fn joiner_answers(joiner: &mut Joiner, m1: &[u8]) -> (PairingMessage, PairingMessage) {
    match joiner.receive(m1, T0).unwrap() {
        JoinerEvent::Send(sent) => {
            let [m2, m3]: [PairingMessage; 2] = sent.try_into().unwrap();
            (m2, m3)
        }
        other => panic!("expected messages 2 and 3, got {other:?}"),
    }
}

/// Runs an honest pair up to the approval prompt: returns messages 2, 3 and 4.
fn to_approval(p: &mut Pair) -> (PairingMessage, PairingMessage, PairingMessage) {
    let (m2, m3) = joiner_answers(&mut p.joiner, p.m1.as_bytes());
    let m4 = p.initiator.receive(m2.as_bytes(), T0).unwrap().unwrap();
    assert!(p.initiator.receive(m3.as_bytes(), T0).unwrap().is_none());
    (m2, m3, m4)
}

fn code_of<T: std::fmt::Debug>(result: crate::Result<T>) -> &'static str {
    result.unwrap_err().code()
}
