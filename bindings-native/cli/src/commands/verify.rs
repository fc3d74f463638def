//! `verify`: the cloud copy of every uploaded blob is there, complete, with the checksum sealed.

use clap::Args;
use sync_client::SyncError;
use sync_client::archive::{VerifyOptions, VerifyReport};
use sync_client::config::SyncConfig;

use super::parse_time;
use crate::global::Global;
use crate::output::{Out, exit, human_bytes};

/// What to verify.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Also download and decrypt every blob (restic's `check --read-data`).
    #[arg(long)]
    read_data: bool,
    /// Only blobs from this time on (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// Only blobs up to this time.
    #[arg(long)]
    until: Option<String>,
}

/// Runs `verify`: exit code 8 on any mismatch.
pub(crate) async fn run(args: &VerifyArgs, g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let options = VerifyOptions {
        since: args.since.as_deref().map(parse_time).transpose()?,
        until: args.until.as_deref().map(parse_time).transpose()?,
        read_data: args.read_data,
    };
    let session = g.unlock(config).await?;
    let report = session.verify(&options, g.progress()).await?;
    out.emit(&report, || render(&report));
    Ok(if report.ok() { exit::OK } else { exit::MISMATCH })
}

/// The report for people (mismatches on stderr).
fn render(r: &VerifyReport) {
    println!(
        "checked {} blobs ({}): {} checksums compared with the sealed ones, {} read and decrypted",
        r.checked,
        human_bytes(r.bytes),
        r.checksums_compared,
        r.read
    );
    if r.ok() {
        println!("every blob is in the cloud as sealed");
    }
    for m in &r.mismatches {
        eprintln!("{} blob {}: {} ({})", m.blob_type, m.blob_id, m.detail, m.problem);
    }
}
