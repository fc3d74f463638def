//! Test support (feature `testkit`): the vector files of docs/FORMAT.md, "Vector files", generated and verified
//! through the public API, and a deterministic random source. Never enable it in production.
//!
//! The `vectors` example is the command-line face of this module; the core's tests, the fuzz
//! targets and the other crates' tests use it directly.

pub mod craft;
pub mod generate;
pub mod pairing;
pub mod verify;

pub use crate::primitives::random::SeededRandom;
