//! `screenpipe-sync`: the command line of screenpipe's end-to-end encrypted sync, a thin layer
//! over the `sync_native` library. See `bindings-native/README.md` for every command and
//! setting.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use sync_core::{DeviceId, UnixMillis};
use sync_native::config::{ConfigFile, SyncConfig};
use sync_native::fixture::{FixtureOptions, write_fixture};
use sync_native::query::SearchOptions;
use sync_native::session::{self, InitOutcome, SyncSession};
use sync_native::{Progress, Stage, SyncError};
use zeroize::Zeroizing;

mod progress_bars;

/// screenpipe sync: end-to-end encrypted cloud sync of screenpipe's recordings.
#[derive(Parser, Debug)]
#[command(name = "screenpipe-sync", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Global {
    /// Sync server (its root or its /api/sync base).
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_SERVER")]
    server: Option<String>,
    /// The account's bearer token.
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// screenpipe's database [default: ~/.screenpipe/db.sqlite].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_DB")]
    db: Option<PathBuf>,
    /// screenpipe's media folder [default: ~/.screenpipe/data].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// This client's state folder [default: ~/.screenpipe/sync].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Name of this device in the account's device list [default: the host name].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_DEVICE_NAME")]
    device_name: Option<String>,
    /// Config file (TOML) [default: STATE_DIR/config.toml when it exists].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_CONFIG")]
    config: Option<PathBuf>,
    /// Read the password from this file (first line) instead of the prompt.
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    /// Upload search tokens (true/false) [default: true].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_SEARCH_TOKENS")]
    search_tokens: Option<bool>,
    /// Bandwidth limit for transfers, bytes per second (e.g. 500K, 2M).
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_BANDWIDTH_LIMIT")]
    bandwidth_limit: Option<String>,
    /// Seconds a media file must be unmodified before it is uploaded [default: 120].
    #[arg(long, global = true, env = "SCREENPIPE_SYNC_MEDIA_SETTLE_SECS")]
    media_settle_secs: Option<u64>,
    /// Machine-readable output: one JSON object on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars.
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Register this device; create the account's keys (prints the recovery phrase once) or
    /// unlock the existing ones.
    Init,
    /// Package and upload everything new (resumes an interrupted push).
    Push,
    /// Download, decrypt and import other devices' data.
    Pull {
        /// Only data from this time on (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Only data up to this time.
        #[arg(long)]
        until: Option<String>,
    },
    /// Search local and cloud data (screenpipe's /search result shape).
    Search {
        /// Words that must all appear.
        query: String,
        /// From (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        start: Option<String>,
        /// Until (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        end: Option<String>,
        /// Most results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Results skipped first.
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Only the local database.
        #[arg(long, conflicts_with = "cloud_only")]
        local_only: bool,
        /// Only the cloud.
        #[arg(long)]
        cloud_only: bool,
    },
    /// Quota, usage, devices and the local sync state.
    Status,
    /// List the account's devices, or remove one.
    Devices {
        #[command(subcommand)]
        action: Option<DevicesAction>,
    },
    /// Set a new password (same keys).
    ChangePassword {
        /// Read the new password from this file.
        #[arg(long, env = "SCREENPIPE_SYNC_NEW_PASSWORD_FILE")]
        new_password_file: Option<PathBuf>,
    },
    /// Set a new password with the recovery phrase.
    Recover {
        /// Read the recovery phrase from this file.
        #[arg(long, env = "SCREENPIPE_SYNC_RECOVERY_PHRASE_FILE")]
        phrase_file: Option<PathBuf>,
        /// Read the new password from this file.
        #[arg(long, env = "SCREENPIPE_SYNC_NEW_PASSWORD_FILE")]
        new_password_file: Option<PathBuf>,
    },
    /// Rotate the master key (prints the new recovery phrase once).
    RotateKey,
    /// Developer tools.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(Subcommand, Debug)]
