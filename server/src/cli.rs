//! The command line: `sync-server [--config FILE] [--data-dir DIR] serve|user ...`.
//!
//! Every flag has an environment variable (`SYNC_SERVER_*`, shown in `--help`); flags win over
//! variables, variables over the TOML file given by `--config` / `SYNC_SERVER_CONFIG`, and
//! the file over the defaults ([`crate::config`]).
//!
//! `user add EMAIL [--tier starter|pro|team]` (default `starter`) prints the new bearer token
//! alone on its last line; scripts take the last line. `user list` prints one tab-separated
//! line per account under a header: `email tier devices blobs storage_used created_at`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use sync_core::wire::SyncTier;
use tracing_subscriber::EnvFilter;

use crate::app;
use crate::config::{self, Config, ConfigError, LogFormat, Overrides};
use crate::domain::accounts;
use crate::redact;
use crate::store::StoreError;
use crate::store::metadata::{CreateUserOutcome, MetadataStore};

/// The `sync-server` command.
#[derive(Debug, Parser)]
#[command(
    name = "sync-server",
    version,
    about = "Self-hostable sync server for screenpipe's end-to-end encrypted sync"
)]
pub struct Cli {
    /// A TOML configuration file.
    #[arg(long, env = "SYNC_SERVER_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite file and objects). Default: ./sync-data.
    #[arg(long, env = "SYNC_SERVER_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Where metadata and objects live when not in the data directory.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server until SIGINT or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Manage accounts.
    User {
        /// What to do.
        #[command(subcommand)]
        command: UserCommand,
    },
}

/// Storage flags, shared by `serve` and `user` (both open the stores). `Debug` hides the
/// database password and the S3 secret.
#[derive(Clone, Default, Args)]
pub struct StorageArgs {
    /// PostgreSQL metadata: postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=require]. Unset: SQLite in the data directory.
    #[arg(long, env = "SYNC_SERVER_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL connections per process. Default: 16.
    #[arg(long, env = "SYNC_SERVER_DATABASE_POOL_SIZE", global = true)]
    pub database_pool_size: Option<usize>,
    /// S3-compatible endpoint as clients reach it (presigned URLs start with it). Default: AWS_ENDPOINT_URL, else AWS S3.
    #[arg(long, env = "SYNC_SERVER_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,
    /// S3 bucket; setting it stores objects in S3 instead of the data directory.
    #[arg(long, env = "SYNC_SERVER_S3_BUCKET", global = true)]
    pub s3_bucket: Option<String>,
    /// S3 region. Default: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.
    #[arg(long, env = "SYNC_SERVER_S3_REGION", global = true)]
    pub s3_region: Option<String>,
    /// S3 access key id. Default: AWS_ACCESS_KEY_ID.
    #[arg(long, env = "SYNC_SERVER_S3_ACCESS_KEY_ID", global = true)]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key. Default: AWS_SECRET_ACCESS_KEY.
    #[arg(long, env = "SYNC_SERVER_S3_SECRET_ACCESS_KEY", global = true, hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// Key prefix inside the bucket. Default: none.
    #[arg(long, env = "SYNC_SERVER_S3_PREFIX", global = true)]
    pub s3_prefix: Option<String>,
}

