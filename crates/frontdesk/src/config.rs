//! How an app points the SDK at its instance: keys and URLs, from a builder
//! or from the environment (`FRONTDESK_*`, or the `CLERK_*` names an app
//! written for Clerk already has).

use std::time::Duration;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE};

use crate::keys::{JwksCache, KeySource, RsaKey};
use crate::verify::VerifyOptions;

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no publishable key: set FRONTDESK_PUBLISHABLE_KEY (or CLERK_PUBLISHABLE_KEY)")]
    NoPublishableKey,
    #[error("`{0}` is not a publishable key (pk_test_… or pk_live_…)")]
    PublishableKey(String),
    #[error("no way to verify tokens: set FRONTDESK_SECRET_KEY (JWKS) or FRONTDESK_JWT_KEY (PEM)")]
    NoKeys,
    #[error("the JWT key is not a PEM public key")]
    JwtKey,
}

/// What the SDK knows about the instance.
#[derive(Debug)]
pub struct Settings {
    pub publishable_key: String,
    pub development: bool,
    /// The Frontend API's base URL: the proxy URL when set, else
    /// `https://<host in the publishable key>`.
    pub frontend_api: String,
    /// The Backend API's base URL.
    pub api_url: String,
    pub secret_key: Option<String>,
    /// Where signed-out visitors of protected pages are sent.
    pub sign_in_url: String,
    pub keys: KeySource,
    pub verify: VerifyOptions,
    /// `__session_<suffix>` etc.: Clerk's per-instance cookie suffix.
    pub cookie_suffix: String,
    /// For handshake nonces and Backend API calls.
    pub http: reqwest::Client,
}

/// Builds [`Settings`].
#[derive(Debug, Default, Clone)]
pub struct Builder {
    publishable_key: Option<String>,
    secret_key: Option<String>,
    api_url: Option<String>,
    proxy_url: Option<String>,
    jwt_key: Option<String>,
    sign_in_url: Option<String>,
    authorized_parties: Vec<String>,
}

fn env_any(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok())
        .filter(|v| !v.trim().is_empty())
}

impl Builder {
    /// Every setting from the environment: `FRONTDESK_PUBLISHABLE_KEY`,
    /// `FRONTDESK_SECRET_KEY`, `FRONTDESK_API_URL`, `FRONTDESK_PROXY_URL`,
    /// `FRONTDESK_JWT_KEY`, `FRONTDESK_SIGN_IN_URL`,
    /// `FRONTDESK_AUTHORIZED_PARTIES` (comma-separated), each also under its
    /// `CLERK_*` (and `NEXT_PUBLIC_CLERK_*`) name.
    pub fn from_env() -> Self {
        Self {
            publishable_key: env_any(&[
                "FRONTDESK_PUBLISHABLE_KEY",
                "CLERK_PUBLISHABLE_KEY",
                "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
            ]),
            secret_key: env_any(&["FRONTDESK_SECRET_KEY", "CLERK_SECRET_KEY"]),
            api_url: env_any(&["FRONTDESK_API_URL", "CLERK_API_URL"]),
            proxy_url: env_any(&[
                "FRONTDESK_PROXY_URL",
                "CLERK_PROXY_URL",
                "NEXT_PUBLIC_CLERK_PROXY_URL",
            ]),
            jwt_key: env_any(&["FRONTDESK_JWT_KEY", "CLERK_JWT_KEY"]),
            sign_in_url: env_any(&[
                "FRONTDESK_SIGN_IN_URL",
                "CLERK_SIGN_IN_URL",
                "NEXT_PUBLIC_CLERK_SIGN_IN_URL",
            ]),
            authorized_parties: env_any(&[
                "FRONTDESK_AUTHORIZED_PARTIES",
                "CLERK_AUTHORIZED_PARTIES",
            ])
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
            .unwrap_or_default(),
        }
    }

    pub fn publishable_key(mut self, v: &str) -> Self {
        self.publishable_key = Some(v.to_owned());
        self
    }

    pub fn secret_key(mut self, v: &str) -> Self {
        self.secret_key = Some(v.to_owned());
        self
    }

    /// The Backend API (default `https://api.clerk.com`; Frontdesk's URL).
    pub fn api_url(mut self, v: &str) -> Self {
        self.api_url = Some(v.to_owned());
        self
    }

