//! Vectors of search tokens and terms.

use super::{R, ok};
use crate::KeyId;
use crate::encoding::base64url::encode as b64;
use crate::keys::SearchKey;
use crate::primitives::random::{SeededRandom, random_array};
use crate::search::{Field, TokenKey, terms};
use serde_json::{Value, json};

pub(super) fn token_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let mut out = Vec::new();
    let key: [u8; 32] = random_array(rng)?;
    let tk = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes(key))?;
    for (field, bucket, term) in [
        (Field::Text, "2026-01", "hello"),
        (Field::Text, "2026-02", "hello"),
        (Field::App, "2026-01", "hello"),
        (Field::App, "2026-01", "google chrome"),
        (Field::Text, "1999-12", "東京"),
        (Field::Text, "2026-01", "οδος"),
        (Field::Text, "2026-01", "e"),
        (Field::Text, "2026-01", ""),
    ] {
        out.push(ok(
            "",
            json!({"search_key": b64(&key), "field": field.as_str(), "bucket": bucket, "term": term,
            "token": tk.token(field, bucket, term).as_str()}),
        ));
    }
    let zero = TokenKey::new(KeyId([0; 16]), &SearchKey::from_bytes([0; 32]))?;
    out.push(ok(
        "all-zero key",
        json!({"search_key": b64(&[0; 32]), "field": "text", "bucket": "2026-11", "term": "screenpipe",
        "token": zero.token(Field::Text, "2026-11", "screenpipe").as_str()}),
    ));
    Ok(out)
}

pub(super) fn terms_vectors() -> Vec<Value> {
    let texts = [
        ("Latin words, repeats dropped, single letters dropped", "Hello, World! hello again: a I 42 x1"),
        (
            "apostrophes and dots inside words (UAX #29 MidLetter/MidNum)",
            "can't won't e.g. 3.14 1,000 user@example.com",
        ),
        ("URL", "https://github.com/mediar-ai/screenpipe?tab=readme#install"),
        ("Final_Sigma", "ΟΔΟΣ ΟΔΟΣ."),
        ("NFKC: ligature and fullwidth", "ﬁle ＡＢＣ①"),
        ("full lowercase: U+0130 becomes two code points", "İstanbul"),
        ("German sharp s and capital", "STRASSE Straße ẞ"),
        ("Han run: bigrams", "東京都庁"),
        ("a Han run of one code point", "東 x"),
        ("Hiragana run", "こんにちは"),
        ("Thai run (script Thai, vowel signs included)", "สวัสดีครับ"),
        ("Katakana is a UAX #29 word, not bigrams", "カタカナ"),
        ("mixed scripts, text order", "Meeting 東京 at 10am カタカナ ok こんにちは"),
        ("Korean Hangul is a word", "안녕하세요 세계"),
        ("emoji and symbols are not words", "🔥🔥 -- ... $$ ++ ok"),
        (
            "longest word (64 bytes) kept, 65 dropped",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        ),
        (
            "two-byte letters: 32 kept (64 bytes), 33 dropped",
            "éééééééééééééééééééééééééééééééé êêêêêêêêêêêêêêêêêêêêêêêêêêêêêêêêê",
        ),
        ("numbers are words", "2026 15:30 v1.2.3"),
        ("underscores join words (ExtendNumLet)", "snake_case_name __init__"),
        ("empty text", ""),
        ("white space only", " \t\n "),
        ("combining marks stay with their letter", "cafe\u{301} naïve"),
        ("Arabic", "مرحبا بالعالم"),
        ("Cyrillic", "Привет МИР"),
    ];
    texts.iter().map(|(comment, text)| ok(comment, json!({"text": text, "terms": terms(text)}))).collect()
}
