//! Where random bytes come from.
//!
//! Production code uses [`OsRandom`] (the operating system's CSPRNG through `getrandom`;
//! `crypto.getRandomValues` on wasm32). Tests and vector generation may pass their own
//! [`RandomSource`].

use crate::error::{Error, Result};

/// A source of cryptographically secure random bytes.
pub trait RandomSource {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        getrandom::fill(dest).map_err(|_| Error::Random)
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        (**self).fill(dest)
    }
}

/// Draws an array of `N` random bytes.
pub fn random_array<const N: usize>(rng: &mut dyn RandomSource) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    rng.fill(&mut out)?;
    Ok(out)
}

/// A deterministic generator (ChaCha20 keystream of a seed), for tests and reproducible vectors
/// only. Never use it for real keys.
#[cfg(any(test, feature = "testkit"))]
pub struct SeededRandom {
    cipher: chacha20::ChaCha20,
}

#[cfg(any(test, feature = "testkit"))]
impl SeededRandom {
    /// A generator whose output depends only on `seed`.
    pub fn new(seed: u64) -> SeededRandom {
        use chacha20::cipher::KeyIvInit;
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        SeededRandom { cipher: chacha20::ChaCha20::new(&key.into(), &[0u8; 12].into()) }
    }
}

#[cfg(any(test, feature = "testkit"))]
impl RandomSource for SeededRandom {
    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        use chacha20::cipher::StreamCipher;
        dest.fill(0);
        self.cipher.apply_keystream(dest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_random_fills() {
        let a: [u8; 32] = random_array(&mut OsRandom).unwrap();
        let b: [u8; 32] = random_array(&mut OsRandom).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn seeded_is_deterministic() {
        let a: [u8; 16] = random_array(&mut SeededRandom::new(7)).unwrap();
        let b: [u8; 16] = random_array(&mut SeededRandom::new(7)).unwrap();
        let c: [u8; 16] = random_array(&mut SeededRandom::new(8)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
