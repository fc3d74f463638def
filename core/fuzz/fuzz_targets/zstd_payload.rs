//! The zstd and padding layers on arbitrary bytes: bounded, no panic, and round trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::blob::{padding, zstd};

fuzz_target!(|input: &[u8]| {
    if let Ok(out) = zstd::decompress(input, 1 << 24) {
        assert!(out.len() <= 1 << 24);
    }
    if let Ok(data) = padding::unpad(input) {
        assert_eq!(padding::pad(data).unwrap(), input);
    }
    let frame = zstd::compress(input).unwrap();
    assert_eq!(zstd::decompress(&frame, 1 << 30).unwrap(), input);
});
