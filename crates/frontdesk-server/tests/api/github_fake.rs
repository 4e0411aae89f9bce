//! **A protocol-faithful fake of GitHub's OAuth app endpoints**, for tests
//! only: GitHub cannot run here. Written from GitHub's public documentation
//! ("Authorizing OAuth apps", docs.github.com/en/apps/oauth-apps/
//! building-oauth-apps/authorizing-oauth-apps; REST "Users" and "Emails",
//! docs.github.com/en/rest/users), in the GitHub Enterprise Server layout
//! Frontdesk is pointed at (`social.oauth_github.issuer`):
//!
//! - `GET /login/oauth/authorize` (`client_id`, `redirect_uri`, `scope`,
//!   `state`, `code_challenge` + `code_challenge_method=S256`): the person
//!   approves at once (the fake's `login` is the account that signs in);
//!   `302` to `redirect_uri?code=…&state=…` (GitHub sends no `iss`).
//! - `POST /login/oauth/access_token` (form: `client_id`, `client_secret`,
//!   `code`, `redirect_uri`, `code_verifier`; `Accept: application/json`):
//!   `{access_token, token_type: "bearer", scope: "read:user,user:email"}`;
//!   errors are **200** with `{error: "bad_verification_code", …}` as
//!   GitHub answers them. A code is good once, for ten minutes.
//! - `GET /api/v3/user`, `GET /api/v3/user/emails` with
//!   `Authorization: Bearer <token>`: the account and its addresses
//!   (`primary`, `verified`, `visibility`); `401` without a good token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

/// A GitHub account of the fake.
#[derive(Clone)]
pub struct GitHubAccount {
    pub id: u64,
    pub login: &'static str,
    pub name: &'static str,
    /// (address, primary, verified)
    pub emails: Vec<(&'static str, bool, bool)>,
}

#[derive(Default)]
struct Fake {
    client_id: String,
    client_secret: String,
    /// Who signs in at the next authorization.
    signing_in: Option<GitHubAccount>,
    codes: HashMap<String, (GitHubAccount, String, String)>,
    tokens: HashMap<String, GitHubAccount>,
}

type Shared = Arc<Mutex<Fake>>;

/// The fake, serving on loopback.
pub struct GitHubFake {
    pub base: String,
    state: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl GitHubFake {
    pub async fn start(client_id: &str, client_secret: &str) -> Self {
        let state: Shared = Arc::new(Mutex::new(Fake {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            ..Fake::default()
        }));
        let app = axum::Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/api/v3/user", get(user))
            .route("/api/v3/user/emails", get(emails))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base,
            state,
            server,
        }
    }

    /// The account that approves the next authorization.
    pub fn sign_in_as(&self, account: GitHubAccount) {
        self.state.lock().unwrap().signing_in = Some(account);
    }
}

impl Drop for GitHubFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Deserialize)]
struct Authorize {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

async fn authorize(State(s): State<Shared>, Query(q): Query<Authorize>) -> Response {
    let mut fake = s.lock().unwrap();
    if q.client_id != fake.client_id {
        return (StatusCode::NOT_FOUND, "unknown client").into_response();
    }
    let Some(account) = fake.signing_in.clone() else {
        return (StatusCode::FORBIDDEN, "nobody is signing in").into_response();
    };
    let challenge = match (q.code_challenge, q.code_challenge_method.as_deref()) {
        (Some(c), Some("S256")) => c,
        _ => return (StatusCode::BAD_REQUEST, "PKCE S256 is required").into_response(),
    };
    let code = frontdesk_types::id::random_base62(20);
    fake.codes
        .insert(code.clone(), (account, challenge, q.redirect_uri.clone()));
    let mut back = url::Url::parse(&q.redirect_uri).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q.state);
    Redirect::to(back.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    client_id: String,
    client_secret: String,
    code: String,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

fn github_error(error: &str, description: &str) -> Response {
    // GitHub answers a failed exchange with 200.
    axum::Json(json!({"error": error, "error_description": description,
        "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"}))
    .into_response()
}

async fn access_token(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(t) = serde_json::from_value::<TokenRequest>(Value::Object(
        url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
            .collect(),
    )) else {
        return github_error(
            "incorrect_client_credentials",
            "client_id, client_secret and code are required.",
        );
    };
    assert_eq!(
        headers.get("accept").and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "Frontdesk asks for JSON (GitHub answers form-encoded otherwise)"
    );
    let mut fake = s.lock().unwrap();
    if t.client_id != fake.client_id || t.client_secret != fake.client_secret {
        return github_error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        );
    }
    let Some((account, challenge, redirect_uri)) = fake.codes.remove(&t.code) else {
        return github_error(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        );
    };
    if t.redirect_uri.as_deref().is_some_and(|r| r != redirect_uri) {
        return github_error(
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
        );
    }
    let verifier = t.code_verifier.unwrap_or_default();
    if frontdesk_oidc::challenge_s256(&verifier) != challenge {
        return github_error(
            "bad_verification_code",
            "The code_verifier does not match the code_challenge.",
        );
    }
    let token = format!("gho_{}", frontdesk_types::id::random_base62(36));
    fake.tokens.insert(token.clone(), account);
    axum::Json(
        json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}),
    )
    .into_response()
}

fn caller(s: &Shared, headers: &HeaderMap) -> Option<GitHubAccount> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("token "))?;
    s.lock().unwrap().tokens.get(token).cloned()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})),
    )
        .into_response()
}

async fn user(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let Some(a) = caller(&s, &headers) else {
        return unauthorized();
    };
    axum::Json(json!({
        "login": a.login, "id": a.id, "node_id": format!("U_{}", a.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", a.id),
        "type": "User", "site_admin": false, "name": a.name, "company": null,
        // The public profile address: not where Frontdesk reads addresses.
        "email": null,
    }))
    .into_response()
}

async fn emails(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let Some(a) = caller(&s, &headers) else {
        return unauthorized();
    };
    let list: Vec<Value> = a
        .emails
        .iter()
        .map(|(email, primary, verified)| {
            json!({"email": email, "primary": primary, "verified": verified,
                   "visibility": if *primary { Value::from("public") } else { Value::Null }})
        })
        .collect();
    axum::Json(list).into_response()
}