/// Flags of `serve`. `Debug` hides the Stripe webhook secret.
#[derive(Default, Args)]
pub struct ServeArgs {
    /// Listening address. Default: 127.0.0.1:8787.
    #[arg(long, env = "SYNC_SERVER_BIND")]
    pub bind: Option<String>,
    /// Base of signed URLs as clients reach the server (behind a proxy). Default: http://<bind>.
    #[arg(long, env = "SYNC_SERVER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A directory served at / (the web viewer).
    #[arg(long, env = "SYNC_SERVER_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Origins the viewer may fetch from besides this server and the S3 endpoint
    /// (space-separated https://host[:port]), added to its Content-Security-Policy.
    #[arg(long, env = "SYNC_SERVER_VIEWER_CONNECT_SRC")]
    pub viewer_connect_src: Option<String>,
    /// Log format: text or json. Levels come from RUST_LOG (default info).
    #[arg(long, env = "SYNC_SERVER_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Validity of upload URLs, seconds. Default: 3600.
    #[arg(long, env = "SYNC_SERVER_UPLOAD_URL_TTL_SECS")]
    pub upload_url_ttl_secs: Option<u64>,
    /// Validity of download URLs, seconds. Default: 3600.
    #[arg(long, env = "SYNC_SERVER_DOWNLOAD_URL_TTL_SECS")]
    pub download_url_ttl_secs: Option<u64>,
    /// A pending upload untouched this long is removed, seconds. Default: 86400.
    #[arg(long, env = "SYNC_SERVER_ABANDONED_UPLOAD_SECS")]
    pub abandoned_upload_secs: Option<u64>,
    /// How often the cleanup and retention job runs, seconds. Default: 3600.
    #[arg(long, env = "SYNC_SERVER_CLEANUP_INTERVAL_SECS")]
    pub cleanup_interval_secs: Option<u64>,
    /// Stripe webhook signing secret (whsec_...). Unset: the webhook answers 404.
    #[arg(long, env = "SYNC_SERVER_STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub stripe_webhook_secret: Option<String>,
    /// Stripe price ids to tiers: price_a=starter,price_b=pro,price_c=team.
    #[arg(long, env = "SYNC_SERVER_STRIPE_PRICES")]
    pub stripe_prices: Option<String>,
    /// Limits per account and client.
    #[command(flatten)]
    pub limits: config::LimitSettings,
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints its bearer token on the last line.
    Add {
        /// Login e-mail.
        email: String,
        /// Tier: none, starter, pro or team.
        #[arg(long, default_value = "starter")]
        tier: String,
    },
    /// List accounts.
    List,
    /// Change an account's tier.
    SetTier {
        /// Login e-mail.
        email: String,
        /// none, starter, pro or team.
        tier: String,
    },
    /// Delete an account with all its data.
    Remove {
        /// Login e-mail.
        email: String,
    },
    /// Replace an account's bearer token (after a lost device); prints the new token on the
    /// last line. The old token stops working at once.
    RotateToken {
        /// Login e-mail.
        email: String,
    },
    /// Print an account's billing reference on the last line: put it in a Stripe
    /// subscription's metadata.sync_account to link the subscription to the account.
    BillingReference {
        /// Login e-mail.
        email: String,
    },
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The stores failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server failed.
    #[error(transparent)]
    Start(#[from] app::StartError),
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
}

fn resolve(
    cli_config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    storage: StorageArgs,
    serve: ServeArgs,
) -> Result<Config, CliError> {
    let file = match &cli_config {
        Some(path) => config::load_file(path)?,
        None => config::FileConfig::default(),
    };
    let overrides = Overrides {
        data_dir,
        bind: serve.bind,
        public_url: serve.public_url,
        static_dir: serve.static_dir,
        viewer_connect_src: serve.viewer_connect_src,
        log_format: serve.log_format,
        upload_url_ttl_secs: serve.upload_url_ttl_secs,
        download_url_ttl_secs: serve.download_url_ttl_secs,
        abandoned_upload_secs: serve.abandoned_upload_secs,
        cleanup_interval_secs: serve.cleanup_interval_secs,
        stripe_webhook_secret: serve.stripe_webhook_secret,
        stripe_prices: serve.stripe_prices,
        database_url: storage.database_url,
        database_pool_size: storage.database_pool_size,
        s3_endpoint: storage.s3_endpoint,
        s3_bucket: storage.s3_bucket,
        s3_region: storage.s3_region,
        s3_access_key_id: storage.s3_access_key_id,
        s3_secret_access_key: storage.s3_secret_access_key,
        s3_prefix: storage.s3_prefix,
        limits: serve.limits,
    };
    Ok(config::resolve(file, overrides)?)
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn parse_tier(text: &str) -> Result<SyncTier, CliError> {
    text.parse::<SyncTier>().map_err(|_| CliError::Usage(format!("tier {text:?} is not none, starter, pro or team")))
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => {
            let config = resolve(cli.config, cli.data_dir, cli.storage, *args)?;
            init_logging(config.log_format);
            app::serve(config).await?;
            Ok(())
        }
        Command::User { command } => {
            let config = resolve(cli.config, cli.data_dir, cli.storage, ServeArgs::default())?;
            let mut out = std::io::stdout().lock();
            user_command(&config, command, &mut out).await
        }
    }
}

fn emit(out: &mut impl std::io::Write, line: String) -> Result<(), CliError> {
    writeln!(out, "{line}").map_err(|e| CliError::Store(StoreError::Io(e)))
}

/// Runs a `user` subcommand against the stores of `config`, printing to `out`.
pub async fn user_command(
    config: &Config,
    command: UserCommand,
    out: &mut impl std::io::Write,
) -> Result<(), CliError> {
    let (metadata, objects, _) = app::open_stores(config, "http://localhost").await?;
    match command {
        UserCommand::Add { email, tier } => {
            let tier = parse_tier(&tier)?;
            let email = accounts::normalize_email(&email)
                .ok_or_else(|| CliError::Usage(format!("{email:?} is not an e-mail address")))?;
            let token = accounts::new_token().map_err(|e| CliError::Usage(format!("no randomness: {e}")))?;
            match metadata.create_user(&email, tier, accounts::hash_token(&token), crate::time::now_ms()).await? {
                CreateUserOutcome::Created(user) => {
                    emit(out, format!("created user {} (tier {})", user.email, tier.as_str()))?;
                    emit(out, "bearer token (shown once; the server keeps only its hash):".to_owned())?;
                    emit(out, token)
                }
                CreateUserOutcome::EmailTaken => Err(CliError::Usage(format!("a user {email} exists already"))),
            }
        }
        UserCommand::List => {
            emit(out, "email\ttier\tdevices\tblobs\tstorage_used\tcreated_at".to_owned())?;
            for summary in metadata.list_users().await? {
                let created = summary.user.created_at.to_rfc3339().unwrap_or_default();
                emit(
                    out,
                    format!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        summary.user.email,
                        summary.user.tier.as_str(),
                        summary.device_count,
                        summary.blob_count,
                        summary.storage_used,
                        created
                    ),
                )?;
            }
            Ok(())
        }
        UserCommand::SetTier { email, tier } => {
            let tier = parse_tier(&tier)?;
            let user = find(metadata.as_ref(), &email).await?;
            metadata.set_tier(user.id, tier).await?;
            emit(out, format!("{} is now on tier {}", user.email, tier.as_str()))
        }
        UserCommand::RotateToken { email } => {
            let user = find(metadata.as_ref(), &email).await?;
            let token = accounts::new_token().map_err(|e| CliError::Usage(format!("no randomness: {e}")))?;
            if !metadata.set_token_hash(user.id, accounts::hash_token(&token)).await? {
                return Err(CliError::Usage(format!("no user {email}")));
            }
            emit(out, format!("new bearer token for {} (the old one no longer works; shown once):", user.email))?;
            emit(out, token)
        }
        UserCommand::BillingReference { email } => {
            let user = find(metadata.as_ref(), &email).await?;
            let references = app::billing_references(metadata.as_ref()).await?;
            emit(out, format!("billing reference of {} (Stripe subscription metadata.sync_account):", user.email))?;
            emit(out, references.reference(user.id))
        }
        UserCommand::Remove { email } => {
            let user = find(metadata.as_ref(), &email).await?;
            let removed = metadata.delete_user(user.id).await?;
            for key in &removed.objects {
                objects.delete(key).await?;
            }
            emit(
                out,
                format!("removed user {} ({} blobs, {} bytes)", user.email, removed.completed, removed.freed_bytes),
            )
        }
    }
}

