//! Where a browser may be sent after signing in: the open-redirect rule.
//!
//! A `redirect_url` comes from the query string, so anyone can craft one. It
//! is accepted only when its origin is Frontdesk's own, one of the configured
//! app origins, or (development instances) a loopback host on any port, as
//! Clerk's development instances accept `localhost` apps.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// Why a redirect target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("`redirect_url` is not a URL")]
    Malformed,
    #[error("`redirect_url` is not an allowed origin")]
    NotAllowed,
}

/// A redirect target that passed [`RedirectPolicy::parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct RedirectUrl(Url);

impl RedirectUrl {
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `scheme://host:port`.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }
}

impl fmt::Debug for RedirectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectUrl({})", self.0)
    }
}

/// Which origins may receive the browser.
#[derive(Debug, Clone)]
pub struct RedirectPolicy {
    own: Url,
    allowed: Vec<String>,
    any_loopback: bool,
}

impl RedirectPolicy {
    /// `own` is Frontdesk's public URL; `allowed` are app origins
    /// (`https://app.example.com`; a trailing slash or path is ignored);
    /// `any_loopback` admits `localhost` and loopback addresses on any port.
    pub fn new(own: Url, allowed: &[String], any_loopback: bool) -> Self {
        let allowed = allowed
            .iter()
            .filter_map(|o| Url::parse(o.trim()).ok())
            .map(|u| u.origin().ascii_serialization())
            .collect();
        Self {
            own,
            allowed,
            any_loopback,
        }
    }

    /// Parse `raw`, absolute or relative to Frontdesk (`/user`), and check
    /// its origin. Credentials in the URL (`https://a@b`) are refused: they
    /// make a URL read as another host than it is.
    pub fn parse(&self, raw: &str) -> Result<RedirectUrl, RedirectError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.contains('\\') || raw.chars().any(char::is_control) {
            return Err(RedirectError::Malformed);
        }
        let url = self.own.join(raw).map_err(|_| RedirectError::Malformed)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RedirectError::NotAllowed);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RedirectError::NotAllowed);
        }
        let origin = url.origin().ascii_serialization();
        let ok = origin == self.own.origin().ascii_serialization()
            || self.allowed.contains(&origin)
            || (self.any_loopback && is_loopback(&url));
        if ok {
            Ok(RedirectUrl(url))
        } else {
            Err(RedirectError::NotAllowed)
        }
    }

    /// Whether a request's `Origin` header names a page this policy trusts.
    pub fn trusts_origin(&self, origin: &str) -> bool {
        Url::parse(origin)
            .ok()
            .is_some_and(|u| self.parse(u.as_str()).is_ok())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(any_loopback: bool) -> RedirectPolicy {
        RedirectPolicy::new(
            Url::parse("https://accounts.example.com").expect("url"),
            &["https://app.example.com/".to_owned()],
            any_loopback,
        )
    }

    #[test]
    fn own_allowed_and_relative_targets_pass() {
        let p = policy(false);
        assert_eq!(
            p.parse("/user").expect("allowed").as_str(),
            "https://accounts.example.com/user"
        );
        assert!(p.parse("https://app.example.com/dashboard?x=1").is_ok());
    }

    #[test]
    fn everything_else_is_refused() {
        let p = policy(false);
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "https://app.example.com.evil.example/",
            "https://app.example.com@evil.example/",
            "http://app.example.com/",
            "javascript:alert(1)",
            "/\\evil.example",
            "http://localhost:3000/",
        ] {
            assert!(p.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn development_admits_loopback_apps() {
        let p = policy(true);
        assert!(p.parse("http://localhost:3000/dashboard").is_ok());
        assert!(p.parse("http://127.0.0.1:8080/").is_ok());
        assert!(p.parse("http://[::1]:8080/").is_ok());
        assert!(p.parse("http://localhost.evil.example/").is_err());
        assert!(p.trusts_origin("http://localhost:3000"));
        assert!(!p.trusts_origin("https://evil.example"));
    }
}
