//! **A fake OpenID Connect provider that can misbehave**, for tests only:
//! the OpenID Foundation's relying-party conformance suite needs Java,
//! MongoDB and Docker, none of which run here, so its test modules
//! (`openid/client/` in `openid-certification/conformance-suite`, listed in
//! the security reference §3.3) are played by this provider, which serves
//! one [`Defect`] at a time. Everything else follows OpenID Connect Core:
//! discovery, JWKS, an authorization endpoint that approves at once
//! (302 with `code`, `state`, `iss`), a token endpoint checking the client
//! secret (Basic) and PKCE S256, and RS256 ID tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use frontdesk_crypto::SigningKey;
use frontdesk_domain::UnixMillis;
use serde::Deserialize;
use serde_json::{Value, json};

/// What the provider gets wrong (the suite's module names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    None,
    IdTokenSigAlgNone,
    InvalidIdTokenSignatureWithRs256,
    InvalidIdTokenSignatureWithHs256,
    InvalidIssuerInIdToken,
    InvalidAudInIdToken,
    MissingAudInIdToken,
    MissingSubInIdToken,
    MissingIatInIdToken,
    ExpiredIdToken,
    NonceInvalid,
    NonceMissing,
    KidAbsentMultipleMatchingKeysInJwks,
    KidAbsentSingleJwks,
    IgnoresUnparseableKeyInJwks,
    DiscoveryIssuerMismatch,
    /// Keys rotated after Frontdesk read them: the token names a new key.
    SigningKeyRotation,
}

struct Fake {
    base: String,
    client_id: String,
    client_secret: String,
    defect: Defect,
    keys: Vec<SigningKey>,
    codes: HashMap<String, (String, Option<String>)>,
    /// Microsoft's shape: the multi-tenant issuer, tokens from tenant
    /// `t-1` with `xms_edov` as given (and no `email_verified`).
    microsoft: Option<bool>,
    /// The `tid` in tokens (another tenant than the `iss` names: refused).
    tid: &'static str,
}

type Shared = Arc<Mutex<Fake>>;

