//! **A protocol-faithful fake of Sign in with Apple**, for tests only: Apple
//! cannot run here. Written from Apple's public documentation ("Sign in
//! with Apple REST API": request an authorization, generate and validate
//! tokens; "Creating a client secret"; "Authenticating users with Sign in
//! with Apple"), at a loopback issuer Frontdesk is pointed at
//! (`social.oauth_apple.issuer`):
//!
//! - `/.well-known/openid-configuration` and `/auth/keys` (RS256 JWKS), as
//!   `appleid.apple.com` publishes them.
//! - `GET /auth/authorize` with `response_mode=form_post`: the person
//!   approves at once and the browser **POSTs** `code`, `state` and, on the
//!   first consent only, `user` (`{"name":{"firstName","lastName"},"email"}`)
//!   to `redirect_uri` (an auto-submitting form, as Apple's page does).
//! - `POST /auth/token`: the client secret must be an ES256 JWT signed with
//!   the team's key (`kid`), `iss` the team, `sub` the client, `aud` the
//!   issuer, not expired; else `400 {"error":"invalid_client"}`. The ID
//!   token carries `email_verified` as the **string** `"true"` and no name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use frontdesk_crypto::SigningKey;
use frontdesk_domain::UnixMillis;
use serde::Deserialize;
use serde_json::{Value, json};

pub const TEAM_ID: &str = "TEAM123456";
pub const KEY_ID: &str = "KEY1234567";

/// The person who approves.
#[derive(Clone)]
pub struct AppleId {
    pub sub: &'static str,
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
}

struct Fake {
    base: String,
    client_id: String,
    team_public_key: Vec<u8>,
    id_token_key: SigningKey,
    signing_in: Option<AppleId>,
    /// Who has consented before (they get no `user` again).
    consented: Vec<String>,
    codes: HashMap<String, (AppleId, Option<String>)>,
}

type Shared = Arc<Mutex<Fake>>;

pub struct AppleFake {
    pub base: String,
    /// The team's `.p8` key, PEM: Frontdesk's `client_secret` for Apple.
    pub private_key_pem: String,
    state: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl AppleFake {
    pub async fn start(client_id: &str) -> Self {
        let team_key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let private_key_pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(team_key.to_pkcs8v1().unwrap().as_ref())
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state: Shared = Arc::new(Mutex::new(Fake {
            base: base.clone(),
            client_id: client_id.to_owned(),
            team_public_key: team_key.public_key().as_ref().to_vec(),
            id_token_key: SigningKey::generate(UnixMillis::now()).unwrap().0,
            signing_in: None,
            consented: Vec::new(),
            codes: HashMap::new(),
        }));
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/auth/keys", get(keys))
            .route("/auth/authorize", get(authorize))
            .route("/auth/token", post(token))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base,
            private_key_pem,
            state,
            server,
        }
    }

    pub fn sign_in_as(&self, who: AppleId) {
        self.state.lock().unwrap().signing_in = Some(who);
    }
}

impl Drop for AppleFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn discovery(State(s): State<Shared>) -> Response {
    let base = s.lock().unwrap().base.clone();
    axum::Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/auth/authorize"),
        "token_endpoint": format!("{base}/auth/token"),
        "revocation_endpoint": format!("{base}/auth/revoke"),
        "jwks_uri": format!("{base}/auth/keys"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "name"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "is_private_email", "iss", "nonce", "nonce_supported", "real_user_status", "sub", "transfer_sub"],
    }))
    .into_response()
}

async fn keys(State(s): State<Shared>) -> Response {
    let jwk = s.lock().unwrap().id_token_key.jwk().clone();
    axum::Json(json!({"keys": [jwk]})).into_response()
}

#[derive(Deserialize)]
struct Authorize {
    client_id: String,
    redirect_uri: String,
    state: String,
    response_mode: Option<String>,
    nonce: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

async fn authorize(State(s): State<Shared>, Query(q): Query<Authorize>) -> Response {
    let mut fake = s.lock().unwrap();
    if q.client_id != fake.client_id {
        return (StatusCode::BAD_REQUEST, "invalid_client").into_response();
    }
    if q.response_mode.as_deref() != Some("form_post") {
        // Apple needs form_post when name or email are asked for.
        return (
            StatusCode::BAD_REQUEST,
            "invalid_request: response_mode must be form_post",
        )
            .into_response();
    }
    let Some(who) = fake.signing_in.clone() else {
        return (StatusCode::FORBIDDEN, "nobody is signing in").into_response();
    };
    let code = format!("c{}", frontdesk_types::id::random_base62(30));
    fake.codes.insert(code.clone(), (who.clone(), q.nonce));
    let first = !fake.consented.iter().any(|s| s == who.sub);
    fake.consented.push(who.sub.to_owned());
    let mut fields = vec![("code", code), ("state", q.state)];
    if first {
        fields.push((
            "user",
            json!({"name": {"firstName": who.first_name, "lastName": who.last_name}, "email": who.email})
                .to_string(),
        ));
    }
    let inputs: String = fields
        .iter()
        .map(|(k, v)| format!(r#"<input type="hidden" name="{k}" value="{}">"#, escape(v)))
        .collect();
    Html(format!(
        r#"<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="{}">{inputs}</form></body></html>"#,
        escape(&q.redirect_uri)
    ))
    .into_response()
}

fn invalid_client() -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": "invalid_client"})),
    )
        .into_response()
}

/// Apple's check of a client secret: ES256 by the team's key.
fn client_secret_ok(fake: &Fake, jwt: &str, client_id: &str) -> bool {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, c, sig] = parts[..] else { return false };
    let decode = |p: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
    };
    let (Some(header), Some(claims), Ok(sig)) = (decode(h), decode(c), URL_SAFE_NO_PAD.decode(sig))
    else {
        return false;
    };
    let signed = format!("{h}.{c}");
    let now = UnixMillis::now().as_secs();
    header["alg"] == "ES256"
        && header["kid"] == KEY_ID
        && claims["iss"] == TEAM_ID
        && claims["sub"] == client_id
        && claims["aud"] == fake.base.as_str()
        && claims["exp"].as_i64().is_some_and(|e| e > now)
        && UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &fake.team_public_key)
            .verify(signed.as_bytes(), &sig)
            .is_ok()
}

async fn token(State(s): State<Shared>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut fake = s.lock().unwrap();
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    let secret = form.get("client_secret").cloned().unwrap_or_default();
    if client_id != fake.client_id || !client_secret_ok(&fake, &secret, &client_id) {
        return invalid_client();
    }
    let Some((who, nonce)) = form.get("code").and_then(|c| fake.codes.remove(c)) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let now = UnixMillis::now().as_secs();
    let mut claims = json!({
        "iss": fake.base, "aud": fake.client_id, "sub": who.sub, "iat": now, "exp": now + 600,
        "email": who.email, "email_verified": "true", "is_private_email": "false",
        "auth_time": now, "nonce_supported": true,
    });
    if let Some(n) = nonce {
        claims["nonce"] = n.into();
    }
    let id_token = fake.id_token_key.sign_jwt(&[], &claims).unwrap();
    axum::Json(json!({
        "access_token": format!("a{}", frontdesk_types::id::random_base62(30)),
        "token_type": "Bearer", "expires_in": 3600,
        "refresh_token": format!("r{}", frontdesk_types::id::random_base62(30)),
        "id_token": id_token,
    }))
    .into_response()
}
