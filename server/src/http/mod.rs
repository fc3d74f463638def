//! The HTTP layer: every route under `/api/sync` (the contract is `docs/openapi.yaml`), the
//! signed object URLs of the local store, `/openapi.yaml`, and the static viewer at `/`.
//!
//! Each route file exports its own `router()`; [`router`] assembles them with the shared
//! [`AppState`]. Layers, outermost first: request id (set and echoed as `x-request-id`),
//! tracing span per request (method, path, request id; never the query, which holds URL
//! signatures), the JSON body limit (not on the object routes, which stream). Unknown routes and
//! wrong methods answer in the one error shape ([`error`]).
//!
//! | module | holds |
//! | --- | --- |
//! | `error` | [`error::ApiError`] and its JSON form `{"error","code"}` |
//! | `auth` | bearer-token and registered-device extractors |
//! | `extract` | JSON and raw body extractors, the `X-Device-Id` header |
//! | `validate` | checks of request values shared by routes (limits, filters, tokens, text) |
//! | `request_id` | `x-request-id` generation |
//! | `limits` | requests served at once, request deadlines |
//! | `rate_limit` | failed bearer tokens and `/init` per client address and account |
//! | `headers` | security headers: `nosniff` everywhere, the viewer's policy, objects as downloads |
//! | `init`, `upload`, `complete`, `download`, `search`, `keys`, `account`, `retention`, `webhooks` | the API routes |
//! | `pair` | the pairing mailbox (`/pair/*`): relays a pairing's opaque messages |
//! | `objects` | `PUT`/`GET` of the local store's signed URLs |
//! | `site` | `/openapi.yaml`, the static viewer, unknown routes and methods |

pub mod account;
pub mod auth;
pub mod complete;
pub mod download;
pub mod error;
pub mod extract;
pub mod headers;
pub mod init;
pub mod keys;
pub mod limits;
pub mod objects;
pub mod pair;
pub mod rate_limit;
pub mod request_id;
pub mod retention;
pub mod search;
pub mod site;
pub mod upload;
pub mod validate;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, header};
use sync_core::wire::BASE_PATH;
use sync_core::wire::limits::MAX_JSON_BODY;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::store::metadata::MetadataStore;
use crate::store::objects::ObjectStore;
use crate::store::objects::local::LocalObjects;
use request_id::{MakeId, REQUEST_ID_HEADER};
pub use site::OPENAPI_YAML;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// Base of the URLs this server signs (no trailing slash).
    pub public_url: Arc<str>,
    /// Accounts, devices, keys, blob index.
    pub metadata: Arc<dyn MetadataStore>,
    /// Where objects live.
    pub objects: Arc<dyn ObjectStore>,
    /// The local object store, when objects are local: its signed URLs are answered by this
    /// server (`/api/sync/objects/...`).
    pub local_objects: Option<Arc<LocalObjects>>,
    /// Rate limits (this process's counters).
    pub rate_limits: Arc<rate_limit::RateLimits>,
    /// Mints and checks the accounts' billing references (Stripe linking).
    pub billing: Arc<crate::domain::subscriptions::BillingReferences>,
}

/// The API under [`BASE_PATH`]: the JSON routes under the body limit and their deadline, then
/// the object routes (which time their bodies themselves).
fn api(state: &AppState) -> Router<AppState> {
    let json = Router::new()
        .merge(init::router())
        .merge(upload::router())
        .merge(complete::router())
        .merge(download::router())
        .merge(search::router())
        .merge(account::router())
        .merge(retention::router())
        .merge(keys::router())
        .merge(webhooks::router())
        .merge(pair::router())
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::deadline));
    json.merge(objects::router()).fallback(site::not_found).method_not_allowed_fallback(site::method_not_allowed)
}

/// The viewer pages' `Content-Security-Policy`: it may fetch from its own origin, the S3
/// endpoint (signed download URLs) and the configured `viewer_connect_src`.
fn viewer_policy(config: &Config) -> axum::http::HeaderValue {
    let mut origins: Vec<String> = config.viewer_connect_src.clone();
    if let Some(endpoint) = config.s3.as_ref().and_then(|s3| s3.endpoint.as_deref()).and_then(headers::origin) {
        origins.push(endpoint);
    }
    let policy = headers::viewer_csp(&origins);
    // Origins are checked when the configuration is read; a value that cannot be a header
    // falls back to the policy without them.
    axum::http::HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("frame-ancestors 'none'; default-src 'self'"))
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .nest(BASE_PATH, api(&state))
        .merge(site::router(state.config.static_dir.as_deref(), viewer_policy(&state.config)));
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<axum::body::Body>| {
            let request_id =
                request.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
            tracing::info_span!(
                "request",
                method = %request.method(),
                path = %request.uri().path(),
                request_id = %request_id,
            )
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let permits = limits::Concurrency(std::sync::Arc::new(tokio::sync::Semaphore::new(
        state.config.limits.max_concurrent_requests.max(1),
    )));
    app.with_state(state)
        .layer(axum::middleware::from_fn_with_state(permits, limits::concurrency))
        .layer(axum::middleware::from_fn(headers::nosniff))
        .layer(PropagateRequestIdLayer::new(header::HeaderName::from_static(REQUEST_ID_HEADER)))
        .layer(trace)
        .layer(SetRequestIdLayer::new(header::HeaderName::from_static(REQUEST_ID_HEADER), MakeId::new()))
}
