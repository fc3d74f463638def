//! A realistic screenpipe database and media folder of any size (`screenpipe-sync dev
//! fixture`), following DESIGN.md 4: several apps and windows per monitor, OCR text (one to
//! three rows per frame), audio chunks with transcriptions from an input and an output device,
//! accessibility text and UI events, timestamps in screenpipe's mixed formats (RFC 3339 with
//! `+00:00` and 0, 3, 6 or 9 fractional digits, and `YYYY-MM-DD HH:MM:SS`), and media files
//! under `DIR/data/` whose modification time is the end of their chunk. Deterministic for a
//! given seed and start day.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::params;
use sync_core::UnixMillis;

use crate::error::{DbContext, IoContext, Result, SyncError};

/// What to generate.
#[derive(Clone, Debug)]
pub struct FixtureOptions {
    /// Days of recording (0 writes an empty database).
    pub days: u32,
    /// Active hours per day, from 09:00 UTC.
    pub hours_per_day: u32,
    /// Midnight (UTC) of the first day; default: `days` days before today.
    pub first_day: Option<UnixMillis>,
    /// Monitors recorded.
    pub monitors: u32,
    /// Seconds between frames of a monitor.
    pub frame_interval_secs: u32,
    /// Seconds of one video or audio chunk file.
    pub chunk_secs: u32,
    /// Size of one video chunk file, KiB.
    pub video_kib: u32,
    /// Size of one audio chunk file, KiB.
    pub audio_kib: u32,
    /// Random seed.
    pub seed: u64,
}

