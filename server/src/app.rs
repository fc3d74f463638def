//! Wiring: open the stores, build the shared state ([`AppState`]) and the router
//! ([`crate::http::router`]), run the HTTP server and the background cleanup job
//! ([`crate::cleanup`]), and shut both down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
pub use crate::http::AppState;
use crate::store::StoreError;
use crate::store::metadata::MetadataStore;
use crate::store::metadata::postgres::PostgresMetadata;
use crate::store::metadata::sqlite::SqliteMetadata;
use crate::store::objects::ObjectStore;
use crate::store::objects::local::LocalObjects;
use crate::store::objects::s3::S3Objects;

/// Name of the SQLite file inside the data directory.
pub const DATABASE_FILE: &str = "metadata.sqlite3";
/// Name of the objects directory inside the data directory.
pub const OBJECTS_DIR: &str = "objects";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The stores could not be opened.
    #[error("cannot open the stores: {0}")]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// The embedded stores of a data directory: the SQLite metadata and the local objects.
pub async fn open_local_stores(
    config: &Config,
    public_url: &str,
) -> Result<(Arc<SqliteMetadata>, Arc<LocalObjects>), StoreError> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db_path = config.data_dir.join(DATABASE_FILE);
    let metadata = tokio::task::spawn_blocking(move || SqliteMetadata::open(&db_path)).await??;
    let secret = metadata.url_signing_secret().await?;
    let objects = LocalObjects::new(&config.data_dir.join(OBJECTS_DIR), secret, public_url)?;
    Ok((Arc::new(metadata), Arc::new(objects)))
}

/// The stores a configuration names: PostgreSQL when `database_url` is set, else the SQLite
/// file of the data directory; S3 when `s3` is set, else the objects directory. The local
/// object store is returned a second time when it is the one in use (its URLs are answered
/// by this server).
pub async fn open_stores(
    config: &Config,
    public_url: &str,
) -> Result<(Arc<dyn MetadataStore>, Arc<dyn ObjectStore>, Option<Arc<LocalObjects>>), StoreError> {
    let metadata: Arc<dyn MetadataStore> = match &config.database_url {
        Some(url) => Arc::new(PostgresMetadata::connect(url, config.database_pool_size).await?),
        None => {
            std::fs::create_dir_all(&config.data_dir)?;
            let db_path = config.data_dir.join(DATABASE_FILE);
            Arc::new(tokio::task::spawn_blocking(move || SqliteMetadata::open(&db_path)).await??)
        }
    };
    match &config.s3 {
        Some(s3) => Ok((metadata, Arc::new(S3Objects::new(s3)?), None)),
        None => {
            std::fs::create_dir_all(&config.data_dir)?;
            let secret = metadata.url_signing_secret().await?;
            let local = Arc::new(LocalObjects::new(&config.data_dir.join(OBJECTS_DIR), secret, public_url)?);
            Ok((metadata, Arc::clone(&local) as Arc<dyn ObjectStore>, Some(local)))
        }
    }
}

/// The billing references of the accounts of `metadata` (under its stored secret, so every
/// process on the same database mints the same ones).
pub async fn billing_references(
    metadata: &dyn MetadataStore,
) -> Result<crate::domain::subscriptions::BillingReferences, StoreError> {
    Ok(crate::domain::subscriptions::BillingReferences::new(&metadata.url_signing_secret().await?))
}

/// A running server.
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// The shared state (tests use it to reach the stores).
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    cleanup: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, stops the cleanup job.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        let served = self.server.await.map_err(std::io::Error::other)?;
        let _ = self.cleanup.await;
        served
    }
}

/// Opens the stores, binds `config.bind` and serves until [`RunningServer::shutdown`].
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let listener =
        TcpListener::bind(config.bind).await.map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let (metadata, objects, local_objects) = open_stores(&config, &public_url).await?;
    let rate_limits = Arc::new(crate::http::rate_limit::RateLimits::new(&config.limits));
    let billing = Arc::new(billing_references(metadata.as_ref()).await?);
    let state = AppState {
        config: Arc::new(config),
        public_url: public_url.into(),
        metadata,
        objects,
        local_objects,
        rate_limits,
        billing,
    };
    let (shutdown, mut stop) = watch::channel(false);
    let app = crate::http::router(state.clone());
    let server = tokio::spawn(crate::serve::serve(listener, app, state.config.limits.clone(), stop.clone()));
    let cleanup_state = state.clone();
    let cleanup = tokio::spawn(async move {
        crate::cleanup::run_periodically(cleanup_state, async move {
            let _ = stop.wait_for(|stop| *stop).await;
        })
        .await;
    });
    tracing::info!(
        %addr,
        public_url = %state.public_url,
        metadata = if state.config.database_url.is_some() { "postgres" } else { "sqlite" },
        objects = if state.local_objects.is_some() { "local" } else { "s3" },
        data_dir = %state.config.data_dir.display(),
        "listening"
    );
    Ok(RunningServer { addr, state, shutdown, server, cleanup })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let running = start(config).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await.map_err(StartError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}