    /// Where the Frontend API is reached (Frontdesk's URL, or a proxy path).
    pub fn proxy_url(mut self, v: &str) -> Self {
        self.proxy_url = Some(v.to_owned());
        self
    }

    /// Verify networklessly with this PEM public key instead of the JWKS.
    pub fn jwt_key(mut self, pem: &str) -> Self {
        self.jwt_key = Some(pem.to_owned());
        self
    }

    pub fn sign_in_url(mut self, v: &str) -> Self {
        self.sign_in_url = Some(v.to_owned());
        self
    }

    /// Origins allowed as a token's `azp`.
    pub fn authorized_parties<I: IntoIterator<Item = S>, S: Into<String>>(mut self, v: I) -> Self {
        self.authorized_parties = v.into_iter().map(Into::into).collect();
        self
    }

    pub fn build(self) -> Result<Settings, ConfigError> {
        let pk = self.publishable_key.ok_or(ConfigError::NoPublishableKey)?;
        let (development, host) = parse_publishable_key(&pk)?;
        let api_url = self
            .api_url
            .unwrap_or_else(|| "https://api.clerk.com".to_owned())
            .trim_end_matches('/')
            .to_owned();
        let frontend_api = self
            .proxy_url
            .map(|p| p.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("https://{host}"));
        let keys = match (&self.jwt_key, &self.secret_key) {
            (Some(pem), _) => {
                KeySource::Pem(RsaKey::from_pem(pem).map_err(|_| ConfigError::JwtKey)?)
            }
            (None, Some(sk)) => KeySource::Jwks(JwksCache::new(&api_url, sk)),
            (None, None) => return Err(ConfigError::NoKeys),
        };
        let sign_in_url = self
            .sign_in_url
            .unwrap_or_else(|| format!("{frontend_api}/sign-in"));
        Ok(Settings {
            cookie_suffix: cookie_suffix(&pk),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            publishable_key: pk,
            development,
            frontend_api,
            api_url,
            secret_key: self.secret_key,
            sign_in_url,
            keys,
            verify: VerifyOptions {
                authorized_parties: self.authorized_parties,
                issuer: None,
                clock_skew: Duration::from_secs(5),
            },
        })
    }
}

/// `(development, frontend API host)` from `pk_test_…` / `pk_live_…`.
fn parse_publishable_key(pk: &str) -> Result<(bool, String), ConfigError> {
    let bad = || ConfigError::PublishableKey(pk.chars().take(24).collect());
    let (development, body) = match (pk.strip_prefix("pk_test_"), pk.strip_prefix("pk_live_")) {
        (Some(b), _) => (true, b),
        (_, Some(b)) => (false, b),
        _ => return Err(bad()),
    };
    let decoded = STANDARD_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let host = text.strip_suffix('$').ok_or_else(bad)?;
    if host.is_empty() || !host.contains('.') {
        return Err(bad());
    }
    Ok((development, host.to_owned()))
}

/// Clerk's cookie suffix: the first 8 characters of base64url(SHA-1(pk)).
pub fn cookie_suffix(publishable_key: &str) -> String {
    let d = digest::digest(
        &digest::SHA1_FOR_LEGACY_USE_ONLY,
        publishable_key.as_bytes(),
    );
    URL_SAFE.encode(d.as_ref()).chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishable_keys_name_their_frontend_api() {
        let pk = "pk_test_ZnJvbnRkZXNrLXRlc3QuY2xlcmsuYWNjb3VudHMuZGV2JA";
        assert_eq!(
            parse_publishable_key(pk).expect("valid"),
            (true, "frontdesk-test.clerk.accounts.dev".to_owned())
        );
        assert!(parse_publishable_key("pk_test_bG9jYWxob3N0OjQwMDAk").is_err());
        assert!(parse_publishable_key("sk_test_abc").is_err());
        let s = Builder::default()
            .publishable_key(pk)
            .secret_key("sk_test_x")
            .proxy_url("http://127.0.0.1:4000/")
            .build()
            .expect("settings");
        assert_eq!(s.frontend_api, "http://127.0.0.1:4000");
        assert_eq!(s.sign_in_url, "http://127.0.0.1:4000/sign-in");
        assert_eq!(s.cookie_suffix.len(), 8);
        assert!(matches!(
            Builder::default().publishable_key(pk).build(),
            Err(ConfigError::NoKeys)
        ));
    }
}
