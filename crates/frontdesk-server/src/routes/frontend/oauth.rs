//! `GET|POST /v1/oauth_callback`: where identity providers send the browser
//! back ([`crate::engine::oauth::callback`]).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::engine::oauth::{self, ProviderAnswer};
use crate::error::ApiResult;
use crate::extract::Browser;
use crate::state::AppState;

/// The fields of a query or form (the first of each name).
fn answer(raw: &[u8]) -> ProviderAnswer {
    let mut a = ProviderAnswer::default();
    for (k, v) in form_urlencoded::parse(raw) {
        let slot = match k.as_ref() {
            "code" => &mut a.code,
            "state" => &mut a.state,
            "error" => &mut a.error,
            "user" => &mut a.user,
            "iss" => &mut a.iss,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    a
}

fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

pub async fn callback(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let answer = answer(query.unwrap_or_default().as_bytes());
    let back = oauth::callback(&state, browser, answer).await?;
    let res = see_other(&back.location);
    Ok(match back.browser {
        Some(b) => b.with_cookies(res),
        None => res,
    })
}

/// Apple's `response_mode=form_post`: the same answer as a GET (303), so
/// that the browser's `SameSite=Lax` cookie comes with it (a cross-site POST
/// carries none).
pub async fn callback_post(body: Bytes) -> Response {
    let a = answer(&body);
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("code", &a.code),
        ("state", &a.state),
        ("error", &a.error),
        ("user", &a.user),
        ("iss", &a.iss),
    ] {
        if let Some(v) = v {
            query.append_pair(k, v);
        }
    }
    see_other(&format!("/v1/oauth_callback?{}", query.finish()))
}
