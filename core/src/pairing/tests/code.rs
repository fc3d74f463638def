//! The code, the link URI and the device rules.

use super::*;

#[test]
fn codes_are_three_words_from_the_list_and_read_back() {
    let mut rng = SeededRandom::new(50);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..500 {
        let code = PairingCode::make(4821, &mut rng).unwrap();
        let text = code.to_text();
        let parts: Vec<&str> = text.split('-').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], "4821");
        for w in &parts[1..] {
            assert!(bip39::Language::English.find_word(w).is_some(), "{w}");
            seen.insert(w.to_string());
        }
        assert_eq!(PairingCode::parse(&text).unwrap(), code);
    }
    // 1500 draws from 2048 words: far more than a few hundred distinct ones.
    assert!(seen.len() > 1000, "{}", seen.len());
    // The same random bytes give the same code; the mailbox is kept.
    let a = PairingCode::make(7, &mut SeededRandom::new(51)).unwrap();
    let b = PairingCode::make(7, &mut SeededRandom::new(51)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.mailbox(), 7);
}

#[test]
fn words_take_eleven_bits_of_two_bytes() {
    struct Fixed(Vec<u8>);
    impl crate::RandomSource for Fixed {
        fn fill(&mut self, dest: &mut [u8]) -> crate::Result<()> {
            dest.copy_from_slice(&self.0[..dest.len()]);
            Ok(())
        }
    }
    // 0x0000 -> word 0, 0xffff -> word 2047, 0xf801 -> word 1 (the top five bits are dropped).
    let code = PairingCode::make(1, &mut Fixed(vec![0x00, 0x00, 0xff, 0xff, 0xf8, 0x01])).unwrap();
    assert_eq!(code.to_text().as_str(), "1-abandon-zoo-ability");
}

#[test]
fn typed_codes_are_normalized() {
    let want = PairingCode::parse(CODE).unwrap();
    for typed in [
        "4821-OCEAN-Velvet-tiger",
        "  4821 ocean velvet tiger\n",
        "4821--ocean - velvet\ttiger",
        "4821-ocean-velvet-tiger-",
    ] {
        assert_eq!(PairingCode::parse(typed).unwrap(), want, "{typed:?}");
    }
    assert_eq!(want.to_text().as_str(), CODE);
}

#[test]
fn bad_codes_are_invalid_input() {
    let long = format!("4821-ocean-velvet-tiger{}", " ".repeat(MAX_CODE_INPUT));
    for bad in [
        "",
        "4821",
        "4821-ocean-velvet",
        "4821-ocean-velvet-tiger-wolf",
        "04821-ocean-velvet-tiger",
        "0-ocean-velvet-tiger",
        "10000-ocean-velvet-tiger",
        "+482-ocean-velvet-tiger",
        "ocean-4821-velvet-tiger",
        "4821-oceanx-velvet-tiger",
        "4821-oce-velvet-tiger",
        "4821-océan-velvet-tiger",
        "4821_ocean_velvet_tiger",
        long.as_str(),
    ] {
        assert_eq!(code_of(PairingCode::parse(bad)), "invalid_input", "{bad:?}");
    }
    assert_eq!(code_of(PairingCode::make(0, &mut SeededRandom::new(1))), "invalid_input");
    assert_eq!(code_of(PairingCode::make(10_000, &mut SeededRandom::new(1))), "invalid_input");
    assert!(PairingCode::make(9999, &mut SeededRandom::new(1)).is_ok());
}

#[test]
fn the_link_uri_round_trips_and_is_strict() {
    let code = PairingCode::parse(CODE).unwrap();
    let link = LinkUri::new(code.clone(), "https://sync.example.com/a b?x=1").unwrap();
    let text = link.to_uri();
    assert_eq!(
        text.as_str(),
        "screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fsync.example.com%2Fa%20b%3Fx%3D1"
    );
    let back = LinkUri::parse(&text).unwrap();
    assert_eq!(back, link);
    assert_eq!((back.code(), back.server()), (&code, "https://sync.example.com/a b?x=1"));
    // Any order, either hex case, non-ASCII servers.
    let reordered = "screenpipe-sync://link?server=http%3a%2f%2flocalhost%3A8080&code=4821-ocean-velvet-tiger&v=1";
    assert_eq!(LinkUri::parse(reordered).unwrap().server(), "http://localhost:8080");
    let utf8 = LinkUri::new(code.clone(), "https://sÿnc.example").unwrap();
    assert_eq!(LinkUri::parse(&utf8.to_uri()).unwrap(), utf8);
    let ok = "screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs";
    assert!(LinkUri::parse(ok).is_ok());
    for (bad, want) in [
        ("screenpipe-sync://link?v=2&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs", "unsupported"),
        ("screenpipe-sync://pair?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs", "malformed"),
        ("SCREENPIPE-SYNC://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger", "malformed"),
        ("screenpipe-sync://link?v=1&v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs&token=x", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https://s", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821+ocean+velvet+tiger&server=https%3A%2F%2Fs", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs%2", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs%zz", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=https%3A%2F%2Fs%FF", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=ftp%3A%2F%2Fs", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet-tiger&server=", "malformed"),
        ("screenpipe-sync://link?v=1&code=4821-ocean-velvet&server=https%3A%2F%2Fs", "invalid_input"),
        ("screenpipe-sync://link?v=1&code&server=https%3A%2F%2Fs", "malformed"),
    ] {
        assert_eq!(code_of(LinkUri::parse(bad)), want, "{bad}");
    }
    let huge = format!("{ok}{}", "a".repeat(MAX_LINK_URI_LEN));
    assert_eq!(code_of(LinkUri::parse(&huge)), "malformed");
    assert_eq!(code_of(LinkUri::new(code.clone(), "ftp://s")), "invalid_input");
    assert_eq!(code_of(LinkUri::new(code, format!("https://{}", "a".repeat(MAX_SERVER_URL_LEN)))), "invalid_input");
}

#[test]
fn device_names_are_bounded_and_display_safe() {
    assert!(DeviceInfo::new("é".repeat(64), "Linux").is_ok(), "128 bytes of UTF-8");
    let d = DeviceInfo::new("Anna's laptop", "macOS 26").unwrap();
    assert_eq!((d.name(), d.os()), ("Anna's laptop", "macOS 26"));
    for (name, os) in [
        ("", "Linux"),
        ("x", ""),
        (&*"é".repeat(65), "Linux"),
        ("line\nbreak", "Linux"),
        ("esc\u{1b}[2J", "Linux"),
        ("del\u{7f}", "Linux"),
        ("c1\u{85}", "Linux"),
        ("\u{202e}potpal", "Linux"),
        ("x", "\u{2066}iso"),
        ("x", "mark\u{200f}"),
    ] {
        assert_eq!(code_of(DeviceInfo::new(name, os)), "invalid_input", "{name:?} {os:?}");
    }
}
