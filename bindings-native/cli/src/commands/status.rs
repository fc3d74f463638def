//! `status`: quota, usage, devices and the local sync state (no password).

use sync_client::SyncError;
use sync_client::config::SyncConfig;
use sync_client::session::{self, StatusReport};

use crate::output::{Out, exit, human_bytes};

/// Runs `status`.
pub(crate) async fn run(config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let report = session::status(config).await?;
    out.emit(&report, || render(&report));
    Ok(exit::OK)
}

/// The report for people.
fn render(report: &StatusReport) {
    println!("device: {}", report.device_id.as_deref().unwrap_or("(not initialised)"));
    if let Some(s) = &report.server {
        println!(
            "tier {}: {} of {} used, {} of {} devices, {} blobs",
            s.quota.sync_tier.as_str(),
            human_bytes(s.quota.storage_used),
            human_bytes(s.quota.storage_limit),
            s.quota.device_count,
            s.quota.device_limit.map(|d| d.to_string()).unwrap_or_else(|| "unlimited".into()),
            s.stats.total_blobs
        );
        println!(
            "stored: text {}, frames {}, audio {}",
            human_bytes(s.storage_breakdown.text),
            human_bytes(s.storage_breakdown.frames),
            human_bytes(s.storage_breakdown.audio)
        );
    } else if let Some(e) = &report.server_error {
        println!("server: {e}");
    }
    let l = &report.local;
    println!(
        "local: {} blobs uploaded ({}), {} pending, {} media files missing, {} blobs pulled, {} failed pulls",
        l.uploaded_blobs,
        human_bytes(l.uploaded_bytes),
        l.pending_uploads,
        l.missing_media,
        l.pulled_blobs,
        l.failed_pulls
    );
    println!("search tokens: {}", if report.search_tokens { "uploaded" } else { "off" });
    if let Some(r) = &report.retention {
        println!("{}", super::retention::describe(r));
    }
    if report.offloaded_files > 0 {
        println!(
            "offloaded by archive: {} files ({}) in the cloud only (screenpipe-sync restore brings them back)",
            report.offloaded_files,
            human_bytes(report.offloaded_bytes)
        );
    }
}
