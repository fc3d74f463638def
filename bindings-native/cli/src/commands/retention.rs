//! `retention`: the cloud retention chosen per data type (show, or set within the tier's).

use clap::{Args, Subcommand};
use sync_client::SyncError;
use sync_client::config::SyncConfig;
use sync_client::session;
use sync_core::BlobType;
use sync_core::wire::RetentionResponse;

use super::parse_duration;
use crate::output::{Out, exit};

/// Show or set the retention.
#[derive(Args, Debug)]
pub(crate) struct RetentionArgs {
    #[command(subcommand)]
    action: Option<RetentionAction>,
}

/// What to do.
#[derive(Subcommand, Debug)]
enum RetentionAction {
    /// Show the choice (the default).
    Show,
    /// Change the choice for the types given (the others keep theirs): a duration in whole
    /// days (`90d`, `12w`, `1y`) or `forever` (as long as the tier keeps data).
    Set {
        /// Screen recordings (video chunks, snapshots).
        #[arg(long)]
        screen: Option<String>,
        /// Audio recordings.
        #[arg(long)]
        audio: Option<String>,
        /// Text (screen text, transcriptions, ...).
        #[arg(long)]
        text: Option<String>,
    },
}

/// `forever` or a whole number of days.
fn parse_days(text: &str) -> Result<Option<u32>, SyncError> {
    if matches!(text.trim(), "forever" | "tier" | "none") {
        return Ok(None);
    }
    let secs = parse_duration(text)?.as_secs();
    if secs == 0 || secs % 86_400 != 0 {
        return Err(SyncError::Config(format!(
            "{text:?}: a retention is a whole number of days (90d, 12w, 1y) or forever"
        )));
    }
    u32::try_from(secs / 86_400).map(Some).map_err(|_| SyncError::Config(format!("{text:?} is too long")))
}

/// Runs `retention` (no password needed).
pub(crate) async fn run(args: &RetentionArgs, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let answer = match &args.action {
        None | Some(RetentionAction::Show) => session::retention(config).await?,
        Some(RetentionAction::Set { screen, audio, text }) => {
            let mut policy = session::retention(config).await?.policy;
            for (blob_type, value) in [(BlobType::Frames, screen), (BlobType::Audio, audio), (BlobType::Text, text)] {
                if let Some(value) = value {
                    policy.set(blob_type, parse_days(value)?);
                }
            }
            session::set_retention(config, &policy).await?
        }
    };
    out.emit(&answer, || println!("{}", describe(&answer)));
    Ok(exit::OK)
}

/// One line: `cloud retention: screen 90 days, audio 365 days, text forever (tier: forever)`.
pub(crate) fn describe(r: &RetentionResponse) -> String {
    let tier = r.tier_retention_days.map(|d| format!("{d} days")).unwrap_or_else(|| "forever".into());
    let one = |d: Option<u32>| d.map(|d| format!("{d} days")).unwrap_or_else(|| format!("as the tier ({tier})"));
    format!(
        "cloud retention: screen {}, audio {}, text {}",
        one(r.policy.frames),
        one(r.policy.audio),
        one(r.policy.text)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn days() {
        assert_eq!(parse_days("90d").unwrap(), Some(90));
        assert_eq!(parse_days("1y").unwrap(), Some(365));
        assert_eq!(parse_days("2w").unwrap(), Some(14));
        assert_eq!(parse_days("forever").unwrap(), None);
        assert_eq!(parse_days("12h").unwrap_err().code(), "config");
        assert_eq!(parse_days("0d").unwrap_err().code(), "config");
    }
}
