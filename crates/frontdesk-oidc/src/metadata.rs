//! Where a provider's endpoints are: from its discovery document, or
//! written down for one without (GitHub is OAuth 2.0 only).

use serde::Deserialize;
use url::Url;

use crate::{JsonWebKeySet, OidcError};

/// Longest document read from a provider (discovery, JWKS, tokens).
pub(crate) const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// A provider's endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    #[serde(default)]
    pub jwks_uri: Option<Url>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
}

/// `https:`, or `http:` on a loopback host (a provider running beside
/// Frontdesk in development and tests): codes and tokens never cross a
/// network in the clear.
fn secure_enough(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => {
            matches!(
                url.host(),
                Some(url::Host::Ipv4(ip)) if ip.is_loopback()
            ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                || url.host_str() == Some("localhost")
        }
        _ => false,
    }
}

/// GET `url` and read at most [`MAX_DOCUMENT_BYTES`] of a 2xx answer.
pub(crate) async fn get_document(
    http: &reqwest::Client,
    url: &Url,
    what: &'static str,
) -> Result<Vec<u8>, OidcError> {
    let res = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| OidcError::Unreachable(format!("{what}: {}", e.without_url())))?;
    if !res.status().is_success() {
        return Err(OidcError::Unreachable(format!(
            "{what}: {} answered {}",
            url,
            res.status()
        )));
    }
    read_limited(res, what).await
}

/// The body of `res`, refused past [`MAX_DOCUMENT_BYTES`].
pub(crate) async fn read_limited(
    mut res: reqwest::Response,
    what: &'static str,
) -> Result<Vec<u8>, OidcError> {
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| OidcError::Unreachable(format!("{what}: {}", e.without_url())))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(OidcError::malformed(what, "it is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The placeholder of Microsoft's multi-tenant issuer.
const TENANT: &str = "{tenantid}";

/// Microsoft's multi-tenant endpoints (`…/common/v2.0`,
/// `…/organizations/v2.0`, `…/consumers/v2.0`) publish the issuer
/// `…/{tenantid}/v2.0`: the same URL with the tenant segment as a
/// placeholder. That, and only that, stands for the issuer asked for.
fn same_multi_tenant(asked: &str, found: &str) -> bool {
    let Some((before, after)) = found.split_once(TENANT) else {
        return false;
    };
    asked
        .strip_prefix(before)
        .and_then(|rest| rest.strip_suffix(after))
        .is_some_and(|tenant| matches!(tenant, "common" | "organizations" | "consumers"))
}

impl ProviderMetadata {
    /// Endpoints written down (providers without discovery).
    pub fn fixed(issuer: &str, authorization: Url, token: Url, userinfo: Option<Url>) -> Self {
        Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: authorization,
            token_endpoint: token,
            userinfo_endpoint: userinfo,
            jwks_uri: None,
            code_challenge_methods_supported: vec!["S256".to_owned()],
        }
    }

    /// Read `issuer`'s discovery document. Its `issuer` must be `issuer`
    /// exactly (OpenID Connect Discovery §4.3) and every endpoint secure.
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Self, OidcError> {
        let base = issuer.trim_end_matches('/');
        let url = Url::parse(&format!("{base}/.well-known/openid-configuration"))
            .map_err(|e| OidcError::malformed("issuer URL", e))?;
        if !secure_enough(&url) {
            return Err(OidcError::malformed(
                "issuer URL",
                "it must be https (http only on loopback)",
            ));
        }
        let body = get_document(http, &url, "discovery document").await?;
        let meta: Self = serde_json::from_slice(&body)
            .map_err(|e| OidcError::malformed("discovery document", e))?;
        if meta.issuer != issuer && !same_multi_tenant(issuer, &meta.issuer) {
            return Err(OidcError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: meta.issuer,
            });
        }
        meta.check()?;
        Ok(meta)
    }

    /// Whether the issuer is a template over tenants (Microsoft's
    /// `…/{tenantid}/v2.0`): each token's `iss` names its own tenant.
    pub fn is_multi_tenant(&self) -> bool {
        self.issuer.contains(TENANT)
    }

    /// Whether `iss` (RFC 9207's callback parameter) names this provider:
    /// its issuer, or for a multi-tenant one, the issuer of one tenant.
    pub fn names(&self, iss: &str) -> bool {
        match self.issuer.split_once(TENANT) {
            None => iss == self.issuer,
            Some((before, after)) => iss
                .strip_prefix(before)
                .and_then(|rest| rest.strip_suffix(after))
                .is_some_and(|tenant| !tenant.is_empty() && !tenant.contains('/')),
        }
    }

    /// Every endpoint secure; PKCE S256 where the provider lists methods.
    fn check(&self) -> Result<(), OidcError> {
        let endpoints = [
            Some(&self.authorization_endpoint),
            Some(&self.token_endpoint),
            self.userinfo_endpoint.as_ref(),
            self.jwks_uri.as_ref(),
        ];
        if let Some(bad) = endpoints.into_iter().flatten().find(|u| !secure_enough(u)) {
            return Err(OidcError::malformed(
                "discovery document",
                format!("the endpoint {bad} is not https"),
            ));
        }
        if !self.code_challenge_methods_supported.is_empty()
            && !self
                .code_challenge_methods_supported
                .iter()
                .any(|m| m == "S256")
        {
            return Err(OidcError::malformed(
                "discovery document",
                "the provider does not offer PKCE with S256",
            ));
        }
        Ok(())
    }

    /// The provider's current signing keys.
    pub async fn keys(&self, http: &reqwest::Client) -> Result<JsonWebKeySet, OidcError> {
        let url = self
            .jwks_uri
            .as_ref()
            .ok_or_else(|| OidcError::malformed("discovery document", "it has no jwks_uri"))?;
        JsonWebKeySet::parse(&get_document(http, url, "JWKS").await?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn microsofts_common_endpoint_stands_for_its_tenant_template() {
        let template = "https://login.microsoftonline.com/{tenantid}/v2.0";
        for asked in ["common", "organizations", "consumers"] {
            let asked = format!("https://login.microsoftonline.com/{asked}/v2.0");
            assert!(same_multi_tenant(&asked, template), "{asked}");
        }
        for asked in [
            "https://login.microsoftonline.com/t-1/v2.0",
            "https://evil.example/common/v2.0",
            "https://login.microsoftonline.com/common/v1.0",
        ] {
            assert!(!same_multi_tenant(asked, template), "{asked}");
        }
        assert!(!same_multi_tenant("https://a.example", "https://a.example"));
    }

    #[test]
    fn only_https_or_loopback_http_is_secure_enough() {
        for (url, ok) in [
            ("https://accounts.google.com/o/oauth2/v2/auth", true),
            ("http://127.0.0.1:8080/auth", true),
            ("http://localhost:8080/auth", true),
            ("http://[::1]:8080/auth", true),
            ("http://idp.example.com/auth", false),
            ("http://10.0.0.1/auth", false),
            ("ftp://127.0.0.1/auth", false),
        ] {
            assert_eq!(secure_enough(&Url::parse(url).unwrap()), ok, "{url}");
        }
    }
}
