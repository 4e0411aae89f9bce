//! The second leg: the code (and the PKCE verifier) for tokens.

use std::fmt;

use serde::Deserialize;

use crate::metadata::read_limited;
use crate::{OidcError, ProviderMetadata};

/// How the client proves itself at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the form-encoded id and secret (the default of
    /// OpenID Connect, `client_secret_basic`).
    Basic,
    /// The id and secret in the form body (`client_secret_post`; GitHub).
    Post,
}

/// A client's credentials; the secret is never printed.
#[derive(Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub auth: ClientAuth,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("auth", &self.auth)
            .finish()
    }
}

/// What the token endpoint answered; tokens are never printed.
#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    /// Space-separated; GitHub separates with commas.
    #[serde(default)]
    pub scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// RFC 6749 §2.3.1: the id and secret are form-encoded before Basic.
fn form_encoded(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Exchange `code` for tokens. An error answer (`invalid_grant`: the code
/// was used, expired, or the verifier is wrong) is [`OidcError::Refused`].
pub async fn exchange_code(
    http: &reqwest::Client,
    provider: &ProviderMetadata,
    client: &ClientCredentials,
    code: &str,
    pkce_verifier: &str,
    redirect_uri: &str,
) -> Result<TokenResponse, OidcError> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", pkce_verifier),
    ];
    let mut req = http
        .post(provider.token_endpoint.clone())
        .header("accept", "application/json");
    match client.auth {
        ClientAuth::Basic => {
            req = req.basic_auth(
                form_encoded(&client.client_id),
                Some(form_encoded(&client.client_secret)),
            );
        }
        ClientAuth::Post => {
            form.push(("client_id", &client.client_id));
            form.push(("client_secret", &client.client_secret));
        }
    }
    let res = req
        .form(&form)
        .send()
        .await
        .map_err(|e| OidcError::Unreachable(format!("token endpoint: {}", e.without_url())))?;
    let status = res.status();
    let body = read_limited(res, "token response").await?;
    // GitHub answers errors with 200 and an `error` member.
    if let Ok(e) = serde_json::from_slice::<ErrorResponse>(&body) {
        return Err(OidcError::Refused {
            error: e.error,
            description: e.error_description,
        });
    }
    if !status.is_success() {
        return Err(OidcError::Unreachable(format!(
            "token endpoint answered {status}"
        )));
    }
    serde_json::from_slice(&body).map_err(|e| OidcError::malformed("token response", e))
}
