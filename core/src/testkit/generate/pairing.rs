//! Vectors of the pairing protocol: honest runs (approved and refused) and must-fail deliveries
//! to one side (a wrong code, a rewritten message, replay, order, a reflected or foreign message,
//! expiry, parsing).

use serde_json::{Value, json};

use super::{R, fail, ok};
use crate::UnixMillis;
use crate::pairing::SESSION_TTL_MS;
use crate::primitives::random::{RandomSource, SeededRandom};
use crate::testkit::pairing::{Inputs, Run, handshake_messages, run_both};

const START: UnixMillis = UnixMillis(1_767_600_000_000); // 2026-01-05T08:00:00.000Z

fn draw(rng: &mut SeededRandom, n: usize) -> R<Vec<u8>> {
    let mut out = vec![0u8; n];
    rng.fill(&mut out)?;
    Ok(out)
}

fn inputs(rng: &mut SeededRandom, code: &str, device: (&str, &str), payload: Vec<u8>, approve: bool) -> R<Inputs> {
    Ok(Inputs {
        code: code.to_owned(),
        joiner_code: None,
        device: (device.0.to_owned(), device.1.to_owned()),
        start: START,
        initiator_random: draw(rng, if approve { 64 + 24 } else { 64 })?,
        joiner_random: draw(rng, 64)?,
        payload,
        approve,
    })
}

fn ok_vector(comment: &str, inputs: &Inputs) -> R<(Value, Run)> {
    let run = run_both(inputs)?;
    let mut v = inputs.to_json()?;
    v["messages"] = json!(run.messages);
    v["transcript_hash"] = json!(crate::encoding::base64url::encode(&run.transcript_hash));
    Ok((ok(comment, v), run))
}

/// A vector that delivers messages to one side; with `error`, the last delivery must fail with
/// it, without, every delivery must succeed.
fn deliver(
    comment: &str,
    error: Option<&str>,
    inputs: &Inputs,
    side: &str,
    messages: &[&str],
    at: Option<i64>,
) -> R<Value> {
    let mut v = inputs.to_json()?;
    v["side"] = json!(side);
    v["deliver"] = json!(messages);
    if let Some(ms) = at {
        v["at"] = json!(UnixMillis(ms).to_rfc3339()?);
    }
    Ok(match error {
        Some(error) => fail(comment, error, v),
        None => ok(comment, v),
    })
}

fn must_fail(comment: &str, error: &str, inputs: &Inputs, side: &str, messages: &[&str], at: Option<i64>) -> R<Value> {
    deliver(comment, Some(error), inputs, side, messages, at)
}

/// Edits a message as JSON (the result is compact, keys sorted: other bytes than written).
fn edit(message: &str, f: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(message).unwrap_or_default();
    f(&mut v);
    v.to_string()
}

/// Flips the last bit of a base64url field's bytes.
fn flip(message: &str, field: &str) -> String {
    edit(message, |v| {
        let mut raw = crate::encoding::base64url::decode(v[field].as_str().unwrap_or("")).unwrap_or_default();
        if let Some(last) = raw.last_mut() {
            *last ^= 1;
        }
        v[field] = json!(crate::encoding::base64url::encode(&raw));
    })
}

