//! `GET /v1/client/handshake`: hand the browser's session to an app's server.
//!
//! When an app's middleware sees a stale or missing session token on a page
//! load, it redirects the browser here. We read the browser's client (dev
//! browser token or `__client` cookie), build the cookies the app should set
//! on its own domain (`__session`, `__client_uat`, and the dev browser), and
//! redirect back with them: inside a signed JWT (`__clerk_handshake`) on
//! development instances, or behind a one-time nonce
//! (`__clerk_handshake_nonce`) that the app's server exchanges through the
//! Backend API (`GET /v1/clients/handshake_payload`) on production ones, so
//! session tokens never sit in a URL there.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use frontdesk_crypto::{cookie_suffix, sha256_hex};
use frontdesk_domain::entities::SessionStatus;
use frontdesk_domain::{InstanceMode, RedirectError, UnixMillis};
use frontdesk_store::SessionQuery;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{BackendCaller, QueryParams};
use crate::extract::{HandshakeCaller, new_client};
use crate::services::tokens::{self, SESSION_TOKEN_CATEGORY};
use crate::state::AppState;

/// A nonce's directives are fetched once, within this many seconds.
const NONCE_TTL_SECS: i64 = 60;

pub async fn handshake(
    State(state): State<AppState>,
    caller: HandshakeCaller,
    q: QueryParams,
) -> ApiResult<Response> {
    let raw = q.text("redirect_url").ok_or_else(|| {
        ApiError::bad_param(
            "redirect_url",
            "form_param_missing",
            "`redirect_url` is required",
        )
    })?;
    let mut target = state
        .settings()
        .redirects
        .parse(&raw)
        .map_err(|e| {
            let code = match e {
                RedirectError::Malformed => "form_param_format_invalid",
                RedirectError::NotAllowed => "redirect_url_not_allowed",
            };
            ApiError::bad_param("redirect_url", code, e.to_string())
        })?
        .as_url()
        .clone();
    let dev = state.instance.instance.mode == InstanceMode::Development;
    // The SDKs say which names the app reads; a handshake started by
    // Frontdesk's own pages (back to the app after a sign-in or an
    // organization switch) cannot know, so it writes both: an app that
    // reads the suffixed cookie must not keep a stale one.
    let suffixed = q.text("suffixed_cookies").as_deref() != Some("false");
    let HandshakeCaller {
        mut fapi,
        by_dev_browser,
        by_cookie,
    } = caller;
    // One client per browser. On development instances the app's dev
    // browser (`__clerk_db_jwt`) and Frontdesk's `__client` cookie (which
    // clerk-js, talking to a Frontdesk not on Clerk's domains, uses) must
    // name the same client, or a sign-in made through one is invisible to
    // the other: the cookie wins (it is what clerk-js signed in with), and
    // the app's dev browser is pointed at it.
    let mut dev_token: Option<String> = None;
    match (dev, by_dev_browser, by_cookie) {
        (false, _, cookie) => fapi.client = cookie,
        (true, Some((db, token)), Some(cookie)) if db.id == cookie.id => {
            fapi.client = Some(cookie);
            dev_token = Some(token);
        }
        (true, _, Some(cookie)) => {
            // Known by its cookie only (signed in on the hosted pages, or
            // the app's dev browser names another client): a new token,
            // both the cookie here and the app's dev browser from now on.
            let token = format!("dvb_{}", frontdesk_types::id::random_base62(32));
            state
                .store
                .set_client_token(&cookie.id, &sha256_hex(token.as_bytes()))
                .await?;
            fapi.set_client_cookie(&token);
            fapi.client = Some(cookie);
            dev_token = Some(token);
        }
        (true, Some((db, token)), None) => {
            // The app's dev browser, and no cookie yet: the cookie names it
            // too from now on (a top-level navigation may set it).
            fapi.set_client_cookie(&token);
            fapi.client = Some(db);
            dev_token = Some(token);
        }
        (true, None, None) => {
            let (client, token) = new_client(&state, "dvb_", fapi.ip).await?;
            fapi.set_client_cookie(&token);
            fapi.client = Some(client);
            dev_token = Some(token);
        }
    }
    let now = UnixMillis::now();
    let mut cookies: Vec<(String, String, String)> = Vec::new(); // (name, value, attributes)
    let mut directives_extra: Vec<String> = Vec::new();
    let year = "Path=/; SameSite=Lax; Max-Age=31536000".to_owned();
    // The dev browser under both names, whatever `suffixed_cookies` says:
    // @clerk/backend reads only the suffixed one once clerk-js has written
    // suffixed session cookies (after a sign-in), and a request that cannot
    // take a handshake (a client-side navigation) would then be signed out.
    let suffix = cookie_suffix(state.instance.publishable_key.as_str());
    if let (true, Some(token)) = (dev, &dev_token) {
        cookies.push(("__clerk_db_jwt".into(), token.clone(), year.clone()));
        if !suffixed {
            directives_extra.push(format!("__clerk_db_jwt_{suffix}={token}; {year}"));
        }
    }
    let live = match &fapi.client {
        Some(c) => {
            let sessions = state
                .store
                .list_sessions(&SessionQuery {
                    user_id: None,
                    client_id: Some(c.id.clone()),
                    status: Some(SessionStatus::Active),
                    limit: 10,
                    offset: 0,
                })
                .await?;
            let pick = sessions
                .into_iter()
                .filter(|s| s.status_at(now).is_live())
                .max_by_key(|s| {
                    (
                        c.last_active_session_id.as_ref() == Some(&s.id),
                        s.last_active_at,
                    )
                });
            pick.map(|s| (s, c.updated_at))
        }
        None => None,
    };
    match live {
        Some((session, client_updated)) => {
            let azp = Some(target.origin().ascii_serialization());
            let jwt = tokens::mint(&state, &session.id, azp, None).await?;
            cookies.push(("__session".into(), jwt, "Path=/; SameSite=Lax".into()));
            cookies.push((
                "__client_uat".into(),
                client_updated.as_secs().max(1).to_string(),
                year.clone(),
            ));
        }
        None => {
            cookies.push((
                "__session".into(),
                String::new(),
                "Path=/; SameSite=Lax; Max-Age=0".into(),
            ));
            cookies.push(("__client_uat".into(), "0".into(), year.clone()));
        }
    }
    let mut directives: Vec<String> = cookies
        .iter()
        .map(|(n, v, a)| format!("{n}={v}; {a}"))
        .collect();
    directives.extend(directives_extra);
    if suffixed {
        directives.extend(
            cookies
                .iter()
                .map(|(n, v, a)| format!("{n}_{suffix}={v}; {a}")),
        );
    }
    let (param, value) = if dev {
        let token = state
            .keys
            .active()
            .sign_jwt(
                &[("cat", SESSION_TOKEN_CATEGORY)],
                &json!({"handshake": directives}),
            )
            .map_err(ApiError::internal)?;
        ("__clerk_handshake", token)
    } else {
        let nonce = format!("hsn_{}", frontdesk_types::id::random_base62(24));
        // The nonce belongs to no client: a browser without one (signed
        // out) costs no client row (finding F11), and the nonce is deleted
        // when read or, unread, by the clean-up once it expires.
        state
            .store
            .insert_handshake_nonce(
                &sha256_hex(nonce.as_bytes()),
                &json!(directives),
                now.plus_secs(NONCE_TTL_SECS),
                now,
            )
            .await?;
        ("__clerk_handshake_nonce", nonce)
    };
    target.query_pairs_mut().append_pair(param, &value);
    let mut res = StatusCode::TEMPORARY_REDIRECT.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(target.as_str()) {
        h.insert(LOCATION, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(fapi.with_cookies(res))
}

/// `GET /v1/clients/handshake_payload?nonce=`: the directives behind a nonce,
/// once.
pub async fn payload(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<ApiJson<Value>> {
    let nonce = q
        .text("nonce")
        .ok_or_else(|| ApiError::bad_param("nonce", "form_param_missing", "`nonce` is required"))?;
    let id = sha256_hex(nonce.as_bytes());
    // Read once: the row is deleted as it is read, so two fetches of one
    // nonce cannot both get the session.
    let directives = state
        .store
        .take_handshake_nonce(&id, UnixMillis::now())
        .await?
        .ok_or_else(|| ApiError::not_found("handshake nonce"))?;
    Ok(ApiJson(json!({"directives": directives})))
}
