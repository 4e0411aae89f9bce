//! `authenticateRequest`: who is behind an HTTP request, by Clerk's decision
//! tree (clerk-protocol.md §3.2): a bearer token; a handshake coming back
//! from the Frontend API; the `__session` and `__client_uat` cookies (and
//! their suffixed twins); and, when a page load cannot be decided locally
//! (expired token, unknown client state, no dev browser), a redirect
//! through the Frontend API's handshake, at most three times in a row.

use std::collections::HashMap;

use http::header::{ACCEPT, AUTHORIZATION, COOKIE, HOST};
use http::request::Parts;
use http::{Method, Uri};
use serde_json::Value;

use crate::claims::SessionClaims;
use crate::config::Settings;
use crate::jwt;
use crate::verify::{SESSION_CATEGORY, VerifyError, verify_token};

/// Handshake redirects in a row before giving up (signed out).
pub const MAX_REDIRECTS: u32 = 3;

/// Who is behind the request.
#[derive(Debug, Clone)]
pub enum AuthState {
    SignedIn(SessionClaims),
    /// Signed out, and why (Clerk's reason strings).
    SignedOut(&'static str),
}

/// What to do with a request.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub state: AuthState,
    /// `Set-Cookie` values for the response (handshake results, the redirect
    /// counter).
    pub set_cookies: Vec<String>,
    /// Answer with a 307 to this URL instead of running the handler.
    pub redirect: Option<String>,
}

impl Outcome {
    fn signed_out(reason: &'static str) -> Self {
        Self {
            state: AuthState::SignedOut(reason),
            set_cookies: Vec::new(),
            redirect: None,
        }
    }

    fn signed_in(claims: SessionClaims) -> Self {
        Self {
            state: AuthState::SignedIn(claims),
            set_cookies: Vec::new(),
            redirect: None,
        }
    }
}

fn cookies(parts: &Parts) -> HashMap<String, String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect()
}

fn query(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// A page load the browser can be redirected for (GET of a document).
pub fn is_document_request(parts: &Parts) -> bool {
    if parts.method != Method::GET {
        return false;
    }
    match parts
        .headers
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
    {
        Some(dest) => dest == "document" || dest == "iframe",
        None => parts
            .headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("text/html")),
    }
}

