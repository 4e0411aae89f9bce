//! The first leg: the URL the browser is sent to, and the secrets the
//! caller keeps until the provider sends it back.

use url::Url;

use crate::{ProviderMetadata, challenge_s256, new_verifier, random_token};

/// An authorization request (authorization code flow with PKCE).
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// Where to send the browser.
    pub url: Url,
    /// The callback's key to the flow; bound by the caller to the browser
    /// that started it.
    pub state: String,
    /// Bound into the ID token (OpenID Connect only: scope `openid`).
    pub nonce: Option<String>,
    /// Sent with the code at the token endpoint.
    pub pkce_verifier: String,
}

impl AuthorizationRequest {
    /// A request to `provider` for `scopes`, coming back to `redirect_uri`,
    /// with `extra` parameters (`prompt`, `login_hint`, Apple's
    /// `response_mode=form_post`…).
    pub fn new(
        provider: &ProviderMetadata,
        client_id: &str,
        redirect_uri: &str,
        scopes: &[String],
        extra: &[(&str, &str)],
    ) -> Self {
        let state = random_token();
        let openid = scopes.iter().any(|s| s == "openid");
        let nonce = openid.then(random_token);
        let pkce_verifier = new_verifier();
        let mut url = provider.authorization_endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge_s256(&pkce_verifier))
                .append_pair("code_challenge_method", "S256");
            if let Some(n) = &nonce {
                q.append_pair("nonce", n);
            }
            for (k, v) in extra {
                q.append_pair(k, v);
            }
        }
        Self {
            url,
            state,
            nonce,
            pkce_verifier,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn provider() -> ProviderMetadata {
        ProviderMetadata::fixed(
            "https://idp.example",
            Url::parse("https://idp.example/authorize?tenant=1").unwrap(),
            Url::parse("https://idp.example/token").unwrap(),
            None,
        )
    }

    #[test]
    fn the_url_carries_state_nonce_and_the_s256_challenge() {
        let scopes = ["openid", "email"].map(String::from);
        let r = AuthorizationRequest::new(
            &provider(),
            "client-1",
            "http://127.0.0.1:4000/v1/oauth_callback",
            &scopes,
            &[("prompt", "select_account")],
        );
        let q: std::collections::HashMap<_, _> = r.url.query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "1", "the endpoint's own query is kept");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "client-1");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:4000/v1/oauth_callback");
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["state"], r.state);
        assert_eq!(q["nonce"], *r.nonce.as_ref().unwrap());
        assert_eq!(q["code_challenge"], challenge_s256(&r.pkce_verifier));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["prompt"], "select_account");
        assert_ne!(r.state, *r.nonce.as_ref().unwrap());
    }

    #[test]
    fn plain_oauth_has_no_nonce() {
        let scopes = ["read:user", "user:email"].map(String::from);
        let r = AuthorizationRequest::new(&provider(), "c", "http://127.0.0.1/cb", &scopes, &[]);
        assert!(r.nonce.is_none());
        assert!(!r.url.query_pairs().any(|(k, _)| k == "nonce"));
    }
}
