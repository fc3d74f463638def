//! Fixed-size secret byte strings.
//!
//! Every key of the hierarchy is a distinct newtype made by [`secret_bytes!`], so a data key can
//! never be passed where a wrap key is expected. Each is zeroized on drop, prints as
//! `Name(<redacted>)` in `Debug`, and compares in constant time.

/// Declares a 32-byte secret newtype.
macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps 32 secret bytes (the caller's copy should be zeroized by the caller).
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                $name(bytes)
            }

            /// Copies a 32-byte slice; any other length is `invalid_input`.
            pub fn from_slice(bytes: &[u8]) -> $crate::error::Result<Self> {
                let array: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| $crate::error::Error::InvalidInput("a key is exactly 32 bytes"))?;
                Ok($name(array))
            }

            /// The secret bytes. Keep the borrow short.
            pub fn expose(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
            }
        }

        impl Eq for $name {}
    };
}

pub(crate) use secret_bytes;
