//! `lp(x) = u32be(len(x)) || x` and `tuple(a, b, ...) = lp(a) || lp(b) || ...` (docs/FORMAT.md, "Encodings").
//!
//! Every AAD and HKDF input of the format is a tuple, so that no two different field lists can
//! encode to the same bytes.

/// Builder of a `tuple(...)`: each element is length-prefixed with a big-endian u32.
#[derive(Default, Clone)]
pub struct Tuple {
    bytes: Vec<u8>,
}

impl Tuple {
    /// An empty tuple.
    pub fn new() -> Tuple {
        Tuple { bytes: Vec::with_capacity(128) }
    }

    /// Appends `lp(element)`.
    ///
    /// Elements are at most a few hundred bytes in this format; a longer one would be a bug in
    /// the caller, and is saturated rather than wrapped so it can never alias a shorter element.
    pub fn bytes(mut self, element: &[u8]) -> Tuple {
        let len = u32::try_from(element.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&len.to_be_bytes());
        self.bytes.extend_from_slice(element);
        self
    }

    /// Appends an ASCII label or string.
    pub fn str(self, element: &str) -> Tuple {
        self.bytes(element.as_bytes())
    }

    /// Appends `lp(u8(v))`.
    pub fn u8(self, v: u8) -> Tuple {
        self.bytes(&[v])
    }

    /// Appends `lp(u32be(v))`.
    pub fn u32(self, v: u32) -> Tuple {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends `lp(i64be(v))`.
    pub fn i64(self, v: i64) -> Tuple {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends another tuple as one element (length-prefixed again).
    pub fn tuple(self, inner: &Tuple) -> Tuple {
        self.bytes(&inner.bytes)
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The encoded bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_length_prefixed_elements() {
        let t = Tuple::new().str("ab").u8(1).u32(19).i64(-1);
        assert_eq!(
            t.as_bytes(),
            [
                &[0, 0, 0, 2, b'a', b'b'][..],
                &[0, 0, 0, 1, 1],
                &[0, 0, 0, 4, 0, 0, 0, 19],
                &[0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ]
            .concat()
        );
        let nested = Tuple::new().str("x").tuple(&Tuple::new().str("y"));
        assert_eq!(nested.as_bytes(), [0, 0, 0, 1, b'x', 0, 0, 0, 5, 0, 0, 0, 1, b'y']);
    }
}
