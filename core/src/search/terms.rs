//! Terms of a text (docs/FORMAT.md, "Search tokens"), in order of first appearance, without repeats.
//!
//! 1. NFKC, then full lowercase of the whole text (Final_Sigma included), Unicode 16.0.
//! 2. Maximal runs of code points whose Script is Han, Hiragana or Thai become their
//!    overlapping 2-code-point bigrams (a run of one code point is itself a term).
//! 3. The rest of the text is split at the default UAX #29 word boundaries; a word is a
//!    segment with at least one code point of general category L or N; words of fewer than 2
//!    code points or more than 64 UTF-8 bytes are dropped.
//!
//! Unicode versions: NFKC, Script, word boundaries and general categories come from crates
//! pinned at their Unicode 16.0 tables. Lowercasing uses Rust's standard library (Unicode 17
//! in this toolchain); code points unassigned in Unicode 16.0 are left unchanged, so the result
//! is the 16.0 mapping (case pairs of assigned characters are stable across versions).

use std::collections::HashSet;

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;
use unicode_script::{Script, UnicodeScript};
use unicode_segmentation::UnicodeSegmentation;

/// Longest word kept, in UTF-8 bytes.
pub const MAX_WORD_BYTES: usize = 64;
/// Longest `app` term, in UTF-8 bytes.
pub const MAX_APP_BYTES: usize = 64;

fn is_bigram_script(c: char) -> bool {
    matches!(c.script(), Script::Han | Script::Hiragana | Script::Thai)
}

fn is_letter_or_number(c: char) -> bool {
    use GeneralCategory::*;
    matches!(
        get_general_category(c),
        UppercaseLetter
            | LowercaseLetter
            | TitlecaseLetter
            | ModifierLetter
            | OtherLetter
            | DecimalNumber
            | LetterNumber
            | OtherNumber
    )
}

/// Full lowercase with Unicode 16.0 semantics: code points unassigned in 16.0 stay as they are.
fn lowercase_unicode16(text: &str) -> String {
    let unassigned = |c: char| get_general_category(c) == GeneralCategory::Unassigned;
    if !text.chars().any(unassigned) {
        return text.to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(unassigned) {
        let (head, tail) = rest.split_at(pos);
        out.push_str(&head.to_lowercase());
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out.push_str(&rest.to_lowercase());
    out
}

/// NFKC then full lowercase: the normalization of step 1.
pub fn normalize(text: &str) -> String {
    let nfkc: String = text.nfkc().collect();
    lowercase_unicode16(&nfkc)
}

/// Calls `emit` with every term of `text` in text order (repeats included).
fn for_each_term<'a>(normalized: &'a str, mut emit: impl FnMut(&'a str)) {
    let mut rest = normalized;
    while !rest.is_empty() {
        // Split off the next stretch: either a run of bigram-script code points or the text up
        // to the next such run.
        let in_run = rest.chars().next().is_some_and(is_bigram_script);
        let end = rest.char_indices().find(|&(_, c)| is_bigram_script(c) != in_run).map_or(rest.len(), |(i, _)| i);
        let (stretch, tail) = rest.split_at(end);
        if in_run {
            // Character boundaries of the run, its end included.
            let bounds: Vec<usize> =
                stretch.char_indices().map(|(i, _)| i).chain(std::iter::once(stretch.len())).collect();
            if bounds.len() == 2 {
                emit(stretch);
            } else {
                for w in bounds.windows(3) {
                    if let (Some(&a), Some(&c)) = (w.first(), w.get(2))
                        && let Some(bigram) = stretch.get(a..c)
                    {
                        emit(bigram);
                    }
                }
            }
        } else {
            for word in stretch.split_word_bounds() {
                if word.len() <= MAX_WORD_BYTES
                    && word.chars().nth(1).is_some()
                    && word.chars().any(is_letter_or_number)
                {
                    emit(word);
                }
            }
        }
        rest = tail;
    }
}

/// The terms of a text, in order of first appearance, without repeats.
pub fn terms(text: &str) -> Vec<String> {
    let normalized = normalize(text);
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for_each_term(&normalized, |term| {
        if seen.insert(term) {
            out.push(term.to_owned());
        }
    });
    out
}

/// The `app` term: NFKC, lowercase, trimmed, runs of white space made one space, cut to at
/// most 64 UTF-8 bytes on a character boundary; `None` when empty.
pub fn app_term(app_name: &str) -> Option<String> {
    let normalized = normalize(app_name);
    let mut collapsed = String::with_capacity(normalized.len());
    for (i, word) in normalized.split_whitespace().enumerate() {
        if i > 0 {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    if collapsed.len() > MAX_APP_BYTES {
        let mut cut = MAX_APP_BYTES;
        while !collapsed.is_char_boundary(cut) {
            cut -= 1;
        }
        collapsed.truncate(cut);
    }
    (!collapsed.is_empty()).then_some(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words() {
        assert_eq!(terms("Hello, World! hello again a I 42"), ["hello", "world", "again", "42"]);
        assert_eq!(
            terms("can't stop e.g. 3.14 user@example.com"),
            ["can't", "stop", "e.g", "3.14", "user", "example.com"]
        );
    }

    #[test]
    fn final_sigma_and_nfkc() {
        // Full lowercase of "ΟΔΟΣ" ends with final sigma ς.
        assert_eq!(terms("ΟΔΟΣ"), ["οδος"]);
        // NFKC folds the ligature and fullwidth letters.
        assert_eq!(terms("ﬁle ＡＢＣ"), ["file", "abc"]);
        // Full lowercase: U+0130 becomes "i̇" (two code points).
        assert_eq!(terms("İstanbul"), ["i\u{307}stanbul"]);
    }

    #[test]
    fn han_hiragana_thai_bigrams() {
        assert_eq!(terms("東京都"), ["東京", "京都"]);
        assert_eq!(terms("東"), ["東"]);
        assert_eq!(terms("こんにちは"), ["こん", "んに", "にち", "ちは"]);
        assert_eq!(terms("สวัสดี"), ["สว", "วั", "ัส", "สด", "ดี"]);
        // Katakana is not a bigram script: it is a UAX #29 word.
        assert_eq!(terms("カタカナ東京 abc"), ["カタカナ", "東京", "abc"]);
        assert_eq!(terms("東京x東京"), ["東京"]);
    }

    #[test]
    fn word_length_bounds() {
        let long = "a".repeat(65);
        let max = "b".repeat(64);
        assert_eq!(terms(&format!("{long} {max} x")), [max]);
        // 32 two-byte letters = 64 bytes is kept, 33 are dropped.
        let e32 = "é".repeat(32);
        let e33 = "é".repeat(33);
        assert_eq!(terms(&format!("{e32} {e33}")), [e32]);
        assert!(terms("-- ... !!").is_empty());
    }

    #[test]
    fn app_terms() {
        assert_eq!(app_term("  Google   Chrome\t"), Some("google chrome".into()));
        assert_eq!(app_term(" \n "), None);
        let long = "é".repeat(40);
        let cut = app_term(&long).unwrap();
        assert_eq!(cut.len(), 64);
    }

    #[test]
    fn unassigned_code_points_are_kept() {
        // U+0378 is unassigned in Unicode 16.0.
        assert_eq!(lowercase_unicode16("A\u{378}B"), "a\u{378}b");
    }
}