pub struct OidcFake {
    pub base: String,
    state: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl OidcFake {
    pub async fn start(client_id: &str, client_secret: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let key = || SigningKey::generate(UnixMillis::now()).unwrap().0;
        let state: Shared = Arc::new(Mutex::new(Fake {
            base: base.clone(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            defect: Defect::None,
            keys: vec![key(), key()],
            codes: HashMap::new(),
            microsoft: None,
            tid: "t-1",
        }));
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route(
                "/common/v2.0/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base,
            state,
            server,
        }
    }

    /// Answer as Microsoft's multi-tenant endpoint (`…/common/v2.0`),
    /// vouching for the address (`xms_edov`) or not, with tokens whose
    /// `tid` is `tid`.
    pub fn as_microsoft(&self, xms_edov: bool, tid: &'static str) {
        let mut fake = self.state.lock().unwrap();
        fake.microsoft = Some(xms_edov);
        fake.tid = tid;
    }

    /// Misbehave this way from now on.
    pub fn serve(&self, defect: Defect) {
        let mut fake = self.state.lock().unwrap();
        fake.defect = defect;
        if defect == Defect::SigningKeyRotation {
            // The new key is published now; the one Frontdesk read is gone.
            fake.keys.rotate_left(1);
        }
    }
}

impl Drop for OidcFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn discovery(State(s): State<Shared>) -> Response {
    let fake = s.lock().unwrap();
    let base = &fake.base;
    let issuer = if fake.defect == Defect::DiscoveryIssuerMismatch {
        "https://another-issuer.example".to_owned()
    } else if fake.microsoft.is_some() {
        format!("{base}/{{tenantid}}/v2.0")
    } else {
        base.clone()
    };
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

async fn jwks(State(s): State<Shared>) -> Response {
    let fake = s.lock().unwrap();
    let jwk = |k: &SigningKey| serde_json::to_value(k.jwk()).unwrap();
    let keys: Vec<Value> = match fake.defect {
        Defect::KidAbsentMultipleMatchingKeysInJwks => fake.keys.iter().map(jwk).collect(),
        Defect::IgnoresUnparseableKeyInJwks => vec![
            json!({"kty": "RSA", "kid": "broken", "n": "!!!", "e": "AQAB"}),
            jwk(&fake.keys[0]),
        ],
        _ => vec![jwk(&fake.keys[0])],
    };
    axum::Json(json!({"keys": keys})).into_response()
}

#[derive(Deserialize)]
struct Authorize {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
}

async fn authorize(State(s): State<Shared>, Query(q): Query<Authorize>) -> Response {
    let mut fake = s.lock().unwrap();
    if q.client_id != fake.client_id || q.code_challenge.is_none() {
        return (StatusCode::BAD_REQUEST, "invalid_request").into_response();
    }
    let code = frontdesk_types::id::random_base62(24);
    fake.codes.insert(
        code.clone(),
        (q.code_challenge.unwrap_or_default(), q.nonce),
    );
    let mut back = url::Url::parse(&q.redirect_uri).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q.state)
        .append_pair("iss", &issuer_of(&fake));
    Redirect::to(back.as_str()).into_response()
}

/// The issuer tokens name: the tenant's, for Microsoft's shape.
fn issuer_of(fake: &Fake) -> String {
    match fake.microsoft {
        Some(_) => format!("{}/t-1/v2.0", fake.base),
        None => fake.base.clone(),
    }
}

fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = key.sign_rs256(input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn id_token(fake: &Fake, nonce: Option<String>) -> String {
    let now = UnixMillis::now().as_secs();
    let mut claims = json!({"iss": issuer_of(fake), "aud": fake.client_id, "sub": "subject-1",
        "iat": now, "exp": now + 300, "email": "conformance@example.com", "email_verified": true});
    if let Some(edov) = fake.microsoft {
        claims.as_object_mut().unwrap().remove("email_verified");
        claims["tid"] = fake.tid.into();
        claims["xms_edov"] = edov.into();
    }
    if let Some(n) = nonce {
        claims["nonce"] = n.into();
    }
    let key = &fake.keys[0];
    let mut header = json!({"alg": "RS256", "typ": "JWT", "kid": key.kid().as_str()});
    let drop = |c: &mut Value, k: &str| {
        c.as_object_mut().unwrap().remove(k);
    };
    match fake.defect {
        Defect::InvalidIssuerInIdToken => claims["iss"] = "https://evil.example".into(),
        Defect::InvalidAudInIdToken => claims["aud"] = "someone-else".into(),
        Defect::MissingAudInIdToken => drop(&mut claims, "aud"),
        Defect::MissingSubInIdToken => drop(&mut claims, "sub"),
        Defect::MissingIatInIdToken => drop(&mut claims, "iat"),
        Defect::ExpiredIdToken => claims["exp"] = (now - 3600).into(),
        Defect::NonceInvalid => claims["nonce"] = "not-the-nonce".into(),
        Defect::NonceMissing => drop(&mut claims, "nonce"),
        Defect::KidAbsentMultipleMatchingKeysInJwks | Defect::KidAbsentSingleJwks => {
            drop(&mut header, "kid")
        }
        _ => {}
    }
    match fake.defect {
        Defect::IdTokenSigAlgNone => format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        ),
        Defect::InvalidIdTokenSignatureWithRs256 => {
            let token = sign(key, &header, &claims);
            let (input, sig) = token.rsplit_once('.').unwrap();
            let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
            sig[10] ^= 0xff;
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
        }
        Defect::InvalidIdTokenSignatureWithHs256 => {
            // The classic confusion: HMAC keyed with the client secret.
            let header = json!({"alg": "HS256", "typ": "JWT", "kid": key.kid().as_str()});
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let k = aws_lc_rs::hmac::Key::new(
                aws_lc_rs::hmac::HMAC_SHA256,
                fake.client_secret.as_bytes(),
            );
            let tag = aws_lc_rs::hmac::sign(&k, input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
        }
        _ => sign(key, &header, &claims),
    }
}

async fn token(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut fake = s.lock().unwrap();
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        // RFC 6749 §2.3.1: each half form-encoded.
        .and_then(|b| {
            let (id, secret) = b.split_once(':')?;
            let decode = |s: &str| -> String {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some((decode(id), decode(secret)))
        });
    let expected = (fake.client_id.clone(), fake.client_secret.clone());
    if basic.as_ref() != Some(&expected) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let Some((challenge, nonce)) = form.get("code").and_then(|c| fake.codes.remove(c)) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if frontdesk_oidc::challenge_s256(&verifier) != challenge {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let id_token = id_token(&fake, nonce);
    axum::Json(
        json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600,
        "id_token": id_token}),
    )
    .into_response()
}