pub(super) fn pairing_vectors(rng: &mut SeededRandom) -> R<Vec<Value>> {
    let keyring = br#"{"current":{"key_id":"00112233445566778899aabbccddeeff","key_version":2},"older":1}"#.to_vec();
    let main = inputs(rng, "4821-ocean-velvet-tiger", ("Pixel 9", "Android 16"), keyring, true)?;
    let (v_main, run) = ok_vector("approved: the joiner receives the payload", &main)?;
    let m: Vec<&str> = run.messages.iter().map(String::as_str).collect();
    let mut out = vec![v_main];
    let edge = inputs(rng, "1-abandon-zoo-ability", ("Ånna’s 电脑 💻", "Windows 11"), vec![0x42], true)?;
    out.push(ok_vector("mailbox 1, first and last words, a non-ASCII name, a 1-byte payload", &edge)?.0);
    let big = inputs(rng, "9999-wolf-acid-table", ("x", "y"), (0..4096u32).map(|i| i as u8).collect(), true)?;
    out.push(ok_vector("mailbox 9999, a 4 KiB payload", &big)?.0);
    let refused = inputs(rng, "4821-coffee-answer-kitten", ("Work laptop", "Linux"), vec![1, 2, 3], false)?;
    let (v_refused, refused_run) = ok_vector("refused: the joiner fails with pairing_denied", &refused)?;
    out.push(v_refused);

    // A joiner that typed another code.
    let mut wrong = inputs(rng, "4821-ocean-velvet-tiger", ("Pixel 9", "Android 16"), vec![7], true)?;
    wrong.joiner_code = Some("4821-ocean-velvet-ticket".into());
    let w = handshake_messages(&wrong)?;
    out.push(must_fail(
        "a wrong code: the joiner's confirmation fails",
        "pairing_failed",
        &wrong,
        "initiator",
        &[&w[1], &w[2]],
        None,
    )?);
    out.push(must_fail(
        "a wrong code: the initiator's confirmation fails",
        "pairing_failed",
        &wrong,
        "joiner",
        &[&w[0], &w[3]],
        None,
    )?);

    let renamed = m[1].replace("Pixel 9", "Evil laptop");
    out.push(must_fail("the relay renamed the joiner", "pairing_failed", &main, "initiator", &[&renamed, m[2]], None)?);
    let reencoded = edit(m[0], |_| {});
    out.push(must_fail(
        "message 1 re-encoded (same JSON, other bytes)",
        "pairing_failed",
        &main,
        "joiner",
        &[&reencoded, m[3]],
        None,
    )?);
    out.push(must_fail("message 3 altered", "pairing_failed", &main, "initiator", &[m[1], &flip(m[2], "mac")], None)?);
    out.push(must_fail("message 4 altered", "pairing_failed", &main, "joiner", &[m[0], &flip(m[3], "mac")], None)?);
    out.push(must_fail(
        "sealed payload altered",
        "tampered",
        &main,
        "joiner",
        &[m[0], m[3], &flip(m[4], "sealed")],
        None,
    )?);
    out.push(must_fail("nonce altered", "tampered", &main, "joiner", &[m[0], m[3], &flip(m[4], "nonce")], None)?);
    let r: Vec<&str> = refused_run.messages.iter().map(String::as_str).collect();
    out.push(must_fail("a refusal", "pairing_denied", &refused, "joiner", &[r[0], r[3], r[4]], None)?);
    out.push(must_fail("a forged refusal", "tampered", &refused, "joiner", &[r[0], r[3], &flip(r[4], "mac")], None)?);
    out.push(must_fail("message 2 replayed", "pairing_replayed", &main, "initiator", &[m[1], m[1]], None)?);
    out.push(must_fail("message 1 replayed", "pairing_replayed", &main, "joiner", &[m[0], m[0]], None)?);
    out.push(must_fail("message 3 before message 2", "pairing_out_of_order", &main, "initiator", &[m[2]], None)?);
    out.push(must_fail("message 5 before message 4", "pairing_out_of_order", &main, "joiner", &[m[0], m[4]], None)?);
    out.push(must_fail("the initiator's own message reflected", "pairing_foreign", &main, "initiator", &[m[0]], None)?);
    out.push(must_fail("the joiner's own message reflected", "pairing_foreign", &main, "joiner", &[m[0], m[1]], None)?);
    let other_mailbox = edit(m[0], |v| v["mailbox"] = json!(4822));
    out.push(must_fail("a message of another mailbox", "pairing_foreign", &main, "joiner", &[&other_mailbox], None)?);
    // Another joiner's message 2 on the same mailbox number (other bytes for seq 2).
    out.push(must_fail("a second joiner after the first", "pairing_foreign", &main, "initiator", &[m[1], r[1]], None)?);
    let late = START.0 + SESSION_TTL_MS + 1;
    out.push(must_fail(
        "10 minutes and 1 ms after the start",
        "pairing_expired",
        &main,
        "joiner",
        &[m[0]],
        Some(late),
    )?);
    let at_deadline = START.0 + SESSION_TTL_MS;
    let open = "at exactly 10 minutes the session is still open";
    out.push(deliver(open, None, &main, "joiner", &[m[0], m[3], m[4]], Some(at_deadline))?);
    let future = edit(m[1], |v| v["v"] = json!(2));
    out.push(must_fail("another message version", "unsupported", &main, "initiator", &[&future], None)?);
    let unknown = edit(m[1], |v| v["extra"] = json!(1));
    out.push(must_fail("an unknown field", "malformed", &main, "initiator", &[&unknown], None)?);
    let no_device = edit(m[1], |v| drop(v.as_object_mut().and_then(|o| o.remove("device"))));
    out.push(must_fail("message 2 without the device", "malformed", &main, "initiator", &[&no_device], None)?);
    let control = m[1].replace("Pixel 9", "Pixel\\u001b[2J");
    out.push(must_fail("a control character in the device name", "malformed", &main, "initiator", &[&control], None)?);
    Ok(out)
}
