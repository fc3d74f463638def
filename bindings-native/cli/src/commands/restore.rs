//! `restore`: media files of a time range back from the cloud, at their paths; and the other
//! devices' rows and files of the range, where `pull` puts them.

use clap::Args;
use sync_client::SyncError;
use sync_client::archive::{MediaKind, RestoreOptions, RestoreReport};
use sync_client::config::SyncConfig;
use sync_core::UnixMillis;

use super::parse_time;
use crate::global::Global;
use crate::output::{Out, exit, human_bytes};

/// What to restore.
#[derive(Args, Debug)]
pub(crate) struct RestoreArgs {
    /// Files from this time on (RFC 3339 or YYYY-MM-DD; default: the beginning).
    #[arg(long)]
    since: Option<String>,
    /// Files up to this time (default: now).
    #[arg(long)]
    until: Option<String>,
    /// Which media of this device: `screen`, `audio`, comma-separated.
    #[arg(long, default_value = "screen,audio")]
    types: String,
    /// Only this device's files: without it, the other devices' rows and files of the range
    /// come back too (imported and written where `pull` puts them: on a new device of the
    /// account, that is how another device's history of a period arrives).
    #[arg(long)]
    this_device_only: bool,
}

/// Runs `restore`: exit code 7 when some files (or other devices' blobs) could not be restored.
pub(crate) async fn run(args: &RestoreArgs, g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let options = RestoreOptions {
        since: args.since.as_deref().map(parse_time).transpose()?.unwrap_or(UnixMillis(0)),
        until: args.until.as_deref().map(parse_time).transpose()?.unwrap_or(UnixMillis(i64::MAX)),
        kinds: MediaKind::parse_list(&args.types)?,
        other_devices: !args.this_device_only,
    };
    let session = g.unlock(config).await?;
    let report = session.restore(&options, g.progress()).await?;
    out.emit(&report, || render(&report));
    Ok(if report.complete() { exit::OK } else { exit::PARTIAL })
}

/// The report for people.
fn render(r: &RestoreReport) {
    println!("restored {} files ({}); {} were already in place", r.restored, human_bytes(r.bytes), r.already_present);
    for s in &r.skipped {
        eprintln!("not restored {} ({}): {}", s.path, s.reason, s.detail);
    }
    let t = &r.text;
    if t.rows() > 0 || t.skipped > 0 || !t.failed.is_empty() {
        println!(
            "dropped text written back: {} frames' text, {} elements, {} transcriptions from {} bundles ({} already there)",
            t.frames, t.elements, t.transcriptions, t.bundles, t.skipped
        );
    }
    for f in &t.failed {
        eprintln!("dropped text not restored: {f}");
    }
    if let Some(p) = &r.other_devices {
        println!(
            "other devices: {} bundles imported ({} rows), {} already here, {} media files written, {} pending",
            p.imported_blobs, p.rows_inserted, p.already_imported, p.media_written, p.media_pending
        );
        for f in &p.failures {
            eprintln!("not restored blob {} ({}): {}", f.blob_id, f.code, f.message);
        }
    }
}
