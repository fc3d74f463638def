//! The committed vector files agree with this implementation, and are exactly what the
//! generator makes (so the files and the code never drift apart).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use sync_core::testkit::{generate::generate_all, verify::verify_document};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

const KINDS: [&str; 9] = ["kdf", "envelope", "recovery", "subkeys", "keyring", "blob", "token", "terms", "pairing"];

#[test]
fn committed_files_verify() {
    for kind in KINDS {
        let text = std::fs::read_to_string(dir().join(format!("{kind}.json"))).unwrap();
        let (count, failures) = verify_document(&text);
        assert!(failures.is_empty(), "{kind}: {failures:#?}");
        assert!(count >= 5, "{kind}: only {count} vectors");
        assert!(
            text.contains("\"expect\": \"error\"") || kind == "subkeys" || kind == "token" || kind == "terms",
            "{kind}: no must-fail vector"
        );
    }
}

#[test]
fn committed_files_are_what_the_generator_makes() {
    for (kind, text) in generate_all().unwrap() {
        let committed = std::fs::read_to_string(dir().join(format!("{kind}.json"))).unwrap();
        assert!(
            committed == text,
            "{kind}.json differs from the generator: run `cargo run -p sync-core --example vectors -- generate tests/vectors`"
        );
    }
}

#[test]
fn the_verifier_catches_a_wrong_vector() {
    let text = std::fs::read_to_string(dir().join("blob.json")).unwrap();
    // Flip an expected error code and an expected output: both must be reported.
    let wrong_code = text.replacen("\"error\": \"tampered\"", "\"error\": \"truncated\"", 1);
    let (_, failures) = verify_document(&wrong_code);
    assert_eq!(failures.len(), 1, "{failures:?}");
    let token = std::fs::read_to_string(dir().join("token.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&token).unwrap();
    doc["vectors"][0]["token"] = serde_json::json!("AAAAAAAAAAAAAAAAAAAAAA");
    let (_, failures) = verify_document(&doc.to_string());
    assert_eq!(failures.len(), 1);
    doc["vectors"][0]["expect"] = serde_json::json!("error");
    doc["vectors"][0]["error"] = serde_json::json!("malformed");
    let (_, failures) = verify_document(&doc.to_string());
    assert_eq!(failures.len(), 1, "an ok vector marked must-fail is a failure");
}
