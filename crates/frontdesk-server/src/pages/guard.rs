//! What stands in front of every hosted page: CSRF and cross-site checks on
//! forms, per-IP limits, and the response headers of an authentication page.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, ORIGIN, REFERRER_POLICY, RETRY_AFTER, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use frontdesk_crypto::constant_time_eq;

use super::layout;
use crate::routes::frontend::limits::client_ip;
use crate::state::AppState;

/// The hidden form field carrying the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// This browser's CSRF token, for the forms of the page being rendered.
#[derive(Clone)]
pub struct CsrfToken(pub String);

/// No script, no frames, no plugins; styles and forms from Frontdesk only;
/// images also from the configured logo's host. `form-action` is left out:
/// Chromium applies it to the redirects after a POST, and a sign-in ends in
/// one to the app's origin.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The cookie's name: `__Host-` where the browser enforces what it means
/// (HTTPS: Secure, Path=/, no Domain, so a sibling subdomain cannot plant
/// one); a plain name on http.
fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        "__Host-frontdesk_csrf"
    } else {
        "frontdesk_csrf"
    }
}

fn secure(state: &AppState) -> bool {
    state.instance.public_url.url().scheme() == "https"
}

/// This browser's token, if its cookie holds a plausible one.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::routes::frontend::ctx::cookie(headers, name)
        .filter(|v| (16..=64).contains(&v.len()))
        .map(str::to_owned)
}

/// Whether a state-changing request comes from one of Frontdesk's own pages,
/// by fetch metadata and `Origin` (security.md D11). Where the browser sends
/// `Sec-Fetch-Site`, it decides, and `Origin` may be `null` (pages are sent
/// with `Referrer-Policy: no-referrer`, under which Chromium's same-origin
/// form posts say `Origin: null`). Without fetch metadata, an `Origin` must be
/// ours. Requests with neither (old browsers, scripts) still need the token.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .map(|v: &HeaderValue| v.to_str().unwrap_or(""))
    };
    let own = state.instance.public_url.origin();
    match (header("sec-fetch-site"), header(ORIGIN.as_str())) {
        (Some(site), origin) => {
            site == "same-origin" && origin.is_none_or(|o| o == own || o == "null")
        }
        (None, Some(origin)) => origin == own,
        (None, None) => true,
    }
}

fn forbidden(state: &AppState, why: &str) -> Response {
    let body = layout::message(
        state,
        "Request refused",
        &format!("{why} Go back, reload the page and try again."),
    );
    (
        StatusCode::FORBIDDEN,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// CSRF and cross-site checks for every POST, then the page headers.
pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let name = cookie_name(&state);
    let existing = cookie(req.headers(), name);
    let token = existing
        .clone()
        .unwrap_or_else(|| frontdesk_types::id::random_base62(32));
    let mut req = req;
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if !same_origin(&state, req.headers()) {
            return secured(forbidden(&state, "This form was sent from another site."));
        }
        let (parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, state.config.max_body_bytes).await else {
            return secured(forbidden(&state, "This form is too large."));
        };
        let sent = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
        let valid = match (&existing, &sent) {
            (Some(c), Some(s)) => constant_time_eq(c.as_bytes(), s.as_bytes()),
            _ => false,
        };
        if !valid {
            return secured(forbidden(&state, "This form has expired."));
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = secured(next.run(req).await);
    if existing.is_none() {
        let mut c = format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict");
        if secure(&state) {
            c.push_str("; Secure");
        }
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
}

/// The headers every page is sent with.
fn secured(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// Which per-IP budget a form spends (the Frontend API's, security.md B3).
#[derive(Clone, Copy)]
pub enum Limit {
    /// Starting a sign-in, sign-up or reset.
    Create,
    /// Trying a password or code.
    Attempt,
}

/// The Frontend API's per-IP limits, answered with a page.
pub async fn rate_limit(
    State((state, limit)): State<(AppState, Limit)>,
    req: Request,
    next: Next,
) -> Response {
    let limiter = match limit {
        Limit::Create => &state.create_limiter,
        Limit::Attempt => &state.attempt_limiter,
    };
    if let Some(ip) = client_ip(&state, &req)
        && let Err(wait) = limiter.hit(&ip)
    {
        let body = layout::message(
            &state,
            "Too many attempts",
            &format!(
                "Too many attempts from your network. Wait {wait} seconds, then go back and try again."
            ),
        );
        let mut res = (
            StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(RETRY_AFTER, v);
        }
        return res;
    }
    next.run(req).await
}
