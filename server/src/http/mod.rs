//! The HTTP surface: every route of DESIGN.md section 5 under `/api/sync`, the signed object
//! URLs of the local store, `/openapi.yaml`, and the static viewer at `/`.
//!
//! Layers, outermost first: request id (set and echoed as `x-request-id`), tracing span per
//! request (method, path, request id; never the query, which holds URL signatures), the JSON
//! body limit. Unknown routes and wrong methods answer in the one error shape.

mod account;
mod download;
mod init;
mod keys;
mod objects;
mod search;
mod upload;
mod validate;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use sync_core::wire::BASE_PATH;
use sync_core::wire::limits::MAX_JSON_BODY;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::AppState;
use crate::errors::ApiError;
use crate::request_id::{MakeId, REQUEST_ID_HEADER};

/// The OpenAPI document of this server, served at `/openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../../docs/openapi.yaml");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/yaml"))], OPENAPI_YAML)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> impl IntoResponse {
    let mut response = ApiError::invalid("method not allowed on this route").into_response();
    *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/init", post(init::init))
        .route("/upload", post(upload::upload))
        .route("/upload/complete", post(upload::complete))
        .route("/download", post(download::download))
        .route("/search", post(search::search))
        .route("/status", get(account::status))
        .route("/devices", get(account::devices).delete(account::remove_device))
        .route("/data", delete(account::delete_data))
        .route("/keys", post(keys::keys))
        .route("/webhooks/stripe", post(webhooks::stripe))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .route(
            "/objects/{user_id}/{blob_id}",
            put(objects::put_object).get(objects::get_object).layer(DefaultBodyLimit::disable()),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);

    let mut app = Router::new().nest(BASE_PATH, api).route("/openapi.yaml", get(openapi));
    app = match &state.config.static_dir {
        Some(dir) => app.fallback_service(ServeDir::new(dir).append_index_html_on_directories(true)),
        None => app.fallback(not_found),
    };
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
    app.with_state(state)
        .layer(PropagateRequestIdLayer::new(header::HeaderName::from_static(REQUEST_ID_HEADER)))
        .layer(trace)
        .layer(SetRequestIdLayer::new(header::HeaderName::from_static(REQUEST_ID_HEADER), MakeId::new()))
}
