//! SPAKE2 over edwards25519 through the `spake2` crate (docs/FORMAT.md, "PAKE"), with
//! the core's randomness and a check of the peer's point before the crate uses it.

use std::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::traits::IsIdentity;
use spake2::{Ed25519Group, Identity, Password, Spake2};
use spake2_rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::message::{PAKE_LEN, Role};
use crate::error::{Error, Result};
use crate::primitives::random::{RandomSource, random_array};

/// SPAKE2's identity of side A, the initiator.
pub(crate) const ID_INITIATOR: &[u8] = b"spsync/v1/pair/initiator";
/// SPAKE2's identity of side B, the joiner.
pub(crate) const ID_JOINER: &[u8] = b"spsync/v1/pair/joiner";

/// The side byte that starts each role's SPAKE2 message.
fn side_byte(role: Role) -> u8 {
    match role {
        Role::Initiator => 0x41,
        Role::Joiner => 0x42,
    }
}

/// One side's SPAKE2 state between its message and the peer's. `Debug` prints nothing of it.
pub(crate) struct Pake(Spake2<Ed25519Group>);

impl fmt::Debug for Pake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pake(<redacted>)")
    }
}

/// Hands `spake2` exactly the 64 bytes drawn for its scalar, and notices any other request.
struct ScalarBytes<'a> {
    bytes: &'a [u8; 64],
    used: bool,
    overdrawn: bool,
}

impl RngCore for ScalarBytes<'_> {
    fn next_u32(&mut self) -> u32 {
        spake2_rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        spake2_rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if !self.used && dest.len() == self.bytes.len() {
            dest.copy_from_slice(self.bytes);
            self.used = true;
        } else {
            // Never reached with spake2 0.4 (one scalar of 64 bytes); refused by `start`.
            dest.fill(0);
            self.overdrawn = true;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), spake2_rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ScalarBytes<'_> {}

impl Pake {
    /// Starts `role`'s side: draws 64 bytes for the scalar from `rng` and returns the state and
    /// the 33-byte message.
    pub(crate) fn start(role: Role, password: &[u8], rng: &mut dyn RandomSource) -> Result<(Pake, [u8; PAKE_LEN])> {
        let seed = Zeroizing::new(random_array::<64>(rng)?);
        let mut source = ScalarBytes { bytes: &seed, used: false, overdrawn: false };
        let (password, id_a, id_b) = (Password::new(password), Identity::new(ID_INITIATOR), Identity::new(ID_JOINER));
        let (state, message) = match role {
            Role::Initiator => Spake2::<Ed25519Group>::start_a_with_rng(&password, &id_a, &id_b, &mut source),
            Role::Joiner => Spake2::<Ed25519Group>::start_b_with_rng(&password, &id_a, &id_b, &mut source),
        };
        if source.overdrawn || !source.used {
            return Err(Error::InvalidState("SPAKE2 asked for other randomness than one scalar"));
        }
        let message: [u8; PAKE_LEN] =
            message.as_slice().try_into().map_err(|_| Error::InvalidState("SPAKE2 message length"))?;
        Ok((Pake(state), message))
    }

    /// Finishes with the peer's message: checks its side byte and point, then returns
    /// `spake_key`. A bad side byte or point is `malformed`.
    pub(crate) fn finish(self, peer: Role, message: &[u8; PAKE_LEN]) -> Result<Zeroizing<[u8; 32]>> {
        let (side, point) = message.split_first().ok_or(Error::Malformed("pairing pake"))?;
        if *side != side_byte(peer) {
            return Err(Error::Malformed("pairing pake: wrong side byte"));
        }
        check_point(point)?;
        let key = Zeroizing::new(self.0.finish(message).map_err(|_| Error::Malformed("pairing pake"))?);
        let key: [u8; 32] = key.as_slice().try_into().map_err(|_| Error::InvalidState("SPAKE2 key length"))?;
        Ok(Zeroizing::new(key))
    }
}

/// A point is accepted when it decompresses, its encoding is canonical, it is not the identity,
/// and it lies in the prime-order subgroup.
fn check_point(bytes: &[u8]) -> Result<()> {
    let bad = || Error::Malformed("pairing pake: not a valid point");
    let encoded: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
    let point = CompressedEdwardsY(encoded).decompress().ok_or_else(bad)?;
    if point.compress().as_bytes() != &encoded || point.is_identity() || !point.is_torsion_free() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::SeededRandom;
    use curve25519_dalek::constants::EIGHT_TORSION;

    #[test]
    fn both_sides_agree_and_a_wrong_password_disagrees() {
        let mut rng = SeededRandom::new(1);
        let (a, ma) = Pake::start(Role::Initiator, b"pw", &mut rng).unwrap();
        let (b, mb) = Pake::start(Role::Joiner, b"pw", &mut rng).unwrap();
        assert_eq!((ma[0], mb[0]), (0x41, 0x42));
        let (ka, kb) = (a.finish(Role::Joiner, &mb).unwrap(), b.finish(Role::Initiator, &ma).unwrap());
        assert_eq!(*ka, *kb);
        let (c, mc) = Pake::start(Role::Joiner, b"other", &mut rng).unwrap();
        let (a2, ma2) = Pake::start(Role::Initiator, b"pw", &mut rng).unwrap();
        assert_ne!(*a2.finish(Role::Joiner, &mc).unwrap(), *c.finish(Role::Initiator, &ma2).unwrap());
    }

    #[test]
    fn bad_points_and_side_bytes_are_malformed() {
        let mut rng = SeededRandom::new(2);
        let (_, good) = Pake::start(Role::Joiner, b"pw", &mut rng).unwrap();
        let identity = {
            let mut m = [0u8; PAKE_LEN];
            m[0] = 0x42;
            m[1] = 1;
            m
        };
        let mut wrong_side = good;
        wrong_side[0] = 0x41;
        // A point with a small-order component added, and one that does not decompress.
        let point = CompressedEdwardsY(good[1..].try_into().unwrap()).decompress().unwrap();
        let mut mixed = good;
        mixed[1..].copy_from_slice((point + EIGHT_TORSION[1]).compress().as_bytes());
        let mut small = good;
        small[1..].copy_from_slice(EIGHT_TORSION[2].compress().as_bytes());
        let mut not_a_point = good;
        not_a_point[1..].copy_from_slice(&[0xff; 32]);
        not_a_point[1] = 0x02;
        for (what, m) in
            [("identity", identity), ("side", wrong_side), ("mixed", mixed), ("small", small), ("bytes", not_a_point)]
        {
            let (a, _) = Pake::start(Role::Initiator, b"pw", &mut rng).unwrap();
            assert_eq!(a.finish(Role::Joiner, &m).unwrap_err().code(), "malformed", "{what}");
        }
        let (a, _) = Pake::start(Role::Initiator, b"pw", &mut rng).unwrap();
        assert!(a.finish(Role::Joiner, &good).is_ok());
        assert_eq!(format!("{:?}", Pake::start(Role::Initiator, b"pw", &mut rng).unwrap().0), "Pake(<redacted>)");
    }
}
