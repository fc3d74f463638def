//! `link`: on an unlocked device, show a short code for a new device and send it this account's
//! keys once the user approves the device that typed it (docs/FORMAT.md section 12).
//!
//! Prints `code: 4821-ocean-velvet-tiger` on a line of its own (and the link URI for a QR code),
//! waits for the new device (`screenpipe-sync join CODE`), shows its name and OS, and asks on the
//! terminal; `--yes` approves without asking (scripts). With `--json` the first line is
//! `{"code", "link_uri", "mailbox"}` and the last the result.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use serde::Serialize;
use sync_client::SyncError;
use sync_client::config::SyncConfig;

use crate::global::Global;
use crate::output::{Out, exit};

/// `link`'s options.
#[derive(Args, Debug)]
pub(crate) struct LinkArgs {
    /// Send the keys to the device that joins without asking (for scripts).
    #[arg(long)]
    yes: bool,
}

/// The code, shown first.
#[derive(Serialize)]
struct CodeOutput<'a> {
    code: &'a str,
    link_uri: &'a str,
    mailbox: u16,
}

/// What `link` did.
#[derive(Serialize)]
struct LinkOutput<'a> {
    /// True when the keys were sent.
    approved: bool,
    device_name: &'a str,
    device_os: &'a str,
}

/// Asks on the terminal; anything but y/yes is no.
fn ask(question: &str) -> Result<bool, SyncError> {
    if !std::io::stdin().is_terminal() {
        return Err(SyncError::Config("no terminal to ask for approval: pass --yes to approve without asking".into()));
    }
    eprint!("{question}");
    std::io::stderr().flush().map_err(|e| SyncError::io("write to the terminal", e))?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| SyncError::io("read from the terminal", e))?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Runs `link`.
pub(crate) async fn run(args: &LinkArgs, g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let session = g.unlock(config).await?;
    let mut linking = session.link_start().await?;
    let code = linking.code();
    let uri = linking.link_uri()?;
    let shown = CodeOutput { code: &code, link_uri: &uri, mailbox: linking.mailbox() };
    out.emit(&shown, || {
        println!("code: {}", shown.code);
        println!("link: {}", shown.link_uri);
        eprintln!("On the new device run `screenpipe-sync join {}` (within 10 minutes).", shown.code);
    });
    std::io::stdout().flush().map_err(|e| SyncError::io("write the code", e))?;
    drop(code);
    let device = linking.wait_for_joiner().await?;
    if !out.json {
        eprintln!("A device typed the code: \"{}\" ({}).", device.name(), device.os());
    }
    let approved = if args.yes {
        true
    } else {
        match ask(&format!("Send this account's keys to \"{}\" ({})? [y/N] ", device.name(), device.os())) {
            Ok(answer) => answer,
            Err(e) => {
                if let Err(deny) = linking.deny().await {
                    eprintln!("warning: cannot send the refusal: {deny}");
                }
                return Err(e);
            }
        }
    };
    if approved {
        linking.approve().await?;
    } else {
        linking.deny().await?;
    }
    let result = LinkOutput { approved, device_name: device.name(), device_os: device.os() };
    out.emit(&result, || {
        if approved {
            println!("keys sent to \"{}\" ({})", device.name(), device.os());
        } else {
            println!("refused: no key was sent");
        }
    });
    Ok(exit::OK)
}