/// The request's absolute URL, as the browser sees it.
pub fn request_url(parts: &Parts) -> String {
    let host = parts
        .headers
        .get("x-forwarded-host")
        .or_else(|| parts.headers.get(HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{scheme}://{host}{path}")
}

/// `url` without the given query parameters.
fn without_params(url: &str, drop: &[&str]) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !drop.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u.to_string()
}

const HANDSHAKE_PARAMS: &[&str] = &[
    "__clerk_handshake",
    "__clerk_handshake_nonce",
    "__clerk_help",
    "__clerk_db_jwt",
];

struct Inputs {
    cookies: HashMap<String, String>,
    query: HashMap<String, String>,
    suffix: String,
    suffixed: bool,
}

impl Inputs {
    /// A cookie by its base name, suffixed or not as this request uses them.
    fn cookie(&self, name: &str) -> Option<&str> {
        let suffixed = format!("{name}_{}", self.suffix);
        let value = if self.suffixed {
            self.cookies
                .get(&suffixed)
                .or_else(|| self.cookies.get(name))
        } else {
            self.cookies.get(name)
        };
        value.map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// Decide who is behind `parts`.
pub async fn authenticate(settings: &Settings, parts: &Parts) -> Outcome {
    let cookies = cookies(parts);
    let suffix = settings.cookie_suffix.clone();
    let suffixed = cookies.contains_key(&format!("__session_{suffix}"))
        || cookies.contains_key(&format!("__client_uat_{suffix}"));
    let inputs = Inputs {
        query: query(&parts.uri),
        cookies,
        suffix,
        suffixed,
    };

    // 1. A bearer token decides alone.
    if let Some(token) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return match verify_token(token.trim(), &settings.keys, &settings.verify).await {
            Ok(claims) => Outcome::signed_in(claims),
            Err(_) => Outcome::signed_out("session-token-invalid"),
        };
    }

    // 2. Back from the Frontend API's handshake.
    let handshake_token = inputs
        .query
        .get("__clerk_handshake")
        .or_else(|| inputs.cookies.get("__clerk_handshake"));
    let nonce = inputs
        .query
        .get("__clerk_handshake_nonce")
        .or_else(|| inputs.cookies.get("__clerk_handshake_nonce"));
    if handshake_token.is_some() || nonce.is_some() {
        let directives = match (handshake_token, nonce) {
            (Some(t), _) => handshake_directives(settings, t).await,
            (None, Some(n)) => nonce_directives(settings, n).await,
            (None, None) => None,
        };
        return resolve_handshake(settings, parts, directives).await;
    }

    let document = is_document_request(parts);
    let redirects: u32 = inputs
        .cookies
        .get("__clerk_redirect_count")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Only a page load can go through the handshake; anything else is
    // signed out for the same reason.
    let handshake = |reason: &'static str| {
        if document && redirects < MAX_REDIRECTS {
            handshake_redirect(settings, parts, &inputs, reason, redirects)
        } else {
            Outcome::signed_out(reason)
        }
    };

    // 4–5. Development instances need the browser's dev browser.
    if settings.development {
        if inputs.query.contains_key("__clerk_db_jwt") {
            return handshake("dev-browser-sync");
        }
        if inputs.cookie("__clerk_db_jwt").is_none() {
            return handshake("dev-browser-missing");
        }
    }

    let session = inputs.cookie("__session");
    let uat: i64 = inputs
        .cookie("__client_uat")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    match (session, uat) {
        // 6. Nothing at all: signed out, no network.
        (None, 0) => return Outcome::signed_out("session-token-and-uat-missing"),
        // 7. One without the other: only the Frontend API knows.
        (Some(_), 0) => {
            return handshake("session-token-but-no-client-uat");
        }
        (None, _) => {
            return handshake("client-uat-but-no-session-token");
        }
        (Some(_), _) => {}
    }
    let token = session.unwrap_or_default();
    // 8. A token older than the client's last change is stale.
    if peek_iat(token).is_some_and(|iat| iat < uat) {
        return handshake("session-token-iat-before-client-uat");
    }
    // 9. Verify.
    match verify_token(token, &settings.keys, &settings.verify).await {
        Ok(claims) => Outcome::signed_in(claims),
        Err(e) if e.is_expiry() => {
            handshake("session-token-expired-refresh-non-eligible-no-refresh-cookie")
        }
        Err(_) => Outcome::signed_out("session-token-invalid"),
    }
}

/// `iat` of a token, unverified: only to compare with `__client_uat`.
fn peek_iat(token: &str) -> Option<i64> {
    jwt::split(token).ok()?.payload.get("iat")?.as_i64()
}

fn handshake_redirect(
    settings: &Settings,
    parts: &Parts,
    inputs: &Inputs,
    reason: &'static str,
    redirects: u32,
) -> Outcome {
    let here = without_params(&request_url(parts), &["__clerk_db_jwt"]);
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("redirect_url", &here)
        .append_pair("__clerk_api_version", "2026-05-12")
        .append_pair(
            "suffixed_cookies",
            if inputs.suffixed { "true" } else { "false" },
        )
        .append_pair("__clerk_hs_reason", reason)
        .append_pair("format", "nonce");
    if settings.development
        && let Some(db) = inputs
            .query
            .get("__clerk_db_jwt")
            .map(String::as_str)
            .or_else(|| inputs.cookie("__clerk_db_jwt"))
    {
        q.append_pair("__clerk_db_jwt", db);
    }
    Outcome {
        state: AuthState::SignedOut(reason),
        set_cookies: vec![format!(
            "__clerk_redirect_count={}; Path=/; SameSite=Lax; HttpOnly; Max-Age=2",
            redirects + 1
        )],
        redirect: Some(format!(
            "{}/v1/client/handshake?{}",
            settings.frontend_api,
            q.finish()
        )),
    }
}

/// The directives in a `__clerk_handshake` JWT, if its signature holds.
async fn handshake_directives(settings: &Settings, token: &str) -> Option<Vec<String>> {
    let parts = jwt::split(token).ok()?;
    if parts.header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return None;
    }
    if let Some(cat) = parts.header.get("cat")
        && cat.as_str() != Some(SESSION_CATEGORY)
    {
        return None;
    }
    let kid = parts.header.get("kid").and_then(Value::as_str)?;
    let key = settings.keys.key(kid).await.ok()?;
    if !key.verify_rs256(parts.signing_input.as_bytes(), &parts.signature) {
        return None;
    }
    strings(parts.payload.get("handshake")?)
}

/// The directives behind a nonce, from the Backend API.
async fn nonce_directives(settings: &Settings, nonce: &str) -> Option<Vec<String>> {
    let sk = settings.secret_key.as_ref()?;
    let res = settings
        .http
        .get(format!("{}/v1/clients/handshake_payload", settings.api_url))
        .query(&[("nonce", nonce)])
        .bearer_auth(sk)
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    let body: Value = res.json().await.ok()?;
    strings(body.get("directives")?)
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|d| d.as_str().map(str::to_owned))
        .collect()
}

async fn resolve_handshake(
    settings: &Settings,
    parts: &Parts,
    directives: Option<Vec<String>>,
) -> Outcome {
    let Some(directives) = directives else {
        return Outcome::signed_out("handshake-invalid");
    };
    let session = directives.iter().find_map(|d| {
        let c = cookie::Cookie::parse(d.as_str()).ok()?;
        let name = c.name();
        (name == "__session" || name.starts_with("__session_"))
            .then(|| c.value().to_owned())
            .filter(|v| !v.is_empty())
    });
    let state = match session {
        Some(token) => match verify_token(&token, &settings.keys, &settings.verify).await {
            Ok(claims) => AuthState::SignedIn(claims),
            Err(VerifyError::Expired) => AuthState::SignedOut("handshake-token-expired"),
            Err(_) => AuthState::SignedOut("handshake-token-invalid"),
        },
        None => AuthState::SignedOut("handshake-signed-out"),
    };
    let mut set_cookies = directives;
    set_cookies
        .push("__clerk_redirect_count=0; Path=/; SameSite=Lax; HttpOnly; Max-Age=0".to_owned());
    // Development: load the page again without the handshake in the URL.
    let redirect = settings
        .development
        .then(|| without_params(&request_url(parts), HANDSHAKE_PARAMS));
    Outcome {
        state,
        set_cookies,
        redirect,
    }
}
