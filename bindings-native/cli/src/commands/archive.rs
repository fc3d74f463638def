//! `archive`: offload media files already proven in the cloud, to free the disk; with
//! `--drop-text`, also drop this device's old text rows proven in the cloud (`restore` writes
//! them back).

use clap::Args;
use sync_client::SyncError;
use sync_client::archive::{ArchiveOptions, ArchiveReport, MediaKind, TextDropReport};
use sync_client::config::SyncConfig;
use sync_core::UnixMillis;

use super::{parse_duration, parse_time};
use crate::global::Global;
use crate::output::{Out, exit, human_bytes};

/// What to offload.
#[derive(Args, Debug)]
pub(crate) struct ArchiveArgs {
    /// Offload files older than this (`30d`, `12h`, `2w`, `1y`).
    #[arg(long, conflicts_with = "before", required_unless_present = "before")]
    older_than: Option<String>,
    /// Offload files older than this time instead (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    before: Option<String>,
    /// Which media: `screen` (video chunks and snapshots), `audio`, comma-separated.
    #[arg(long, default_value = "screen,audio")]
    types: String,
    /// Show what would be offloaded; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also download and decrypt each file's blob and compare it before deleting (the only way
    /// to offload files pushed before proofs were recorded).
    #[arg(long)]
    verify_read: bool,
    /// Also drop this device's text rows older than the cutoff (screen text, UI elements,
    /// transcriptions) once each is proven in the cloud: its bundle is downloaded, decrypted and
    /// compared row by row first. `restore` of the range writes them back with the same ids.
    #[arg(long)]
    drop_text: bool,
}

/// The JSON report: the media's fields, and `text` with `--drop-text`.
#[derive(serde::Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    media: &'a ArchiveReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a TextDropReport>,
}

/// Runs `archive`.
pub(crate) async fn run(args: &ArchiveArgs, g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let before = match (&args.older_than, &args.before) {
        (Some(age), _) => {
            let age = parse_duration(age)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            UnixMillis(now.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX)))
        }
        (None, Some(t)) => parse_time(t)?,
        (None, None) => return Err(SyncError::Config("give --older-than or --before".into())),
    };
    let options = ArchiveOptions {
        before,
        kinds: MediaKind::parse_list(&args.types)?,
        dry_run: args.dry_run,
        read_back: args.verify_read,
    };
    let session = g.unlock(config).await?;
    let report = session.archive(&options, g.progress()).await?;
    let text = if args.drop_text { Some(session.drop_text(before, args.dry_run, g.progress()).await?) } else { None };
    out.emit(&Report { media: &report, text: text.as_ref() }, || {
        render(&report);
        if let Some(t) = &text {
            render_text(t);
        }
    });
    Ok(exit::OK)
}

/// The text part of the report for people (rows kept on stderr).
fn render_text(t: &TextDropReport) {
    let verb = if t.dry_run { "would drop" } else { "dropped" };
    println!(
        "text: {verb} {} rows (about {}) of {} bundles proven in the cloud ({} bundles before the cutoff)",
        t.total_rows(),
        human_bytes(t.text_bytes),
        t.bundles_proven,
        t.bundles
    );
    for (table, n) in &t.rows {
        println!("  {table}: {n} rows");
    }
    for (table, n) in &t.not_droppable {
        println!("  {table}: {n} rows kept (this screenpipe's rows of that table are not dropped)");
    }
    if t.already_absent > 0 {
        println!("  {} rows were dropped before", t.already_absent);
    }
    for k in &t.kept {
        let row = k.row_id.map(|r| format!("#{r}")).unwrap_or_default();
        eprintln!("kept text {}{row} (bundle {}, {}): {}", k.table, k.blob_id, k.reason, k.detail);
    }
    for r in &t.not_restorable {
        eprintln!("kept text {r} (not_restorable): its bundle cannot give every column back");
    }
}

/// The report for people (files left alone on stderr).
fn render(r: &ArchiveReport) {
    let verb = if r.dry_run { "would offload" } else { "offloaded" };
    println!("{verb} {} files, {} freed on this disk", r.files, human_bytes(r.bytes_freed));
    for (kind, n) in &r.by_kind {
        println!("  {kind}: {n} files");
    }
    if r.resumed > 0 {
        println!("{} files of an interrupted run finished", r.resumed);
    }
    if r.already_offloaded > 0 {
        println!("{} files were offloaded before", r.already_offloaded);
    }
    if r.read_back > 0 {
        println!("{} files read back from the cloud and compared before deletion", r.read_back);
    }
    println!("screenpipe: {}", r.schema);
    if !r.skipped.is_empty() {
        println!("{} files left on this disk:", r.skipped.len());
    }
    for s in &r.skipped {
        eprintln!("kept {} ({}): {}", s.path, s.reason, s.detail);
    }
}
