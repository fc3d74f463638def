//! A tour of the core, end to end in memory: create an account, package a few records into an
//! encrypted `text` blob with its search tokens, then unlock on "another device", search with
//! query tokens, decrypt and drop false matches. `scripts/demo.sh` runs it.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use sync_core::blob::{BlobContext, SealOptions, open_blob, seal_blob};
use sync_core::keys::{KdfParams, KeySet, KeyVersionGuard};
use sync_core::records::{FrameRecord, RecordsBundle, TranscriptionRecord, bundle_tokens, find_hits};
use sync_core::search::query_tokens;
use sync_core::{BlobType, DeviceId, OsRandom, UnixMillis};

fn main() -> sync_core::Result<()> {
    let password = "violet harbor engine 1987 plum";
    let account = KeySet::create_account(password, &KdfParams::DEFAULT, &mut OsRandom)?;
    println!("account created: key {} v{}", account.keys.current_key_id(), account.keys.current_version());
    println!("recovery phrase (shown once): {}", account.recovery_phrase.expose());

    let device = DeviceId::new("laptop-1")?;
    let start = UnixMillis::parse_rfc3339("2026-01-05T09:00:00.000Z")?;
    let end = UnixMillis::parse_rfc3339("2026-01-05T09:05:00.000Z")?;
    let mut bundle = RecordsBundle::new(device.clone(), start, end);
    bundle.frames.push(FrameRecord {
        browser_url: Some("https://mail.example.com/inbox".into()),
        app_name: Some("Arc".into()),
        window_name: Some("Inbox - quarterly report".into()),
        focused: Some(true),
        device_name: Some("monitor_1".into()),
        text: Some("Quarterly report due Friday. Budget review with Dana.".into()),
        text_source: Some("ocr".into()),
        ocr_engine: Some("AppleNative".into()),
        ..FrameRecord::new(1, "2026-01-05T09:00:06.120+00:00")
    });
    bundle.audio_transcriptions.push(TranscriptionRecord {
        row_id: 1,
        audio_chunk_row_id: 1,
        offset_index: 0,
        timestamp: "2026-01-05 09:03:10".into(),
        transcription: "let's move the budget meeting to thursday".into(),
        device: Some("MacBook Pro Microphone".into()),
        is_input_device: Some(true),
        speaker_id: None,
        transcription_engine: Some("whisper".into()),
        start_time: Some(0.0),
        end_time: Some(3.1),
        text_length: None,
    });

    let keys = &account.keys;
    let json = bundle.to_json()?;
    let blob_id = keys.derive_blob_id(&json)?;
    let ctx = BlobContext { blob_id, blob_type: BlobType::Text, device_id: device, time_start: start, time_end: end };
    let blob = seal_blob(
        keys.current_data_key(),
        keys.current_key_id(),
        &ctx,
        &json,
        &SealOptions::for_type(BlobType::Text),
        &mut OsRandom,
    )?;
    let tokens = bundle_tokens(&bundle, keys.current_token_key()?)?;
    println!(
        "packaged {} records: {} bytes of JSON, {} bytes sealed, {} search tokens",
        bundle.record_count(),
        json.len(),
        blob.len(),
        tokens.len()
    );

    // Another device: unlock from the envelope, search, decrypt.
    let mut guard = KeyVersionGuard::new();
    let other = KeySet::unlock(&account.envelope, password, &[], &mut guard)?;
    for query in ["budget", "quarterly report", "budget friday", "holiday"] {
        let q = query_tokens(other.token_keys(), query, start, end)?;
        let candidate = q.iter().filter(|t| tokens.contains(t)).count();
        let hits = if candidate > 0 {
            let opened = RecordsBundle::from_json(&open_blob(&other.data_keys(), &ctx, &blob)?)?;
            find_hits(&opened, query, start, end)?
        } else {
            Vec::new()
        };
        println!(
            "search {query:?}: {candidate} of {} query tokens match the blob; {} records hold every term: {:?}",
            q.len(),
            hits.len(),
            hits.iter().map(|h| format!("{}#{}", h.table, h.row_id)).collect::<Vec<_>>()
        );
    }
    Ok(())
}
