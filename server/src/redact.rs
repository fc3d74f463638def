//! What `Debug` shows of a secret: a secret as `<redacted>`, a connection URL with its password
//! replaced by `***`. Every type holding a database URL, a webhook secret, S3 credentials or a
//! token formats those fields through these helpers.

use std::fmt;

/// What a redacted secret prints as.
pub const REDACTED: &str = "<redacted>";
/// What a URL's password prints as.
pub const HIDDEN_PASSWORD: &str = "***";

/// A secret's `Debug`: `<redacted>` whatever it holds.
pub struct Secret;

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// An optional secret's `Debug`: `Some(<redacted>)` or `None`.
pub fn secret<T>(value: &Option<T>) -> Option<Secret> {
    value.as_ref().map(|_| Secret)
}

/// A URL with its password (the `user:password@` part, and any `password=` query parameter)
/// replaced by `***`; the rest stays readable (scheme, user, host, port, database, options).
pub fn url_password(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let (authority_start, rest) = match url.find("://") {
        Some(i) => (i + 3, url.get(i + 3..).unwrap_or("")),
        None => (0, url),
    };
    out.push_str(url.get(..authority_start).unwrap_or(""));
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_len);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(HIDDEN_PASSWORD);
                }
                None => out.push_str(userinfo),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    match tail.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}={HIDDEN_PASSWORD}")
                    }
                    _ => param.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

/// An optional URL's `Debug` with its password hidden (see [`url_password`]).
pub fn url<T: AsRef<str>>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(|u| url_password(u.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_the_rest_kept() {
        assert_eq!(
            url_password("postgres://sync:pa:ss@w0rd@db.internal:5432/sync?sslmode=require"),
            "postgres://sync:***@db.internal:5432/sync?sslmode=require"
        );
        assert_eq!(url_password("postgres://sync@db/sync"), "postgres://sync@db/sync");
        assert_eq!(url_password("postgresql://db:5432"), "postgresql://db:5432");
        assert_eq!(
            url_password("postgres://u@h/db?sslmode=require&password=secret&x=1"),
            "postgres://u@h/db?sslmode=require&password=***&x=1"
        );
        assert_eq!(url_password("postgres://u:p@h/a@b"), "postgres://u:***@h/a@b");
        assert_eq!(format!("{:?}", secret(&Some("whsec_1"))), "Some(<redacted>)");
        assert_eq!(format!("{:?}", secret::<String>(&None)), "None");
        assert_eq!(format!("{:?}", url(&Some("postgres://a:b@c/d"))), "Some(\"postgres://a:***@c/d\")");
    }
}
