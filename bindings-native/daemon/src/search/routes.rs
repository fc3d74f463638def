//! The routes of screenpipe's search API and their key check (see [`super`]).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{Value, json};
use sync_client::search::{CloudQuery, SearchPage, local_page};

use super::{frames, health, params::SearchParams};
use crate::control::Daemon;
use crate::error::{DaemonError, Result};
use crate::http::guard::Guard;

/// Most decrypted bundles kept between queries.
pub const CACHE_MAX_ENTRIES: usize = 4096;
/// Most bytes of decrypted bundles kept between queries (approximate: their JSON size).
pub const CACHE_MAX_BYTES: usize = 256 * 1024 * 1024;

/// The routes screenpipe-mcp (February 2026) calls that the daemon cannot serve.
pub const NOT_IMPLEMENTED: [&str; 3] = ["/ui-events", "/ui-events/stats", "/frames/export"];

/// The search API's state: the daemon (its key and its cache of decrypted bundles) and the
/// origin check.
#[derive(Clone, Debug)]
pub struct SearchApi {
    daemon: Daemon,
    guard: Guard,
}

/// screenpipe's search API for `daemon`, whose own origin `guard` knows.
pub fn router(daemon: Daemon, guard: Guard) -> Router {
    if daemon.api_key().is_none() {
        tracing::warn!(
            "SEARCH API WITHOUT A KEY (--no-api-key): every program on this computer can read your screen and audio \
             history, local and cloud, through /search"
        );
    }
    let api = SearchApi { daemon, guard };
    let mut protected = Router::new().route("/search", get(search));
    for path in NOT_IMPLEMENTED {
        protected = protected.route(path, any(not_implemented));
    }
    Router::new()
        .route("/health", get(health_route))
        .merge(protected.layer(middleware::from_fn_with_state(api.clone(), authorize)))
        .layer(middleware::from_fn_with_state(api.clone(), same_origin))
        .with_state(api)
}

/// `{"error", "code"}` with `status`.
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": message, "code": code }))).into_response()
}

/// Refuses another site's requests (a browser page elsewhere must not read the history).
async fn same_origin(State(api): State<SearchApi>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| !api.guard.origin_allowed(o)) {
        return refuse(StatusCode::FORBIDDEN, "cross_origin", "requests from another site are refused");
    }
    next.run(request).await
}

/// `Authorization: Bearer KEY`, unless the daemon runs with `--no-api-key`.
async fn authorize(State(api): State<SearchApi>, request: Request, next: Next) -> Response {
    if let Some(key) = api.daemon.api_key() {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if !key.accepts(given) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unauthorized: pass `Authorization: Bearer <key>`; the key is on the sync daemon's settings page",
            );
        }
    }
    next.run(request).await
}

async fn not_implemented() -> Response {
    refuse(
        StatusCode::NOT_IMPLEMENTED,
        "not_implemented",
        "not implemented by the screenpipe sync daemon: it serves /search and /health only",
    )
}

async fn health_route(State(api): State<SearchApi>) -> Json<Value> {
    Json(health::health(&api.daemon))
}

async fn search(
    State(api): State<SearchApi>,
    query: Result<Query<BTreeMap<String, String>>, QueryRejection>,
) -> Response {
    let answer = match query {
        Ok(Query(map)) => match SearchParams::parse(&map) {
            Ok(params) => api.answer(params, map.get("content_type").map(String::as_str)).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(DaemonError::BadRequest(e.body_text())),
    };
    match answer {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

impl SearchApi {
    /// Answers a search: local and cloud when unlocked, local only (with a warning) when locked
    /// or when the cloud cannot be reached.
    async fn answer(&self, params: SearchParams, content_type: Option<&str>) -> Result<Value> {
        let mut options = params.options;
        let mut warnings = Vec::new();
        if options.filter.content_type.unsupported() {
            warnings.push(format!(
                "content_type={} is not served by the sync daemon: no items",
                content_type.unwrap_or_default()
            ));
        }
        let config = self.daemon.config();
        let has_db = config.db_path.exists();
        if !has_db {
            options.local = false;
            warnings.push(format!("no local screenpipe database at {}", config.db_path.display()));
        }
        let session = self.daemon.service().map(|s| s.session());
        let mut page = match &session {
            Some(session) => {
                CloudQuery::with_cache(session, self.daemon.search_cache()).query_page(&params.q, &options).await?
            }
            None => {
                self.daemon.search_cache().clear();
                warnings.push("locked: cloud results need the account unlocked on the settings page".into());
                if has_db {
                    let (db, q, opts) = (config.db_path.clone(), params.q.clone(), options.clone());
                    tokio::task::spawn_blocking(move || local_page(&db, "", &q, &opts))
                        .await
                        .map_err(|e| DaemonError::Serve { source: std::io::Error::other(e) })??
                } else {
                    SearchPage { items: Vec::new(), total: 0, total_exact: true, warning: None }
                }
            }
        };
        warnings.extend(page.warning.take());
        if params.include_frames {
            frames::attach(&mut page.items, session.as_ref()).await;
        }
        let mut body = json!({
            "data": page.items,
            "pagination": { "limit": options.limit, "offset": options.offset, "total": page.total },
        });
        if let Some(map) = body.as_object_mut() {
            if !warnings.is_empty() {
                map.insert("warning".into(), Value::String(warnings.join("; ")));
            }
            // An extra field old clients ignore: `total` counts what was found, more may match.
            if !page.total_exact {
                map.insert("total_is_lower_bound".into(), Value::Bool(true));
            }
        }
        Ok(body)
    }
}