enum DevicesAction {
    /// Unregister a device (its data stays).
    Remove {
        /// The device id (see `devices`).
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum DevCommand {
    /// Write a realistic screenpipe database (DIR/db.sqlite) and media folder (DIR/data).
    Fixture {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
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
        /// KiB per video file.
        #[arg(long, default_value_t = 256)]
        video_kib: u32,
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

/// Exit codes (documented in the README).
mod exit {
    pub const ERROR: u8 = 1;
    pub const AUTH: u8 = 3;
    pub const QUOTA: u8 = 4;
    pub const DEVICE_LIMIT: u8 = 5;
    pub const NETWORK: u8 = 6;
    pub const PARTIAL: u8 = 7;
}

fn exit_code(e: &SyncError) -> u8 {
    match e.code().as_str() {
        "wrong_password" | "bad_mnemonic" | "weak_password" | "empty_password" | "UNAUTHORIZED" => exit::AUTH,
        "QUOTA_EXCEEDED" => exit::QUOTA,
        "DEVICE_LIMIT_EXCEEDED" => exit::DEVICE_LIMIT,
        "network" => exit::NETWORK,
        _ => exit::ERROR,
    }
}

fn parse_time(text: &str) -> Result<UnixMillis, SyncError> {
    let t = text.trim();
    let full = if t.len() == 10 { format!("{t} 00:00:00") } else { t.to_owned() };
    sync_core::records::parse_timestamp(&full)
        .map_err(|_| SyncError::Config(format!("{text:?} is not a time (RFC 3339 or YYYY-MM-DD)")))
}

fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, SyncError> {
    let meta =
        std::fs::metadata(path).map_err(|e| SyncError::Io { context: format!("{}", path.display()), source: e })?;
    if meta.len() > 8192 {
        return Err(SyncError::Config(format!("{} is too large for a secret", path.display())));
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| SyncError::Io { context: format!("read {}", path.display()), source: e })?,
    );
    Ok(Zeroizing::new(text.lines().next().unwrap_or("").to_owned()))
}

/// A secret from an environment variable, a file, or the terminal (never echoed).
fn secret(env: &str, file: Option<&Path>, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, SyncError> {
    if let Ok(v) = std::env::var(env) {
        return Ok(Zeroizing::new(v));
    }
    if let Some(path) = file {
        return read_secret_file(path);
    }
    if !std::io::stdin().is_terminal() {
        return Err(SyncError::Config(format!(
            "no terminal to ask for it: set {env} or pass the matching --…-file option"
        )));
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(prompt)
            .map_err(|e| SyncError::Io { context: "read from the terminal".into(), source: e })?,
    );
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("Again: ")
                .map_err(|e| SyncError::Io { context: "read from the terminal".into(), source: e })?,
        );
        if *again != *first {
            return Err(SyncError::Config("the two entries differ".into()));
        }
    }
    Ok(first)
}

fn build_config(g: &Global) -> Result<SyncConfig, SyncError> {
    let mut config = SyncConfig::default();
    let state_dir = g.state_dir.clone().unwrap_or_else(|| config.state_dir.clone());
    let file_path = g.config.clone().or_else(|| Some(state_dir.join("config.toml")).filter(|p| p.exists()));
    if let Some(path) = file_path {
        config.apply_file(&ConfigFile::read(&path)?);
    }
    if let Some(v) = &g.server {
        config.server = Some(v.clone());
    }
    if let Some(v) = &g.token {
        config.token = Some(v.clone());
    }
    if let Some(v) = &g.db {
        config.db_path = v.clone();
    }
    if let Some(v) = &g.data_dir {
        config.data_dir = v.clone();
    }
    if let Some(v) = &g.state_dir {
        config.state_dir = v.clone();
    }
    if let Some(v) = &g.device_name {
        config.device_name = v.clone();
    }
    if let Some(v) = g.search_tokens {
        config.search_tokens = v;
    }
    if let Some(v) = &g.bandwidth_limit {
        config.client.bandwidth_limit =
            Some(sync_native::throttle::parse_rate(v).ok_or_else(|| {
                SyncError::Config(format!("--bandwidth-limit {v:?} is not a rate such as 500K or 2M"))
            })?);
    }
    if let Some(v) = g.media_settle_secs {
        config.media_settle = std::time::Duration::from_secs(v);
    }
    Ok(config)
}

struct Out {
    json: bool,
}

impl Out {
    fn emit(&self, value: serde_json::Value, human: impl FnOnce()) {
        if self.json {
            println!("{value}");
        } else {
            human();
        }
    }
}

fn progress(g: &Global) -> Arc<dyn Progress> {
    if g.json || g.quiet || !std::io::stderr().is_terminal() {
        Arc::new(progress_bars::Plain { warnings: !g.json })
    } else {
        Arc::new(progress_bars::Bars::new())
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[i]) }
}

async fn unlock(config: &SyncConfig, g: &Global) -> Result<SyncSession, SyncError> {
    let password = secret("SCREENPIPE_SYNC_PASSWORD", g.password_file.as_deref(), "Password: ", false)?;
    SyncSession::unlock(config, &password).await
}

async fn run(cli: Cli) -> Result<u8, SyncError> {
    let g = &cli.global;
    let out = Out { json: g.json };
    if let Command::Dev {
        command:
            DevCommand::Fixture {
                out: dir,
                days,
                hours_per_day,
                monitors,
                frame_interval,
                chunk_secs,
                video_kib,
                audio_kib,
                first_day,
                seed,
                force,
            },
    } = &cli.command
    {
        let options = FixtureOptions {
            days: *days,
            hours_per_day: (*hours_per_day).clamp(1, 24),
            first_day: first_day.as_deref().map(parse_time).transpose()?,
            monitors: (*monitors).clamp(1, 16),
            frame_interval_secs: (*frame_interval).max(1),
            chunk_secs: (*chunk_secs).max(1),
            video_kib: *video_kib,
            audio_kib: *audio_kib,
            seed: *seed,
        };
        let dir = dir.clone();
        let force = *force;
        let summary = tokio::task::spawn_blocking(move || write_fixture(&dir, &options, force))
            .await
            .map_err(|e| SyncError::State(e.to_string()))??;
        out.emit(serde_json::to_value(&summary).unwrap_or_default(), || {
            println!("wrote {}", summary.db_path.display());
            println!(
                "  {} frames, {} OCR rows, {} transcriptions, {} accessibility rows, {} UI events",
                summary.frames,
                summary.ocr_text,
                summary.audio_transcriptions,
                summary.accessibility,
                summary.ui_events
            );
            println!(
                "  {} media files ({}) in {}",
                summary.media_files,
                human_bytes(summary.media_bytes),
                summary.data_dir.display()
            );
            if let Some((a, b)) = &summary.time_range {
                println!("  from {a} to {b}");
            }
        });
        return Ok(0);
    }
    let config = build_config(g)?;
    match &cli.command {
        Command::Dev { .. } => Ok(0),
        Command::Init => {
            let password = secret("SCREENPIPE_SYNC_PASSWORD", g.password_file.as_deref(), "Password: ", false)?;
            let (session, outcome) = SyncSession::init(&config, &password).await?;
            let device = session.device_id().to_string();
            let version = session.keys().current_version();
            match outcome {
                InitOutcome::Created { recovery_phrase } => {
                    out.emit(
                        json!({"created": true, "device_id": device, "key_version": version, "recovery_phrase": recovery_phrase.expose()}),
                        || {
                            println!("Account created; this device is {device}.");
                            println!();
                            println!("Recovery phrase (shown once; write it down and keep it safe):");
                            println!();
                            println!("    {}", recovery_phrase.expose());
                            println!();
                            println!("Anyone with it can read your data; without it and the password, nobody can.");
                        },
                    );
                }
                InitOutcome::Unlocked => {
                    out.emit(json!({"created": false, "device_id": device, "key_version": version}), || {
                        println!("Unlocked key version {version}; this device is {device}.");
                    });
                }
            }
            Ok(0)
        }
        Command::Push => {
            let session = unlock(&config, g).await?;
            let report = session.push(progress(g)).await?;
            out.emit(serde_json::to_value(&report).unwrap_or_default(), || {
                println!(
                    "pushed {} blobs ({}): {} text bundles with {} new rows, {} media files",
                    report.uploaded_blobs,
                    human_bytes(report.uploaded_bytes),
                    report.text_bundles,
                    report.rows,
                    report.media_files
                );
                if !report.missing_media.is_empty() {
                    println!("{} media files missing on disk were skipped:", report.missing_media.len());
                    for m in report.missing_media.iter().take(20) {
                        println!("  {m}");
                    }
                }
                if report.media_waiting {
                    println!("some media files are still being written; the next push takes them");
                }
            });
            Ok(0)
        }
        Command::Pull { since, until } => {
            let session = unlock(&config, g).await?;
            let since = since.as_deref().map(parse_time).transpose()?;
            let until = until.as_deref().map(parse_time).transpose()?;
            let report = session.pull(since, until, progress(g)).await?;
            out.emit(serde_json::to_value(&report).unwrap_or_default(), || {
                println!(
                    "pulled {} blobs: {} rows inserted, {} media files written ({} already imported)",
                    report.imported_blobs, report.rows_inserted, report.media_written, report.already_imported
                );
                if report.media_pending > 0 {
                    println!("{} media files are not available yet; the next pull fetches them", report.media_pending);
                }
                for f in &report.failures {
                    eprintln!("rejected {} blob {}: {} ({})", f.blob_type, f.blob_id, f.message, f.code);
                }
            });
            Ok(if report.failures.is_empty() { 0 } else { exit::PARTIAL })
        }
        Command::Search { query, start, end, limit, offset, local_only, cloud_only } => {
            let session = unlock(&config, g).await?;
            let options = SearchOptions {
                start: start.as_deref().map(parse_time).transpose()?,
                end: end.as_deref().map(parse_time).transpose()?,
                limit: *limit,
                offset: *offset,
                cloud: !local_only,
                local: !cloud_only,
                ..SearchOptions::default()
            };
            let items = session.query().query_all(query, &options).await?;
            out.emit(
                json!({"data": items, "pagination": {"limit": limit, "offset": offset, "total": items.len()}}),
                || {
                    if items.is_empty() {
                        println!("no results");
                    }
                    for item in &items {
                        let v = serde_json::to_value(item).unwrap_or_default();
                        let c = &v["content"];
                        let (kind, text, app) = match v["type"].as_str() {
                            Some("OCR") => {
                                ("OCR", c["text"].as_str().unwrap_or(""), c["app_name"].as_str().unwrap_or(""))
                            }
                            _ => (
                                "Audio",
                                c["transcription"].as_str().unwrap_or(""),
                                c["device_name"].as_str().unwrap_or(""),
                            ),
                        };
                        let snippet: String = text.chars().take(100).collect::<String>().replace('\n', " ");
                        println!(
                            "{}  {kind:5} {:6} {app}: {snippet}",
                            c["timestamp"].as_str().unwrap_or(""),
                            item.source
                        );
                    }
                },
            );
            Ok(0)
        }
        Command::Status => {
            let report = session::status(&config).await?;
            out.emit(serde_json::to_value(&report).unwrap_or_default(), || {
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
            });
            Ok(0)
        }
        Command::Devices { action: None } => {
            let devices = session::devices(&config).await?;
            out.emit(json!({ "devices": devices }), || {
                for d in &devices {
                    println!(
                        "{}  {}  ({})  last sync {}",
                        d.device_id,
                        d.device_name,
                        d.device_os,
                        d.last_sync_at.and_then(|t| t.to_rfc3339().ok()).unwrap_or_else(|| "never".into())
                    );
                }
            });
            Ok(0)
        }
        Command::Devices { action: Some(DevicesAction::Remove { id }) } => {
            let device = DeviceId::new(id.clone())?;
            let removed = session::remove_device(&config, &device).await?;
            out.emit(json!({ "removed": removed, "device_id": id }), || {
                println!("{}", if removed { format!("removed {id}") } else { format!("no device {id}") });
            });
            Ok(if removed { 0 } else { exit::ERROR })
        }
        Command::ChangePassword { new_password_file } => {
            let mut session = unlock(&config, g).await?;
            let new = secret("SCREENPIPE_SYNC_NEW_PASSWORD", new_password_file.as_deref(), "New password: ", true)?;
            session.change_password(&new).await?;
            out.emit(json!({"changed": true}), || println!("password changed"));
            Ok(0)
        }
        Command::Recover { phrase_file, new_password_file } => {
            let phrase = secret("SCREENPIPE_SYNC_RECOVERY_PHRASE", phrase_file.as_deref(), "Recovery phrase: ", false)?;
            let new = secret("SCREENPIPE_SYNC_NEW_PASSWORD", new_password_file.as_deref(), "New password: ", true)?;
            let session = SyncSession::recover(&config, &phrase, &new).await?;
            out.emit(json!({"recovered": true, "key_version": session.keys().current_version()}), || {
                println!("password reset with the recovery phrase");
            });
            Ok(0)
        }
        Command::RotateKey => {
            let password = secret("SCREENPIPE_SYNC_PASSWORD", g.password_file.as_deref(), "Password: ", false)?;
            let mut session = SyncSession::unlock(&config, &password).await?;
            let phrase = session.rotate_key(&password).await?;
            let version = session.keys().current_version();
            out.emit(json!({"key_version": version, "recovery_phrase": phrase.expose()}), || {
                println!("Rotated to key version {version}. New recovery phrase (the old one no longer works):");
                println!();
                println!("    {}", phrase.expose());
            });
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                println!("{}", json!({"error": e.to_string(), "code": e.code(), "hint": e.hint()}));
            } else {
                eprintln!("error: {e}");
                if let Some(h) = e.hint() {
                    eprintln!("hint: {h}");
                }
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

#[allow(dead_code)]
fn _stage_names() -> [&'static str; 4] {
    [Stage::Packaging.as_str(), Stage::Uploading.as_str(), Stage::Downloading.as_str(), Stage::Importing.as_str()]
}
