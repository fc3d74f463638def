//! A memory or UI event imported before the frame it points to (the frame in a later bundle, or
//! outside the range of a partial pull) gets its `frame_id` when that frame is imported, on
//! both generations; importing again changes nothing; a `frame_id` set locally meanwhile is
//! left alone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use rusqlite::{Connection, OptionalExtension};
use sync_client::unpack::Unpacker;
use sync_core::records::{FrameRecord, MemoryRecord, RecordsBundle, UiEventRecord};
use sync_core::{BlobId, DeviceId, UnixMillis};

const T0: &str = "2026-12-05T10:00:00.000+00:00";

fn bundle(device: &DeviceId) -> RecordsBundle {
    RecordsBundle::new(device.clone(), UnixMillis(1_764_928_800_000), UnixMillis(1_764_932_400_000))
}

fn memory(row_id: i64, frame: Option<i64>, updated_at: &str) -> MemoryRecord {
    MemoryRecord {
        row_id,
        content: format!("note {row_id}"),
        source: "user".into(),
        source_context: None,
        tags: "[]".into(),
        importance: Some(0.5),
        frame_row_id: frame,
        created_at: T0.into(),
        updated_at: updated_at.into(),
        sync_uuid: None,
    }
}

fn ui_event(row_id: i64, frame: i64) -> UiEventRecord {
    UiEventRecord {
        row_id,
        timestamp: T0.into(),
        event_type: "click".into(),
        app_name: Some("Editor".into()),
        window_title: None,
        browser_url: None,
        text_content: Some(format!("event {row_id}")),
        extra: BTreeMap::from([("frame_id".to_owned(), serde_json::json!(frame))]),
    }
}

fn frame(row_id: i64) -> FrameRecord {
    let mut f = FrameRecord::new(row_id, T0);
    f.text = Some(format!("frame {row_id}"));
    f
}

/// `frame_id` of the local row that holds record `origin_row` of `table`.
fn frame_of(db: &Path, table: &str, origin_row: i64) -> Option<i64> {
    let conn = Connection::open(db).unwrap();
    conn.query_row(
        &format!(
            "SELECT t.frame_id FROM {table} t JOIN screenpipe_sync_imports i
             ON i.local_row_id = t.id AND i.table_name = ?1 AND i.origin_row_id = ?2"
        ),
        rusqlite::params![table, origin_row],
        |r| r.get(0),
    )
    .unwrap()
}

/// The local frame holding origin frame `origin_row`.
fn local_frame(db: &Path, origin_row: i64) -> Option<i64> {
    Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT local_row_id FROM screenpipe_sync_imports WHERE table_name = 'frames' AND origin_row_id = ?1",
            [origin_row],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
}

