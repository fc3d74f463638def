//! `dev fixture`: a realistic screenpipe database (`DIR/db.sqlite`) and media folder
//! (`DIR/data`) of any size, from the `sync-fixture` crate.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sync_client::SyncError;
use sync_fixture::{FixtureError, FixtureOptions, FixtureSummary, Generation, write_fixture};

use super::parse_time;
use crate::output::{Out, exit, human_bytes};

/// Developer tools.
#[derive(Args, Debug)]
pub(crate) struct DevArgs {
    #[command(subcommand)]
    command: DevCommand,
}

/// A developer tool.
#[derive(Subcommand, Debug)]
enum DevCommand {
    /// Write a realistic screenpipe database (DIR/db.sqlite) and media folder (DIR/data).
    Fixture {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Which screenpipe: 0.4.50 (JPEG snapshots, frames with their text, elements, memories,
        /// meetings) or 2026-02 (mp4 chunks, ocr_text, accessibility).
        #[arg(long, default_value = "0.4.50")]
        generation: Generation,
        /// Days of recording (0: an empty database).
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Active hours per day.
        #[arg(long, default_value_t = 8)]
        hours_per_day: u32,
        /// Monitors.
        #[arg(long, default_value_t = 2)]
        monitors: u32,
        /// Seconds between frames.
        #[arg(long, default_value_t = 5)]
        frame_interval: u32,
        /// Seconds per media chunk.
        #[arg(long, default_value_t = 60)]
        chunk_secs: u32,
        /// KiB per video file (2026-02).
        #[arg(long, default_value_t = 256)]
        video_kib: u32,
        /// KiB per snapshot JPEG (0.4.50).
        #[arg(long, default_value_t = 24)]
        snapshot_kib: u32,
        /// KiB per audio file.
        #[arg(long, default_value_t = 64)]
        audio_kib: u32,
        /// First day (YYYY-MM-DD) [default: DAYS days before today].
        #[arg(long)]
        first_day: Option<String>,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace an existing fixture.
        #[arg(long)]
        force: bool,
    },
}

/// A fixture failure as the CLI reports errors (same codes and exit codes as the client's).
fn fixture_error(e: FixtureError) -> SyncError {
    match e {
        FixtureError::Io { context, source } => SyncError::Io { context, source },
        FixtureError::Database { context, source } => SyncError::Database { context, source },
        FixtureError::Time(e) => SyncError::Core(e),
        other => SyncError::Config(other.to_string()),
    }
}

/// Runs `dev fixture` (no configuration needed).
pub(crate) async fn run(args: &DevArgs, out: Out) -> Result<u8, SyncError> {
    let DevCommand::Fixture {
        out: dir,
        generation,
        days,
        hours_per_day,
        monitors,
        frame_interval,
        chunk_secs,
        video_kib,
        snapshot_kib,
        audio_kib,
        first_day,
        seed,
        force,
    } = &args.command;
    let options = FixtureOptions {
        generation: *generation,
        days: *days,
        hours_per_day: (*hours_per_day).clamp(1, 24),
        first_day: first_day.as_deref().map(parse_time).transpose()?,
        monitors: (*monitors).clamp(1, 16),
        frame_interval_secs: (*frame_interval).max(1),
        chunk_secs: (*chunk_secs).max(1),
        video_kib: *video_kib,
        snapshot_kib: *snapshot_kib,
        audio_kib: *audio_kib,
        seed: *seed,
    };
    let (dir, force) = (dir.clone(), *force);
    let summary =
        tokio::task::spawn_blocking(move || write_fixture(&dir, &options, force)).await?.map_err(fixture_error)?;
    out.emit(&summary, || render(&summary));
    Ok(exit::OK)
}

/// What was written, for people.
fn render(summary: &FixtureSummary) {
    println!("wrote {} (screenpipe {:?})", summary.db_path.display(), summary.generation);
    match summary.generation {
        Generation::V0_4_50 => println!(
            "  {} frames with {} snapshots, {} elements, {} transcriptions, {} UI events, {} memories, {} meetings",
            summary.frames,
            summary.snapshots,
            summary.elements,
            summary.audio_transcriptions,
            summary.ui_events,
            summary.memories,
            summary.meetings
        ),
        Generation::Feb2026 => println!(
            "  {} frames, {} OCR rows, {} transcriptions, {} accessibility rows, {} UI events",
            summary.frames, summary.ocr_text, summary.audio_transcriptions, summary.accessibility, summary.ui_events
        ),
    }
    println!(
        "  {} media files ({}) in {}",
        summary.media_files,
        human_bytes(summary.media_bytes),
        summary.data_dir.display()
    );
    if let Some((a, b)) = &summary.time_range {
        println!("  from {a} to {b}");
    }
}
