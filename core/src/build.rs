//! What this build of the core is: which implementations seal and open blob segments and which
//! derives keys from passwords (for diagnostics and benchmarks; not a secret).

use crate::error::Result;
use crate::primitives::{argon2id, segment_aead};

/// The implementations this build uses by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// The ChaCha20-Poly1305 implementation of blob segments: `"openssl"`, `"ring"`,
    /// `"simd128"` (wasm32) or `"rustcrypto"`.
    pub segment_aead: &'static str,
    /// The Argon2id implementation of unlocking: `"simd128"` (wasm32) or `"rustcrypto"`.
    pub argon2: &'static str,
}

/// Which implementations [`crate::blob::AeadBackend::Native`] and the default Argon2id backend
/// resolve to in this build (OpenSSL may refuse the cipher at run time; this asks it).
pub fn build_info() -> Result<BuildInfo> {
    let aead = segment_aead::SegmentAead::new(&[0; 32], segment_aead::Backend::Native)?;
    Ok(BuildInfo { segment_aead: aead.implementation(), argon2: argon2id::Backend::default().implementation() })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn names_a_known_implementation() {
        let info = super::build_info().unwrap();
        assert!(["openssl", "ring", "simd128", "rustcrypto"].contains(&info.segment_aead), "{info:?}");
        assert!(["simd128", "rustcrypto"].contains(&info.argon2), "{info:?}");
    }
}
