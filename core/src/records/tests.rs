//! Tests of the records bundle: v2 round trip, the v1 upgrade and refusals, bounds, tokens and
//! hits over the new record kinds.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use super::*;
use crate::ids::{BlobId, DeviceId, KeyId};
use crate::keys::subkeys::SearchKey;
use crate::search::TokenKey;
use crate::search::query::RecordTokens;
use crate::{Error, UnixMillis};

fn ms(text: &str) -> UnixMillis {
    UnixMillis::parse_rfc3339(text).unwrap()
}

/// A bundle with one record of every kind.
fn full_bundle() -> RecordsBundle {
    let mut b = RecordsBundle::new(
        DeviceId::new("laptop-1").unwrap(),
        ms("2026-12-05T13:35:00.000Z"),
        ms("2026-12-05T13:39:59.999Z"),
    );
    b.video_chunks.push(VideoChunkRecord {
        row_id: 4,
        blob_id: Some(BlobId([4; 16])),
        file_name: "compact_monitor_60_1.mp4".into(),
        device_name: Some("monitor_60".into()),
        fps: Some(0.5),
    });
    b.frames.push(FrameRecord {
        snapshot: Some(SnapshotRef {
            blob_id: Some(BlobId([9; 16])),
            entry: "1796477777811_m60.jpg".into(),
            file_name: "1796477777811_m60.jpg".into(),
        }),
        text: Some("the quokka budget review".into()),
        text_source: Some("ocr".into()),
        text_json: Some(r#"[{"text":"quokka"}]"#.into()),
        accessibility_text: Some("the quokka budget review".into()),
        capture_trigger: Some("manual".into()),
        device_name: Some("monitor_60".into()),
        focused: Some(true),
        window_name: Some("xterm".into()),
        ..FrameRecord::new(1, "2026-12-05T13:36:17.811204094+00:00")
    });
    b.frames.push(FrameRecord {
        video_chunk_row_id: Some(4),
        offset_index: 3,
        ..FrameRecord::new(2, "2026-12-05T13:37:00+00:00")
    });
    b.elements.push(ElementRecord {
        row_id: 10,
        frame_row_id: 1,
        source: "ocr".into(),
        role: "word".into(),
        text: Some("hippopotamus".into()),
        parent_row_id: None,
        depth: 4,
        bounds: Some([0.05, 0.066, 0.11, 0.046]),
        confidence: Some(96.22),
        sort_order: 0,
        properties: None,
        on_screen: None,
    });
    b.audio_chunks.push(AudioChunkRecord {
        row_id: 2,
        blob_id: None,
        file_name: "mic (input)_2026-12-05_13-36-00.mp4".into(),
        timestamp: Some("2026-12-05T13:36:00+00:00".into()),
        transcription_status: Some("transcribed".into()),
    });
    b.audio_transcriptions.push(TranscriptionRecord {
        row_id: 3,
        audio_chunk_row_id: 2,
        offset_index: 0,
        timestamp: "2026-12-05T13:36:03+00:00".into(),
        transcription: "ship the pelican release".into(),
        device: Some("mic".into()),
        is_input_device: Some(true),
        speaker_id: None,
        transcription_engine: None,
        start_time: Some(0.0),
        end_time: Some(2.5),
        text_length: None,
    });
    b.ui_events.push(UiEventRecord {
        row_id: 5,
        timestamp: "2026-12-05T13:36:05+00:00".into(),
        event_type: "text".into(),
        app_name: Some("Slack".into()),
        window_title: None,
        browser_url: None,
        text_content: Some("hello walrus".into()),
        extra: BTreeMap::from([("x".to_owned(), serde_json::json!(10))]),
    });
    b.memories.push(MemoryRecord {
        row_id: 6,
        content: "Dana prefers marmalade".into(),
        source: "user".into(),
        source_context: None,
        tags: r#"["preferences"]"#.into(),
        importance: Some(0.5),
        frame_row_id: Some(1),
        created_at: "2026-12-05T13:30:00.000Z".into(),
        updated_at: "2026-12-05T13:38:00.000Z".into(),
        sync_uuid: None,
    });
    b.meetings.push(MeetingRecord {
        row_id: 7,
        meeting_start: "2026-12-05T13:35:30.000Z".into(),
        meeting_end: Some("2026-12-05T13:39:00.000Z".into()),
        meeting_app: "zoom.us".into(),
        title: Some("Kumquat roadmap".into()),
        attendees: Some("Dana, Priya".into()),
        detection_source: Some("app".into()),
        created_at: None,
        note: Some("bring the zanzibar numbers".into()),
        end_reason: None,
        calendar_event_id: None,
    });
    b
}

#[test]
fn v2_round_trip_is_exact() {
    let b = full_bundle();
    let json = b.to_json().unwrap();
    let text = std::str::from_utf8(&json).unwrap();
    assert!(text.starts_with(r#"{"v":2,"#), "{text}");
    let back = RecordsBundle::from_json(&json).unwrap();
    assert_eq!(back, b);
    assert_eq!(back.to_json().unwrap(), json);
    assert_eq!(b.record_count(), 9);
}

#[test]
fn writers_write_v2_only() {
    let mut b = full_bundle();
    b.v = 1;
    assert_eq!(b.to_json().unwrap_err().code(), "invalid_input");
}

const V1: &str = r#"{"v":1,"device_id":"laptop-1","time_start":"2026-01-05T09:00:00.000Z","time_end":"2026-01-05T09:05:00.000Z",
  "video_chunks":[{"row_id":4,"blob_id":null,"file_name":"monitor_1.mp4","device_name":"monitor_1","fps":0.5}],
  "frames":[{"row_id":17,"video_chunk_row_id":4,"offset_index":3,"timestamp":"2026-01-05T09:00:06.120+00:00",
             "name":null,"browser_url":"https://x","app_name":"Arc","window_name":"Inbox","focused":true,"device_name":"monitor_1"},
            {"row_id":18,"video_chunk_row_id":4,"offset_index":4,"timestamp":"2026-01-05 09:00:07"}],
  "ocr_text":[{"row_id":31,"frame_row_id":17,"text":"second window","text_json":"[2]","ocr_engine":"Tesseract"},
              {"row_id":30,"frame_row_id":17,"text":"first window","text_json":"","ocr_engine":"AppleNative","app_name":"Arc"},
              {"row_id":40,"frame_row_id":99,"text":"orphan"}],
  "audio_chunks":[{"row_id":2,"blob_id":null,"file_name":"mic.mp4","timestamp":"2026-01-05T09:00:00+00:00"}],
  "audio_transcriptions":[],
  "accessibility":[{"row_id":5,"timestamp":"2026-01-05 09:00:30","text_content":"acc"}],
  "ui_events":[]}"#;

#[test]
fn v1_is_upgraded_in_memory() {
    let b = RecordsBundle::from_json(V1.as_bytes()).unwrap();
    assert_eq!(b.v, BUNDLE_VERSION);
    let f = &b.frames[0];
    // OCR rows in row id order, joined by a new line; the first non-empty text_json; the first
    // row's engine; source "ocr".
    assert_eq!(f.text.as_deref(), Some("first window\nsecond window"));
    assert_eq!(f.text_json.as_deref(), Some("[2]"));
    assert_eq!(f.ocr_engine.as_deref(), Some("AppleNative"));
    assert_eq!(f.text_source.as_deref(), Some("ocr"));
    assert_eq!((f.video_chunk_row_id, f.offset_index, f.focused), (Some(4), 3, Some(true)));
    assert_eq!(f.snapshot, None);
    // A frame without OCR rows has no text; the orphan OCR row is dropped.
    assert_eq!((b.frames[1].text.as_deref(), b.frames[1].text_source.as_deref()), (None, None));
    assert!(!b.to_json().unwrap().windows(6).any(|w| w == b"orphan"));
    assert_eq!(b.audio_chunks[0].transcription_status, None);
    assert_eq!(b.accessibility[0].text_content.as_deref(), Some("acc"));
    assert_eq!(b.record_count(), 5);
    // Re-encoded, it is a v2 bundle that reads back the same.
    let again = RecordsBundle::from_json(&b.to_json().unwrap()).unwrap();
    assert_eq!(again, b);
}

#[test]
fn versions_and_fields_that_do_not_belong() {
    let code = |json: &str| RecordsBundle::from_json(json.as_bytes()).unwrap_err().code();
    let head = r#""device_id":"d","time_start":"2026-01-05T09:00:00.000Z","time_end":"2026-01-05T09:05:00.000Z""#;
    // A v2-only field in a v1 document.
    assert_eq!(code(&format!(r#"{{"v":1,{head},"memories":[]}}"#)), "malformed");
    assert_eq!(
        code(&format!(
            r#"{{"v":1,{head},"frames":[{{"row_id":1,"video_chunk_row_id":null,"offset_index":0,"timestamp":"2026-01-05 09:00:00","text":"x"}}]}}"#
        )),
        "malformed"
    );
    assert_eq!(
        code(&format!(
            r#"{{"v":1,{head},"audio_chunks":[{{"row_id":1,"blob_id":null,"file_name":"a","transcription_status":"silent"}}]}}"#
        )),
        "malformed"
    );
    // ocr_text in a v2 document.
    assert_eq!(code(&format!(r#"{{"v":2,{head},"ocr_text":[]}}"#)), "malformed");
    // Other versions.
    assert_eq!(code(&format!(r#"{{"v":3,{head}}}"#)), "unsupported");
    assert_eq!(code(&format!(r#"{{"v":0,{head}}}"#)), "unsupported");
    assert_eq!(code("[1]"), "malformed");
    // A v2 frame needs no video chunk.
    let b = RecordsBundle::from_json(
        format!(r#"{{"v":2,{head},"frames":[{{"row_id":1,"offset_index":0,"timestamp":"2026-01-05 09:00:00"}}]}}"#)
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(b.frames[0].video_chunk_row_id, None);
}

#[test]
fn every_new_string_field_is_bounded() {
    let long = "x".repeat(MAX_FIELD_LEN + 1);
    type Mutation<'a> = Box<dyn Fn(&mut RecordsBundle) + 'a>;
    let mutations: Vec<Mutation<'_>> = vec![
        Box::new(|b| b.frames[0].text = Some(long.clone())),
        Box::new(|b| b.frames[0].accessibility_tree_json = Some(long.clone())),
        Box::new(|b| b.frames[0].snapshot.as_mut().unwrap().entry = long.clone()),
        Box::new(|b| b.elements[0].properties = Some(long.clone())),
        Box::new(|b| b.audio_chunks[0].transcription_status = Some(long.clone())),
        Box::new(|b| b.memories[0].content = long.clone()),
        Box::new(|b| b.memories[0].tags = long.clone()),
        Box::new(|b| b.meetings[0].note = Some(long.clone())),
        Box::new(|b| {
            b.ui_events[0].extra.insert("x".into(), serde_json::Value::String(long.clone()));
        }),
    ];
    for (i, mutate) in mutations.iter().enumerate() {
        let mut b = full_bundle();
        mutate(&mut b);
        assert!(matches!(b.validate(), Err(Error::Malformed(_))), "mutation {i}");
        assert_eq!(b.to_json().unwrap_err().code(), "malformed", "mutation {i}");
    }
    let mut b = full_bundle();
    b.ui_events[0].extra = (0..=MAX_EXTRA_FIELDS).map(|i| (format!("c{i}"), serde_json::json!(i))).collect();
    assert_eq!(b.validate().unwrap_err().code(), "malformed");
    // A non-finite number cannot be written (serde would write `null`, unreadable here).
    for mutate in [
        (|b: &mut RecordsBundle| b.elements[0].bounds = Some([f64::NAN, 0.0, 0.0, 0.0])) as fn(&mut RecordsBundle),
        |b| b.elements[0].confidence = Some(f64::INFINITY),
        |b| b.video_chunks[0].fps = Some(f64::NAN),
        |b| b.audio_transcriptions[0].end_time = Some(f64::NEG_INFINITY),
        |b| b.memories[0].importance = Some(f64::NAN),
    ] {
        let mut b = full_bundle();
        mutate(&mut b);
        assert_eq!(b.to_json().unwrap_err().code(), "malformed");
    }
}

fn token_key() -> TokenKey {
    TokenKey::new(KeyId([1; 16]), &SearchKey::from_bytes([7; 32])).unwrap()
}

#[test]
fn tokens_cover_frame_text_memories_and_meetings_but_not_elements() {
    let b = full_bundle();
    let key = token_key();
    let tokens = bundle_tokens(&b, &key).unwrap();
    let token_of = |ts: &str, word: &str| {
        let mut t = RecordTokens::new(&key);
        t.add_text(ms(ts), word).unwrap();
        t.into_tokens().remove(0)
    };
    for (ts, word) in [
        ("2026-12-05T13:36:17.811Z", "quokka"),      // frame text
        ("2026-12-05T13:36:17.811Z", "xterm"),       // window title
        ("2026-12-05T13:36:03.000Z", "pelican"),     // transcription
        ("2026-12-05T13:38:00.000Z", "marmalade"),   // memory content
        ("2026-12-05T13:38:00.000Z", "preferences"), // memory tags
        ("2026-12-05T13:35:30.000Z", "kumquat"),     // meeting title
        ("2026-12-05T13:35:30.000Z", "zanzibar"),    // meeting note
        ("2026-12-05T13:35:30.000Z", "priya"),       // attendees
    ] {
        assert!(tokens.contains(&token_of(ts, word)), "{word}");
    }
    // The element's word is not indexed.
    assert!(!tokens.contains(&token_of("2026-12-05T13:36:17.811Z", "hippopotamus")));
}

#[test]
fn hits_name_their_table_and_respect_the_range() {
    let b = full_bundle();
    let all = (UnixMillis(0), UnixMillis(i64::MAX / 2));
    let hit =
        |q: &str| find_hits(&b, q, all.0, all.1).unwrap().into_iter().map(|h| (h.table, h.row_id)).collect::<Vec<_>>();
    assert_eq!(hit("quokka budget"), [(tables::FRAMES, 1)]);
    assert_eq!(hit("marmalade"), [(tables::MEMORIES, 6)]);
    assert_eq!(hit("kumquat zanzibar"), [(tables::MEETINGS, 7)]);
    assert_eq!(hit("walrus"), [(tables::UI_EVENTS, 5)]);
    assert!(hit("hippopotamus").is_empty(), "elements are not searched");
    // A memory's time is its updated_at.
    let before = find_hits(&b, "marmalade", ms("2026-12-05T13:30:00.000Z"), ms("2026-12-05T13:37:59.999Z")).unwrap();
    assert!(before.is_empty());
    let at = find_hits(&b, "marmalade", ms("2026-12-05T13:38:00.000Z"), ms("2026-12-05T13:38:00.000Z")).unwrap();
    assert_eq!(at[0].timestamp, ms("2026-12-05T13:38:00.000Z"));
    // An empty query matches every searchable record in range.
    assert_eq!(find_hits(&b, "", all.0, all.1).unwrap().len(), 6);
}