async fn find(metadata: &dyn MetadataStore, email: &str) -> Result<crate::store::metadata::User, CliError> {
    let normalized = accounts::normalize_email(email).unwrap_or_else(|| email.to_owned());
    metadata.user_by_email(&normalized).await?.ok_or_else(|| CliError::Usage(format!("no user {email}")))
}

impl std::fmt::Debug for StorageArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageArgs")
            .field("database_url", &redact::url(&self.database_url))
            .field("database_pool_size", &self.database_pool_size)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field("s3_secret_access_key", &redact::secret(&self.s3_secret_access_key))
            .field("s3_prefix", &self.s3_prefix)
            .finish()
    }
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeArgs")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("static_dir", &self.static_dir)
            .field("viewer_connect_src", &self.viewer_connect_src)
            .field("log_format", &self.log_format)
            .field("upload_url_ttl_secs", &self.upload_url_ttl_secs)
            .field("download_url_ttl_secs", &self.download_url_ttl_secs)
            .field("abandoned_upload_secs", &self.abandoned_upload_secs)
            .field("cleanup_interval_secs", &self.cleanup_interval_secs)
            .field("stripe_webhook_secret", &redact::secret(&self.stripe_webhook_secret))
            .field("stripe_prices", &self.stripe_prices)
            .field("limits", &self.limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn debug_hides_secrets_given_as_flags() {
        let cli = Cli::try_parse_from([
            "sync-server",
            "--database-url=postgres://sync:hunter2@db/sync",
            "--s3-bucket=b",
            "--s3-secret-access-key=s3cret",
            "serve",
            "--stripe-webhook-secret=whsec_live",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        for secret in ["hunter2", "s3cret", "whsec_live"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("postgres://sync:***@db/sync"), "{debug}");
        assert!(debug.contains("stripe_webhook_secret: Some(<redacted>)"), "{debug}");
        assert!(debug.contains("s3_secret_access_key: Some(<redacted>)"), "{debug}");
    }
}
