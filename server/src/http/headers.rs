//! Security headers the server sends itself (a `<meta>` tag cannot carry all of them, and an
//! object served from the API origin must never be taken for a page):
//!
//! - every response: `X-Content-Type-Options: nosniff` (a browser never guesses a type);
//! - pages of the static viewer (`text/html`): a `Content-Security-Policy` as strict as the
//!   viewer's own `<meta>` policy plus `frame-ancestors 'none'` (no other site may frame it, so no
//!   clickjacking of the password field), `X-Frame-Options: DENY` for older browsers and
//!   `Referrer-Policy: no-referrer`. Its `connect-src` adds the S3 endpoint's origin (signed
//!   download URLs) and the configured `viewer_connect_src`. Scripts and the worker are served
//!   without it (a worker takes its policy from its own response, and compiles WebAssembly);
//! - objects of the local store: `Content-Disposition: attachment`, a sandboxing
//!   `Content-Security-Policy: sandbox; default-src 'none'` and `application/octet-stream`, so
//!   a ciphertext crafted to look like HTML or SVG can never run as a page of this origin.
//!   Presigned S3 download URLs ask the store for `Content-Disposition: attachment` and
//!   `application/octet-stream` (`response-content-disposition`, `response-content-type`).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// `Content-Security-Policy` of an object of the local store.
pub const OBJECT_CSP: &str = "sandbox; default-src 'none'";

/// The viewer's policy: its `<meta>` policy, `frame-ancestors 'none'`, and `connect_src` (origins
/// the viewer may fetch from, besides its own) in `connect-src`.
pub fn viewer_csp(connect_src: &[String]) -> String {
    let mut connect = String::from("'self' blob:");
    for origin in connect_src {
        connect.push(' ');
        connect.push_str(origin);
    }
    [
        "default-src 'none'".to_owned(),
        "script-src 'self'".to_owned(),
        "worker-src 'self'".to_owned(),
        format!("connect-src {connect}"),
        // blob: is the page's own memory (a decrypted snapshot), never a network source.
        "img-src 'self' data: blob:".to_owned(),
        "media-src 'self' blob:".to_owned(),
        "style-src 'self'".to_owned(),
        "font-src 'self'".to_owned(),
        "base-uri 'none'".to_owned(),
        "form-action 'none'".to_owned(),
        "object-src 'none'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
    ]
    .join("; ")
}

/// The origin (`scheme://host[:port]`) of an http(s) URL, `None` for anything else.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains(['@', ' ', ';', ',', '\'', '"']) {
        return None;
    }
    Some(format!("{scheme}://{authority}"))
}

/// Adds `X-Content-Type-Options: nosniff` to every response.
pub async fn nosniff(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Adds the viewer's page headers (`policy` as its `Content-Security-Policy`) to HTML responses.
pub fn add_page_headers(headers: &mut HeaderMap, policy: &HeaderValue) {
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
}

/// Adds the headers of a served object: a download, never a page.
pub fn add_object_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(OBJECT_CSP));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_and_origins() {
        let policy = viewer_csp(&["https://bucket.example.com".to_owned()]);
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("connect-src 'self' blob: https://bucket.example.com;"), "{policy}");
        assert!(policy.starts_with("default-src 'none'; script-src 'self';"), "{policy}");
        assert_eq!(
            origin("https://s3.example.com:9000/bucket/key?x=1").as_deref(),
            Some("https://s3.example.com:9000")
        );
        assert_eq!(origin("http://127.0.0.1:8333").as_deref(), Some("http://127.0.0.1:8333"));
        assert_eq!(origin("ftp://example.com"), None);
        assert_eq!(origin("https://a.com; script-src *"), None);
        assert_eq!(origin("https://"), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        add_page_headers(&mut headers, &HeaderValue::from_static("x"));
        assert_eq!(headers.get(header::CONTENT_SECURITY_POLICY).unwrap(), "x");
        let mut js = HeaderMap::new();
        js.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript"));
        add_page_headers(&mut js, &HeaderValue::from_static("x"));
        assert!(js.get(header::CONTENT_SECURITY_POLICY).is_none());
    }
}
