//! The settings page, embedded in the binary (`page/index.html`, `app.js`, `link.js`, `style.css`; no CDN,
//! nothing fetched from elsewhere). The HTML carries the per-daemon token in a `<meta>` tag for
//! the page's changes; another site cannot read it (no CORS, and the `Host` check stops DNS
//! rebinding).

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::control::Daemon;

const INDEX: &str = include_str!("../../page/index.html");
const APP_JS: &str = include_str!("../../page/app.js");
const LINK_JS: &str = include_str!("../../page/link.js");
const STYLE_CSS: &str = include_str!("../../page/style.css");

/// Where the token goes in the HTML.
const TOKEN_PLACEHOLDER: &str = "{{CSRF_TOKEN}}";

/// The page's routes.
pub fn router(daemon: Daemon) -> Router {
    let html = INDEX.replace(TOKEN_PLACEHOLDER, daemon.csrf_token());
    Router::new()
        .route("/", get(move || async move { Html(html) }))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/link.js", get(|| async { asset("text/javascript; charset=utf-8", LINK_JS) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_has_one_token_slot_and_no_remote_resource() {
        assert_eq!(super::INDEX.matches(super::TOKEN_PLACEHOLDER).count(), 1);
        for text in [super::INDEX, super::APP_JS, super::LINK_JS, super::STYLE_CSS] {
            assert!(!text.contains("https://"), "no CDN");
            assert!(!text.contains("http://"), "nothing remote");
        }
    }
}
