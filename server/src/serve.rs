//! The connection loop: accepts TCP connections and serves each with HTTP/1.1 or HTTP/2
//! (cleartext, chosen by the client's first bytes: h2c with prior knowledge), under the limits of
//! [`Limits`]:
//!
//! - at most `max_connections` connections at once: beyond, new ones wait in the listen queue
//!   until one closes;
//! - a client has `header_read_timeout` to send a request's headers (HTTP/1.1; hyper's timer),
//!   else the connection is closed: an idle or trickling connection cannot stay open;
//! - a connection lives at most `transfer_timeout`: then it is closed gracefully (the request in
//!   flight finishes), and dropped `body_idle_timeout` later whatever it is doing, so even a
//!   client that stops reading a download cannot hold it;
//! - each request carries the peer's address (`ConnectInfo<SocketAddr>`, for rate limits).
//!
//! Request and body timeouts and the limit on requests served at once are middleware
//! (`crate::http::limits`). The server does not terminate TLS: a reverse proxy does
//! (`docs/DEPLOY.md`), and may speak HTTP/2 to it.
//!
//! Stopping ([`serve`]'s `stop`) stops accepting, closes every connection gracefully and
//! returns once they are all closed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use crate::config::Limits;

/// Serves `app` on `listener` until `stop` turns true, then waits for open connections to close.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Every connection task holds a receiver: the sender sees them all gone once they are done.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit.map_err(std::io::Error::other)?,
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let app = app.clone();
        let stop = stop.clone();
        let open = open_rx.clone();
        let limits = limits.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, &limits, stop).await;
            drop(permit);
            drop(open);
        });
    }
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    // The first bytes decide HTTP/1.1 or HTTP/2, and nothing times that wait: a connection that
    // sends nothing is closed after the header timeout too (hyper times each later request's
    // headers, idle keep-alive included).
    let mut first = [0u8; 1];
    if !matches!(tokio::time::timeout(limits.header_read_timeout, stream.peek(&mut first)).await, Ok(Ok(1))) {
        tracing::debug!(%peer, "connection closed: nothing sent within header_read_timeout (or closed)");
        return;
    }
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            Ok::<_, Infallible>(app.oneshot(request.map(axum::body::Body::new)).await.unwrap_or_else(|e| match e {}))
        }
    });
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let old = tokio::time::sleep(limits.transfer_timeout);
    let dead = tokio::time::sleep(limits.transfer_timeout.saturating_add(limits.body_idle_timeout));
    tokio::pin!(old, dead);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            _ = stopped(&mut stop), if !draining => {
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
            _ = &mut old, if !draining => {
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
            _ = &mut dead => {
                tracing::debug!(%peer, "connection dropped after transfer_timeout");
                return;
            }
        }
    }
}
