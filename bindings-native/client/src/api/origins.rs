//! Where the client talks to and what it fetches: HTTPS, or plain `http://` to a loopback
//! address only (unless the loud `allow_insecure_http` override is on), and signed object URLs
//! only on the API's origin or a configured object-store origin (docs/THREAT_MODEL.md,
//! Hardening, items 5 and 6). A malicious server cannot point the client elsewhere.

use url::{Host, Origin, Url};

use super::ClientOptions;
use crate::error::{Result, SyncError};

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The warning to print when `url` is plain `http://` to a host other than a loopback address
/// and the override allows it; `None` when the transport is HTTPS or loopback.
pub fn insecure_warning(url: &Url) -> Option<String> {
    (url.scheme() == "http" && !is_loopback(url)).then(|| {
        format!(
            "WARNING: allow_insecure_http is on: the bearer token and every object go to {} in the clear \
             (anyone on the path can read the token and delete or overwrite the account's data)",
            url.origin().ascii_serialization()
        )
    })
}

/// Checks the transport of `url`: HTTPS, plain HTTP to a loopback address, or plain HTTP
/// anywhere with the override (logged as a warning).
fn check_transport(url: &Url, what: &'static str, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" => match insecure_warning(url) {
            None => Ok(()),
            Some(warning) if allow_insecure_http => {
                tracing::warn!(what, "{warning}");
                Ok(())
            }
            Some(_) => Err(SyncError::InsecureHttp { what, host: url.host_str().unwrap_or_default().to_owned() }),
        },
        other => Err(SyncError::Config(format!("{what}: the scheme {other:?} is neither https nor http"))),
    }
}

/// The origins signed object URLs may name.
#[derive(Clone, Debug)]
pub(crate) struct Origins {
    api: Origin,
    objects: Vec<Origin>,
}

impl Origins {
    /// The API's origin (from its base) and the configured object-store origins, each checked
    /// for its transport.
    pub(crate) fn new(base: &str, options: &ClientOptions) -> Result<Origins> {
        let base = Url::parse(base).map_err(|source| SyncError::ServerUrl { source })?;
        check_transport(&base, "the server address", options.allow_insecure_http)?;
        let mut objects = Vec::with_capacity(options.object_origins.len());
        for origin in &options.object_origins {
            let url = Url::parse(origin.trim()).map_err(|source| SyncError::ServerUrl { source })?;
            check_transport(&url, "an object-store origin", options.allow_insecure_http)?;
            objects.push(url.origin());
        }
        Ok(Origins { api: base.origin(), objects })
    }

    /// Parses a signed object URL of the server's answer (`field`) and accepts it only on the
    /// API's origin or a configured object-store origin.
    pub(crate) fn object_url(&self, url: &str, field: &'static str) -> Result<Url> {
        let url = Url::parse(url).map_err(|source| SyncError::InvalidUrl { field, source })?;
        let origin = url.origin();
        if origin == self.api || self.objects.contains(&origin) {
            Ok(url)
        } else {
            Err(SyncError::UntrustedUrl { field, origin: origin.ascii_serialization() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn loopback_addresses() {
        for s in
            ["http://127.0.0.1:1", "http://127.8.9.10/", "http://[::1]:80", "http://localhost:8787", "http://LOCALHOST"]
        {
            assert!(is_loopback(&url(s)), "{s}");
        }
        for s in ["http://10.0.0.1", "http://[::2]", "http://localhost.example.com", "http://sync.example.com"] {
            assert!(!is_loopback(&url(s)), "{s}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback_unless_overridden() {
        let strict = ClientOptions::default();
        assert!(Origins::new("http://127.0.0.1:9/api/sync", &strict).is_ok());
        assert!(Origins::new("http://[::1]:9/api/sync", &strict).is_ok());
        assert!(Origins::new("https://sync.example.com/api/sync", &strict).is_ok());
        let err = Origins::new("http://sync.example.com/api/sync", &strict).unwrap_err();
        assert_eq!(err.code(), "insecure_http");
        assert!(err.to_string().contains("sync.example.com"), "{err}");
        let loose = ClientOptions { allow_insecure_http: true, ..ClientOptions::default() };
        assert!(Origins::new("http://sync.example.com/api/sync", &loose).is_ok());
        assert!(insecure_warning(&url("http://sync.example.com")).unwrap().contains("WARNING"));
        assert_eq!(insecure_warning(&url("https://sync.example.com")), None);
        // A configured object-store origin obeys the same rule.
        let s3 = ClientOptions { object_origins: vec!["http://s3.example.com".into()], ..ClientOptions::default() };
        assert_eq!(Origins::new("https://sync.example.com", &s3).unwrap_err().code(), "insecure_http");
    }

    #[test]
    fn object_urls_only_on_trusted_origins() {
        let options =
            ClientOptions { object_origins: vec!["https://s3.eu-west-1.amazonaws.com".into()], ..Default::default() };
        let origins = Origins::new("https://sync.example.com/api/sync", &options).unwrap();
        assert!(origins.object_url("https://sync.example.com/api/sync/objects/1/ab?sig=x", "download_url").is_ok());
        assert!(origins.object_url("https://sync.example.com:443/x", "download_url").is_ok());
        assert!(
            origins.object_url("https://s3.eu-west-1.amazonaws.com/bucket/k?X-Amz-Signature=1", "upload_url").is_ok()
        );
        for bad in [
            "https://evil.example.com/x",
            "http://sync.example.com/x",
            "https://sync.example.com:8443/x",
            "https://s3.us-east-1.amazonaws.com/bucket/k",
            "file:///etc/passwd",
        ] {
            let err = origins.object_url(bad, "download_url").unwrap_err();
            assert_eq!(err.code(), "untrusted_url", "{bad}");
        }
        assert_eq!(origins.object_url("not a url", "upload_url").unwrap_err().code(), "invalid_response");
    }
}
