//! What the server answers outside the API routes: `/openapi.yaml` (the contract), the static
//! viewer at `/` when a directory is configured, and the one error shape for unknown routes
//! and wrong methods.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;

use super::AppState;
use super::error::ApiError;
use super::headers;

/// The OpenAPI document of this server, served at `/openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../../docs/openapi.yaml");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/yaml"))], OPENAPI_YAML)
}

/// Any unknown route: `404 NOT_FOUND`.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

/// A known route with another method: `405`, code `INVALID_REQUEST`.
pub async fn method_not_allowed() -> impl IntoResponse {
    let mut response = ApiError::invalid("method not allowed on this route").into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// `/openapi.yaml`, and every path no other router answers from `static_dir` (or `404`), its
/// pages with `policy` as their `Content-Security-Policy` ([`super::headers`]).
pub fn router(static_dir: Option<&Path>, policy: HeaderValue) -> Router<AppState> {
    let app = Router::new().route("/openapi.yaml", get(openapi));
    match static_dir {
        Some(dir) => {
            let viewer = Router::new()
                .fallback_service(ServeDir::new(dir).append_index_html_on_directories(true))
                .layer(axum::middleware::map_response(move |mut response: Response| {
                    let policy = policy.clone();
                    async move {
                        headers::add_page_headers(response.headers_mut(), &policy);
                        response
                    }
                }));
            app.merge(viewer)
        }
        None => app.fallback(not_found),
    }
}
