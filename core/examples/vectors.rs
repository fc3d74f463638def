//! The vector tool of docs/FORMAT.md, "Vector files".
//!
//! ```text
//! cargo run -q --release -p sync-core --example vectors -- verify tests/vectors/*.json
//! cargo run -q --release -p sync-core --example vectors -- generate DIR
//! ```
//!
//! `verify` exits 0 only when every vector of every named file agrees: an ok vector reproduces
//! every output it claims; a must-fail vector (`"expect": "error"`) fails with exactly the error
//! it names. Otherwise it names each disagreeing vector and exits 1. `generate` writes fresh
//! files (generated cases from a fixed seed, plus the hand-made edge and must-fail cases).

#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use std::path::Path;
use std::process::ExitCode;

use sync_core::testkit::{generate::generate_all, verify::verify_document};

fn verify(files: &[String]) -> ExitCode {
    let (mut total, mut failed) = (0usize, 0usize);
    for path in files {
        let (count, failures) = match std::fs::read_to_string(path) {
            Ok(text) => verify_document(&text),
            Err(e) => (0, vec![format!("cannot read: {e}")]),
        };
        total += count;
        failed += failures.len();
        for f in failures {
            println!("FAIL {path} {f}");
        }
    }
    println!("{total} vectors, {failed} failures");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn generate(dir: &str) -> Result<(), String> {
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (kind, text) in generate_all()? {
        std::fs::write(dir.join(format!("{kind}.json")), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((cmd, files)) if cmd == "verify" && !files.is_empty() => verify(files),
        Some((cmd, rest)) if cmd == "generate" && rest.len() == 1 => match generate(&rest[0]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("generate failed: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: vectors verify FILE...  |  vectors generate DIR");
            ExitCode::from(2)
        }
    }
}
