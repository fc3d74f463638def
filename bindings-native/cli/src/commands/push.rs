//! `push`: package and upload everything new (resumes an interrupted push).

use sync_client::SyncError;
use sync_client::config::SyncConfig;
use sync_client::session::PushReport;

use crate::global::Global;
use crate::output::{Out, exit, human_bytes};

/// Runs `push`.
pub(crate) async fn run(g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let session = g.unlock(config).await?;
    let report = session.push(g.progress()).await?;
    out.emit(&report, || render(&report));
    Ok(exit::OK)
}

/// The report for people.
fn render(report: &PushReport) {
    println!(
        "pushed {} blobs ({}): {} text bundles with {} new rows, {} media files ({} snapshot packs)",
        report.uploaded_blobs,
        human_bytes(report.uploaded_bytes),
        report.text_bundles,
        report.rows,
        report.media_files,
        report.snapshot_packs
    );
    println!("screenpipe database: {}", report.schema);
    if !report.missing_media.is_empty() {
        println!("{} media files missing on disk were skipped:", report.missing_media.len());
        for m in report.missing_media.iter().take(20) {
            println!("  {m}");
        }
    }
    if report.media_waiting {
        println!("some media files are still being written; the next push takes them");
    }
}