fn waiting(db: &Path) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM screenpipe_sync_waiting_frames", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn rows_imported_before_their_frame_get_it_when_it_comes() {
    for generation in [Generation::V0_4_50, Generation::Feb2026] {
        let dir = tempfile::tempdir().unwrap();
        empty_fixture_of(dir.path(), generation);
        let db = dir.path().join("db.sqlite");
        let data = dir.path().join("data");
        let origin = DeviceId::new("desk-a").unwrap();
        let mut unpacker = Unpacker::open(&db, &data).unwrap();
        let memories = generation == Generation::V0_4_50;

        // Bundle 1: a memory and a UI event pointing to frame 7, and frame 5 with a memory of
        // its own; frame 7 is not there.
        let mut first = bundle(&origin);
        first.frames.push(frame(5));
        first.memories.extend([memory(1, Some(7), T0), memory(2, Some(5), T0), memory(3, None, T0)]);
        first.ui_events.extend([ui_event(11, 7), ui_event(12, 5)]);
        unpacker.import(&first, &BlobId([1; 16])).unwrap();
        assert_eq!(frame_of(&db, "ui_events", 11), None, "{generation:?}: frame 7 not imported yet");
        assert_eq!(frame_of(&db, "ui_events", 12), local_frame(&db, 5));
        if memories {
            assert_eq!(frame_of(&db, "memories", 1), None);
            assert_eq!(frame_of(&db, "memories", 2), local_frame(&db, 5));
            assert_eq!(frame_of(&db, "memories", 3), None);
        }
        assert_eq!(waiting(&db), if memories { 2 } else { 1 });

        // Bundle 1 again: nothing changes.
        let again = unpacker.import(&first, &BlobId([1; 16])).unwrap();
        assert_eq!(again.total_inserted(), 0);
        assert_eq!(waiting(&db), if memories { 2 } else { 1 });

        // Bundle 2 brings frame 7 (as a pull of the earlier range would): both rows point to it.
        // On February 2026 a UI event waits until screenpipe's background indexer has indexed
        // it (its update trigger removes the FTS entries first), then the next import links it.
        let mut second = bundle(&origin);
        second.frames.push(frame(7));
        unpacker.import(&second, &BlobId([2; 16])).unwrap();
        let seven = local_frame(&db, 7);
        assert!(seven.is_some());
        if !memories {
            assert_eq!(frame_of(&db, "ui_events", 11), None, "not indexed yet: waits");
            assert_eq!(waiting(&db), 1);
            assert!(run_feb_indexer(&db) > 0);
            unpacker.import(&second, &BlobId([2; 16])).unwrap();
        }
        assert_eq!(frame_of(&db, "ui_events", 11), seven, "{generation:?}");
        fts_intact(&db, generation);
        if memories {
            assert_eq!(frame_of(&db, "memories", 1), seven);
            assert_eq!(frame_of(&db, "memories", 3), None, "a memory without a frame keeps none");
        }
        assert_eq!(waiting(&db), 0, "the entries are gone once linked");

        // Another device's frame 7 does not satisfy desk-a's rows; a frame_id set locally
        // meanwhile is left alone.
        let mut third = bundle(&origin);
        third.ui_events.push(ui_event(13, 9));
        unpacker.import(&third, &BlobId([3; 16])).unwrap();
        let mut other = bundle(&DeviceId::new("phone-b").unwrap());
        other.frames.push(frame(9));
        unpacker.import(&other, &BlobId([4; 16])).unwrap();
        assert_eq!(frame_of(&db, "ui_events", 13), None, "{generation:?}: phone-b's frame 9 is not desk-a's");
        if !memories {
            run_feb_indexer(&db);
        }
        Connection::open(&db)
            .unwrap()
            .execute(
                "UPDATE ui_events SET frame_id = ?1 WHERE id = (SELECT local_row_id FROM screenpipe_sync_imports
                 WHERE table_name = 'ui_events' AND origin_row_id = 13)",
                [seven],
            )
            .unwrap();
        let mut fourth = bundle(&origin);
        fourth.frames.push(frame(9));
        unpacker.import(&fourth, &BlobId([5; 16])).unwrap();
        assert_eq!(frame_of(&db, "ui_events", 13), seven, "the local choice stays");
        assert_eq!(waiting(&db), 0);
        fts_intact(&db, generation);
    }
}

/// screenpipe's FTS tables of the rows linked pass FTS5's integrity check.
fn fts_intact(db: &Path, generation: Generation) {
    let conn = Connection::open(db).unwrap();
    let tables: &[&str] =
        if generation == Generation::V0_4_50 { &["ui_events_fts", "memories_fts"] } else { &["ui_events_fts"] };
    for t in tables {
        conn.execute(&format!("INSERT INTO {t}({t}) VALUES('integrity-check')"), []).unwrap();
    }
}

#[test]
fn a_newer_memory_version_waits_for_its_new_frame() {
    let dir = tempfile::tempdir().unwrap();
    empty_fixture_of(dir.path(), Generation::V0_4_50);
    let db = dir.path().join("db.sqlite");
    let origin = DeviceId::new("desk-a").unwrap();
    let mut unpacker = Unpacker::open(&db, &dir.path().join("data")).unwrap();
    let mut first = bundle(&origin);
    first.frames.push(frame(5));
    first.memories.push(memory(1, Some(5), T0));
    unpacker.import(&first, &BlobId([1; 16])).unwrap();
    assert_eq!(frame_of(&db, "memories", 1), local_frame(&db, 5));

    // Edited on the origin to point to frame 8, which comes later.
    let mut edited = bundle(&origin);
    edited.memories.push(memory(1, Some(8), "2026-12-05T11:00:00.000+00:00"));
    let counts = unpacker.import(&edited, &BlobId([2; 16])).unwrap();
    assert_eq!(counts.updated, 1);
    assert_eq!(frame_of(&db, "memories", 1), None);
    let mut later = bundle(&origin);
    later.frames.push(frame(8));
    unpacker.import(&later, &BlobId([3; 16])).unwrap();
    assert_eq!(frame_of(&db, "memories", 1), local_frame(&db, 8));
    assert_eq!(waiting(&db), 0);
    fts_intact(&db, Generation::V0_4_50);
}
