//! Local-only security of the daemon's HTTP server.
//!
//! - [`host_guard`] (every request): the `Host` header must name the daemon's own address or
//!   `localhost` with its port (a DNS-rebinding page sends its own host name: refused, `403
//!   forbidden_host`); every answer carries a strict Content-Security-Policy with
//!   `frame-ancestors 'none'`, `X-Frame-Options: DENY`, `nosniff`, `no-referrer`, `no-store`.
//! - [`api_guard`] (`/api/*`): a request from another site is refused (`Origin` other than the
//!   daemon's, or `Sec-Fetch-Site` `cross-site`/`same-site`: `403 cross_origin`); a state-changing
//!   request (anything but `GET`/`HEAD`) must carry the per-daemon token in `X-CSRF-Token`
//!   (compared in constant time; `403 csrf`). The page receives the token inside its HTML, which
//!   another site cannot read.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

/// The header that carries the per-daemon token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The Content-Security-Policy of every answer: only the daemon's own scripts, styles and
/// connections; no frames, forms elsewhere, plugins or base changes.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                       img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What the guards check against.
#[derive(Clone)]
pub struct Guard(Arc<GuardInner>);

struct GuardInner {
    hosts: Vec<String>,
    origins: Vec<String>,
    token: String,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").field("hosts", &self.0.hosts).field("token", &"<redacted>").finish()
    }
}

impl Guard {
    /// The guard of a daemon on `addr` with `token`.
    pub fn new(addr: SocketAddr, token: &str) -> Guard {
        let port = addr.port();
        let own = match addr {
            SocketAddr::V4(a) => format!("{}:{port}", a.ip()),
            SocketAddr::V6(a) => format!("[{}]:{port}", a.ip()),
        };
        let hosts = vec![own, format!("localhost:{port}")];
        let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
        Guard(Arc::new(GuardInner { hosts, origins, token: token.to_owned() }))
    }

    /// True when `host` is the daemon's own address or `localhost` with its port.
    pub fn host_allowed(&self, host: &str) -> bool {
        self.0.hosts.iter().any(|h| h.eq_ignore_ascii_case(host.trim()))
    }

    /// True when `origin` is the daemon's own.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.0.origins.iter().any(|o| o.eq_ignore_ascii_case(origin.trim()))
    }

    /// True when `token` is the daemon's.
    pub fn token_matches(&self, token: &str) -> bool {
        token.len() == self.0.token.len() && bool::from(token.as_bytes().ct_eq(self.0.token.as_bytes()))
    }
}

/// A refusal: `{"error", "code"}` with 403.
fn refuse(code: &'static str, message: &'static str) -> Response {
    let body = serde_json::json!({ "error": message, "code": code });
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

fn header(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The security headers of every answer.
fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Refuses a foreign `Host`; adds the security headers.
pub async fn host_guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let host = header(request.headers(), header::HOST).or_else(|| request.uri().authority().map(|a| a.as_str()));
    if !host.is_some_and(|h| guard.host_allowed(h)) {
        return secure(refuse(
            "forbidden_host",
            "this address answers only to its own host name (127.0.0.1 or localhost)",
        ));
    }
    secure(next.run(request).await)
}

/// Refuses another site's requests and changes without the token.
pub async fn api_guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Some(origin) = header(headers, header::ORIGIN)
        && !guard.origin_allowed(origin)
    {
        return refuse("cross_origin", "requests from another site are refused");
    }
    if let Some(site) = header(headers, "sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return refuse("cross_origin", "requests from another site are refused");
    }
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    if !safe && !header(headers, CSRF_HEADER).is_some_and(|t| guard.token_matches(t)) {
        return refuse("csrf", "a change needs the daemon's token (reload the page)");
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn hosts_origins_and_tokens() {
        let guard = Guard::new("127.0.0.1:3031".parse().unwrap(), "abc123");
        assert!(guard.host_allowed("127.0.0.1:3031"));
        assert!(guard.host_allowed("LOCALHOST:3031"));
        assert!(!guard.host_allowed("127.0.0.1:3032"));
        assert!(!guard.host_allowed("evil.example:3031"));
        assert!(!guard.host_allowed("localhost"));
        assert!(guard.origin_allowed("http://localhost:3031"));
        assert!(!guard.origin_allowed("https://127.0.0.1:3031"));
        assert!(!guard.origin_allowed("null"));
        assert!(guard.token_matches("abc123"));
        assert!(!guard.token_matches("abc124"));
        assert!(!guard.token_matches("abc1234"));
        assert!(!format!("{guard:?}").contains("abc123"));
        let v6 = Guard::new("[::1]:9".parse().unwrap(), "t");
        assert!(v6.host_allowed("[::1]:9"));
        assert!(v6.origin_allowed("http://[::1]:9"));
    }
}
