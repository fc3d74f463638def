//! `pull`: download, decrypt and import other devices' data.

use clap::Args;
use sync_client::SyncError;
use sync_client::config::SyncConfig;
use sync_client::session::PullReport;

use super::parse_time;
use crate::global::Global;
use crate::output::{Out, exit};

/// The time range to pull.
#[derive(Args, Debug)]
pub(crate) struct PullArgs {
    /// Only data from this time on (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// Only data up to this time.
    #[arg(long)]
    until: Option<String>,
}

/// Runs `pull`: exit code 7 when some blobs were rejected.
pub(crate) async fn run(args: &PullArgs, g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let session = g.unlock(config).await?;
    let since = args.since.as_deref().map(parse_time).transpose()?;
    let until = args.until.as_deref().map(parse_time).transpose()?;
    let report = session.pull(since, until, g.progress()).await?;
    out.emit(&report, || render(&report));
    Ok(if report.failures.is_empty() { exit::OK } else { exit::PARTIAL })
}

/// The report for people (rejected blobs on stderr).
fn render(report: &PullReport) {
    println!(
        "pulled {} blobs: {} rows inserted, {} media files written ({} already imported)",
        report.imported_blobs, report.rows_inserted, report.media_written, report.already_imported
    );
    if report.rows_updated > 0 {
        println!("{} memories updated to a newer version", report.rows_updated);
    }
    for (table, n) in &report.not_representable {
        println!("{n} {table} skipped: this screenpipe ({}) has no place for them", report.schema);
    }
    if report.media_pending > 0 {
        println!("{} media files are not available yet; the next pull fetches them", report.media_pending);
    }
    for f in &report.failures {
        eprintln!("rejected {} blob {}: {} ({})", f.blob_type, f.blob_id, f.message, f.code);
    }
}