impl Default for FixtureOptions {
    fn default() -> FixtureOptions {
        FixtureOptions {
            days: 1,
            hours_per_day: 8,
            first_day: None,
            monitors: 2,
            frame_interval_secs: 5,
            chunk_secs: 60,
            video_kib: 256,
            audio_kib: 64,
            seed: 1,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FixtureSummary {
    /// The database.
    pub db_path: PathBuf,
    /// The media folder.
    pub data_dir: PathBuf,
    /// Rows per table.
    pub video_chunks: u64,
    /// Frames.
    pub frames: u64,
    /// OCR rows.
    pub ocr_text: u64,
    /// Audio chunks.
    pub audio_chunks: u64,
    /// Transcriptions.
    pub audio_transcriptions: u64,
    /// Accessibility rows.
    pub accessibility: u64,
    /// UI events.
    pub ui_events: u64,
    /// Media files.
    pub media_files: u64,
    /// Their bytes.
    pub media_bytes: u64,
    /// Bytes of OCR text and transcriptions.
    pub text_bytes: u64,
    /// First and last instant recorded.
    pub time_range: Option<(String, String)>,
}

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Activity {
    app: &'static str,
    window: &'static str,
    url: Option<&'static str>,
    words: &'static [&'static str],
}

const COMMON: &[&str] = &[
    "the", "and", "for", "with", "this", "that", "from", "review", "update", "meeting", "today", "tomorrow", "next",
    "week", "team", "project", "status", "notes", "draft", "final", "please", "thanks", "shared", "added", "comment",
];
const PEOPLE: &[&str] = &["Dana", "Priya", "Marcus", "Lena", "Tomás", "Yuki", "Oluwaseun", "Chen", "Sofia", "Rahul"];
const PROJECTS: &[&str] = &["Atlas", "Borealis", "Kestrel", "Juniper", "Halcyon", "Meridian"];

const ACTIVITIES: &[Activity] = &[
    Activity {
        app: "Arc",
        window: "Inbox (42) - dana@acme.io - Acme Mail",
        url: Some("https://mail.acme.io/mail/u/0/#inbox"),
        words: &[
            "invoice",
            "receipt",
            "quarterly",
            "report",
            "budget",
            "approval",
            "reply",
            "forwarded",
            "attachment",
            "unsubscribe",
            "calendar",
            "invitation",
            "travel",
            "expense",
        ],
    },
    Activity {
        app: "Arc",
        window: "Quarterly planning - Notion",
        url: Some("https://www.notion.so/acme/quarterly-planning-9f2c"),
        words: &[
            "roadmap",
            "milestone",
            "okr",
            "objective",
            "hiring",
            "headcount",
            "forecast",
            "revenue",
            "retention",
            "priorities",
            "risks",
            "dependencies",
        ],
    },
    Activity {
        app: "Arc",
        window: "Pull requests · acme/api - GitHub",
        url: Some("https://github.com/acme/api/pulls"),
        words: &[
            "merge",
            "rebase",
            "conflict",
            "pipeline",
            "failing",
            "flaky",
            "approved",
            "changes",
            "requested",
            "migration",
            "endpoint",
            "latency",
            "benchmark",
        ],
    },
    Activity {
        app: "Arc",
        window: "Flights Lisbon to Zürich - Travel",
        url: Some("https://travel.example.com/flights?from=LIS&to=ZRH"),
        words: &[
            "departure",
            "arrival",
            "layover",
            "economy",
            "baggage",
            "refundable",
            "Zürich",
            "Lisbon",
            "boarding",
            "gate",
            "terminal",
        ],
    },
    Activity {
        app: "Slack",
        window: "#eng-platform - Acme",
        url: None,
        words: &[
            "deploy",
            "rollback",
            "incident",
            "pager",
            "oncall",
            "alert",
            "dashboard",
            "postgres",
            "replica",
            "cache",
            "timeout",
            "thread",
        ],
    },
    Activity {
        app: "Slack",
        window: "Direct message - Priya Raman",
        url: None,
        words: &[
            "lunch", "café", "coffee", "standup", "demo", "slides", "feedback", "naïve", "question", "weekend",
            "offsite",
        ],
    },
    Activity {
        app: "Code",
        window: "packager.rs — screenpipe-sync",
        url: None,
        words: &[
            "fn", "struct", "impl", "result", "error", "cursor", "bundle", "window", "async", "await", "tokio",
            "rusqlite", "serde", "clippy",
        ],
    },
    Activity {
        app: "zoom.us",
        window: "Weekly sync - Zoom Meeting",
        url: None,
        words: &[
            "agenda",
            "action",
            "items",
            "decision",
            "owner",
            "deadline",
            "recording",
            "participants",
            "mute",
            "share",
            "screen",
        ],
    },
    Activity {
        app: "Terminal",
        window: "zsh — cargo test — 120×40",
        url: None,
        words: &[
            "cargo",
            "test",
            "passed",
            "failed",
            "warning",
            "compiling",
            "finished",
            "release",
            "target",
            "debug",
            "panicked",
        ],
    },
    Activity {
        app: "Figma",
        window: "Onboarding flow v3 – Figma",
        url: None,
        words: &[
            "frame",
            "component",
            "variant",
            "prototype",
            "spacing",
            "typography",
            "button",
            "modal",
            "onboarding",
            "東京",
            "会議",
        ],
    },
];

const SPEECH: &[&str] = &[
    "let's move the budget review to thursday",
    "can you share the latency numbers from yesterday",
    "I think the migration is blocked on the replica",
    "we should ship the onboarding flow before the offsite",
    "the invoice from the vendor is still missing",
    "who owns the rollback plan for the release",
    "I'll send the slides after this call",
    "the customer asked about data retention again",
    "Zürich office wants the roadmap by friday",
    "ok sounds good, talk tomorrow",
];

fn sentence(rng: &mut Rng, a: &Activity, words: usize) -> String {
    let mut out: Vec<String> = Vec::with_capacity(words);
    for i in 0..words {
        let w = match rng.below(10) {
            0..=4 => (*rng.pick(a.words)).to_owned(),
            5..=7 => (*rng.pick(COMMON)).to_owned(),
            8 => (*rng.pick(PEOPLE)).to_owned(),
            _ => {
                if rng.chance(50) {
                    (*rng.pick(PROJECTS)).to_owned()
                } else {
                    format!("#{}", 1000 + rng.below(9000))
                }
            }
        };
        if i == 0 {
            let mut c = w.chars();
            out.push(c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default());
        } else {
            out.push(w);
        }
    }
    out.join(" ") + "."
}

fn paragraph(rng: &mut Rng, a: &Activity, min_chars: usize, max_chars: usize) -> String {
    let target = min_chars + rng.below(max_chars.saturating_sub(min_chars).max(1));
    let mut text = String::new();
    while text.len() < target {
        if !text.is_empty() {
            text.push(if rng.chance(30) { '\n' } else { ' ' });
        }
        let n = 5 + rng.below(10);
        text.push_str(&sentence(rng, a, n));
    }
    text
}

/// A timestamp in one of screenpipe's stored forms.
fn stored_timestamp(rng: &mut Rng, ms: i64) -> Result<String> {
    let base = UnixMillis(ms).to_rfc3339()?; // 2026-01-05T09:00:00.123Z
    let date_time = &base[..19];
    let millis = &base[20..23];
    Ok(match rng.below(20) {
        0..=12 => format!("{date_time}.{millis}{:03}+00:00", rng.below(1000)),
        13..=15 => format!("{date_time}.{millis}{:06}+00:00", rng.below(1_000_000)),
        16 | 17 => format!("{} {}", &date_time[..10], &date_time[11..]),
        18 => format!("{date_time}+00:00"),
        _ => format!("{date_time}.{millis}+00:00"),
    })
}

/// The whole-second form (what a second-precision row keeps), for media file names.
fn file_stamp(ms: i64) -> Result<String> {
    let base = UnixMillis(ms).to_rfc3339()?;
    Ok(format!("{}_{}", &base[..10], base[11..19].replace(':', "-")))
}

fn write_media(path: &Path, kib: u32, rng: &mut Rng, mtime_ms: i64) -> Result<u64> {
    let mut file = std::fs::File::create(path).io_ctx(|| format!("create {}", path.display()))?;
    // An MP4 header box, then incompressible bytes like a real encoded stream.
    let mut data = Vec::with_capacity(kib as usize * 1024);
    data.extend_from_slice(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41");
    while data.len() < kib as usize * 1024 {
        data.extend_from_slice(&rng.next().to_le_bytes());
    }
    data.truncate((kib as usize * 1024).max(32));
    file.write_all(&data).io_ctx(|| format!("write {}", path.display()))?;
    let when = UNIX_EPOCH + Duration::from_millis(u64::try_from(mtime_ms).unwrap_or(0));
    file.set_modified(when).io_ctx(|| format!("set mtime of {}", path.display()))?;
    Ok(data.len() as u64)
}

fn today_midnight() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    now - now.rem_euclid(86_400_000)
}

/// Writes `DIR/db.sqlite` and `DIR/data/`. Refuses to overwrite an existing database unless
/// `force` (then the database and its media folder are replaced).
pub fn write_fixture(dir: &Path, options: &FixtureOptions, force: bool) -> Result<FixtureSummary> {
    let db_path = dir.join("db.sqlite");
    let data_dir = dir.join("data");
    if db_path.exists() {
        if !force {
            return Err(SyncError::Config(format!("{} exists (use --force to replace it)", db_path.display())));
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db_path.display()));
            if p.exists() {
                std::fs::remove_file(&p).io_ctx(|| format!("remove {}", p.display()))?;
            }
        }
        if data_dir.exists() {
            std::fs::remove_dir_all(&data_dir).io_ctx(|| format!("remove {}", data_dir.display()))?;
        }
    }
    std::fs::create_dir_all(&data_dir).io_ctx(|| format!("create {}", data_dir.display()))?;
    let mut conn = crate::screenpipe::create_database(&db_path)?;
    let mut rng = Rng(options.seed ^ 0x005C_4EE9_1FE5);
    let mut s = FixtureSummary { db_path: db_path.clone(), data_dir: data_dir.clone(), ..FixtureSummary::default() };
    let first_day =
        options.first_day.map(|d| d.0).unwrap_or_else(|| today_midnight() - i64::from(options.days) * 86_400_000);
    let frame_ms = i64::from(options.frame_interval_secs.max(1)) * 1000;
    let chunk_ms = i64::from(options.chunk_secs.max(options.frame_interval_secs).max(1)) * 1000;
    let tx = conn.transaction().ctx("fixture")?;
    {
        let mut ins_vc =
            tx.prepare("INSERT INTO video_chunks (file_path, device_name, fps) VALUES (?1, ?2, ?3)").ctx("fixture")?;
        let mut ins_frame = tx
            .prepare(
                "INSERT INTO frames (video_chunk_id, offset_index, timestamp, name, browser_url, app_name, window_name, focused, device_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .ctx("fixture")?;
        let mut ins_ocr = tx
            .prepare(
                "INSERT INTO ocr_text (frame_id, text, text_json, ocr_engine, text_length, app_name, window_name, focused)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .ctx("fixture")?;
        let mut ins_ac =
            tx.prepare("INSERT INTO audio_chunks (file_path, timestamp) VALUES (?1, ?2)").ctx("fixture")?;
        let mut ins_tr = tx
            .prepare(
                "INSERT OR IGNORE INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device, is_input_device,
                   speaker_id, transcription_engine, start_time, end_time, text_length)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .ctx("fixture")?;
        let mut ins_acc = tx
            .prepare("INSERT INTO accessibility (timestamp, app_name, window_name, text_content, browser_url) VALUES (?1, ?2, ?3, ?4, ?5)")
            .ctx("fixture")?;
        let mut ins_ui = tx
            .prepare(
                "INSERT INTO ui_events (timestamp, session_id, relative_ms, event_type, x, y, button, click_count, key_code, modifiers,
                   text_content, text_length, app_name, app_pid, window_title, browser_url, element_role, element_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )
            .ctx("fixture")?;
        let mut first: Option<i64> = None;
        let mut last = 0i64;
        for day in 0..options.days {
            let day_start = first_day + i64::from(day) * 86_400_000 + 9 * 3_600_000;
            let day_end = day_start + i64::from(options.hours_per_day) * 3_600_000;
            let session = format!("session-{day}-{}", rng.below(100_000));
            let mut current: Vec<usize> = (0..options.monitors).map(|m| (m as usize * 3) % ACTIVITIES.len()).collect();
            let mut next_switch: Vec<i64> = vec![day_start; options.monitors as usize];
            let mut chunk_start = day_start;
            while chunk_start < day_end {
                let chunk_end = (chunk_start + chunk_ms).min(day_end);
                // Video: one chunk per monitor, frames every interval.
                for m in 0..options.monitors {
                    let monitor = format!("monitor_{}", m + 1);
                    let path = data_dir.join(format!("{monitor}_{}.mp4", file_stamp(chunk_start)?));
                    s.media_bytes += write_media(&path, options.video_kib, &mut rng, chunk_end)?;
                    s.media_files += 1;
                    ins_vc
                        .execute(params![path.to_string_lossy(), monitor, 1000.0 / frame_ms as f64])
                        .ctx("fixture video_chunks")?;
                    let chunk_id = tx.last_insert_rowid();
                    s.video_chunks += 1;
                    let mut t = chunk_start + i64::from(m) * 700;
                    let mut offset = 0i64;
                    while t < chunk_end {
                        let mi = m as usize;
                        if t >= next_switch[mi] {
                            current[mi] = rng.below(ACTIVITIES.len());
                            next_switch[mi] = t + 60_000 + rng.below(240) as i64 * 1000;
                        }
                        let a = &ACTIVITIES[current[mi]];
                        let jitter = rng.below(1000) as i64;
                        let ts = stored_timestamp(&mut rng, t + jitter)?;
                        let focused = m == 0;
                        ins_frame
                            .execute(params![
                                chunk_id,
                                offset,
                                ts,
                                Option::<String>::None,
                                a.url,
                                a.app,
                                a.window,
                                focused,
                                monitor
                            ])
                            .ctx("fixture frames")?;
                        let frame_id = tx.last_insert_rowid();
                        s.frames += 1;
                        let windows = 1 + rng.below(3);
                        for w in 0..windows {
                            let (app, window, text) = if w == 0 {
                                (a.app, a.window, paragraph(&mut rng, a, 200, 1200))
                            } else {
                                let other = rng.pick(ACTIVITIES);
                                (other.app, other.window, paragraph(&mut rng, other, 40, 300))
                            };
                            let json = format!(
                                "[{{\"text\":{},\"confidence\":0.9{}}}]",
                                serde_json::Value::from(text.clone()),
                                rng.below(10)
                            );
                            s.text_bytes += text.len() as u64;
                            ins_ocr
                                .execute(params![
                                    frame_id,
                                    text,
                                    json,
                                    "AppleNative",
                                    text.chars().count() as i64,
                                    app,
                                    window,
                                    focused && w == 0
                                ])
                                .ctx("fixture ocr_text")?;
                            s.ocr_text += 1;
                        }
                        first = Some(first.map_or(t, |f| f.min(t)));
                        last = last.max(t);
                        t += frame_ms;
                        offset += 1;
                    }
                }
                // Audio: an input and an output device.
                for (device, input) in [("MacBook Pro Microphone", true), ("MacBook Pro Speakers", false)] {
                    let kind = if input { "input" } else { "output" };
                    let path = data_dir.join(format!("{device} ({kind})_{}.mp4", file_stamp(chunk_start)?));
                    s.media_bytes += write_media(&path, options.audio_kib, &mut rng, chunk_end)?;
                    s.media_files += 1;
                    let chunk_ts = stored_timestamp(&mut rng, chunk_start)?;
                    ins_ac.execute(params![path.to_string_lossy(), chunk_ts]).ctx("fixture audio_chunks")?;
                    let chunk_id = tx.last_insert_rowid();
                    s.audio_chunks += 1;
                    let meeting = current.iter().any(|&c| ACTIVITIES[c].app == "zoom.us");
                    if meeting || rng.chance(35) {
                        let n = 1 + rng.below(3);
                        let span = (chunk_end - chunk_start) as f64 / 1000.0;
                        for i in 0..n {
                            let st = span * i as f64 / n as f64;
                            let et = st + span / n as f64 * 0.8;
                            let text = format!("{} {}", rng.pick(SPEECH), rng.pick(PEOPLE).to_lowercase());
                            let ts = stored_timestamp(&mut rng, chunk_start + (st * 1000.0) as i64)?;
                            s.text_bytes += text.len() as u64;
                            let changed = ins_tr
                                .execute(params![
                                    chunk_id,
                                    i as i64,
                                    ts,
                                    text,
                                    device,
                                    input,
                                    1 + rng.below(4) as i64,
                                    "whisper-large-v3-turbo",
                                    st,
                                    et,
                                    text.chars().count() as i64
                                ])
                                .ctx("fixture audio_transcriptions")?;
                            s.audio_transcriptions += changed as u64;
                        }
                    }
                }
                // Accessibility text of the focused window, once a chunk.
                let a = &ACTIVITIES[current[0]];
                let ts = UnixMillis(chunk_start + 30_000).to_rfc3339()?;
                let sql_ts = format!("{} {}", &ts[..10], &ts[11..19]);
                ins_acc
                    .execute(params![sql_ts, a.app, a.window, paragraph(&mut rng, a, 100, 600), a.url])
                    .ctx("fixture accessibility")?;
                s.accessibility += 1;
                // UI events every 15 seconds.
                let mut t = chunk_start;
                while t < chunk_end {
                    let a = &ACTIVITIES[current[0]];
                    let kind = *rng.pick(&["click", "key", "text", "app_switch", "scroll"]);
                    let text = (kind == "text").then(|| sentence(&mut rng, a, 4));
                    let ts = stored_timestamp(&mut rng, t)?;
                    ins_ui
                        .execute(params![
                            ts,
                            session,
                            t - day_start,
                            kind,
                            rng.below(2560) as i64,
                            rng.below(1440) as i64,
                            (kind == "click").then_some(0i64),
                            (kind == "click").then_some(1i64),
                            (kind == "key").then(|| rng.below(128) as i64),
                            (kind == "key").then(|| rng.below(16) as i64),
                            text.clone(),
                            text.as_ref().map(|t| t.chars().count() as i64),
                            a.app,
                            4000 + rng.below(1000) as i64,
                            a.window,
                            a.url,
                            (kind == "click").then_some("AXButton"),
                            (kind == "click").then(|| format!("{} button", rng.pick(a.words))),
                        ])
                        .ctx("fixture ui_events")?;
                    s.ui_events += 1;
                    t += 15_000;
                }
                chunk_start = chunk_end;
            }
        }
        if let Some(first) = first {
            s.time_range = Some((UnixMillis(first).to_rfc3339()?, UnixMillis(last).to_rfc3339()?));
        }
    }
    tx.commit().ctx("fixture")?;
    Ok(s)
}
