//! The daemon's HTTP server, on a loopback address only: the settings page at `/`
//! ([`page`]), the JSON control API under `/api/` ([`api`]) with live status as Server-Sent
//! Events at `/api/events` ([`events`]), all behind [`guard`] (the `Host` check against DNS
//! rebinding, the per-daemon token and `Origin` check on every change, CSP with
//! `frame-ancestors 'none'`).
//!
//! The router is composable: [`app_with`] merges other routes (screenpipe's `GET /search` and
//! `GET /health`, with their own `Authorization: Bearer` check) on the same address, behind the
//! same `Host` check and headers; `/api/*` and `/` stay the daemon's.

pub mod api;
pub mod events;
pub mod guard;
pub mod page;

use std::net::SocketAddr;

use axum::Router;
use axum::middleware;

use crate::control::Daemon;
use guard::Guard;

/// The page and the control API for a daemon listening on `addr`.
pub fn app(daemon: Daemon, addr: SocketAddr) -> Router {
    app_with(daemon, addr, Router::new())
}

/// The page, the control API, and `extra` routes (outside `/api` and `/`), all behind the
/// `Host` check and the security headers. `extra` brings its own authentication.
pub fn app_with(daemon: Daemon, addr: SocketAddr, extra: Router) -> Router {
    let guard = Guard::new(addr, daemon.csrf_token());
    let api = api::router()
        .merge(events::router())
        .layer(middleware::from_fn_with_state(guard.clone(), guard::api_guard))
        .with_state(daemon.clone());
    Router::new()
        .nest("/api", api)
        .merge(page::router(daemon))
        .merge(extra)
        .layer(middleware::from_fn_with_state(guard, guard::host_guard))
}
