//! Running the daemon: bind a loopback address, serve the router, unlock in the background
//! (start-up password or keychain), stop gracefully (the cycle in progress finishes, live
//! streams end).

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::control::Daemon;
use crate::error::{DaemonError, Result};
use crate::http;
use crate::options::DaemonOptions;
use crate::search;

/// A daemon serving on its address.
#[derive(Debug)]
pub struct RunningDaemon {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its state.
    pub daemon: Daemon,
    task: JoinHandle<std::io::Result<()>>,
}

/// Starts a daemon with the page, the control API and screenpipe's search API.
pub async fn start(options: DaemonOptions) -> Result<RunningDaemon> {
    start_with(options, Router::new()).await
}

/// Starts a daemon whose server also answers `extra` routes (see [`http::app_with`]) beside
/// screenpipe's search API ([`search`]).
pub async fn start_with(options: DaemonOptions, extra: Router) -> Result<RunningDaemon> {
    let listen = options.listen;
    if !listen.ip().is_loopback() {
        return Err(DaemonError::NotLoopback(listen));
    }
    let daemon = Daemon::new(options)?;
    let listener = TcpListener::bind(listen).await.map_err(|source| DaemonError::Bind { addr: listen, source })?;
    let addr = listener.local_addr().map_err(|source| DaemonError::Bind { addr: listen, source })?;
    let guard = http::guard::Guard::new(addr, daemon.csrf_token());
    let app = http::app_with(daemon.clone(), addr, search::router(daemon.clone(), guard).merge(extra));
    let mut closing = daemon.closing();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = closing.wait_for(|c| *c).await;
            })
            .await
    });
    daemon.start_unlock();
    tracing::info!(%addr, "screenpipe sync daemon listening");
    Ok(RunningDaemon { addr, daemon, task })
}

impl RunningDaemon {
    /// The page's address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops: the cycle in progress finishes, the server closes.
    pub async fn stop(self) -> Result<()> {
        self.daemon.shutdown().await;
        match self.task.await {
            Ok(result) => result.map_err(|source| DaemonError::Serve { source }),
            Err(e) => Err(DaemonError::Serve { source: std::io::Error::other(e) }),
        }
    }

    /// Serves until SIGINT or SIGTERM (Ctrl-C on Windows), then stops.
    pub async fn run_until_signal(self) -> Result<()> {
        shutdown_signal().await;
        tracing::info!("stopping");
        self.stop().await
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
